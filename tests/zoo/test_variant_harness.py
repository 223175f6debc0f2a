"""Every registered variant (and the base GAN) through the shared harness (``tests/harness.py``).

Each variant is built from its tiny configuration (``TINY`` in ``test_every_variant.py``) plus, for some,
non-default options (``NON_DEFAULT``) so that the config and ``.keras`` round trips carry values a
default would hide; they are the options the per-variant round-trip tests used before the harness
replaced them (the study's d_steps=5 became 2: the same check, a shorter trace). The run happens under
the two-replica ``mirrored`` strategy, so it is also the floor "every variant trains under a
MirroredStrategy" (which test_every_variant.py ran on its own before). Variant-specific behaviour stays
in each variant's file.
"""

import pytest

from conftest import tiny_networks
from harness import run_variant_test
from test_every_variant import TINY
from zoo import GAN
from zoo.errors import ConfigError
from zoo.registry import VARIANTS, build_variant

NON_DEFAULT = {
    "acgan": dict(aux_weight=2.0, conditioning="one_hot", d_aux_fake=False),
    "cgan": dict(projection=True, conditioning="one_hot", loss="hinge"),
    "infogan": dict(categorical=4, continuous=3, continuous_weight=0.25),
    "pix2pix": dict(input_channels=3, l1_weight=50.0, dropout=0.25),
    "cyclegan": dict(pool_size=10, cycle_weight=5.0),
    "study": dict(d_batch_norm=False, loss="wasserstein", clip_value=0.01, d_steps=2),
}
# Logs beyond the declared loss and metric names that a variant documents.
EXTRA_LOGS = {"progan": ("resolution", "alpha")}
# Weights one step leaves unchanged, and why (substrings of "<network attribute>/<weight path>").
MAY_STAY = {
    "cgan": ("discriminator/score/bias",),  # hinge: d/db = -P(real inside the margin) + P(fake inside) = -1 + 1
    "study": ("discriminator/logit/bias",),  # WGAN: d/db [mean D(fake) - mean D(real)] = 1 - 1 = 0
    # The attention blocks add gamma * attention(x), gamma = 0 until the first update: their convolutions get no
    # gradient in that step (gamma itself moves, so the check also says gamma is learned).
    "sagan": ("attention_8/sn_",),
    # The first step trains the 4x4 networks (level 0) only: the 8x8 and 16x16 blocks wait for their level.
    "progan": tuple(f"{net}/{block}{res}" for res in (8, 16) for net, block in (
        ("generator", "g"), ("generator", "to_rgb_"), ("discriminator", "d"), ("discriminator", "from_rgb_"))),
}


def _per_replica_pools(gan):
    """Each replica pooled the 4 translations of its half of the step's 8 (one global pool would hold 8)."""
    assert int(gan.pool_a.count.numpy()) == int(gan.pool_b.count.numpy()) == 4


def _input_channels(gan):
    assert gan.pair_shapes() == ((16, 16, 3), (16, 16, 1))


# Variant-specific checks on the model the harness trained (under the two-replica strategy).
AFTER = {"cyclegan": _per_replica_pools, "pix2pix": _input_channels}


def test_the_tables_name_registered_variants():
    for table in (NON_DEFAULT, EXTRA_LOGS, MAY_STAY, AFTER):
        assert set(table) <= set(VARIANTS), sorted(set(table) - set(VARIANTS))


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant(name, tmp_path, mirrored):
    options = {"seed": 0, **TINY[name], **NON_DEFAULT.get(name, {})}
    gan = run_variant_test(name, options, tmp_path=tmp_path, strategy=mirrored,
                           extra_logs=EXTRA_LOGS.get(name, ()), may_stay=MAY_STAY.get(name, ()),
                           count_updates=name != "progan")  # ProGAN resets its optimizers when it grows
    AFTER.get(name, lambda gan: None)(gan)


def test_the_base_gan(tmp_path, mirrored):
    def options():
        generator, discriminator = tiny_networks()
        return dict(generator=generator, discriminator=discriminator, seed=0)

    run_variant_test(GAN, options, tmp_path=tmp_path, strategy=mirrored)


def test_build_variant_refuses_an_option_the_variant_fixes():
    with pytest.raises(ConfigError, match="has no option"):
        build_variant("study_began", **TINY["study_began"], hidden=8)
