import csv
import glob
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from recipes.registry import make_config
from recipes.train import RunError, run

TINY = {"steps": 4, "batch_size": 16, "samples": 4, "latent_dim": 8, "width": 4}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def tiny_config(**extra):
    return make_config("dcgan_mnist", {**TINY, **extra})


def test_a_short_run_writes_every_artifact(tmp_path):
    workdir = str(tmp_path / "run")
    summary = run(tiny_config(), workdir, verbose=0)
    for name in ("config.json", "summary.json", "losses.csv", "generator.keras", "gan.keras",
                 "samples/final.png", "checkpoints/last.weights.h5"):
        assert os.path.isfile(os.path.join(workdir, name)), name
    assert glob.glob(os.path.join(workdir, "samples", "epoch_*.png"))
    assert glob.glob(os.path.join(workdir, "tensorboard", "train", "events.out.tfevents.*"))
    assert not os.path.exists(os.path.join(workdir, "backup")), "removed once training finished"
    with open(os.path.join(workdir, "summary.json")) as f:
        assert json.load(f) == json.loads(json.dumps(summary))
    assert summary["status"] == "finished" and summary["steps_this_run"] == 4
    assert summary["dataset"] == {"name": "mnist_embedded", "split": "train", "num_examples": 10000,
                                  "image_shape": [28, 28, 1]}
    assert set(summary["final_metrics"]) == {"d_loss", "g_loss", "loss"}
    assert summary["images_per_second"] > 0
    for rel in summary["artifacts"].values():
        assert os.path.exists(os.path.join(workdir, rel)), rel
    with open(os.path.join(workdir, "losses.csv")) as f:
        assert len(list(csv.DictReader(f))) == 1
    generator = keras.models.load_model(os.path.join(workdir, "generator.keras"))
    images = generator(np.zeros((2, 8), np.float32)).numpy()
    assert images.shape == (2, 28, 28, 1) and np.abs(images).max() <= 1
    gan = keras.models.load_model(os.path.join(workdir, "gan.keras"))
    np.testing.assert_allclose(gan.generate(z=np.ones((2, 8))), generator(np.ones((2, 8))).numpy(), atol=1e-6)
    png = tf.io.decode_png(tf.io.read_file(os.path.join(workdir, "samples", "final.png")))
    assert png.shape == (2 * 29 + 1, 2 * 29 + 1, 1)


def test_a_finished_workdir_is_not_overwritten_by_accident(tmp_path):
    workdir = str(tmp_path / "run")
    run(tiny_config(steps=1), workdir, verbose=0)
    before = os.path.getmtime(os.path.join(workdir, "generator.keras"))
    with pytest.raises(RunError, match="already holds a finished run.*--overwrite"):
        run(tiny_config(steps=1), workdir, verbose=0)
    assert os.path.getmtime(os.path.join(workdir, "generator.keras")) == before
    run(tiny_config(steps=2), workdir, verbose=0, overwrite=True)
    with open(os.path.join(workdir, "summary.json")) as f:
        assert json.load(f)["steps_this_run"] == 2


def test_an_unfinished_run_cannot_be_resumed_with_another_config(tmp_path):
    workdir = tmp_path / "run"
    workdir.mkdir()
    (workdir / "config.json").write_text(json.dumps(tiny_config(g_lr=1e-3).to_dict()))
    with pytest.raises(RunError, match=r"different config \(keys \['g_lr'\] differ\)"):
        run(tiny_config(), str(workdir), verbose=0)


def test_an_unwritable_workdir_fails_before_training(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    with pytest.raises(RunError, match="cannot be written.*--workdir"):
        run(tiny_config(), str(blocker / "run"), verbose=0)


def test_resized_rgb_data_builds_a_matching_model(tmp_path):
    summary = run(tiny_config(steps=1, image_size=32, channels=3, split="test"), str(tmp_path / "r"), verbose=0)
    assert summary["dataset"]["image_shape"] == [32, 32, 3]


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "recipes.train", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd or ROOT)


def test_cli_short_run(tmp_path):
    workdir = tmp_path / "cli"
    proc = _cli(f"--workdir={workdir}", "--steps=2", "--batch_size=8", "--seed=3",
                "--config", "width=4", "--config", "latent_dim=8", "--config", "samples=4")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Done in" in proc.stdout
    summary = json.loads((workdir / "summary.json").read_text())
    assert summary["recipe_config"]["seed"] == 3 and summary["recipe_config"]["batch_size"] == 8


