"""DCGAN generator and discriminator (Radford, Metz and Chintala, 2016).

The paper's architecture guidelines, all followed here:

* no pooling: D downsamples with strided convolutions, G upsamples with
  fractionally-strided (transposed) convolutions;
* batch norm in both networks except at G's output and D's input;
* ReLU in G with tanh at the output; LeakyReLU (slope 0.2) in D;
* no fully connected hidden layers: G projects ``z`` to the first feature map
  with a transposed convolution over a 1x1 input (the paper's "project and
  reshape"), and D ends in a convolution whose kernel covers the last feature
  map, so both networks are all-convolutional;
* weights from N(0, 0.02), batch-norm scales from N(1, 0.02).

Images of height ``s * 2**n`` and width ``t * 2**n`` are supported, with
``n >= 1`` stride-2 stages and a first feature map of ``s x t`` (``s, t`` from
3 to 7), e.g. 28x28 (7x7 -> 14 -> 28), 32x32 (4 -> 8 -> 16 -> 32), 64x64.

Example:
    >>> g = dcgan_generator(latent_dim=100, image_shape=(28, 28, 1), width=64)
    >>> d = dcgan_discriminator(image_shape=(28, 28, 1), width=64)
"""

import keras
from keras import layers

from zoo.errors import ConfigError

_MIN_START, _MAX_START = 3, 7


def dcgan_init():
    """The paper's weight initialiser, N(0, 0.02) (also used by the conditional and InfoGAN networks)."""
    return keras.initializers.RandomNormal(0.0, 0.02)


def dcgan_batch_norm(name):
    """Batch norm as the DCGAN networks use it: momentum 0.9, epsilon 1e-5, scales from N(1, 0.02)."""
    return layers.BatchNormalization(
        momentum=0.9,
        epsilon=1e-5,
        gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02),
        name=name,
    )


def check_image_shape(image_shape):
    """Returns ``image_shape`` as a tuple of 3 positive ints, or raises ``ConfigError``."""
    try:
        shape = tuple(int(d) for d in image_shape)
    except (TypeError, ValueError):
        shape = None
    if shape is None or len(shape) != 3 or min(shape) < 1 or shape != tuple(image_shape):
        raise ConfigError(
            f"image_shape must be (height, width, channels) of positive integers, "
            f"e.g. (28, 28, 1) or (64, 64, 3); got {image_shape!r}."
        )
    return shape


def upsampling_plan(image_shape):
    """``(start_h, start_w, n_stages)`` such that ``start * 2**n_stages`` is the image size."""
    h, w, _ = check_image_shape(image_shape)
    n = 0
    while h % 2 == 0 and w % 2 == 0 and min(h, w) // 2 >= _MIN_START:
        h, w, n = h // 2, w // 2, n + 1
    if n == 0 or max(h, w) > _MAX_START:
        raise ConfigError(
            f"DCGAN cannot build images of shape {tuple(image_shape)}: height and width "
            f"must be s * 2**n with n >= 1 and s between {_MIN_START} and {_MAX_START} "
            "(e.g. 28, 32, 48, 56, 64, 96, 128). Resize your data to such a size."
        )
    return h, w, n


