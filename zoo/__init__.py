"""The GAN variants, losses, callbacks, metrics and the pretrained catalogue.

Quick start:
    >>> import zoo
    >>> gan = zoo.DCGAN(image_shape=(28, 28, 1))
    >>> gan.compile()
"""

from zoo import losses, metrics
from zoo.version import __version__
from zoo.acgan import ACGAN
from zoo.began import BEGAN
from zoo.callbacks import (AtomicBackupAndRestore, CSVLogger, FiniteModelCheckpoint, GeneratorSnapshots,
                           SampleGrid, StopOnNonFinite, TensorBoard)
from zoo.cgan import CGAN, ConditionalGAN
from zoo.cyclegan import CycleGAN
from zoo.dcgan import DCGAN
from zoo.errors import ConfigError, DataError, DatasetUnavailableError, ZooError
from zoo.gan import GAN
from zoo.image_pool import ImagePool
from zoo.infogan import InfoGAN
from zoo.metrics import SampleQuality
from zoo.pix2pix import Pix2Pix
from zoo.pretrained import PretrainedGenerator, describe, list_pretrained, load, save_preset, write_preset
from zoo.progan import ProGAN
from zoo.registry import VARIANTS, build_variant
from zoo.schedules import LinearDecay, linear_decay_optimizers
from zoo.sngan import SAGAN, SNGAN
from zoo.stylegan import StyleGAN
from zoo.study import StudyBEGAN, StudyGAN

__all__ = [
    "__version__",
    "GAN", "DCGAN", "ConditionalGAN", "CGAN", "ACGAN", "InfoGAN", "SNGAN", "SAGAN", "ProGAN", "StyleGAN",
    "BEGAN", "StudyGAN", "StudyBEGAN", "Pix2Pix", "CycleGAN", "ImagePool",
    "SampleGrid", "SampleQuality", "StopOnNonFinite", "FiniteModelCheckpoint", "AtomicBackupAndRestore",
    "GeneratorSnapshots", "TensorBoard", "CSVLogger",
    "LinearDecay", "linear_decay_optimizers",
    "metrics", "losses", "VARIANTS", "build_variant",
    "list_pretrained", "describe", "load", "save_preset", "write_preset", "PretrainedGenerator",
    "ZooError", "ConfigError", "DataError", "DatasetUnavailableError",
]

