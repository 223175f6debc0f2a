"""Every variant in the registry: its tiny configuration (``TINY``), and training under mixed precision.

A new variant must add its tiny configuration to ``TINY`` (the first test fails
until it does). Training under a MirroredStrategy, the config and ``.keras`` round
trips and the logged names are the shared harness's (``tests/harness.py``, run for
every variant by ``test_variant_harness.py``). Variant-specific distributed behaviour
(BEGAN's k_t, CycleGAN's pools, StyleGAN's w_avg, ProGAN's image count) has its own
tests next to the variant; this file and the harness are the common floor.
"""

import keras
import numpy as np
import pytest

from zoo.io import float32_copy
from zoo.registry import VARIANTS, build_variant

TINY = {
    "dcgan": dict(image_shape=(28, 28, 1), latent_dim=8, width=4),
    "cgan": dict(image_shape=(28, 28, 1), latent_dim=8, width=4, num_classes=10),
    "acgan": dict(image_shape=(28, 28, 1), latent_dim=8, width=4, num_classes=10),
    "infogan": dict(image_shape=(28, 28, 1), latent_dim=8, width=4, q_units=8),
    "sngan": dict(image_shape=(16, 16, 1), latent_dim=8, width=4, d_steps=1),
    "sagan": dict(image_shape=(16, 16, 1), latent_dim=8, width=4, attention=8, d_steps=1),
    "progan": dict(image_shape=(16, 16, 1), latent_dim=8, widths=(8, 8, 4), phase_images=8, fade_images=16),
    "stylegan": dict(image_shape=(16, 16, 1), latent_dim=8, w_dim=8, mapping_layers=2, width=8),
    "began": dict(image_shape=(8, 8, 1), latent_dim=4, hidden=8, width=4),
    "pix2pix": dict(image_shape=(16, 16, 1), width=4, d_layers=1),
    "cyclegan": dict(image_shape=(16, 16, 1), width=4, blocks=1, d_layers=1),
    "study": dict(image_shape=(8, 8, 1), latent_dim=4),
    "study_began": dict(image_shape=(8, 8, 1), latent_dim=4),
}


def _data(name):
    shape = TINY[name]["image_shape"]
    x = np.random.default_rng(0).uniform(-1, 1, (8, *shape)).astype("float32")
    if "num_classes" in TINY[name]:
        return x, (np.arange(8) % 10).astype("int32")
    if getattr(VARIANTS[name], "translation", None):
        return x, x[::-1].copy()
    return x, None


def _build(name):
    keras.utils.set_random_seed(0)
    gan = build_variant(name, seed=0, **TINY[name])
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    return gan


def test_every_registered_variant_has_a_tiny_configuration():
    assert set(TINY) == set(VARIANTS), "add the new variant to TINY"


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_trains_under_mixed_bfloat16_and_saves_a_float32_generator(name):
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        gan = _build(name)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    x, y = _data(name)
    history = gan.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert all(np.isfinite(v).all() for v in history.history.values())
    generator = gan.sampling_generator
    assert "bfloat16" in {layer.compute_dtype for layer in generator._flatten_layers()}
    critics = [m for m in gan._flatten_layers(include_self=False, recursive=False)
               if isinstance(m, keras.Model) and m.name.startswith("discriminator")]
    assert critics and all(str(out.dtype) == "float32" for d in critics for out in d.outputs), \
        "D's outputs (and so the losses) must be float32 under a mixed policy"
    copy = float32_copy(generator)
    assert {layer.dtype_policy.name for layer in copy._flatten_layers()} == {"float32"}
    for a, b in zip(copy.weights, generator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
