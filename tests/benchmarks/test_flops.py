"""benchmarks/_flops.py: multiply-adds counted from layer shapes, a GAN step's FLOPs, the matmul rate."""

import keras

import zoo
from benchmarks import mixtures
from benchmarks._flops import forward_macs, gan_step_flops
from layers import SpectralNormalization


def test_dense_conv_and_transposed_conv_are_counted_from_their_shapes():
    x = keras.Input((8, 8, 3))
    h = keras.layers.Conv2D(4, 3, strides=2, padding="same")(x)  # 4x4 outputs x (3*3*3) x 4
    h = keras.layers.ReLU()(h)
    h = keras.layers.Conv2DTranspose(2, 4, strides=2, padding="same")(h)  # 4x4 inputs x (4*4*4) x 2
    h = keras.layers.Flatten()(h)
    out = keras.layers.Dense(5)(h)  # 128 x 5
    model = keras.Model(x, out)
    assert forward_macs(model) == 16 * 27 * 4 + 16 * 64 * 2 + 128 * 5


def test_wrapped_layers_and_nested_models_count_and_dense_on_feature_maps_counts_every_pixel():
    inner = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
    x = keras.Input((4, 4, 2))
    h = SpectralNormalization(keras.layers.Conv2D(5, 1))(x)  # 16 x 2 x 5
    h = keras.layers.Dense(6)(h)  # applied at each of 16 pixels: 16 x 5 x 6
    h = keras.layers.GlobalAveragePooling2D()(h)
    model = keras.Model(x, inner(h))  # + 6 x 3
    assert forward_macs(model) == 16 * 2 * 5 + 16 * 5 * 6 + 6 * 3


def test_a_gan_step_counts_d_steps_and_both_players():
    gan, _, _ = mixtures.build("notebook", "gan", seed=0)
    g, d = 256 * 128 + 128 * 128 + 128 * 2, 2 * 128 + 128 * 128 + 128
    assert forward_macs(gan.generator) == g and forward_macs(gan.discriminator) == d
    assert gan_step_flops(gan, 10) == 2 * 10 * (4 * g + 8 * d)
    assert gan_step_flops(gan, 10, d_steps=5) == 2 * 10 * (5 * (g + 6 * d) + 3 * g + 2 * d)
    dcgan = zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=100, width=64, seed=0)
    # D: 4x4 convs 1->64 at 14x14, 64->128 at 7x7, then the 7x7 valid conv to one logit
    assert forward_macs(dcgan.discriminator) == 14 * 14 * 16 * 64 + 7 * 7 * 16 * 64 * 128 + 49 * 128
    # G: 100 -> 7x7x128 from one pixel, 7x7 inputs scattering 4x4x64, 14x14 inputs scattering 4x4x1
    assert forward_macs(dcgan.generator) == 49 * 128 * 100 + 49 * 16 * 64 * 128 + 196 * 16 * 64