def check_dims(latent_dim, width):
    """Raises ``ConfigError`` unless ``latent_dim`` and ``width`` are positive integers."""
    for name, value in (("latent_dim", latent_dim), ("width", width)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{name} must be a positive integer; got {value!r}.")


def dcgan_generator(latent_dim=100, image_shape=(28, 28, 1), width=64, name="generator"):
    """z of shape (batch, latent_dim) -> images in [-1, 1] of shape (batch, *image_shape).

    ``width`` is the channel count of the last hidden feature map; each earlier
    stage doubles it (64x64 with width 128 is the paper's 1024-512-256-128).
    """
    check_dims(latent_dim, width)
    z = keras.Input((latent_dim,), name="z")
    return keras.Model(z, upsample_to_images(z, image_shape, width), name=name)


def upsample_to_images(x, image_shape, width):
    """G's body: a (batch, d) vector -> images in [-1, 1] (float32, layer ``images``).

    Project-and-reshape with a transposed convolution over a 1x1 input, then
    stride-2 transposed convolutions with batch norm and ReLU, tanh at the end.
    Conditional generators feed it ``concat(z, label code)``.
    """
    start_h, start_w, n = upsampling_plan(image_shape)
    channels = image_shape[-1]
    x = layers.Reshape((1, 1, int(x.shape[-1])), name="project_reshape")(x)
    x = layers.Conv2DTranspose(
        width * 2 ** (n - 1), (start_h, start_w), padding="valid", use_bias=False,
        kernel_initializer=dcgan_init(), name="project",
    )(x)
    x = dcgan_batch_norm("project_bn")(x)
    x = layers.ReLU(name="project_relu")(x)
    for i in range(n - 1):
        x = layers.Conv2DTranspose(
            width * 2 ** (n - 2 - i), 4, strides=2, padding="same", use_bias=False,
            kernel_initializer=dcgan_init(), name=f"up{i}",
        )(x)
        x = dcgan_batch_norm(f"up{i}_bn")(x)
        x = layers.ReLU(name=f"up{i}_relu")(x)
    x = layers.Conv2DTranspose(
        channels, 4, strides=2, padding="same", kernel_initializer=dcgan_init(), name="to_image",
    )(x)
    # float32 output even under a mixed-precision policy.
    return layers.Activation("tanh", dtype="float32", name="images")(x)


D_NORMS = ("batch", "layer", None)


def dcgan_discriminator(image_shape=(28, 28, 1), width=64, norm="batch", name="discriminator"):
    """Images of shape (batch, *image_shape) -> one raw logit per image, shape (batch, 1).

    ``norm="batch"`` is the paper's; gradient penalties (WGAN-GP, DRAGAN, R1) are
    per-sample and batch norm mixes samples, so use ``"layer"`` or ``None`` with them.
    """
    check_dims(1, width)
    check_norm(norm)
    images = keras.Input(tuple(image_shape), name="images")
    features = downsample_features(images, image_shape, width, norm)
    return keras.Model(images, score_head(features, image_shape), name=name)


def norm_layer(norm, name):
    """D's normalisation layer for ``norm`` in ``D_NORMS`` (``None``: an identity)."""
    if norm == "batch":
        return dcgan_batch_norm(name)
    if norm == "layer":
        return layers.LayerNormalization(epsilon=1e-5, name=name)
    return layers.Identity(name=name)


def check_norm(norm):
    if norm not in D_NORMS:
        raise ConfigError(f"The discriminator norm must be one of {D_NORMS}; got {norm!r}.")


def downsample_features(x, image_shape, width, norm="batch"):
    """D's trunk: stride-2 convolutions (LeakyReLU 0.2, no norm on the first) down to the
    ``start_h x start_w`` feature map that G starts from. ``x`` may carry extra channels
    (e.g. a label map) beside the image's."""
    _, _, n = upsampling_plan(image_shape)
    for i in range(n):
        x = layers.Conv2D(
            width * 2**i, 4, strides=2, padding="same", use_bias=(i == 0 or norm is None),
            kernel_initializer=dcgan_init(), name=f"down{i}",
        )(x)
        if i > 0 and norm is not None:  # no normalisation on the input layer
            x = norm_layer(norm, f"down{i}_{'bn' if norm == 'batch' else 'ln'}")(x)
        x = layers.LeakyReLU(0.2, name=f"down{i}_lrelu")(x)
    return x


def score_head(features, image_shape, units=1, name="score", output_name="logits"):
    """A convolution whose kernel covers the whole last feature map (a dense layer on the
    flattened map, kept all-convolutional) -> (batch, units) float32."""
    start_h, start_w, _ = upsampling_plan(image_shape)
    x = layers.Conv2D(
        units, (start_h, start_w), padding="valid", kernel_initializer=dcgan_init(), name=name,
    )(features)
    return layers.Flatten(dtype="float32", name=output_name)(x)
