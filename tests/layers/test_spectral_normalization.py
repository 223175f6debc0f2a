"""SpectralNormalization: sigma against an SVD, the functional gradient, state rules, strategies."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from layers import SpectralNormalization
from layers.spectral_normalization import weight_matrix

RNG = np.random.default_rng(0)

CASES = {
    "dense": (lambda: keras.layers.Dense(5), RNG.normal(size=(3, 7)).astype("float32")),
    "conv2d": (lambda: keras.layers.Conv2D(4, 3, padding="same"), RNG.normal(size=(2, 6, 6, 3)).astype("float32")),
    "conv2d_transpose": (lambda: keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same"),
                         RNG.normal(size=(2, 5, 5, 3)).astype("float32")),
    "embedding": (lambda: keras.layers.Embedding(10, 6, embeddings_initializer="random_normal"),
                  RNG.integers(0, 10, size=(4, 2)).astype("int32")),
}


def converged(name, iterations=60):
    make, x = CASES[name]
    inner = make()
    layer = SpectralNormalization(inner)
    for _ in range(iterations):
        layer(x, training=True)
    return layer, inner, x


def svd(layer):
    matrix = weight_matrix(layer.kind, layer._weight_variable.value).numpy()
    u, s, vt = np.linalg.svd(matrix)
    return matrix, u[:, 0], s[0], vt[0]


@pytest.mark.parametrize("name", sorted(CASES))
def test_sigma_matches_svd_and_output_is_the_layer_at_w_over_sigma(name):
    layer, inner, x = converged(name)
    _, _, sigma, _ = svd(layer)
    np.testing.assert_allclose(float(layer.spectral_norm()), sigma, rtol=1e-4)
    got = layer(x).numpy()
    weight = layer._weight_variable
    original = weight.numpy()
    weight.assign(original / sigma)
    expected = inner(x).numpy()
    weight.assign(original)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_conv_transpose_uses_the_output_channel_matrix():
    layer, _, _ = converged("conv2d_transpose")
    kernel = layer._weight_variable.numpy()  # (kh, kw, out, in)
    matrix = np.transpose(kernel, (0, 1, 3, 2)).reshape(-1, kernel.shape[2])
    np.testing.assert_allclose(float(layer.spectral_norm()), np.linalg.svd(matrix, compute_uv=False)[0], rtol=1e-4)


@pytest.mark.parametrize("name", ["dense", "conv2d"])
def test_gradient_is_the_functional_gradient_of_w_over_sigma(name):
    """d/dW f(W / sigma(W)) = (G - <G, W/sigma> u v^T) / sigma, G = df/d(W/sigma) (Miyato et al., eq. 12)."""
    layer, inner, x = converged(name, iterations=200)
    matrix, u, sigma, v = svd(layer)
    weight = layer._weight_variable

    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(layer(x)))
    got = weight_matrix(layer.kind, tape.gradient(loss, weight.value)).numpy()

    original = weight.numpy()
    weight.assign(original / sigma)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(inner(x)))
    g = weight_matrix(layer.kind, tape.gradient(loss, weight.value)).numpy()
    weight.assign(original)
    w_bar = matrix / sigma
    expected = (g - np.sum(g * w_bar) * np.outer(u, v)) / sigma
    np.testing.assert_allclose(got, expected, rtol=2e-3, atol=2e-4 * np.abs(expected).max())
    # The d(sigma)/dW term matters: the naive gradient G / sigma (Keras's built-in layer) is far off.
    assert np.abs(g / sigma - expected).max() > 0.3 * np.abs(expected).max()


def test_power_iteration_runs_only_in_training():
    make, x = CASES["dense"]
    layer = SpectralNormalization(make(), power_iterations=2)
    layer(x)
    u0 = layer.u.numpy().copy()
    layer(x, training=False)
    np.testing.assert_array_equal(layer.u.numpy(), u0)
    layer(x, training=True)
    assert not np.allclose(layer.u.numpy(), u0)
    np.testing.assert_allclose(np.linalg.norm(layer.u.numpy()), 1.0, rtol=1e-5)


def test_stateless_call_with_other_weights_uses_those_weights_and_keeps_u():
    """The GAN loop evaluates D at substituted weights (frozen state, unrolling)."""
    layer, inner, x = converged("dense")
    inputs = keras.Input((7,))
    model = keras.Model(inputs, layer(inputs))
    u0 = layer.u.numpy().copy()
    kernel = layer._weight_variable
    other = [(2.0 * v.value if v is kernel else v.value) for v in model.trainable_variables]
    out, new_state = model.stateless_call(other, [v.value for v in model.non_trainable_variables], x,
                                          training=True)
    np.testing.assert_array_equal(layer.u.numpy(), u0)  # stateless: u comes back in new_state only
    # W / sigma(W) is scale-invariant, so doubling W gives the same output (bias unchanged).
    np.testing.assert_allclose(out.numpy(), layer(x).numpy(), rtol=1e-4, atol=1e-5)
    assert len(new_state) == 1


def test_rejects_layers_without_a_weight_matrix_and_bad_iterations():
    with pytest.raises(ValueError, match="wraps .*Dense.*got BatchNormalization"):
        SpectralNormalization(keras.layers.BatchNormalization())
    with pytest.raises(ValueError, match="power_iterations must be an integer >= 1"):
        SpectralNormalization(keras.layers.Dense(2), power_iterations=0)


def test_fit_under_mirrored_strategy_updates_u_identically(mirrored):
    x = RNG.normal(size=(16, 7)).astype("float32")
    y = RNG.normal(size=(16, 1)).astype("float32")
    with mirrored.scope():
        inputs = keras.Input((7,))
        hidden = SpectralNormalization(keras.layers.Dense(8, activation="relu"))(inputs)
        model = keras.Model(inputs, SpectralNormalization(keras.layers.Dense(1))(hidden))
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    u0 = model.layers[1].u.numpy().copy()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    u = model.layers[1].u
    assert not np.allclose(u.numpy(), u0)
    values = [v.numpy() for v in u.values] if hasattr(u, "values") else [u.numpy()]
    for value in values:
        np.testing.assert_allclose(value, values[0], rtol=1e-6)
