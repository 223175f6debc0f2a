"""Helpers for the export tests: tiny generators, and exports shared by the test files.

Exports are the slow part (each runs its artifacts in fresh processes), so the two
full exports (every format) are made once per session (``dcgan_export`` /
``cond_export``, cached here) and only read by tests.

Not a conftest.py: a second module named ``conftest`` would shadow tests/conftest.py
for the test files that do ``from conftest import ...``.
"""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import zoo


def spread_weights(model, seed=0, scale=1.5):
    """Re-draws ``model``'s weights so its images use most of [-1, 1] (a fresh DCGAN's are ~1e-3,
    which would make every parity check pass trivially)."""
    rng = np.random.default_rng(seed)
    for v in model.weights:
        shape = tuple(v.shape)
        if v.path.endswith("kernel") or v.path.endswith("embeddings"):
            fan_in = int(np.prod(shape[:-1])) if len(shape) != 4 else int(np.prod(shape[:2]) * shape[3])
            v.assign(rng.standard_normal(shape).astype("float32") * scale / np.sqrt(max(fan_in, 1)))
        elif v.path.endswith("moving_variance"):
            v.assign(rng.uniform(0.5, 2.0, shape).astype("float32"))
        elif v.path.endswith(("moving_mean", "beta", "bias")):
            v.assign(rng.normal(0.0, 0.2, shape).astype("float32"))
    return model


def tiny_dcgan_generator(seed=0):
    g = zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=8, width=4).generator
    return spread_weights(g, seed)


def two_input_generator(label_shape=(), num_classes=10, seed=1, as_dict=False):
    """A conditional generator built by hand: inputs "z" (8,) float32 and "labels" int32
    (given to keras.Model as a list, or as a dict when ``as_dict``)."""
    z = keras.Input((8,), name="z")
    labels = keras.Input(label_shape, dtype="int32", name="labels")
    e = keras.layers.Embedding(num_classes, 4, name="label_embedding")(labels)
    e = keras.layers.Flatten(name="flat_embedding")(e)
    x = keras.layers.Concatenate(name="concat")([z, e])
    x = keras.layers.Dense(7 * 7 * 4, name="project")(x)
    x = keras.layers.Reshape((7, 7, 4), name="reshape")(x)
    x = keras.layers.ReLU(name="relu")(x)
    x = keras.layers.Conv2DTranspose(3, 4, strides=2, padding="same", name="to_image")(x)
    images = keras.layers.Activation("tanh", dtype="float32", name="images")(x)
    inputs = {"labels": labels, "z": z} if as_dict else [z, labels]
    return spread_weights(keras.Model(inputs, images, name="cond_generator"), seed)


def keras_outputs(model, feeds):
    names = [t.name for t in model.inputs]
    return np.asarray(model(feeds[names[0]] if len(names) == 1 else {n: feeds[n] for n in names},
                            training=False))


def run_python(code, *args, timeout=300):
    """Runs ``code`` in a fresh interpreter (cwd /, no PYTHONPATH); returns the CompletedProcess."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("PYTHONPATH", None)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True,
                          text=True, timeout=timeout, cwd="/", env=env)


def last_json_line(proc):
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


_CACHE = {}


def _cached(key, make):
    if key not in _CACHE:
        _CACHE[key] = make()
    return _CACHE[key]


def dcgan_generator():
    return _cached("dcgan_generator", tiny_dcgan_generator)


def cond_generator():
    return _cached("cond_generator", two_input_generator)


def dcgan_export(tmp_path_factory):
    """``(out_dir, manifest)`` of the tiny DCGAN exported to every format (once per session)."""
    import exports

    def make():
        out = tmp_path_factory.mktemp("dcgan") / "exported"
        return out, exports.export_generator(dcgan_generator(), out)

    return _cached("dcgan_export", make)


def cond_export(tmp_path_factory):
    """``(out_dir, manifest)`` of the two-input generator, every format, name "cond", version 3."""
    import exports

    def make():
        out = tmp_path_factory.mktemp("cond") / "exported"
        return out, exports.export_generator(cond_generator(), out, name="cond", version=3)

    return _cached("cond_export", make)


def parity_feeds():
    """Inputs for the independent checks: batches of 5 and 1 for both test generators."""
    rng = np.random.default_rng(42)
    return {
        "dcgan": [{"z": rng.standard_normal((n, 8)).astype("float32")} for n in (5, 1)],
        "cond": [{"z": rng.standard_normal((n, 8)).astype("float32"),
                  "labels": rng.integers(0, 10, size=(n,)).astype("int32")} for n in (5, 1)],
    }
