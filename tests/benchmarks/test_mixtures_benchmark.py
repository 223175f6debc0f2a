"""benchmarks/mixtures.py: the protocols' networks and data, resumable runs, the table, one-line refusals
(tiny lengths: the protocol's mechanics are under test, not its results)."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from benchmarks import mixtures
from zoo.errors import ConfigError
from zoo.networks import mlp_discriminator, mlp_generator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "benchmarks", "mixtures.py")


def test_notebook_networks_are_the_unrolled_gan_authors():
    gan, d_opt, g_opt = mixtures.build("notebook", "gan", seed=0)
    g, d = gan.generator, gan.discriminator
    assert g.input_shape == (None, 256) and g.output_shape == (None, 2)
    assert g.count_params() == (256 * 128 + 128) + (128 * 128 + 128) + (128 * 2 + 2)
    assert d.count_params() == (2 * 128 + 128) + (128 * 128 + 128) + (128 + 1)
    assert [l.name for l in g.layers if isinstance(l, keras.layers.Activation)] == ["tanh0", "tanh1", "samples"]
    w = g.get_layer("dense1").kernel.numpy()
    np.testing.assert_allclose(w.T @ w, 1.4 ** 2 * np.eye(128), atol=1e-4)  # orthogonal, gain 1.4
    assert not np.allclose(w, d.get_layer("dense1").kernel.numpy()), "every layer draws its own weights"
    assert (float(d_opt.learning_rate), float(g_opt.learning_rate)) == pytest.approx((1e-4, 1e-3))
    assert float(g_opt.beta_1) == pytest.approx(0.5) and float(d_opt.epsilon) == pytest.approx(1e-8)
    assert gan.adversarial_loss.name == "minimax", "the notebook's saddle objective"
    assert mixtures.build("notebook", "wgan_gp", seed=0)[0].adversarial_loss.name == "wasserstein"


def test_pacgan_protocol_packs_the_discriminator_input():
    gan, _, _ = mixtures.build("pacgan", "pacgan3", seed=0)
    assert gan.pack == 3 and gan.discriminator.input_shape == (None, 6)
    assert gan.generator.input_shape == (None, 2)


def test_pacgan_protocol_draws_a_hundred_packs_a_step(tmp_path):
    """PacGAN's code feeds D 100 packs a step whatever m is: PacGAN3 trains on 300 points a step."""
    done = subprocess.run([sys.executable, SCRIPT, "--protocol=pacgan", "--steps=10", "--seeds=1",
                           "--configs=gan,pacgan3", "--mixtures=ring", "--eval_samples=50", "--workers=1",
                           f"--results_dir={tmp_path}"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    batches = {}
    for config in ("gan", "pacgan3"):
        with open(tmp_path / "pacgan_10steps" / f"{config}_ring_seed0.json") as f:
            batches[config] = json.load(f)["batch"]
    assert batches == {"gan": 100, "pacgan3": 300}


def test_mlp_options_are_checked():
    with pytest.raises(ConfigError, match="activation 'tanhh'"):
        mlp_generator(activation="tanhh")
    with pytest.raises(ConfigError, match="kernel_initializer 'orthogonall'"):
        mlp_discriminator(kernel_initializer="orthogonall")


def test_fresh_data_differs_every_step_and_repeats_with_the_seed():
    first = [b.numpy() for b in mixtures.dataset("notebook", "grid", 3, 64).take(2)]
    again = [b.numpy() for b in mixtures.dataset("notebook", "grid", 3, 64).take(2)]
    other = next(iter(mixtures.dataset("notebook", "grid", 4, 64))).numpy()
    assert first[0].shape == (64, 2) and not np.allclose(first[0], first[1])
    np.testing.assert_array_equal(first[0], again[0])
    assert not np.allclose(first[0], other)
    means = np.array([[i, j] for i in range(-4, 5, 2) for j in range(-4, 5, 2)])
    distance = np.linalg.norm(first[0][:, None] - means[None], axis=-1).min(axis=1)
    assert distance.max() < 0.05 * 6, "every point lies near a grid mode (std 0.05)"


def run(tmp_path, *extra):
    cmd = [sys.executable, SCRIPT, "--protocol=notebook", "--configs=gan,pacgan2", "--mixtures=ring",
           "--seeds=1", "--steps=20", "--workers=1", f"--results_dir={tmp_path}", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)


def test_runs_write_their_results_resume_and_make_the_table(tmp_path):
    done = run(tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    folder = tmp_path / "notebook_20steps"
    with open(folder / "pacgan2_ring_seed0.json") as f:
        result = json.load(f)
    assert [c["step"] for c in result["checkpoints"]] == list(range(2, 21, 2)), "scored at every tenth"
    assert result["modes"] == result["checkpoints"][-1]["modes"] and result["num_modes"] == 8
    assert "cpu" in result["machine"]
    points = np.array(result["final_points"])
    assert points.shape == (mixtures.PLOT_POINTS, 2) and np.isfinite(points).all()
    plot = tmp_path / "scatter.png"
    drawn = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "mixtures_plot.py"), "--real",
                            f"--out={plot}", "--size=200", str(folder / "gan_ring_seed0.json"),
                            str(folder / "pacgan2_ring_seed0.json")], capture_output=True, text=True, cwd=ROOT)
    assert drawn.returncode == 0, drawn.stderr[-2000:]
    from PIL import Image

    with Image.open(plot) as image:  # three panels: real, gan, pacgan2
        assert image.size == (600, 200 + 28)
        red = np.all(np.array(image) == (220, 30, 30), axis=-1)
        assert red[:, :200].any() and red[:, 400:].any(), "every panel draws the modes"
    del result["final_points"]
    (tmp_path / "old.json").write_text(json.dumps(result))
    refused = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "mixtures_plot.py"),
                              str(tmp_path / "old.json")], capture_output=True, text=True, cwd=ROOT)
    lines = refused.stderr.strip().splitlines()
    assert refused.returncode != 0 and len(lines) == 1 and "has no final_points" in lines[0], lines
    table = (tmp_path / "notebook_20steps.md").read_text()
    assert "| pacgan2 | " in table and "20 steps (the protocol: 25,000)" in table and "| gan | ring | " in table
    with open(tmp_path / "notebook_20steps.json") as f:
        assert set(json.load(f)["summary"]) == {"gan", "pacgan2"}

    again = run(tmp_path)  # everything is done: nothing is trained again
    assert again.returncode == 0 and "runs to train" not in again.stdout
    os.remove(folder / "gan_ring_seed0.json")
    third = run(tmp_path)
    assert "1 runs to train" in third.stdout and "gan ring seed 0" in third.stdout


