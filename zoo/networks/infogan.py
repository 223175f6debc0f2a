"""InfoGAN networks (Chen et al., 2016): DCGAN-style G fed ``[z, codes]``, D with a Q head.

* ``infogan_generator``: inputs ``z`` (float32, ``(batch, latent_dim)``) and
  ``codes`` (float32, ``(batch, categorical + continuous)``: a one-hot
  categorical code followed by the continuous codes). ``codes`` passes through
  an ``Identity`` layer named ``codes_split_<categorical>_<continuous>``, which
  records the split inside the saved generator (``zoo.sampling.code_split``
  reads it, so a pretrained InfoGAN generator gets ``generate(categorical=,
  continuous=)`` too). ``concat(z, codes)`` then goes through DCGAN's
  project-and-reshape body (``zoo.networks.dcgan.upsample_to_images``).
* ``infogan_discriminator``: input ``images``; outputs ``[logits (batch, 1),
  q_categorical (batch, categorical) logits, q_continuous (batch, continuous)
  means]``. D's trunk is DCGAN's; the Q head shares it and adds one hidden
  layer (a full-kernel convolution, i.e. dense, with 128 units and LeakyReLU).

``fc_units`` (the paper's MNIST networks: 1024) adds the paper's fully connected
layers: in G a dense ``fc_units`` layer (batch norm, ReLU) before the projection to
the first feature map; in D a shared dense ``fc_units`` layer (D's norm, LeakyReLU)
on the flattened trunk, on which both the logit and Q read, and Q's hidden layer
gets D's norm too (the paper: FC1024-BN-lReLU shared, Q = FC128-BN-lReLU). With
``fc_units=None`` both networks stay all-convolutional (DCGAN's guideline).

Example:
    >>> g = infogan_generator(latent_dim=62, categorical=10, continuous=2)
    >>> d = infogan_discriminator((28, 28, 1), categorical=10, continuous=2)
    >>> logits, q_cat, q_cont = d(g([z, codes]))
"""

import keras
from keras import layers

from zoo.errors import ConfigError
from zoo.networks.dcgan import (check_dims, check_image_shape, check_norm, dcgan_batch_norm, dcgan_init,
                                downsample_features, norm_layer, score_head, upsample_to_images,
                                upsampling_plan)

CODE_SPLIT_PREFIX = "codes_split_"


def check_codes(categorical, continuous):
    """Both codes are required: ``categorical`` >= 2 values and ``continuous`` >= 1 codes."""
    for name, value, low in (("categorical", categorical, 2), ("continuous", continuous, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ConfigError(f"{name} must be an integer >= {low}; got {value!r}.")


def check_fc_units(fc_units):
    """``None`` (all-convolutional) or a positive int (the paper's MNIST networks: 1024)."""
    if fc_units is not None and (not isinstance(fc_units, int) or isinstance(fc_units, bool) or fc_units < 1):
        raise ConfigError(f"fc_units must be None (no fully connected layers) or a positive integer such as "
                          f"1024 (the paper's MNIST networks); got {fc_units!r}.")
    return fc_units


def infogan_generator(latent_dim=62, categorical=10, continuous=2, image_shape=(28, 28, 1), width=64,
                      fc_units=None, name="generator"):
    """[z (batch, latent_dim), codes (batch, categorical + continuous)] -> images in [-1, 1]."""
    check_dims(latent_dim, width)
    check_codes(categorical, continuous)
    check_fc_units(fc_units)
    image_shape = check_image_shape(image_shape)
    z = keras.Input((latent_dim,), name="z")
    codes = keras.Input((categorical + continuous,), name="codes")
    split = layers.Identity(name=f"{CODE_SPLIT_PREFIX}{categorical}_{continuous}")(codes)
    x = layers.Concatenate(name="z_and_codes")([z, split])
    if fc_units:
        x = layers.Dense(fc_units, use_bias=False, kernel_initializer=dcgan_init(), name="fc")(x)
        x = layers.ReLU(name="fc_relu")(dcgan_batch_norm("fc_bn")(x))
    return keras.Model([z, codes], upsample_to_images(x, image_shape, width), name=name)


def infogan_discriminator(image_shape=(28, 28, 1), categorical=10, continuous=2, width=64, norm="batch",
                          q_units=128, fc_units=None, name="discriminator"):
    """images -> [logits (batch, 1), q_categorical logits, q_continuous means], all float32."""
    check_dims(q_units, width)
    check_norm(norm)
    check_codes(categorical, continuous)
    check_fc_units(fc_units)
    image_shape = check_image_shape(image_shape)
    start_h, start_w, _ = upsampling_plan(image_shape)
    images = keras.Input(image_shape, name="images")
    features = downsample_features(images, image_shape, width, norm)
    if fc_units:  # the paper's shared FC layer; logit and Q read it
        x = layers.Flatten(name="fc_flatten")(features)
        x = layers.Dense(fc_units, use_bias=norm is None, kernel_initializer=dcgan_init(), name="fc")(x)
        features = layers.LeakyReLU(0.2, name="fc_lrelu")(norm_layer(norm, "fc_norm")(x))
        logits = layers.Dense(1, kernel_initializer=dcgan_init(), dtype="float32", name="score")(features)
        q = layers.Dense(q_units, use_bias=norm is None, kernel_initializer=dcgan_init(), name="q_hidden")(features)
        q = layers.LeakyReLU(0.2, name="q_lrelu")(norm_layer(norm, "q_norm")(q))
    else:
        logits = score_head(features, image_shape)
        q = layers.Conv2D(q_units, (start_h, start_w), padding="valid", kernel_initializer=dcgan_init(),
                          name="q_hidden")(features)
        q = layers.LeakyReLU(0.2, name="q_lrelu")(layers.Flatten(name="q_flatten")(q))
    outputs = [logits]
    for kind, units in (("categorical", categorical), ("continuous", continuous)):
        outputs.append(layers.Dense(units, kernel_initializer=dcgan_init(), dtype="float32",
                                    name=f"q_{kind}")(q))
    return keras.Model(images, outputs, name=name)
