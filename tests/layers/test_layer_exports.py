"""Every image layer in one generator: export to SavedModel and ONNX with parity. (Each layer's
.keras round trip is the shared harness's: tests/layers/test_layer_harness.py.)"""

import keras
import numpy as np

import exports
from layers import (AdaIN, EqualizedConv2D, EqualizedDense, FadeIn, MinibatchStdDev, NoiseInjection,
                    PixelNorm, SelfAttention, SpectralNormalization)

RNG = np.random.default_rng(2)


def randomize(model, seed=0):
    """Non-trivial weights everywhere (gamma, noise scale start at 0; alpha stays in [0, 1])."""
    rng = np.random.default_rng(seed)
    for v in model.weights:
        if v.path.endswith("alpha"):
            v.assign(0.3)
        elif not v.path.endswith("/u"):
            v.assign(rng.normal(0.0, 0.5, v.shape).astype("float32"))
    return model


def test_generator_made_of_every_layer_exports_with_parity(tmp_path):
    """One generator uses all of them; SavedModel and ONNX are checked in a fresh process."""
    z = keras.Input((8,), name="z")
    noise = keras.Input((8, 8, 1), name="noise")
    w = EqualizedDense(8, lr_multiplier=0.01, activation="leaky_relu")(PixelNorm()(z))
    x = keras.layers.Reshape((2, 2, 4))(SpectralNormalization(keras.layers.Dense(16))(w))
    x = AdaIN()([EqualizedConv2D(8, 3)(keras.layers.UpSampling2D(2)(x)), w])
    old = keras.layers.UpSampling2D(2)(EqualizedConv2D(3, 1, gain=1.0)(x))
    x = keras.layers.UpSampling2D(2)(x)
    x = NoiseInjection()([EqualizedConv2D(8, 3)(x), noise])
    x = SelfAttention(key_ratio=4)(PixelNorm()(x))
    x = MinibatchStdDev(group_size=2)(x)  # batch-dependent, still deterministic
    new = SpectralNormalization(keras.layers.Conv2D(3, 3, padding="same"))(x)
    images = keras.layers.Activation("tanh", name="images")(FadeIn(alpha=0.4)([old, new]))
    generator = randomize(keras.Model([z, noise], images), seed=3)
    for v in generator.weights:
        if v.path.endswith("alpha"):
            v.assign(0.4)
    generator([np.zeros((2, 8), "float32"), np.zeros((2, 8, 8, 1), "float32")], training=True)
    manifest = exports.export_generator(generator, str(tmp_path / "out"), formats=("saved_model", "onnx"))
    errors = manifest["parity"]["max_abs_error"]
    assert errors["saved_model"] <= 1e-5 and errors["onnx"] <= 1e-4, errors
    spread = np.std(generator([RNG.normal(size=(4, 8)).astype("float32"),
                               RNG.normal(size=(4, 8, 8, 1)).astype("float32")]).numpy())
    assert spread > 0.05  # the parity check compared images, not a constant
