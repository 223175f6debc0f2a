"""Network builders, one module per family; each returns a functional keras.Model."""

from zoo.networks.began import began_discriminator, began_generator
from zoo.networks.conditional import acgan_discriminator, conditional_discriminator, conditional_generator
from zoo.networks.dcgan import dcgan_discriminator, dcgan_generator, upsampling_plan
from zoo.networks.infogan import infogan_discriminator, infogan_generator
from zoo.networks.mlp import mlp_discriminator, mlp_generator
from zoo.networks.stacked_mnist import stacked_mnist_discriminator, stacked_mnist_generator

__all__ = ["dcgan_generator", "dcgan_discriminator", "upsampling_plan", "mlp_generator",
           "mlp_discriminator", "conditional_generator", "conditional_discriminator",
           "acgan_discriminator", "infogan_generator", "infogan_discriminator", "began_generator",
           "began_discriminator", "stacked_mnist_generator", "stacked_mnist_discriminator"]
