"""Every image layer: a safe-mode .keras round trip, and export to SavedModel and ONNX with parity."""

import keras
import numpy as np
import pytest

import exports
from layers import (AdaIN, EqualizedConv2D, EqualizedDense, FadeIn, MinibatchStdDev, NoiseInjection,
                    PixelNorm, SelfAttention, SpectralNormalization)

RNG = np.random.default_rng(2)


def features(shape=(4, 4, 8)):
    return keras.Input(shape, name="features")


# name -> (inputs, function building the output from them)
MODELS = {
    "spectral_normalization": lambda: (lambda x: (x, SpectralNormalization(keras.layers.Conv2DTranspose(
        3, 3, strides=2, padding="same"), power_iterations=2)(x)))(features()),
    "self_attention": lambda: (lambda x: (x, SelfAttention(key_ratio=4, value_ratio=1)(x)))(features()),
    "equalized_dense": lambda: (lambda x: (x, EqualizedDense(5, lr_multiplier=0.01, activation="leaky_relu")(x)))(
        keras.Input((6,), name="z")),
    "equalized_conv2d": lambda: (lambda x: (x, EqualizedConv2D(5, 3, gain=1.0)(x)))(features()),
    "adain": lambda: (lambda x, w: ([x, w], AdaIN(lr_multiplier=0.5)([x, w])))(features(), keras.Input((6,), name="w")),
    "pixel_norm": lambda: (lambda x: (x, PixelNorm(epsilon=1e-6)(x)))(features()),
    "minibatch_stddev": lambda: (lambda x: (x, MinibatchStdDev(group_size=2, num_channels=2)(x)))(features()),
    "noise_injection": lambda: (lambda x, n: ([x, n], NoiseInjection()([x, n])))(
        features(), keras.Input((4, 4, 1), name="noise")),
    "fade_in": lambda: (lambda x: (x, FadeIn(alpha=0.3)([x, keras.layers.Dense(8)(x)])))(features()),
}


def randomize(model, seed=0):
    """Non-trivial weights everywhere (gamma, noise scale start at 0; alpha stays in [0, 1])."""
    rng = np.random.default_rng(seed)
    for v in model.weights:
        if v.path.endswith("alpha"):
            v.assign(0.3)
        elif not v.path.endswith("/u"):
            v.assign(rng.normal(0.0, 0.5, v.shape).astype("float32"))
    return model


def build(name):
    inputs, outputs = MODELS[name]()
    return randomize(keras.Model(inputs, outputs, name=name))


def feeds(model):
    x = [RNG.normal(size=(4, *t.shape[1:])).astype("float32") for t in model.inputs]
    return x[0] if len(x) == 1 else x


@pytest.mark.parametrize("name", sorted(MODELS))
def test_round_trip_in_safe_mode(name, tmp_path):
    model = build(name)
    x = feeds(model)
    model(x, training=True)  # advances spectral-norm state, which must be saved
    expected = model(x).numpy()
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(loaded(x).numpy(), expected, rtol=1e-6, atol=1e-6)
    layer = model.layers[-1]
    again = type(layer).from_config(layer.get_config())
    assert again.get_config() == layer.get_config()


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
