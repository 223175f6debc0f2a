"""benchmarks/stacked_mnist.py --check_classifier: reads real stacked digits and reports against the
truth (the embedded MNIST test digits stand in for the full set)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "benchmarks", "stacked_mnist.py")


def test_the_classifier_check_reads_real_stacked_digits(tmp_path):
    with np.load(os.path.join(ROOT, "recipes", "data", "mnist_embedded.npz")) as d:
        arrays = {k: d[k] for k in d}
    os.makedirs(tmp_path / "datasets")
    np.savez(tmp_path / "datasets" / "mnist.npz", **arrays)
    out = tmp_path / "check.json"
    done = subprocess.run([sys.executable, SCRIPT, "--check_classifier", "--num=3000", f"--cache_dir={tmp_path}",
                           f"--out={out}"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["mode_accuracy"] > 0.95 and min(result["channel_accuracy"]) > 0.98
    # each mode is right only when all three digits are: close to the product of the channels'
    assert result["mode_accuracy"] == pytest.approx(np.prod(result["channel_accuracy"]), abs=0.01)
    assert result["real_modes_covered"] > 900 and result["read_modes_covered"] > 900
    assert "whole mode read right" in done.stdout


def test_a_missing_mnist_is_one_line(tmp_path):
    done = subprocess.run([sys.executable, SCRIPT, "--check_classifier", f"--cache_dir={tmp_path}"],
                          capture_output=True, text=True, timeout=300)
    missing = f"{tmp_path}/datasets/mnist.npz is missing: python -m recipes.fetch mnist"
    assert done.returncode != 0 and done.stderr.strip().splitlines()[-1] == missing
