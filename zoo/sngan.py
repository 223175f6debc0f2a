"""SNGAN and SAGAN: the ResNet networks with spectral normalization and the hinge loss."""

import keras

from zoo.checks import packed_shape
from zoo.gan import GAN
from zoo.networks.dcgan import check_image_shape
from zoo.networks.resnet import resnet_discriminator, resnet_generator


@keras.saving.register_keras_serializable(package="zoo")
class SNGAN(GAN):
    """Spectrally normalized GAN (Miyato et al., 2018): SN in every layer of D, hinge loss.

    Args:
        image_shape: ``(height, width, channels)``; 32x32 gives the paper's CIFAR-10 networks.
        latent_dim: size of ``z`` (the paper: 128).
        width: G blocks have ``4 * width`` channels, D blocks ``2 * width`` (the paper: 64).
        attention: feature-map height at which a self-attention block is added to G and D
            (``None``: none; SAGAN's option).
        spectral_norm_g: spectral norm in G as well (SAGAN's option).
        **kwargs: the ``GAN`` options; ``loss`` defaults to ``"hinge"``. The paper's ResNet
            setting is ``d_steps=5`` with Adam(2e-4, beta_1=0, beta_2=0.9) for both players.

    Example:
        >>> gan = SNGAN(image_shape=(32, 32, 3), d_steps=5)
        >>> gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, 0.0, 0.9),
        ...             g_optimizer=keras.optimizers.Adam(2e-4, 0.0, 0.9))
    """

    def __init__(self, image_shape=(32, 32, 3), latent_dim=128, width=64, attention=None, spectral_norm_g=False,
                 loss="hinge", **kwargs):
        image_shape = check_image_shape(image_shape)
        self.width, self.attention, self.spectral_norm_g = width, attention, bool(spectral_norm_g)
        super().__init__(
            generator=resnet_generator(latent_dim, image_shape, width, attention, self.spectral_norm_g),
            discriminator=resnet_discriminator(packed_shape(image_shape, kwargs.get("pack", 1)), width,
                                               attention),
            loss=loss,
            **kwargs,
        )


@keras.saving.register_keras_serializable(package="zoo")
class SAGAN(SNGAN):
    """Self-attention GAN (Zhang et al., 2019): SNGAN's networks with spectral norm in G and D,
    a self-attention block at ``attention`` (default: half the image height), hinge loss.

    SAGAN trains with TTUR (Heusel et al., 2017): Adam(beta_1=0, beta_2=0.9) with
    1e-4 for G and 4e-4 for D and one D step per G step (the ``sagan_*`` recipes;
    in code, give ``compile`` two optimizers with those learning rates).

    Example:
        >>> gan = SAGAN(image_shape=(32, 32, 3), attention=16)
        >>> gan.compile(d_optimizer=keras.optimizers.Adam(4e-4, 0.0, 0.9),
        ...             g_optimizer=keras.optimizers.Adam(1e-4, 0.0, 0.9))
    """

    def __init__(self, image_shape=(32, 32, 3), latent_dim=128, width=64, attention="auto", spectral_norm_g=True,
                 **kwargs):
        image_shape = check_image_shape(image_shape)
        if attention == "auto":
            attention = image_shape[0] // 2
        super().__init__(image_shape=image_shape, latent_dim=latent_dim, width=width, attention=attention,
                         spectral_norm_g=spectral_norm_g, **kwargs)
