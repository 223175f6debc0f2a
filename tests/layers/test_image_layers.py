"""SelfAttention, equalized layers, AdaIN, PixelNorm, MinibatchStdDev, NoiseInjection, FadeIn vs NumPy."""

import math

import numpy as np
import pytest
import tensorflow as tf

from layers import (AdaIN, EqualizedConv2D, EqualizedDense, FadeIn, MinibatchStdDev, NoiseInjection,
                    PixelNorm, SelfAttention)

RNG = np.random.default_rng(1)


def normal(*shape):
    return RNG.normal(size=shape).astype("float32")


def conv_same(x, kernel):
    """NHWC 'same' convolution (odd kernel, stride 1) in NumPy."""
    k = kernel.shape[0]
    p = k // 2
    padded = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    out = np.zeros((*x.shape[:3], kernel.shape[-1]), "float64")
    for i in range(x.shape[1]):
        for j in range(x.shape[2]):
            patch = padded[:, i:i + k, j:j + k, :]
            out[:, i, j] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    return out


def test_self_attention_matches_numpy_and_starts_as_identity():
    x = normal(2, 4, 3, 16)
    layer = SelfAttention(key_ratio=4, value_ratio=2, spectral_norm=False)
    np.testing.assert_array_equal(layer(x).numpy(), x)  # gamma = 0
    layer.gamma.assign(0.7)
    wq, wk, wv, wo = (c.kernel.numpy()[0, 0] for c in
                      (layer.query_conv, layer.key_conv, layer.value_conv, layer.output_conv))
    flat = x.reshape(2, 12, 16)
    q, k, v = flat @ wq, flat @ wk, flat @ wv
    logits = q @ k.transpose(0, 2, 1)
    beta = np.exp(logits - logits.max(-1, keepdims=True))
    beta /= beta.sum(-1, keepdims=True)
    expected = x + 0.7 * (beta @ v @ wo).reshape(2, 4, 3, 16)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-4, atol=1e-5)
    attention, _ = layer.attention(x)
    np.testing.assert_allclose(attention.numpy(), beta, rtol=1e-4, atol=1e-6)
    assert (wq.shape, wv.shape, wo.shape) == ((16, 4), (16, 8), (8, 16))


def test_self_attention_spectral_norm_wraps_its_convolutions():
    layer = SelfAttention(spectral_norm=True)
    layer(normal(2, 4, 4, 16), training=True)
    names = sorted(w.path.split("/")[-1] for w in layer.non_trainable_weights)
    assert names == ["u"] * 4
    with pytest.raises(ValueError, match="leaves no key"):
        SelfAttention(key_ratio=8)(normal(1, 2, 2, 4))


def test_equalized_dense_scales_weights_at_run_time():
    x = normal(64, 50)
    layer = EqualizedDense(3000, lr_multiplier=0.01, bias_initializer=0.5, activation="relu")
    out = layer(x).numpy()
    kernel, bias = layer.kernel.numpy(), layer.bias.numpy()
    np.testing.assert_allclose(kernel.std(), 100.0, rtol=0.02)  # N(0, 1) / lr_multiplier
    np.testing.assert_allclose(bias, 50.0)
    scale = math.sqrt(2.0) / math.sqrt(50) * 0.01
    np.testing.assert_allclose(out, np.maximum(x @ (kernel * scale) + 0.5, 0), rtol=1e-4, atol=1e-4)
    # The used weights have He's std gain / sqrt(fan_in), whatever the lr multiplier.
    np.testing.assert_allclose(layer.scaled_kernel().numpy().std(), math.sqrt(2.0 / 50), rtol=0.02)


def test_equalized_learning_rate_multiplier_scales_the_effective_step():
    """An SGD step of lr on the stored kernel moves the used kernel by lr * scale^2 * dL/dW_used."""
    x = normal(4, 6)
    for mult in (1.0, 0.01):
        layer = EqualizedDense(2, lr_multiplier=mult, use_bias=False)
        layer(x)
        before = layer.scaled_kernel().numpy()
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(x))
        grad = tape.gradient(loss, layer.kernel.value).numpy()
        layer.kernel.assign(layer.kernel.numpy() - 0.1 * grad)
        scale = math.sqrt(2.0 / 6) * mult
        d_used = np.repeat(x.sum(0)[:, None], 2, axis=1)  # dL/dW_used for L = sum(x W)
        np.testing.assert_allclose(layer.scaled_kernel().numpy() - before, -0.1 * scale**2 * d_used, rtol=1e-3,
                                   atol=1e-7)


