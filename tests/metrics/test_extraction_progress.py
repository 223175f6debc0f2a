"""Progress of feature extraction (and KID, precision/recall): shown by default (plain lines when stdout is not a terminal, as under
pytest), absent with verbose=0, and never inside the epoch line of SampleQuality."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest import tiny_networks  # noqa: E402
from metrics_testlib import ProjectionExtractor  # noqa: E402
from zoo.metrics import evaluate  # noqa: E402

REAL = np.random.default_rng(0).uniform(-1, 1, (200, 4, 4, 1)).astype("float32")


def plain_lines(out):
    assert "\r" not in out and "\b" not in out and "\x1b" not in out
    return out.splitlines()


def test_evaluate_shows_each_extraction_by_default(capsys):
    evaluate(REAL, REAL, metrics="fid,kid,is,pr", extractor=ProjectionExtractor(), num_samples=100, batch_size=8,
             kid_subsets=30, kid_subset_size=50)
    lines = plain_lines(capsys.readouterr().out)
    for job, n in (("Real images: test_projection features", 200),
                   ("Generated images: test_projection features", 100),
                   ("Generated images: test_projection logits", 100)):
        mine = [line for line in lines if line.startswith(job + ":")]
        assert mine[0] == f"{job}: {n} images"
        assert mine[-1].startswith(f"{job}: {n}/{n} (100%)") and "images/s" in mine[-1]
        assert len(mine) <= 12
    assert "KID (50 + 50 rows per subset): 30 subsets" in lines
    assert any(line.startswith("KID (50 + 50 rows per subset): 30/30 (100%)") for line in lines)
    assert "Precision/recall (k=3, 200 real, 100 generated): 3 blocks" in lines


def test_verbose_0_shows_nothing(capsys):
    out = evaluate(REAL, REAL, metrics="fid", extractor=ProjectionExtractor(), num_samples=200, verbose=0)
    assert out["fid"] == pytest.approx(0.0, abs=1e-6) and capsys.readouterr().out == ""
    with pytest.raises(Exception, match='verbose must be "auto"'):
        evaluate(REAL, REAL, metrics="fid", extractor=ProjectionExtractor(), num_samples=8, verbose="loud")


def test_batches_give_the_same_features_as_one_pass():
    ext = ProjectionExtractor()
    whole = ext.features(REAL, batch_size=len(REAL), verbose=0)
    np.testing.assert_allclose(ext.features(REAL, batch_size=7, verbose=0), whole, rtol=1e-6)
    assert ext.calls == 1 + 29


def test_the_mnist_classifier_shows_progress(capsys):
    from zoo.metrics.classifier import load_mnist_classifier

    clf = load_mnist_classifier()
    digits = np.random.default_rng(1).uniform(-1, 1, (300, 28, 28, 1)).astype("float32")
    clf.features(digits, batch_size=32, verbose=2)
    lines = plain_lines(capsys.readouterr().out)
    assert lines[0] == f"{clf.name} features: 300 images" and lines[-1].startswith(f"{clf.name} features: 300/300")
    assert len(lines) <= 12
    clf.predict_labels(digits, verbose=0)
    assert capsys.readouterr().out == ""


def test_sample_quality_shows_no_progress_inside_an_epoch(capsys):
    import keras

    from zoo import GAN
    from zoo.metrics import SampleQuality

    keras.utils.set_random_seed(0)
    g, d = tiny_networks()
    gan = GAN(g, d, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-4), g_optimizer=keras.optimizers.Adam(2e-4))
    gan.fit(REAL[:64], batch_size=16, epochs=1, verbose=0,
            callbacks=[SampleQuality(REAL, extractor=ProjectionExtractor(), num_samples=40, verbose=0)])
    assert capsys.readouterr().out == ""
    gan.fit(REAL[:64], batch_size=16, epochs=1, verbose=0,
            callbacks=[SampleQuality(REAL, extractor=ProjectionExtractor(), num_samples=40)])
    out = capsys.readouterr().out
    assert "Real images: test_projection features: 200 images" in out  # before the first epoch
    assert "Generated images" not in out and "sample quality" in out
