import keras
import numpy as np
import pytest

from zoo import DCGAN, build_variant
from zoo.errors import ConfigError
from zoo.networks import dcgan_discriminator, dcgan_generator, upsampling_plan

SHAPES = [(28, 28, 1), (32, 32, 3), (64, 64, 3), (48, 64, 3)]


@pytest.mark.parametrize("shape", SHAPES)
def test_shapes_for_each_supported_image_shape(shape):
    gan = DCGAN(image_shape=shape, latent_dim=16, width=8, seed=0)
    assert gan.image_shape == shape
    images = gan.generate(3, seed=0)
    assert images.shape == (3, *shape)
    assert images.min() >= -1 and images.max() <= 1
    assert gan.discriminator(images).shape == (3, 1)


@pytest.mark.parametrize(
    "shape, plan",
    [((28, 28, 1), (7, 7, 2)), ((32, 32, 3), (4, 4, 3)), ((64, 64, 3), (4, 4, 4)),
     ((48, 64, 3), (3, 4, 4)), ((96, 96, 3), (3, 3, 5))],
)
def test_upsampling_plan(shape, plan):
    assert upsampling_plan(shape) == plan


@pytest.mark.parametrize("shape", [(27, 27, 1), (28, 112, 1), (7, 7, 1), (256, 3, 3)])
def test_unsupported_sizes_get_a_clear_error(shape):
    with pytest.raises(ConfigError, match="DCGAN cannot build images of shape"):
        DCGAN(image_shape=shape)


@pytest.mark.parametrize("shape", [(28, 28), (28, 28, 1, 1), ("a", 28, 1), (28, 0, 1), (28.5, 28, 1)])
def test_malformed_image_shapes_are_rejected(shape):
    with pytest.raises(ConfigError, match=r"image_shape must be \(height, width, channels\)"):
        DCGAN(image_shape=shape)


@pytest.mark.parametrize("kwargs", [dict(width=0), dict(latent_dim=-1), dict(width=2.5)])
def test_bad_sizes_are_rejected(kwargs):
    with pytest.raises(ConfigError, match="must be a positive integer"):
        DCGAN(**kwargs)


def _layers(model):
    return [l for l in model.layers if not isinstance(l, keras.layers.InputLayer)]


@pytest.mark.parametrize("shape", SHAPES)
def test_the_papers_architecture_guidelines(shape):
    g, d = dcgan_generator(100, shape, 16), dcgan_discriminator(shape, 16)
    for net in (g, d):
        kinds = {type(l) for l in _layers(net)}
        assert keras.layers.Dense not in kinds, "no fully connected hidden layers"
        assert not any("Pooling" in k.__name__ for k in kinds), "strided convolutions, no pooling"
    # G: transposed convolutions, BN + ReLU after each but the last, tanh output.
    g_layers = _layers(g)
    g_convs = [l for l in g_layers if isinstance(l, keras.layers.Conv2DTranspose)]
    assert all(l.strides == (2, 2) for l in g_convs[1:])
    for conv in g_convs[:-1]:
        nxt = g_layers[g_layers.index(conv) + 1]
        assert isinstance(nxt, keras.layers.BatchNormalization)
        assert isinstance(g_layers[g_layers.index(conv) + 2], keras.layers.ReLU)
    assert g_layers[g_layers.index(g_convs[-1]) + 1].name == "images"
    assert g_layers[-1].get_config()["activation"] == "tanh"
    # D: strided convolutions, no BN right after the input layer, LeakyReLU(0.2) everywhere.
    d_layers = _layers(d)
    d_convs = [l for l in d_layers if isinstance(l, keras.layers.Conv2D)]
    assert all(l.strides == (2, 2) for l in d_convs[:-1])
    assert isinstance(d_layers[1], keras.layers.LeakyReLU), "no batch norm on D's input layer"
    for conv in d_convs[1:-1]:
        assert isinstance(d_layers[d_layers.index(conv) + 1], keras.layers.BatchNormalization)
    lrelus = [l for l in d_layers if isinstance(l, keras.layers.LeakyReLU)]
    assert len(lrelus) == len(d_convs) - 1 and all(l.negative_slope == pytest.approx(0.2) for l in lrelus)
    assert not any(isinstance(l, keras.layers.ReLU) for l in d_layers)


def test_width_and_latent_size_parameterise_the_networks():
    small = DCGAN(image_shape=(32, 32, 3), latent_dim=32, width=8)
    big = DCGAN(image_shape=(32, 32, 3), latent_dim=64, width=16)
    assert small.latent_dim == 32 and big.latent_dim == 64
    assert big.generator.count_params() > 3 * small.generator.count_params()
    assert big.discriminator.count_params() > 3 * small.discriminator.count_params()
    # 64x64 with width 128 gives the paper's 1024-512-256-128 generator.
    g = dcgan_generator(100, (64, 64, 3), 128)
    channels = [l.filters for l in g.layers if isinstance(l, keras.layers.Conv2DTranspose)]
    assert channels == [1024, 512, 256, 128, 3]


def test_config_round_trip_and_registry():
    gan = build_variant("dcgan", image_shape=(32, 32, 3), latent_dim=20, width=8, loss="minimax", seed=3)
    config = gan.get_config()
    assert config["image_shape"] == [32, 32, 3] and config["loss"] == "minimax" and config["width"] == 8
    assert "generator" not in config, "DCGAN rebuilds its networks from its options"
    clone = DCGAN.from_config(config)
    assert clone.get_config() == config
    with pytest.raises(ConfigError, match=r"no option\(s\) \['widht'\].*width"):
        build_variant("dcgan", widht=8)
    with pytest.raises(ConfigError, match="Unknown GAN variant 'dcgann'. Known: .*dcgan"):
        build_variant("dcgann")


@pytest.mark.parametrize("norm, kind", [("layer", keras.layers.LayerNormalization), (None, None)])
def test_discriminator_norm_options_for_gradient_penalties(norm, kind):
    d = dcgan_discriminator((32, 32, 3), 8, norm=norm)
    kinds = {type(l) for l in d.layers}
    assert keras.layers.BatchNormalization not in kinds
    if kind:
        assert kind in kinds
    gan = DCGAN(image_shape=(32, 32, 3), latent_dim=8, width=4, d_norm=norm, loss="wasserstein",
                penalty="wgan_gp", d_steps=2)
    assert DCGAN.from_config(gan.get_config()).get_config() == gan.get_config()
    with pytest.raises(ConfigError, match="norm must be one of"):
        dcgan_discriminator((32, 32, 3), 8, norm="group")


def test_dcgan_with_packing_builds_a_wider_discriminator():
    gan = DCGAN(image_shape=(28, 28, 1), latent_dim=8, width=4, pack=2)
    assert gan.discriminator.inputs[0].shape[1:] == (28, 28, 2)
    gan.compile()
    data = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    assert np.isfinite(gan.fit(data, batch_size=4, epochs=1, verbose=0).history["loss"][0])
