"""evaluate() and the SampleQuality callback, with a cheap projection extractor and tiny GANs."""

import glob
import os
import sys

import keras
import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest import tiny_networks  # noqa: E402
from metrics_testlib import ProjectionExtractor  # noqa: E402
from zoo import GAN  # noqa: E402
from zoo.errors import ConfigError, DataError  # noqa: E402
from zoo.metrics import SampleQuality, evaluate  # noqa: E402

REAL = np.random.default_rng(0).uniform(-1, 1, (64, 4, 4, 1)).astype("float32")


def make_gan(lr=2e-4, seed=0):
    keras.utils.set_random_seed(seed)
    g, d = tiny_networks()
    gan = GAN(g, d, seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(lr), g_optimizer=keras.optimizers.Adam(lr))
    return gan


def test_evaluate_returns_every_metric_and_caches_real_features(tmp_path):
    ext = ProjectionExtractor()
    gan = make_gan()
    out = evaluate(gan, REAL, metrics="fid,kid,is,pr", extractor=ext, num_samples=40, seed=1,
                   real_key="uniform-test", cache=str(tmp_path), kid_subset_size=20, kid_subsets=5)
    assert {"fid", "kid", "kid_std", "is", "is_std", "precision", "recall", "f1", "density",
            "coverage"} <= set(out)
    assert out["num_samples"] == 40 and out["num_real"] == 64 and out["extractor"] == "test_projection"
    assert all(np.isfinite(v) for k, v in out.items() if isinstance(v, float))
    assert glob.glob(str(tmp_path / "metrics" / "uniform-test-test_projection-*.npz"))
    calls = ext.calls
    again = evaluate(gan, lambda: pytest.fail("cache hit must not load the data"), metrics=("fid",),
                     extractor=ext, num_samples=40, seed=1, real_key="uniform-test", cache=str(tmp_path))
    assert again["fid"] == pytest.approx(out["fid"]) and ext.calls == calls + 1  # only the fakes


def test_evaluate_of_real_images_against_themselves():
    out = evaluate(REAL, REAL, metrics=("fid", "pr"), extractor=ProjectionExtractor(), num_samples=64)
    assert out["fid"] == pytest.approx(0.0, abs=1e-6)
    assert (out["precision"], out["recall"], out["coverage"]) == (1.0, 1.0, 1.0)


def test_evaluate_accepts_a_bare_keras_generator_and_uint8_real_images():
    g, _ = tiny_networks()
    real_u8 = np.round((REAL + 1) * 127.5).astype("uint8")
    out = evaluate(g, real_u8, metrics=("fid",), extractor=ProjectionExtractor(), num_samples=16)
    assert out["fid"] > 0


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(metrics=("fdi",)), ConfigError, "Unknown metric 'fdi'. Known: fid, is"),
    (dict(metrics=()), ConfigError, "No metrics"),
    (dict(extractor="inceptoin"), ConfigError, "Known: inception, mnist"),
    (dict(num_samples=0), ConfigError, "num_samples"),
    (dict(real_images=REAL[..., 0]), DataError, "add the channel axis"),
    (dict(real_images=REAL * 5), DataError, r"expected floats in \[-1, 1\]"),
    (dict(real_images=None), ConfigError, "pass real_images"),
    (dict(num_real=1000), DataError, "only 64"),
])
def test_evaluate_rejects_bad_input(kwargs, error, match):
    kwargs = {"real_images": REAL, "extractor": ProjectionExtractor(), "num_samples": 8, **kwargs}
    with pytest.raises(error, match=match):
        evaluate(make_gan(), **kwargs)


def test_inception_score_needs_logits():
    ext = ProjectionExtractor()
    ext.num_classes = None
    with pytest.raises(ConfigError, match="needs class logits"):
        evaluate(make_gan(), REAL, metrics=("is",), extractor=ext, num_samples=8)


def test_callback_logs_history_tensorboard_and_keeps_the_best_generator(tmp_path):
    gan = make_gan()
    cb = SampleQuality(REAL, metrics=("fid", "pr"), extractor=ProjectionExtractor(), every=2, num_samples=32,
                       best_path=str(tmp_path / "best.keras"), log_dir=str(tmp_path / "tb"), verbose=0)
    history = gan.fit(REAL, batch_size=16, epochs=4, callbacks=[cb], verbose=0)
    assert len(history.history["fid"]) == 2 and len(history.history["d_loss"]) == 4
    assert [e for e, _ in cb.results] == [1, 3]
    assert {"recall", "coverage", "diversity", "collapse_warning"} <= set(cb.results[0][1])
    best_epoch, best = min(((e, v["fid"]) for e, v in cb.results), key=lambda t: t[1])
    assert cb.best == pytest.approx(best) and cb.best_epoch == best_epoch
    saved = keras.models.load_model(tmp_path / "best.keras")
    assert saved.count_params() == gan.generator.count_params()
    assert glob.glob(str(tmp_path / "tb" / "quality" / "events.out.tfevents.*"))


def test_callback_stops_training_when_the_metric_stops_improving():
    gan = make_gan()
    cb = SampleQuality(REAL, metrics=("fid",), extractor=ProjectionExtractor(), num_samples=16,
                       patience=2, min_delta=1e9, verbose=0)
    history = gan.fit(REAL, batch_size=16, epochs=10, callbacks=[cb], verbose=0)
    assert len(history.history["d_loss"]) == 3  # best at epoch 1, then 2 without improvement


def test_callback_warns_about_collapse(capsys):
    gan = make_gan(lr=0.0)
    for w in gan.generator.weights:  # a generator that ignores z: every sample identical
        if "kernel" in w.path:
            w.assign(np.zeros(w.shape))
    cb = SampleQuality(REAL, metrics=("pr",), extractor=ProjectionExtractor(), num_samples=16,
                       collapse_min_steps=0)  # warn from the first evaluation (4 steps here)
    history = gan.fit(REAL, batch_size=16, epochs=1, callbacks=[cb], verbose=0)
    assert history.history["collapse_warning"] == [1.0] and history.history["diversity"][0] < 1e-3
    assert "probable mode collapse" in capsys.readouterr().out


@pytest.mark.parametrize("kwargs,match", [
    (dict(every=0), "every"), (dict(patience=0), "patience"), (dict(best_path="best.h5"), ".keras"),
    (dict(metrics=("fid",), monitor="recall"), "not computed"),
])
def test_callback_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        SampleQuality(REAL, extractor=ProjectionExtractor(), **kwargs)
