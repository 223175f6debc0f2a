"""BEGAN networks (Berthelot, Schumm and Metz, 2017): an auto-encoder discriminator.

The paper's architecture (its Figure 1), at a width ``n`` and embedding size ``h``:

* **decoder** (G, and D's second half; the two share the architecture, not the
  weights): a fully connected projection of the input vector to an
  ``s x s x n`` map, then per resolution two 3x3 convolutions with ELU, with a
  nearest-neighbour 2x upsampling between resolutions, and a 3x3 convolution to
  the image channels. The paper's output is linear. The zoo's generator
  contract wants images in [-1, 1], so G ends in tanh (layer ``images``); D's
  reconstruction stays linear as in the paper (layer ``reconstruction``; both
  float32 under mixed precision). A tanh there cannot reach the data's
  saturated pixels (MNIST's background is exactly -1): the L1 gradient on them
  never vanishes, so D drives its pre-activations towards -inf until tanh
  saturates everywhere and the strokes' gradient is gone too (a D trained
  alone as an auto-encoder on MNIST at Adam(5e-4) reconstructed every pixel as
  -1 after 100 steps, pre-activations -10 and falling).
* **encoder** (D's first half): a 3x3 convolution with ELU, then per resolution
  two 3x3 convolutions with ELU whose filters grow linearly (n, 2n, 3n, ...),
  with a stride-2 3x3 convolution ("sub-sampling") between resolutions, then a
  fully connected layer to the embedding of size ``h`` (no activation).

``discriminator(x)`` returns the reconstruction ``D(x)`` of ``x``; ``zoo.BEGAN``
turns it into the per-sample energy ``mean |x - D(x)|``. The resolutions follow
DCGAN's plan (``s * 2**k`` with ``s`` from 3 to 7: 28x28 is 7 -> 14 -> 28, 64x64
is 4 -> ... -> 64, where the paper starts at 8x8). The paper's later skip
connections ("vanishing residuals") are not included.

Example:
    >>> g = began_generator(latent_dim=64, image_shape=(28, 28, 1), width=32)
    >>> d = began_discriminator(image_shape=(28, 28, 1), width=32, hidden=64)
    >>> d(g(z)).shape == g(z).shape
"""

import keras
from keras import layers

from zoo.errors import ConfigError
from zoo.networks.dcgan import check_image_shape, upsampling_plan


def began_plan(image_shape):
    """``(start_h, start_w, stages)``: the first feature map and the number of 2x resamplings."""
    try:
        return upsampling_plan(check_image_shape(image_shape))
    except ConfigError as e:
        raise ConfigError(str(e).replace("DCGAN cannot", "BEGAN cannot")) from None


def check_sizes(**sizes):
    for name, value in sizes.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{name} must be a positive integer; got {value!r}.")


def _conv(filters, name, strides=1, activation="elu"):
    return layers.Conv2D(filters, 3, strides=strides, padding="same", activation=activation, name=name)


def decode(x, image_shape, width, output_name="images", prefix="", activation="tanh"):
    """The decoder: a (batch, d) vector -> (batch, *image_shape), through a float32 ``activation`` layer
    ``output_name`` (tanh: images in [-1, 1]; "linear" for D's reconstruction)."""
    start_h, start_w, stages = began_plan(image_shape)
    x = layers.Dense(start_h * start_w * width, name=f"{prefix}project")(x)
    x = layers.Reshape((start_h, start_w, width), name=f"{prefix}project_reshape")(x)
    for i in range(stages + 1):
        x = _conv(width, f"{prefix}dec{i}_conv1")(x)
        x = _conv(width, f"{prefix}dec{i}_conv2")(x)
        if i < stages:
            x = layers.UpSampling2D(2, interpolation="nearest", name=f"{prefix}dec{i}_up")(x)
    x = _conv(image_shape[-1], f"{prefix}to_image", activation=None)(x)
    return layers.Activation(activation, dtype="float32", name=output_name)(x)


def encode(x, image_shape, width, hidden):
    """The encoder: images -> (batch, hidden) embeddings."""
    _, _, stages = began_plan(image_shape)
    x = _conv(width, "enc_in")(x)
    for i in range(stages + 1):
        filters = width * (i + 1)
        x = _conv(filters, f"enc{i}_conv1")(x)
        x = _conv(filters, f"enc{i}_conv2")(x)
        if i < stages:
            x = _conv(filters, f"enc{i}_down", strides=2)(x)
    x = layers.Flatten(name="enc_flatten")(x)
    return layers.Dense(hidden, name="embedding")(x)


def began_generator(latent_dim=64, image_shape=(28, 28, 1), width=32, name="generator"):
    """z of shape (batch, latent_dim) -> images in [-1, 1] of shape (batch, *image_shape)."""
    check_sizes(latent_dim=latent_dim, width=width)
    image_shape = check_image_shape(image_shape)
    z = keras.Input((latent_dim,), name="z")
    return keras.Model(z, decode(z, image_shape, width), name=name)


def began_discriminator(image_shape=(28, 28, 1), width=32, hidden=64, name="discriminator"):
    """Images -> their reconstructions (same shape, float32, linear: not squashed) through an ``hidden``-sized
    embedding."""
    check_sizes(width=width, hidden=hidden)
    image_shape = check_image_shape(image_shape)
    images = keras.Input(image_shape, name="images")
    h = encode(images, image_shape, width, hidden)
    return keras.Model(images, decode(h, image_shape, width, "reconstruction", prefix="d_", activation="linear"),
                       name=name)
