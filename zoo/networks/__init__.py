"""Network builders, one module per family; each returns a functional keras.Model."""

from zoo.networks.dcgan import dcgan_discriminator, dcgan_generator, upsampling_plan

__all__ = ["dcgan_generator", "dcgan_discriminator", "upsampling_plan"]
