"""benchmarks/study.py: resumable jobs, one-line refusals, the table (tiny runs, the MNIST classifier as
extractor instead of the FID Inception network, a 384-image stand-in for MNIST)."""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "benchmarks", "study.py")


@pytest.fixture
def cache(tmp_path):
    """A cache holding a small 'mnist' (random digits: the protocol, not the quality, is under test)."""
    rng = np.random.default_rng(0)
    os.makedirs(tmp_path / "cache" / "datasets")
    np.savez(tmp_path / "cache" / "datasets" / "mnist.npz",
             x_train=rng.integers(0, 256, (256, 28, 28), dtype=np.uint8), y_train=rng.integers(0, 10, 256),
             x_test=rng.integers(0, 256, (128, 28, 28), dtype=np.uint8), y_test=rng.integers(0, 10, 128))
    return str(tmp_path / "cache")


def study(tmp_path, cache, *extra):
    return [sys.executable, SCRIPT, "--losses=ns", "--datasets=mnist", "--seeds=0", "--tag=tiny",
            "--config", "steps_per_epoch=60", "--config", "batch_size=8", "--extractor=mnist",
            "--proxy_samples=64", "--fid_samples=128", "--num_real=128", f"--cache_dir={cache}",
            f"--runs_dir={tmp_path / 'runs'}", f"--results_dir={tmp_path / 'results'}",
            f"--table_out={tmp_path / 'study.md'}", "--verbose=0", *extra]


def test_a_killed_job_resumes_and_writes_its_result_and_the_table(tmp_path, cache):
    run_dir = tmp_path / "runs" / "ns_mnist_seed0_tiny"
    first = subprocess.Popen(study(tmp_path, cache), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    deadline = time.time() + 240
    while not (run_dir / "backup" / "training_metadata.json").exists():  # epoch 1 is fully recorded
        assert first.poll() is None and time.time() < deadline, "the job should still be training"
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)  # in epoch 2 of 4
    first.wait()
    assert not (tmp_path / "results" / "ns_mnist_seed0_tiny.json").exists()
    done = subprocess.run(study(tmp_path, cache), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "[study]" in done.stdout and "images:" not in done.stdout, "--verbose=0: the FID steps show no progress"
    with open(run_dir / "summary.json") as f:
        assert json.load(f)["steps_this_run"] < 4 * 60, "resumed, not retrained"
    with open(run_dir / "losses.csv") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [0, 1, 2, 3]
    with open(tmp_path / "results" / "ns_mnist_seed0_tiny.json") as f:
        result = json.load(f)
    assert [c["epoch"] for c in result["checkpoints"]] == [1, 2, 3, 4]
    assert [c["d_updates"] for c in result["checkpoints"]] == [60, 120, 180, 240]
    chosen = min(result["checkpoints"], key=lambda c: c["proxy_fid"])
    assert result["chosen_checkpoint"] == chosen and result["fid_num_samples"] == 128
    assert result["paper"] == {"mean": 6.8, "std": 0.5} and result["verdict"] in ("within", "better", "worse")
    assert result["machine"]["cores"] >= 1 and result["config"]["seed"] == 0
    table = (tmp_path / "study.md").read_text()
    assert "| NS GAN | mnist | 6.8 ± 0.5 |" in table and "not yet run" in table
    again = subprocess.run(study(tmp_path, cache), capture_output=True, text=True, timeout=300)
    assert "exists: skipped" in again.stdout, "a finished job is not redone"


@pytest.mark.parametrize("args, message", [
    (["--losses=ns,gan2"], r"unknown loss gan2: choose from mm, ns, lsgan, wgan, wgan_gp, dragan, began\."),
    (["--datasets=cifar10"], r"unknown data set cifar10: choose from mnist, fashion_mnist\."),
    (["--seeds=a"], r"--seeds must be a comma-separated list of integers >= 0"),
    (["--config", "ema_decay=0.999"], r"--config changes the recipe: name the variation with --tag"),
])
def test_bad_arguments_are_one_line(args, message):
    proc = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and re.match("error: " + message, lines[0]), proc.stderr


def test_a_d_steps_override_keeps_the_study_length_in_discriminator_updates():
    from benchmarks import study as study_script
    from recipes.registry import make_config

    def config(loss, *pairs):
        args = study_script.parse_args([f"--losses={loss}", "--datasets=fashion_mnist", "--seeds=0", "--tag=t"]
                                       + [a for p in pairs for a in ("--config", p)])
        return make_config(f"study_{loss}_fashion_mnist", study_script.overrides(args, 0))

    assert config("wgan").steps_per_epoch == 781  # the authors' 5 critic steps: 4 x 781 x 5 D updates
    one = config("wgan", "d_steps=1", "g_lr=1e-4")
    assert (one.model["d_steps"], one.steps_per_epoch, one.epochs) == (1, 3906, 4)
    assert config("ns", "d_steps=5").steps_per_epoch == 781
    assert config("wgan", "d_steps=1", "steps_per_epoch=100").steps_per_epoch == 100  # stated explicitly: kept
