"""Test set-up: quiet TF, two logical CPU devices (for MirroredStrategy tests), tiny nets."""

import glob
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)


def tiny_networks(latent_dim=4, image_shape=(4, 4, 1), batch_norm=True):
    """A small dense G and D (with batch norm, so state updates can be checked)."""
    h, w, c = image_shape
    z = keras.Input((latent_dim,), name="z")
    x = keras.layers.Dense(16, name="g_dense")(z)
    if batch_norm:
        x = keras.layers.BatchNormalization(name="g_bn")(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Dense(h * w * c, name="g_out")(x)
    x = keras.layers.Reshape(image_shape)(x)
    g = keras.Model(z, keras.layers.Activation("tanh", name="images")(x), name="generator")
    img = keras.Input(image_shape, name="images")
    y = keras.layers.Flatten()(img)
    y = keras.layers.Dense(16, name="d_dense")(y)
    if batch_norm:
        y = keras.layers.BatchNormalization(name="d_bn")(y)
    y = keras.layers.LeakyReLU(0.2)(y)
    d = keras.Model(img, keras.layers.Dense(1, name="logits")(y), name="discriminator")
    return g, d


def read_events(directory):
    """``{tag: [(step, value)]}`` of the TensorBoard event files directly in ``directory`` (values: floats for
    scalars, decoded uint8 arrays for images, the plugin's content bytes otherwise)."""
    out = {}
    for path in sorted(glob.glob(os.path.join(str(directory), "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for v in event.summary.value:
                plugin = v.metadata.plugin_data.plugin_name
                if plugin == "scalars":
                    value = float(tf.make_ndarray(v.tensor))
                elif plugin == "images":
                    value = tf.io.decode_png(tf.make_ndarray(v.tensor)[2]).numpy()
                else:
                    value = v.metadata.plugin_data.content
                out.setdefault(v.tag, []).append((event.step, value))
    return out


def read_hparams(directory):
    """The hyperparameters of the HParams session written in ``directory`` (``{name: value}``), or None."""
    from google.protobuf import json_format
    from tensorboard.plugins.hparams import plugin_data_pb2

    sessions = read_events(directory).get("_hparams_/session_start_info")
    if not sessions:
        return None
    info = plugin_data_pb2.HParamsPluginData.FromString(sessions[-1][1]).session_start_info
    return {k: json_format.MessageToDict(v) for k, v in info.hparams.items()}


CONDITIONAL_TINY = dict(latent_dim=8, width=4, seed=0)


def tiny_conditional(cls, compile=True, **kwargs):
    """A tiny CGAN/ACGAN (28x28x1, width 4) compiled with Adam(1e-3) for both players."""
    keras.utils.set_random_seed(0)
    gan = cls(**{**CONDITIONAL_TINY, **kwargs})
    if compile:
        gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    return gan


def labelled_digits(n=16, seed=0):
    """``n`` random 28x28x1 images in [-1, 1] and labels 0..9 cycling (int32)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n, 28, 28, 1)).astype("float32"), (np.arange(n) % 10).astype("int32")


@pytest.fixture
def real_batch():
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, size=(8, 4, 4, 1)).astype("float32")


def snapshot(variables):
    return [np.array(v.numpy()) for v in variables]


def changed(before, variables):
    """Per-variable: did it change since ``before``?"""
    return [not np.array_equal(b, v.numpy()) for b, v in zip(before, variables)]


@pytest.fixture(scope="session")
def mirrored():
    """One MirroredStrategy over the two logical CPUs for the whole session.

    Several MirroredStrategy objects in one process can hand out colliding
    collective instance keys (a TF limitation), so tests share this one.
    """
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
