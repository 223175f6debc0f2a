import csv
import glob
import io
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
    png = tf.io.decode_png(tf.io.read_file(str(workdir / "samples" / "final.png")))
    assert png.shape == (3 * (2 * 29 + 1), 3 * (2 * 29 + 1), 1), "the CLI enlarges 28x28 tiles 3 times by default"


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


def test_a_run_shows_grids_learning_rates_and_its_config_in_tensorboard(tmp_path):
    from conftest import read_events, read_hparams

    workdir = tmp_path / "tb"
    config = tiny_config(steps_per_epoch=2)  # 4 steps: 2 epochs of 2
    run(config, str(workdir), verbose=0, grid_scale=2, tensorboard_update_freq=2)
    train = read_events(workdir / "tensorboard" / "train")
    side = 2 * (2 * 29 + 1)  # 2x2 tiles of 28x28 with 1-pixel padding, twice enlarged
    assert [(step, image.shape) for step, image in train["samples"]] == [(0, (side, side, 1)), (1, (side, side, 1))]
    final = tf.io.decode_png(tf.io.read_file(str(workdir / "samples" / "final.png"))).numpy()
    np.testing.assert_array_equal(train["samples"][-1][1], final)
    for player in ("d", "g"):
        assert train[f"epoch_{player}_learning_rate"] == [(0, pytest.approx(2e-4)), (1, pytest.approx(2e-4))]
        assert [step for step, _ in train[f"batch_{player}_learning_rate"]] == [2, 4]
    assert [step for step, _ in train["batch_d_loss"]] == [2, 4]
    hparams = read_hparams(workdir / "tensorboard")
    assert hparams["variant"] == "dcgan" and hparams["dataset"] == "mnist_embedded"
    assert hparams["model.width"] == 4 and hparams["g_lr"] == pytest.approx(2e-4)
    with open(workdir / "losses.csv") as f:
        header = next(csv.reader(f))
    assert header == ["epoch", "d_loss", "g_loss", "loss"], "no empty val_* columns"


def test_grid_scale_and_update_freq_are_checked(tmp_path):
    from recipes.train import check_update_freq

    assert check_update_freq("epoch") == "epoch" and check_update_freq("batch") == 1
    assert check_update_freq("25") == 25 and check_update_freq(3) == 3
    for bad in ("often", 0, "-2", 1.5):
        with pytest.raises(RunError, match="update frequency must be 'epoch', 'batch' or a positive number"):
            check_update_freq(bad)
    with pytest.raises(RunError, match="grid scale must be a positive integer"):
        run(tiny_config(), str(tmp_path / "w"), verbose=0, grid_scale=0)
    assert not (tmp_path / "w").exists(), "refused before anything is written"


def test_list_describes_each_recipe_and_what_it_needs_first(tmp_path):
    from recipes.registry import DESCRIPTIONS, RECIPES
    from recipes.train import list_recipes

    assert set(DESCRIPTIONS) == set(RECIPES), "every recipe has a description"
    out = io.StringIO()
    list_recipes(cache_dir=str(tmp_path), out=out)  # an empty cache: nothing fetched
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["RECIPE", "VARIANT", "DATASET", "DESCRIPTION"]

    def entry(name):
        i = next(i for i, line in enumerate(lines) if line.split()[:1] == [name])
        needs = []
        for line in lines[i + 1:]:
            if not line.startswith(" "):
                break
            needs.append(line.strip())
        return lines[i], needs

    row, needs = entry("dcgan_mnist")
    assert row.split()[1:3] == ["dcgan", "mnist_embedded"] and DESCRIPTIONS["dcgan_mnist"] in row and needs == []
    assert entry("dcgan_fashion_mnist")[1] == ["needs first: python -m recipes.fetch fashion_mnist"]
    assert entry("cyclegan_mnist2fashion_mnist")[1] == ["needs first: python -m recipes.fetch mnist fashion_mnist"]
    assert entry("dcgan_cifar10")[1] == ["needs first: TFDS download (--download)"]
    assert entry("pix2pix_edges2mnist")[1] == [], "made from the embedded MNIST"
    # Once fetched, a recipe needs nothing more.
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "fashion_mnist.npz").write_bytes(b"")
    out = io.StringIO()
    list_recipes(cache_dir=str(tmp_path), out=out)
    lines = out.getvalue().splitlines()
    assert entry("dcgan_fashion_mnist")[1] == []


def test_cli_list_json_lines(tmp_path):
    from recipes.registry import RECIPES

    proc = _cli("--list", "--list_format=json", f"--cache_dir={tmp_path}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["name"] for r in rows] == list(RECIPES)
    fm = next(r for r in rows if r["name"] == "dcgan_fashion_mnist")
    assert fm["needs"] == ["python -m recipes.fetch fashion_mnist"] and fm["description"]
    assert fm["config"] == json.loads(json.dumps(RECIPES["dcgan_fashion_mnist"]))
    assert proc.stderr == "", "TensorFlow's start-up lines are not part of a listing"
