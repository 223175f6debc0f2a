"""Variants by name, so recipes and CLIs can build any of them from a config."""

from zoo.acgan import ACGAN
from zoo.began import BEGAN
from zoo.cgan import CGAN
from zoo.cyclegan import CycleGAN
from zoo.dcgan import DCGAN
from zoo.errors import ConfigError, did_you_mean
from zoo.gan import GAN
from zoo.infogan import InfoGAN
from zoo.pix2pix import Pix2Pix
from zoo.progan import ProGAN
from zoo.sngan import SAGAN, SNGAN
from zoo.stylegan import StyleGAN
from zoo.study import StudyBEGAN, StudyGAN

VARIANTS = {
    "dcgan": DCGAN, "cgan": CGAN, "acgan": ACGAN, "infogan": InfoGAN,
    "sngan": SNGAN, "sagan": SAGAN, "progan": ProGAN, "stylegan": StyleGAN, "began": BEGAN,
    "pix2pix": Pix2Pix, "cyclegan": CycleGAN, "study": StudyGAN, "study_began": StudyBEGAN,
}


def variant_options(name):
    """The keyword arguments variant ``name`` accepts: its constructor's own and the base GAN's options."""
    cls = get_variant(name)
    own = [n for n in cls._init_parameters() if n not in ("generator", "discriminator")]
    return own + [n for n in GAN._init_parameters() if n not in own and n not in ("generator", "discriminator")]


def get_variant(name):
    if name not in VARIANTS:
        raise ConfigError(f"Unknown GAN variant {name!r}." + did_you_mean(name, VARIANTS))
    return VARIANTS[name]


def build_variant(name, **options):
    """``build_variant("dcgan", image_shape=(32, 32, 3))``; unknown options are an error."""
    allowed = variant_options(name)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ConfigError(
            f"Variant {name!r} has no option(s) {unknown}. Its options: {', '.join(allowed)}."
        )
    return get_variant(name)(**options)
