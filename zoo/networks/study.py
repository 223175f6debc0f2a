"""The networks of "Are GANs Created Equal?" (Lucic et al., NeurIPS 2018) for 28x28 images.

One generator and one discriminator serve every loss of the study (an
InfoGAN-style pair with a wide fully connected layer on each side); BEGAN gets
an auto-encoder discriminator built from the same layers. Layer for layer
(``compare_gan`` v1, ``gans/abstract_gan.py`` and ``gans/BEGAN.py``):

* generator: FC 1024, BN, lReLU(0.2); FC 7x7x128, BN, lReLU; 4x4 stride-2
  transposed conv to 64 channels, BN, lReLU; 4x4 stride-2 transposed conv to
  the image channels. The study ends in a sigmoid on [0, 1] data; here in tanh
  (the zoo's [-1, 1] contract), the same function up to an affine map.
* discriminator: 4x4 stride-2 conv 64, lReLU; 4x4 stride-2 conv 128, [BN],
  lReLU; flatten; FC 1024, [BN], lReLU; FC 1 (a raw logit). ``batch_norm``
  switches both [BN]s (the study's per-loss setting).
* auto-encoder (BEGAN): the discriminator's two convolutions, FC 64 (the code),
  [BN], lReLU; FC 7x7x128, [BN], lReLU; 4x4 stride-2 transposed conv 64, [BN],
  lReLU; 4x4 stride-2 transposed conv to the image channels, tanh.

Every layer has a bias; weights are drawn from N(0, 0.02) (the convolutions'
from the truncated normal); batch norm has momentum 0.999 and epsilon 1e-3
(TF1's ``batch_norm(decay=0.999, epsilon=0.001)``). Parameters at 28x28x1
(moving statistics included): G 6,656,961, D 6,561,473 with batch norm and
6,556,865 without, the auto-encoder 1,073,601 without batch norm.

Example:
    >>> g = study_generator(latent_dim=64, image_shape=(28, 28, 1))
    >>> d = study_discriminator(image_shape=(28, 28, 1), batch_norm=True)
    >>> d(g(z)).shape  # (batch, 1)
"""

import keras
from keras import layers

from zoo.errors import ConfigError
from zoo.networks.dcgan import check_image_shape

FC_UNITS = 1024
FEATURES = (64, 128)
CODE_UNITS = 64  # BEGAN's auto-encoder bottleneck


def _normal():
    return keras.initializers.RandomNormal(0.0, 0.02)


def _batch_norm(name):
    return layers.BatchNormalization(momentum=0.999, epsilon=1e-3, name=name)


def _lrelu(name):
    return layers.LeakyReLU(0.2, name=name)


def check_study_shape(image_shape):
    """``image_shape`` as a tuple whose height and width are multiples of 4, or a ``ConfigError``."""
    shape = check_image_shape(image_shape)
    if shape[0] % 4 or shape[1] % 4:
        raise ConfigError(
            f"The study's networks need a height and width divisible by 4 (two stride-2 stages), "
            f"e.g. (28, 28, 1); got {tuple(image_shape)}."
        )
    return shape


def _check_latent_dim(latent_dim):
    if not isinstance(latent_dim, int) or isinstance(latent_dim, bool) or latent_dim < 1:
        raise ConfigError(f"latent_dim must be a positive integer (the study: 64); got {latent_dim!r}.")


def _dense(units, name, init=None):
    return layers.Dense(units, kernel_initializer=init or _normal(), name=name)


def _maybe_bn(x, batch_norm, name):
    return _batch_norm(name)(x) if batch_norm else x


def _decode(x, image_shape, prefix, batch_norm=True):
    """A vector -> FC h/4 x w/4 x 128 -> two stride-2 transposed convolutions -> tanh images."""
    h, w, c = image_shape
    x = _dense(FEATURES[1] * (h // 4) * (w // 4), f"{prefix}fc_map")(x)
    x = _lrelu(f"{prefix}fc_map_lrelu")(_maybe_bn(x, batch_norm, f"{prefix}fc_map_bn"))
    x = layers.Reshape((h // 4, w // 4, FEATURES[1]), name=f"{prefix}reshape")(x)
    x = layers.Conv2DTranspose(FEATURES[0], 4, strides=2, padding="same", kernel_initializer=_normal(),
                               name=f"{prefix}up0")(x)
    x = _lrelu(f"{prefix}up0_lrelu")(_maybe_bn(x, batch_norm, f"{prefix}up0_bn"))
    x = layers.Conv2DTranspose(c, 4, strides=2, padding="same", kernel_initializer=_normal(),
                               name=f"{prefix}to_image")(x)
    return x


def _encode(x, batch_norm, units, name):
    """Two 4x4 stride-2 convolutions (64, 128 filters; [BN] on the second), flattened, then FC ``units``
    (layer ``name``), [BN], lReLU: the trunk of D and of BEGAN's encoder."""
    init = keras.initializers.TruncatedNormal(0.0, 0.02)
    x = layers.Conv2D(FEATURES[0], 4, strides=2, padding="same", kernel_initializer=init, name="down0")(x)
    x = _lrelu("down0_lrelu")(x)
    x = layers.Conv2D(FEATURES[1], 4, strides=2, padding="same", kernel_initializer=init, name="down1")(x)
    x = _lrelu("down1_lrelu")(_maybe_bn(x, batch_norm, "down1_bn"))
    x = _dense(units, name)(layers.Flatten(name="flatten")(x))
    return _lrelu(f"{name}_lrelu")(_maybe_bn(x, batch_norm, f"{name}_bn"))


def study_generator(latent_dim=64, image_shape=(28, 28, 1), name="generator"):
    """z of shape (batch, latent_dim) -> images in [-1, 1] of shape (batch, *image_shape)."""
    _check_latent_dim(latent_dim)
    image_shape = check_study_shape(image_shape)
    z = keras.Input((latent_dim,), name="z")
    x = _dense(FC_UNITS, "fc")(z)
    x = _lrelu("fc_lrelu")(_batch_norm("fc_bn")(x))
    x = _decode(x, image_shape, prefix="")
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(z, images, name=name)


def study_discriminator(image_shape=(28, 28, 1), batch_norm=True, name="discriminator"):
    """Images -> one raw logit per image, shape (batch, 1); ``batch_norm`` switches D's two BNs."""
    image_shape = check_study_shape(image_shape)
    images = keras.Input(image_shape, name="images")
    logits = _dense(1, "logit")(_encode(images, batch_norm, FC_UNITS, "fc"))
    logits = layers.Activation("linear", dtype="float32", name="logits")(logits)
    return keras.Model(images, logits, name=name)


def study_autoencoder(image_shape=(28, 28, 1), batch_norm=False, name="discriminator"):
    """BEGAN's discriminator: images -> their reconstruction in [-1, 1] (layer ``reconstruction``)."""
    image_shape = check_study_shape(image_shape)
    images = keras.Input(image_shape, name="images")
    x = _decode(_encode(images, batch_norm, CODE_UNITS, "code"), image_shape, prefix="decoder_", batch_norm=batch_norm)
    out = layers.Activation("tanh", dtype="float32", name="reconstruction")(x)
    return keras.Model(images, out, name=name)