def test_equalized_conv_matches_numpy():
    x = normal(2, 5, 4, 3)
    layer = EqualizedConv2D(6, 3, gain=1.0)
    layer(x)
    layer.bias.assign(normal(6))
    out = layer(x).numpy()
    expected = conv_same(x, layer.kernel.numpy() / math.sqrt(27)) + layer.bias.numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    assert EqualizedConv2D(4, 3, padding="valid")(x).shape == (2, 3, 2, 4)
    with pytest.raises(ValueError, match="padding must be"):
        EqualizedConv2D(4, 3, padding="reflect")


def test_adain_matches_numpy_and_starts_as_instance_norm():
    x, w = normal(3, 4, 5, 6) * 3.0 + 1.0, normal(3, 7)
    layer = AdaIN(epsilon=1e-5)
    mean, var = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    normalized = (x - mean) / np.sqrt(var + 1e-5)
    out = layer([x, w]).numpy()
    scale_w = layer.style_scale.scaled_kernel().numpy()
    bias_w = layer.style_bias.scaled_kernel().numpy()
    expected = (1.0 + w @ scale_w)[:, None, None] * normalized + (w @ bias_w)[:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    layer.style_scale.kernel.assign(np.zeros_like(layer.style_scale.kernel.numpy()))
    layer.style_bias.kernel.assign(np.zeros_like(layer.style_bias.kernel.numpy()))
    np.testing.assert_allclose(layer([x, w]).numpy(), normalized, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="AdaIN takes"):
        AdaIN()([x, x])


def test_pixel_norm_matches_numpy():
    x = normal(2, 3, 3, 8) * 5.0
    expected = x / np.sqrt((x**2).mean(-1, keepdims=True) + 1e-8)
    np.testing.assert_allclose(PixelNorm()(x).numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(PixelNorm()(normal(4, 16)).numpy().__pow__(2).mean(-1), 1.0, rtol=1e-4)


def stddev_reference(x, group, channels=1):
    b, h, w, c = x.shape
    grouped = x.reshape(group, b // group, h, w, channels, c // channels)
    std = np.sqrt(grouped.var(0) + 1e-8)  # (b / group, h, w, f, c / f)
    stat = std.mean((1, 2, 4))  # (b / group, f)
    per_sample = np.tile(stat, (group, 1))
    return np.concatenate([x, np.broadcast_to(per_sample[:, None, None], (b, h, w, channels))], -1)


@pytest.mark.parametrize("batch, group, channels", [(8, 4, 1), (6, 3, 1), (5, 1, 1), (8, 4, 2)])
def test_minibatch_stddev_matches_numpy(batch, group, channels):
    x = normal(batch, 3, 3, 4)
    layer = MinibatchStdDev(group_size=4, num_channels=channels)
    np.testing.assert_allclose(layer(x).numpy(), stddev_reference(x, group, channels), rtol=1e-4, atol=1e-6)
    # Same answer when the batch size is only known at run time (as in exported graphs).
    dynamic = tf.function(lambda t: layer(t), input_signature=[tf.TensorSpec((None, 3, 3, 4))])
    np.testing.assert_allclose(dynamic(x).numpy(), stddev_reference(x, group, channels), rtol=1e-4, atol=1e-6)


def test_minibatch_stddev_sees_collapse():
    same = np.repeat(normal(1, 2, 2, 3), 4, axis=0)
    assert np.abs(MinibatchStdDev()(same).numpy()[..., -1]).max() < 1e-3
    assert MinibatchStdDev()(normal(4, 2, 2, 3)).numpy()[..., -1].min() > 0.3


def test_noise_injection_matches_numpy_and_checks_shapes():
    x, noise = normal(2, 4, 4, 3), normal(2, 4, 4, 1)
    layer = NoiseInjection()
    np.testing.assert_array_equal(layer([x, noise]).numpy(), x)  # scale starts at 0
    layer.scale.assign([0.5, -1.0, 2.0])
    np.testing.assert_allclose(layer([x, noise]).numpy(), x + np.array([0.5, -1.0, 2.0]) * noise, rtol=1e-6)
    with pytest.raises(ValueError, match="spatial size"):
        NoiseInjection()([x, normal(2, 8, 8, 1)])


def test_fade_in_blends_and_alpha_zero_is_the_old_path():
    old, new = normal(2, 4, 4, 3), normal(2, 4, 4, 3)
    layer = FadeIn(alpha=0.0)
    np.testing.assert_array_equal(layer([old, new]).numpy(), old)
    layer.alpha.assign(0.25)
    np.testing.assert_allclose(layer([old, new]).numpy(), 0.75 * old + 0.25 * new, rtol=1e-5, atol=1e-7)
    layer.alpha.assign(1.0)
    np.testing.assert_allclose(layer([old, new]).numpy(), new, rtol=1e-6)
    with pytest.raises(ValueError, match="same shape"):
        FadeIn()([old, normal(2, 8, 8, 3)])
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\]"):
        FadeIn(alpha=2.0)
