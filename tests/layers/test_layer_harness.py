"""Every public layer of ``layers/`` through the shared harness (``tests/harness.py``: ``run_layer_test``).

A new layer in ``layers.__all__`` must get a case in ``CASES`` (the first test fails until it does).
The NumPy references and layer-specific behaviour stay in the other files of this folder.
"""

import keras
import pytest
import tensorflow as tf

import layers
from harness import run_layer_test
from layers import (AdaIN, DropReference, EqualizedConv2D, EqualizedDense, FadeIn, Maxout, MinibatchDiscrimination,
                    MinibatchStdDev, NoiseInjection, PixelNorm, ReferenceBatch, SelfAttention, SpectralNormalization,
                    VirtualBatchNormalization)

# case -> (class, init kwargs, input shape(s) without the batch axis, extra run_layer_test arguments)
CASES = {
    "adain": (AdaIN, dict(lr_multiplier=0.5), [(4, 4, 8), (6,)], {}),
    "drop_reference": (DropReference, dict(size=4), (3,), dict(batch_size=6)),
    "equalized_conv2d": (EqualizedConv2D, dict(filters=5, kernel_size=3, gain=1.0), (4, 4, 8), {}),
    "equalized_dense": (EqualizedDense, dict(units=5, lr_multiplier=0.01, activation="leaky_relu"), (6,), {}),
    "fade_in": (FadeIn, dict(alpha=0.3), [(4, 4, 8), (4, 4, 8)], {}),
    "maxout": (Maxout, dict(pieces=2), (8,), {}),
    "minibatch_discrimination": (MinibatchDiscrimination, dict(num_kernels=3, kernel_dim=2), (4,), {}),
    "minibatch_stddev": (MinibatchStdDev, dict(group_size=2, num_channels=2), (4, 4, 8), {}),
    "noise_injection": (NoiseInjection, {}, [(4, 4, 8), (4, 4, 1)], {}),
    "pixel_norm": (PixelNorm, dict(epsilon=1e-6), (4, 4, 8), {}),
    "reference_batch": (ReferenceBatch, dict(size=4, seed=3), (2,), dict(batch_size=3)),
    "self_attention": (SelfAttention, dict(key_ratio=4, value_ratio=1), (4, 4, 8), {}),
    "spectral_normalization_conv2d_transpose": (
        SpectralNormalization, dict(layer=keras.layers.Conv2DTranspose(3, 3, strides=2, padding="same"),
                                    power_iterations=2), (4, 4, 8), {}),
    "spectral_normalization_conv2d": (
        SpectralNormalization, dict(layer=keras.layers.Conv2D(4, 3, padding="same")), (6, 6, 3), {}),
    "spectral_normalization_dense": (
        SpectralNormalization, dict(layer=keras.layers.Dense(2), power_iterations=2), (7,), {}),
    "spectral_normalization_embedding": (
        SpectralNormalization, dict(layer=keras.layers.Embedding(10, 6)), (2,), dict(input_dtype="int32")),
    "virtual_batch_normalization": (VirtualBatchNormalization, dict(reference_size=4), (8,), dict(batch_size=6)),
}


def test_every_public_layer_has_a_case():
    covered = {cls.__name__ for cls, *_ in CASES.values()}
    assert set(layers.__all__) <= covered, f"add a CASES entry for {sorted(set(layers.__all__) - covered)}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer(case, tmp_path):
    cls, init_kwargs, input_shape, extra = CASES[case]
    run_layer_test(cls, init_kwargs, input_shape, tmp_path=tmp_path, **extra)
