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
from benchmarks.mixtures_cost import dense_macs, step_flops
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


def test_flop_count_of_a_step():
    gan, _, _ = mixtures.build("notebook", "gan", seed=0)
    g, d = 256 * 128 + 128 * 128 + 128 * 2, 2 * 128 + 128 * 128 + 128
    assert dense_macs(gan.generator, 10) == 10 * g
    assert step_flops(gan, 10) == 2 * 10 * (4 * g + 8 * d)


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
