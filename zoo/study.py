"""The networks of "Are GANs Created Equal?" (Lucic et al., 2018) as zoo variants.

``StudyGAN`` trains the study's generator and discriminator with any logit loss,
penalty or trick of the base ``GAN`` (the study's MM, NS, LSGAN, WGAN, WGAN-GP
and DRAGAN are options of this one class); ``StudyBEGAN`` is ``BEGAN`` with the
study's auto-encoder discriminator. Latents default to the study's 64-d U(-1, 1).
The recipes ``study_<loss>_<dataset>`` hold the authors' default settings, and
``benchmarks/study.py`` runs the study's protocol.

Example:
    >>> gan = StudyGAN(loss="wasserstein", penalty="wgan_gp", d_batch_norm=False, d_steps=5)
    >>> gan.compile(d_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.5),
    ...             g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.5))
    >>> gan.fit(recipes.load_dataset("fashion_mnist", batch_size=64), epochs=1, steps_per_epoch=100)

Reference:
    Lucic, Kurach, Michalski, Gelly and Bousquet, "Are GANs Created Equal? A
    Large-Scale Study", NeurIPS 2018 (code: google/compare_gan, branch v1).
"""

import keras

from zoo.began import BEGAN
from zoo.checks import packed_shape
from zoo.errors import ConfigError
from zoo.gan import GAN
from zoo.networks.study import CODE_UNITS, FEATURES, study_autoencoder, study_discriminator, study_generator
from zoo.networks.study import check_study_shape


def _check_flag(name, value):
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be True or False; got {value!r}.")
    return value


@keras.saving.register_keras_serializable(package="zoo")
class StudyGAN(GAN):
    """The study's generator and discriminator, trained with any of the base model's losses.

    Args:
        image_shape: ``(height, width, channels)`` with height and width divisible by 4, e.g. (28, 28, 1).
        latent_dim: size of ``z`` (the study: 64).
        d_batch_norm: batch norm in the discriminator (the study's per-loss switch: on for MM, NS,
            LSGAN, WGAN and DRAGAN, off for WGAN-GP).
        **kwargs: the ``GAN`` options (``loss``, ``d_steps``, ``penalty``, ``clip_value``, ``ema_decay``,
            ...); ``latent_distribution`` defaults to ``"uniform"`` (U(-1, 1), the study's).
    """

    def __init__(self, image_shape=(28, 28, 1), latent_dim=64, d_batch_norm=True, **kwargs):
        image_shape = check_study_shape(image_shape)
        self.d_batch_norm = _check_flag("d_batch_norm", d_batch_norm)
        kwargs.setdefault("latent_distribution", "uniform")
        super().__init__(
            generator=study_generator(latent_dim, image_shape),
            discriminator=study_discriminator(packed_shape(image_shape, kwargs.get("pack", 1)),
                                              batch_norm=d_batch_norm),
            **kwargs,
        )


@keras.saving.register_keras_serializable(package="zoo")
class StudyBEGAN(BEGAN):
    """BEGAN with the study's generator and auto-encoder discriminator (a 64-unit code).

    Args:
        image_shape: ``(height, width, channels)`` with height and width divisible by 4.
        latent_dim: size of ``z`` (the study: 64, U(-1, 1)).
        d_batch_norm: batch norm in the auto-encoder (the study's default: off).
        gamma: the diversity ratio (the study searches U[0.6, 0.9]; its default 0.75).
        lambda_k: the k_t gain (the study: 0.001).
        **kwargs: the ``GAN`` options (``d_steps``, ``seed``, ``ema_decay``, ...).
    """

    def __init__(self, image_shape=(28, 28, 1), latent_dim=64, d_batch_norm=False, gamma=0.75, lambda_k=0.001,
                 **kwargs):
        self.d_batch_norm = _check_flag("d_batch_norm", d_batch_norm)
        super().__init__(image_shape=check_study_shape(image_shape), latent_dim=latent_dim, hidden=CODE_UNITS,
                         width=FEATURES[0], gamma=gamma, lambda_k=lambda_k, **kwargs)

    def build_networks(self, image_shape, latent_dim):
        return (study_generator(latent_dim, image_shape),
                study_autoencoder(image_shape, batch_norm=self.d_batch_norm))
