"""Refactoring guard: a fixed-seed run of two steps gives the same numbers as recorded.

For every registered variant (its tiny configuration) and for the base model's tricks,
``fit`` runs two steps from fixed weights, data and seeds; what changed in every weight
of the model (both players, averages, the variants' own state) and in both optimizers,
and the logged loss terms, must match ``tests/fixtures/step_numbers.json``. A change
that moves training numbers fails here; when the move is intended (a fixed bug, a new
default), rewrite the file with ``ZOO_WRITE_STEP_NUMBERS=1 python -m pytest
tests/zoo/test_numbers_do_not_move.py`` and say why in the commit.

The weights are compared as sorted lists of per-variable statistics (shape, norm of
the update, its projection on a fixed random direction, norm of the result), so moving
a variable to another object does not fail the check, only changing its values does.
Plain SGD keeps the updates proportional to the gradients (Adam's first steps are
nearly sign(gradient), blind to their size; the unrolling cases use Adam, whose rule
they re-implement). The tolerances (1e-3 of each update) absorb kernel differences
between CPUs (AVX-512 or AVX2 oneDNN kernels); a changed algorithm moves far more.
"""

import json
import os
import pathlib

import keras
import numpy as np
import pytest

from test_every_variant import TINY, _data
from zoo.registry import build_variant

FIXTURE = pathlib.Path(__file__).parent.parent / "fixtures" / "step_numbers.json"
WRITE = os.environ.get("ZOO_WRITE_STEP_NUMBERS") == "1"

# The base model's options, each on a variant that supports it.
TRICKS = {
    "wgan_gp": ("dcgan", dict(loss="wasserstein", penalty="wgan_gp", d_steps=2)),
    "dragan": ("study", dict(penalty="dragan", penalty_weight=5.0)),
    "r1": ("sngan", dict(penalty="r1", penalty_weight=1.0)),
    "clip": ("dcgan", dict(loss="wasserstein", clip_value=0.01)),
    "label_smoothing": ("dcgan", dict(label_smoothing=0.1)),
    "feature_matching": ("dcgan", dict(feature_matching=1.0)),
    "historical_averaging": ("dcgan", dict(historical_averaging=0.5)),
    "unrolled_adam": ("dcgan", dict(unrolled_steps=2)),
    "unrolled_adam_acgan": ("acgan", dict(unrolled_steps=1)),
    "pack": ("dcgan", dict(pack=2)),
    "ema": ("dcgan", dict(ema_decay=0.9, ema_start=1)),
    "ema_stylegan": ("stylegan", dict(ema_decay=0.9)),
    "ema_pix2pix": ("pix2pix", dict(ema_decay=0.9, historical_averaging=0.1, clip_value=1.0)),
    "augment": ("dcgan", dict(augment="translation,cutout,color")),
    "least_squares_cgan": ("cgan", dict(loss="least_squares", d_steps=2)),
    "hinge_infogan": ("infogan", dict(loss="hinge")),
    "uniform_study": ("study", dict(latent_distribution="uniform")),
}
# Instance norm over the tiny 16x16x4 maps of CycleGAN's test configuration amplifies kernel rounding
# (AVX2 vs AVX-512 kernels: updates differ by up to 10%; dropping a loss term moves them by far more).
TOLERANCE = {"cyclegan": 0.15}
CASES = {**{name: (name, {}) for name in TINY}, **TRICKS}


def _weights(gan):
    out = list(gan.weights)
    for opt in (gan.d_optimizer, gan.g_optimizer):
        out += list(opt.variables)
    seen, unique = set(), []
    for v in out:
        if id(v) not in seen:
            seen.add(id(v))
            unique.append(v)
    return unique


def _float(v):
    return np.asarray(keras.ops.convert_to_numpy(v), dtype="float64")


def _numbers(case):
    variant, options = CASES[case]
    keras.utils.set_random_seed(0)
    gan = build_variant(variant, seed=0, **{**TINY[variant], **options})
    if "adam" in case:
        gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                    g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5))
    else:
        gan.compile(d_optimizer=keras.optimizers.SGD(0.05), g_optimizer=keras.optimizers.SGD(0.05))
    x, y = _data(variant)
    x = np.concatenate([x, -x[::-1]])
    y = None if y is None else np.concatenate([y, y[::-1]])
    variables = _weights(gan)
    before = {id(v): _float(v) for v in variables}
    history = gan.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    stats = []
    for v in _weights(gan):
        after = _float(v)
        delta = after - before.get(id(v), np.zeros_like(after))
        direction = np.random.default_rng(after.size).standard_normal(after.shape)
        direction /= max(np.linalg.norm(direction), 1e-12)  # a unit vector: |projection| <= |update|
        stats.append([list(after.shape), float(np.linalg.norm(delta)), float((delta * direction).sum()),
                      float(np.linalg.norm(after))])
    stats.sort()
    logs = {k: float(v[-1]) for k, v in sorted(history.history.items())}
    return {"weights": stats, "logs": logs}


def _stored():
    return json.loads(FIXTURE.read_text()) if FIXTURE.exists() else {}


@pytest.fixture(scope="module")
def stored():
    data = _stored()
    yield data
    if WRITE:
        FIXTURE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("case", sorted(CASES))
def test_two_steps_give_the_recorded_numbers(case, stored):
    got = _numbers(case)
    if WRITE:
        stored[case] = got
        return
    assert case in stored, f"no recorded numbers for {case!r}: run with ZOO_WRITE_STEP_NUMBERS=1"
    want = stored[case]
    assert sorted(got["logs"]) == sorted(want["logs"]), "the logged names changed"
    for name in want["logs"]:
        np.testing.assert_allclose(got["logs"][name], want["logs"][name], rtol=2e-3, atol=1e-5, err_msg=name)
    assert [s[0] for s in got["weights"]] == [s[0] for s in want["weights"]], "the set of weights changed"
    tolerance = TOLERANCE.get(case, 1e-3)
    for shape, got_stats, want_stats in _by_shape(got["weights"], want["weights"]):
        # Each statistic sorted on its own: if every value moves by at most e, so does the sorted list.
        upd, proj, norm = (np.sort(got_stats, axis=0)[:, i] for i in range(3))
        w_upd, w_proj, w_norm = (np.sort(want_stats, axis=0)[:, i] for i in range(3))
        where = f"weights of shape {shape}"
        assert np.all(np.abs(upd - w_upd) <= tolerance * (w_upd + 0.1 * w_upd.max()) + 1e-7), f"update sizes moved ({where})"
        assert np.all(np.abs(proj - w_proj) <= 2 * tolerance * w_upd.max() + 1e-7), \
            f"update directions moved ({where})"
        # | |a| - |b| | <= |a - b|: a result's norm moves no more than its update does.
        assert np.all(np.abs(norm - w_norm) <= tolerance * w_upd.max() + 1e-6 * w_norm + 1e-7), \
            f"weights moved ({where})"


def _by_shape(got, want):
    groups = {}
    for side, stats in ((0, got), (1, want)):
        for s in stats:
            groups.setdefault(tuple(s[0]), ([], []))[side].append(s[1:])
    for shape, (g, w) in sorted(groups.items()):
        yield shape, np.array(g), np.array(w)
