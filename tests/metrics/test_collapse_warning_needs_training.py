"""SampleQuality's collapse warning waits for ``collapse_min_steps`` generator updates."""

import os
import sys

import keras
import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest import tiny_networks  # noqa: E402
from metrics_testlib import ProjectionExtractor  # noqa: E402
from zoo import GAN  # noqa: E402
from zoo.errors import ConfigError  # noqa: E402
from zoo.metrics import SampleQuality  # noqa: E402

REAL = np.random.default_rng(0).uniform(-1, 1, (64, 4, 4, 1)).astype("float32")


def collapsed_gan():
    keras.utils.set_random_seed(0)
    gan = GAN(*tiny_networks(), seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(0.0), g_optimizer=keras.optimizers.Adam(0.0))
    for w in gan.generator.weights:  # a generator that ignores z: every sample identical
        if "kernel" in w.path:
            w.assign(np.zeros(w.shape))
    return gan


def test_no_collapse_warning_after_a_handful_of_steps(capsys):
    cb = SampleQuality(REAL, metrics=("pr",), extractor=ProjectionExtractor(), num_samples=16)
    history = collapsed_gan().fit(REAL, batch_size=16, epochs=1, callbacks=[cb], verbose=0)  # 4 steps
    assert history.history["diversity"][0] < 1e-3, "measured all the same"
    assert history.history["collapse_warning"] == [0.0]
    assert "mode collapse" not in capsys.readouterr().out


def test_the_warning_comes_once_the_generator_has_trained_collapse_min_steps(capsys):
    cb = SampleQuality(REAL, metrics=("pr",), extractor=ProjectionExtractor(), num_samples=16,
                       collapse_min_steps=8, verbose=0)
    history = collapsed_gan().fit(REAL, batch_size=16, epochs=3, callbacks=[cb], verbose=0)  # 4 steps an epoch
    assert history.history["collapse_warning"] == [0.0, 1.0, 1.0]
    assert capsys.readouterr().out.count("probable mode collapse") == 2


@pytest.mark.parametrize("bad", [-1, 2.5, True, None])
def test_collapse_min_steps_is_checked(bad):
    with pytest.raises(ConfigError, match="collapse_min_steps"):
        SampleQuality(REAL, extractor=ProjectionExtractor(), collapse_min_steps=bad)
