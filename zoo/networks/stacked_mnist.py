"""The DCGAN of the Stacked MNIST mode-collapse protocol (VEEGAN, PacGAN; from DCGAN-tensorflow).

G: z (U(-1, 1), 100-d) -> Dense to 2x2x(8w) -> batch norm, ReLU -> 5x5 stride-2
transposed convolutions to 4x4x(4w), 7x7x(2w), 14x14x(w) (batch norm, ReLU) ->
28x28x3, tanh. D: 5x5 stride-2 convolutions with w, 2w, 4w, 8w filters (LeakyReLU
0.2, batch norm after all but the first: 28 -> 14 -> 7 -> 4 -> 2) -> one logit.
``w = 64`` is the protocol's. ``pack=m`` gives PacDCGAN-m's D (input channels x m).

    >>> g, d = stacked_mnist_generator(), stacked_mnist_discriminator(pack=2)
    >>> gan = zoo.GAN(g, d, latent_distribution="uniform", pack=2, g_steps=2)
"""

import keras
from keras import layers

from zoo.checks import packed_shape
from zoo.networks.dcgan import dcgan_batch_norm, dcgan_init

IMAGE_SHAPE = (28, 28, 3)
# feature-map sides of G, coarse to fine, and the output padding that makes a 5x5 stride-2
# transposed convolution land on each (DCGAN-tensorflow's conv2d_transpose output shapes)
SIDES = (2, 4, 7, 14, 28)


def stacked_mnist_generator(latent_dim=100, width=64, name="generator"):
    """z (batch, latent_dim) -> Stacked-MNIST images (batch, 28, 28, 3) in [-1, 1]."""
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(SIDES[0] * SIDES[0] * 8 * width, kernel_initializer=dcgan_init(), name="project")(z)
    x = layers.Reshape((SIDES[0], SIDES[0], 8 * width), name="project_reshape")(x)
    x = layers.ReLU(name="project_relu")(dcgan_batch_norm("project_bn")(x))
    for i, (side, nxt) in enumerate(zip(SIDES[:-1], SIDES[1:])):
        last = nxt == SIDES[-1]
        # 'same' padding gives (side - 1) * 2 + 1 + output_padding
        x = layers.Conv2DTranspose(IMAGE_SHAPE[-1] if last else width * 2 ** (2 - i), 5, strides=2,
                                   padding="same", output_padding=nxt - 2 * side + 1,
                                   kernel_initializer=dcgan_init(), name=f"up{i}")(x)
        if not last:
            x = layers.ReLU(name=f"up{i}_relu")(dcgan_batch_norm(f"up{i}_bn")(x))
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(z, images, name=name)


def stacked_mnist_discriminator(width=64, pack=1, name="discriminator"):
    """Stacked-MNIST images (batch / pack, 28, 28, 3 * pack) -> one raw logit each."""
    x = images = keras.Input(packed_shape(IMAGE_SHAPE, pack), name="images")
    for i in range(4):
        x = layers.Conv2D(width * 2 ** i, 5, strides=2, padding="same", kernel_initializer=dcgan_init(),
                          name=f"down{i}")(x)
        if i:
            x = dcgan_batch_norm(f"down{i}_bn")(x)
        x = layers.LeakyReLU(0.2, name=f"down{i}_lrelu")(x)
    x = layers.Flatten(name="flatten")(x)
    logits = layers.Dense(1, kernel_initializer=dcgan_init(), dtype="float32", name="logits")(x)
    return keras.Model(images, logits, name=name)