@pytest.mark.parametrize("args, message", [
    (["--recipe=nope"], "error: Unknown recipe 'nope'. Known: "),
    (["--config", "bogus=1"], "error: Unknown config key 'bogus'"),
    (["--config", "epochs=zero"], "error: Config key 'epochs' must be int"),
    (["--batch_size=0"], "error: Config key 'batch_size' must be positive"),
    (["--workdir=/proc/version/run"], "error: The workdir '/proc/version/run' cannot be written"),
    (["--config", "dataset=fashion_mnist", "--cache_dir=/nonexistent-cache"],
     "error: Dataset 'fashion_mnist' is not on this machine. Fetch it once with `python -m recipes.fetch fashion_mnist`"),
    (["--config", "image_size=27"], "error: DCGAN cannot build images of shape (27, 27, 1)"),
    (["stray"], "error: Unexpected arguments ['stray']"),
])
def test_cli_errors_are_one_clear_line(tmp_path, args, message):
    proc = _cli(*args, f"--workdir={tmp_path / 'w'}" if not any("workdir" in a for a in args) else "--seed=0")
    assert proc.returncode == 2
    assert message in proc.stderr, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr


def test_wgan_gp_recipe_runs_with_its_options(tmp_path):
    config = make_config("wgan_gp_fashion_mnist", {**TINY, "dataset": "mnist_embedded", "steps": 2})
    assert config.model["penalty"] == "wgan_gp" and config.model["d_norm"] == "layer"
    summary = run(config, str(tmp_path / "w"), verbose=0)
    assert {"penalty", "d_loss", "g_loss"} <= set(summary["final_metrics"])
    gan = keras.models.load_model(str(tmp_path / "w" / "gan.keras"))
    assert gan.penalty == "wgan_gp" and gan.d_steps == 5


def test_rmsprop_recipe_uses_rmsprop(tmp_path):
    from recipes.train import make_optimizer

    config = make_config("wgan_mnist", {**TINY, "steps": 1})
    assert isinstance(make_optimizer(config, 1e-3), keras.optimizers.RMSprop)
    run(config, str(tmp_path / "r"), verbose=0)
    gan = keras.models.load_model(str(tmp_path / "r" / "gan.keras"))
    assert gan.clip_value == 0.01
    assert max(float(np.abs(v.numpy()).max()) for v in gan.discriminator.trainable_variables) <= 0.01 + 1e-7


def test_a_diverging_run_stops_naming_the_step_and_loss(tmp_path, monkeypatch):
    from zoo import losses

    inf_loss = losses.AdversarialLoss("exploding", lambda r, f: losses.bce_d_loss(r, f) + np.inf,
                                      losses.non_saturating_g_loss)
    monkeypatch.setitem(losses.LOSSES, "exploding", inf_loss)
    workdir = tmp_path / "nan"
    with pytest.raises(RunError, match=r"Training diverged: d_loss became inf at step 1 \(epoch 1\)"):
        run(tiny_config(loss="exploding"), str(workdir), verbose=0)
    assert not (workdir / "checkpoints" / "last.weights.h5").exists(), "no checkpoint from a diverged epoch"
    assert not (workdir / "summary.json").exists()


def test_lr_decay_runs_both_optimizers_down_to_zero_over_the_run(tmp_path):
    import zoo

    workdir = tmp_path / "decay"
    run(tiny_config(lr_decay=0.5, d_steps=2), str(workdir), verbose=0)  # 4 train steps: 4 G and 8 D updates
    gan = keras.models.load_model(str(workdir / "gan.keras"))
    for opt, total in ((gan.g_optimizer, 4), (gan.d_optimizer, 8)):
        schedule = opt._learning_rate
        assert isinstance(schedule, zoo.LinearDecay) and schedule.total_steps == total
        assert int(opt.iterations.numpy()) == total
        assert float(opt.learning_rate) == 0.0  # the end of the run: decayed to 0
        assert float(schedule(total // 2)) == pytest.approx(2e-4)  # the first half at the full rate