@pytest.mark.parametrize("args, message", [
    (["--protocol=pacgann"], "Unknown protocol 'pacgann'"),
    (["--protocol=pacgan", "--configs=unrolled5"], "Unknown configs ['unrolled5'] for --protocol=pacgan"),
    (["--steps=25"], "--steps must be a multiple of 10"),
    (["--mixtures=spiral"], "--mixtures takes ring and/or grid"),
])
def test_bad_arguments_get_one_line(tmp_path, args, message):
    done = subprocess.run([sys.executable, SCRIPT, *args, f"--results_dir={tmp_path}"], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0 and len(lines) == 1 and lines[0].startswith(f"mixtures.py: {message}"), lines


def test_stacked_mnist_networks_are_dcgan_tensorflows():
    from zoo.networks.stacked_mnist import stacked_mnist_discriminator, stacked_mnist_generator

    g, d = stacked_mnist_generator(), stacked_mnist_discriminator(pack=2)
    assert g.input_shape == (None, 100) and g.output_shape == (None, 28, 28, 3)
    sides = [l.output.shape[1:] for l in g.layers if isinstance(l, keras.layers.Conv2DTranspose)]
    assert sides == [(4, 4, 256), (7, 7, 128), (14, 14, 64), (28, 28, 3)]
    convs = [l for l in d.layers if isinstance(l, keras.layers.Conv2D)]
    assert [c.output.shape[1:] for c in convs] == [(14, 14, 64), (7, 7, 128), (4, 4, 256), (2, 2, 512)]
    assert d.input_shape == (None, 28, 28, 6) and all(c.kernel_size == (5, 5) for c in convs)
    gan, d_opt, _ = mixtures.build("stacked_mnist", "pacdcgan2", seed=0)
    assert gan.g_steps == 2 and gan.pack == 2 and gan.latent_distribution == "uniform"
    assert float(d_opt.learning_rate) == pytest.approx(2e-4)


def test_stacked_mnist_runs_and_makes_its_table(tmp_path):
    with np.load(os.path.join(ROOT, "recipes", "data", "mnist_embedded.npz")) as d:
        arrays = {k: d[k] for k in d}
    os.makedirs(tmp_path / "home" / "datasets")
    np.savez(tmp_path / "home" / "datasets" / "mnist.npz", **arrays)
    cmd = [sys.executable, SCRIPT, "--protocol=stacked_mnist", "--configs=dcgan", "--seeds=1", "--steps=10",
           "--eval_samples=200", "--workers=1", f"--results_dir={tmp_path / 'results'}"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=ROOT,
                          env=dict(os.environ, GANZOO_HOME=str(tmp_path / "home")))
    assert done.returncode == 0, done.stderr[-3000:]
    with open(tmp_path / "results" / "stacked_mnist_10steps" / "dcgan_stacked_mnist_seed0.json") as f:
        result = json.load(f)
    assert result["num_modes"] == 1000 and 1 <= result["modes"] <= 200 and len(result["checkpoints"]) == 10
    table = (tmp_path / "results" / "stacked_mnist_10steps.md").read_text()
    assert "| dcgan | " in table and "*DCGAN (PacGAN's run) (paper)*" in table and "200 samples per run" in table
    missing = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT,
                             env=dict(os.environ, GANZOO_HOME=str(tmp_path / "empty")))
    assert missing.returncode == 0, "nothing left to train: the table is rebuilt without the data"
    again = subprocess.run([*cmd[:-3], "--configs=pacdcgan2", *cmd[-2:]], capture_output=True, text=True,
                           timeout=300, cwd=ROOT, env=dict(os.environ, GANZOO_HOME=str(tmp_path / "empty")))
    assert again.returncode != 0 and again.stderr.strip().endswith("python -m recipes.fetch mnist")
