"""The shipped MNIST classifier (zoo.metrics.classifier) and its training CLI (recipes.classifier)."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from recipes.data import resolve_source
from zoo.errors import DataError, DatasetUnavailableError
from zoo.io import sha256_file
from zoo.metrics import classifier as C
from zoo.metrics.extractor import FeatureExtractor
from zoo.pretrained import ChecksumError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def clf():
    return C.load_mnist_classifier()


@pytest.fixture(scope="module")
def digits():
    """The embedded MNIST test split (2,000 real test digits, 200 per class; sha256-checked)."""
    src = resolve_source("mnist_embedded", "test")
    return src.images, src.labels  # uint8 (2000, 28, 28, 1), int32 (2000,)


@pytest.fixture(scope="module")
def predictions(clf, digits):
    return clf.predict_labels(digits[0])


def test_accuracy_on_real_test_digits(predictions, digits):
    labels, probabilities = predictions
    y = digits[1]
    accuracy = np.mean(labels == y)
    assert accuracy >= 0.985, f"accuracy {accuracy:.4f} on the embedded MNIST test split"
    for c in range(10):
        per_class = np.mean(labels[y == c] == c)
        assert per_class >= 0.95, f"digit {c}: accuracy {per_class:.3f}"
    assert probabilities.shape == (2000, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-9)
    assert np.median(probabilities.max(axis=1)) > 0.99  # confident on real digits (MNIST score)


def test_the_shipped_file_matches_the_pinned_checksum_and_its_summary(clf):
    assert sha256_file(C.WEIGHTS_FILE) == C.SHA256
    summary = json.loads(open(C.WEIGHTS_FILE[: -len(".keras")] + ".json").read())
    assert summary["sha256"] == C.SHA256 and summary["test_examples"] == 10000
    assert summary["test_accuracy"] >= 0.99 and summary["feature_dim"] == clf.dim
    assert os.path.getsize(C.WEIGHTS_FILE) < 2_000_000
    assert clf.name == "mnist_cnn_v1-" + C.SHA256[:12]
    assert isinstance(clf, FeatureExtractor) and clf.num_classes == 10 and clf.dim == 128


def test_feature_and_logit_shapes(clf, digits):
    x = digits[0][:70]
    features, logits = clf.features(x, batch_size=32), clf.logits(x, batch_size=32)
    assert features.shape == (70, 128) and features.dtype == np.float64
    assert logits.shape == (70, 10) and logits.dtype == np.float64
    assert np.all(np.isfinite(features)) and features.min() < 0.0  # taken before the ReLU
    both = clf.features_and_logits(x)
    np.testing.assert_allclose(both[0], features, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(both[1], logits, rtol=1e-5, atol=1e-5)


def test_features_have_a_full_rank_covariance_on_real_digits(clf, digits):
    features = clf.features(digits[0], batch_size=500)
    assert features.std(axis=0).min() > 1e-3  # no dead (constant) unit, unlike the ReLU outputs
    assert np.linalg.matrix_rank(np.cov(features, rowvar=False)) == 128  # FCD needs a non-singular cov


def test_uint8_and_unit_range_floats_give_identical_results(clf, digits):
    x = digits[0][:100]
    unit = x.astype(np.float32) / 127.5 - 1.0
    np.testing.assert_array_equal(clf.logits(x), clf.logits(unit))
    np.testing.assert_array_equal(clf.features(x), clf.features(unit))


def test_rgb_and_32x32_input_follow_the_documented_convention(clf, digits, predictions):
    x, y = digits[0][:400], digits[1][:400]
    grey = x.astype(np.float32) / 127.5 - 1.0
    rgb = np.repeat(grey, 3, axis=-1)  # RGB -> grey by channel mean
    np.testing.assert_allclose(clf.logits(rgb), clf.logits(grey), atol=1e-4)
    big = tf.image.resize(rgb, (32, 32), method="bilinear", antialias=True).numpy().clip(-1, 1)
    labels, _ = clf.predict_labels(big)
    assert np.mean(labels == y) >= 0.98
    assert np.mean(labels == predictions[0][:400]) >= 0.99


def test_stacked_mnist_is_classified_per_channel(clf, digits):
    x, y = digits
    stacked = np.concatenate([x[0:300], x[300:600], x[600:900]], axis=-1)  # one digit per channel
    labels, probabilities = clf.predict_labels(stacked, per_channel=True)
    assert labels.shape == (300, 3) and probabilities.shape == (300, 3, 10)
    truth = np.stack([y[0:300], y[300:600], y[600:900]], axis=1)
    assert np.mean(labels == truth) >= 0.98
    np.testing.assert_array_equal(labels[:, 1], clf.predict_labels(x[300:600])[0])


def test_the_module_helpers_use_one_cached_classifier(clf, digits):
    assert C.load_mnist_classifier() is clf
    labels, probabilities = C.predict_labels(digits[0][:10])
    assert labels.shape == (10,) and probabilities.shape == (10, 10)


@pytest.mark.parametrize("images, message", [
    (np.zeros((5, 28, 28), np.float32), r"expected a batch \(n, height, width, channels\)"),
    (np.zeros((5, 28, 28, 2), np.float32), r"expected \(n, height, width, 1 or 3\)"),
    (np.full((2, 28, 28, 1), np.nan, np.float32), "NaN or Inf"),
    (np.full((2, 28, 28, 1), 255.0, np.float32), r"expected floats in \[-1, 1\]"),
    (np.zeros((2, 28, 28, 1), np.int64), "expected uint8 in \\[0, 255\\] or floats"),
    (np.zeros((0, 28, 28, 1), np.float32), "is empty"),
])
def test_bad_input_is_a_clear_data_error(clf, images, message):
    with pytest.raises(DataError, match=message):
        clf.features(images)
    with pytest.raises(DataError, match=message):
        clf.predict_labels(images)


def test_a_bad_batch_size_is_a_data_error(clf, digits):
    with pytest.raises(DataError, match="batch_size must be a positive integer"):
        clf.logits(digits[0][:4], batch_size=0)


def test_a_corrupted_weights_file_is_refused(tmp_path):
    bad = tmp_path / "mnist_classifier.keras"
    shutil.copy(C.WEIGHTS_FILE, bad)
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match="corrupt or was modified"):
        C.MNISTClassifier(bad)
    with pytest.raises(DatasetUnavailableError, match="are missing"):
        C.MNISTClassifier(tmp_path / "nothing.keras")


# ------------------------------------------------------------------ the training CLI


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "recipes.classifier", *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def test_cli_trains_evaluates_and_writes_a_loadable_model(tmp_path):
    out = tmp_path / "sub" / "clf.keras"
    proc = _cli(f"--out={out}", "--epochs=1", "--limit=256", "--batch_size=64", "--dataset=mnist_embedded",
                "--seed=1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Test accuracy" in proc.stdout
    summary = json.loads((tmp_path / "sub" / "clf.json").read_text())
    assert summary["train_examples"] == 256 and summary["steps"] == 4 and summary["seed"] == 1
    assert summary["test_examples"] == 2000 and set(summary["per_class_accuracy"]) == set("0123456789")
    assert summary["sha256"] == sha256_file(out) and 100_000 < summary["params"] < 300_000
    assert "--limit=256" in summary["command"]
    loaded = C.MNISTClassifier(out, expected_sha256=summary["sha256"])
    assert loaded.features(np.zeros((3, 28, 28, 1), np.uint8)).shape == (3, 128)
    assert loaded.name != C.load_mnist_classifier().name


@pytest.mark.parametrize("args, message", [
    (["--epochs=0"], "error: --epochs must be a positive integer; got 0."),
    (["--out=model.h5"], "error: --out must be a .keras path; got 'model.h5'."),
    (["--limit=-5"], "error: --limit must be 0 (all) or a positive number of examples; got -5."),
    (["stray"], "error: Unexpected arguments ['stray']"),
])
def test_cli_bad_flags_fail_with_one_line(args, message):
    proc = _cli(*args)
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error")]  # TF logs aside
    assert len(errors) == 1 and errors[0].startswith(message), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr


def test_cli_unknown_dataset_fails_with_one_line(tmp_path):
    proc = _cli(f"--out={tmp_path / 'c.keras'}", "--dataset=no_such_digits.npz")
    assert proc.returncode == 2
    assert "error: No such file: no_such_digits.npz." in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == ["error: No such file: no_such_digits.npz."]  # no TF start-up lines
    assert not (tmp_path / "c.keras").exists()
