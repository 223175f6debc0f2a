"""DCGAN: the base GAN with the DCGAN networks and the paper's defaults."""

import keras

from zoo.checks import packed_shape
from zoo.gan import GAN
from zoo.networks.dcgan import check_image_shape, dcgan_discriminator, dcgan_generator


@keras.saving.register_keras_serializable(package="zoo")
class DCGAN(GAN):
    """Deep convolutional GAN (Radford et al., 2016) with the non-saturating loss.

    Args:
        image_shape: ``(height, width, channels)``, e.g. (28, 28, 1), (32, 32, 3), (64, 64, 3).
        latent_dim: size of ``z``.
        width: channels of the last hidden feature map (doubles per earlier stage).
        d_norm: the discriminator's normalisation: "batch" (the paper), "layer" or
            None; use "layer"/None with gradient penalties (WGAN-GP, DRAGAN, R1).
        **kwargs: the ``GAN`` options (``loss``, ``d_steps``, ``latent_distribution``, ``seed``).

    Example:
        >>> gan = DCGAN(image_shape=(28, 28, 1), latent_dim=100, width=64)
        >>> gan.compile()  # Adam(2e-4, beta_1=0.5) for both players
        >>> gan.fit(recipes.load_dataset("mnist_embedded", batch_size=64), epochs=10)
    """

    def __init__(self, image_shape=(28, 28, 1), latent_dim=100, width=64, d_norm="batch", **kwargs):
        image_shape = check_image_shape(image_shape)
        self.width, self.d_norm = width, d_norm
        super().__init__(
            generator=dcgan_generator(latent_dim, image_shape, width),
            discriminator=dcgan_discriminator(packed_shape(image_shape, kwargs.get("pack", 1)), width,
                                              norm=d_norm),
            **kwargs,
        )
