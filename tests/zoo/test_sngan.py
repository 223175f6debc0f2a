"""SNGAN and SAGAN: the ResNet networks, spectral norm placement, state rules, exports. Training (attention's
gamma learned), the config and .keras round trips (power iterations included) are the shared harness's
(tests/zoo/test_variant_harness.py)."""

import keras
import numpy as np
import pytest

import exports
from conftest import changed, snapshot
from layers import SelfAttention, SpectralNormalization
from zoo import SAGAN, SNGAN, build_variant
from zoo.errors import ConfigError

TINY = dict(latent_dim=8, width=4, seed=0)


def tiny(cls=SNGAN, image_shape=(16, 16, 1), **kwargs):
    keras.utils.set_random_seed(0)
    gan = cls(image_shape=image_shape, **{**TINY, **kwargs})
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, 0.0, 0.9),
                g_optimizer=keras.optimizers.Adam(2e-4, 0.0, 0.9))
    return gan


def weight_layers(model, kinds=(keras.layers.Conv2D, keras.layers.Dense)):
    """(layer, wrapped by SN?) for every Conv2D/Dense in ``model``, inside attention blocks too."""
    out = []
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, kinds):
            out.append(layer)
    return out


def sn_inner(model):
    return {id(layer.layer) for layer in model._flatten_layers(include_self=False)
            if isinstance(layer, SpectralNormalization)}


def real(n=8, shape=(16, 16, 1), seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, *shape)).astype("float32")


def test_paper_cifar10_networks():
    gan = SNGAN(image_shape=(32, 32, 3), latent_dim=128, width=64)
    g, d = gan.generator, gan.discriminator
    # The paper's ResNet (Table 4): G 3 up-blocks of 256 channels, D blocks of 128 channels.
    assert [l.name for l in g.layers if l.name.endswith("_add")] == ["up0_add", "up1_add", "up2_add"]
    assert d.get_layer("block3_add").output.shape == (None, 8, 8, 128)
    assert g.get_layer("up2_add").output.shape == (None, 32, 32, 256)
    assert 4.2e6 < g.count_params() < 4.4e6 and 1.0e6 < d.count_params() < 1.1e6
    assert gan.adversarial_loss.name == "hinge"


@pytest.mark.parametrize("cls", [SNGAN, SAGAN])
def test_spectral_norm_on_every_d_layer_and_on_g_only_for_sagan(cls):
    gan = cls(image_shape=(16, 16, 1), **TINY)
    for model, wanted in ((gan.discriminator, True), (gan.generator, cls is SAGAN)):
        wrapped = sn_inner(model)
        layers = weight_layers(model)
        assert layers, model.name
        assert all((id(l) in wrapped) == wanted for l in layers), [l.name for l in layers]


def test_sagan_attention_in_both_networks_at_the_chosen_resolution():
    gan = SAGAN(image_shape=(16, 16, 1), **TINY)
    assert gan.attention == 8  # "auto": half the image height
    for model in (gan.generator, gan.discriminator):
        blocks = [l for l in model.layers if isinstance(l, SelfAttention)]
        assert len(blocks) == 1 and blocks[0].output.shape[1] == 8 and blocks[0].spectral_norm
    assert SAGAN(image_shape=(28, 28, 1), attention=None, **TINY).attention is None
    with pytest.raises(ConfigError, match="attention=5 is not a feature-map height.*pick one of \\[8, 16\\]"):
        SAGAN(image_shape=(16, 16, 1), attention=5, **TINY)


def test_d_step_updates_d_power_iterations_and_g_step_leaves_them():
    gan = tiny(SAGAN)
    x = real()
    d_u = [v for v in gan.discriminator.non_trainable_variables if v.path.endswith("/u")]
    g_u = [v for v in gan.generator.non_trainable_variables if v.path.endswith("/u")]
    before_d, before_g = snapshot(d_u), snapshot(g_u)
    gan.d_step(x, None)
    assert all(changed(before_d, d_u)) and not any(changed(before_g, g_u))
    before_d, before_g = snapshot(d_u), snapshot(g_u)
    gan.g_step(x, None)
    assert not any(changed(before_d, d_u)) and all(changed(before_g, g_u))


def test_registry_and_bad_options():
    gan = build_variant("sagan", image_shape=(16, 16, 1), **TINY)
    assert isinstance(gan, SAGAN) and gan.spectral_norm_g
    with pytest.raises(ConfigError, match="width must be a positive integer"):
        SNGAN(image_shape=(16, 16, 1), width=0)
    with pytest.raises(ConfigError, match="cannot build images of shape"):
        SNGAN(image_shape=(27, 27, 1))


@pytest.mark.parametrize("cls", [SNGAN, SAGAN])
def test_generator_exports_with_parity(cls, tmp_path):
    gan = tiny(cls, image_shape=(16, 16, 3), attention=8)
    gan.fit(real(8, (16, 16, 3)), batch_size=8, epochs=1, verbose=0)
    for layer in gan.generator.layers:
        if isinstance(layer, SelfAttention):
            layer.gamma.assign(0.8)  # make the attention path matter in the exported graph
    manifest = exports.export_generator(gan.generator, str(tmp_path / "out"), formats=("saved_model", "onnx"))
    errors = manifest["parity"]["max_abs_error"]
    assert errors["saved_model"] <= 1e-5 and errors["onnx"] <= 1e-4, errors
