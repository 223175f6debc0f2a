"""Class-conditional DCGAN networks: CGAN (Mirza & Osindero, 2014) and ACGAN (Odena et al., 2017).

They reuse the DCGAN builders' body (``zoo.networks.dcgan``), so they support
the same image sizes (``s * 2**n``, e.g. 28x28, 32x32, 64x64) and follow the
same guidelines; only where the label enters differs.

* ``conditional_generator``: inputs ``z`` (float32, ``(batch, latent_dim)``)
  and ``labels`` (int32, ``(batch,)``); the label becomes a code that is
  concatenated with ``z`` before DCGAN's project-and-reshape. The code is a
  learned ``Embedding(num_classes, embed_dim)`` (``conditioning="embedding"``)
  or a fixed one-hot vector (``conditioning="one_hot"``, a
  ``CategoryEncoding``). Either layer records ``num_classes``, which the
  zoo's sampler and the exporters read to draw valid labels.
* ``conditional_discriminator``: inputs ``images`` and ``labels``, output one
  logit. By default (``projection=False``) the label is turned into extra input
  channels (a learned ``H x W`` map per class, or ``num_classes`` one-hot
  planes) concatenated with the image. With ``projection=True`` it is the
  projection discriminator of Miyato & Koyama (2018):
  ``logit = psi(phi(x)) + <embed(y), phi(x)>``, where ``phi(x)`` is the
  flattened last feature map of DCGAN's trunk and ``psi`` DCGAN's final
  (full-kernel, i.e. dense) convolution.
* ``acgan_discriminator``: input ``images`` only; outputs ``[logits (batch, 1),
  class_logits (batch, num_classes)]`` from two heads on the same trunk.

Example:
    >>> g = conditional_generator(latent_dim=100, num_classes=10, image_shape=(28, 28, 1))
    >>> d = conditional_discriminator((28, 28, 1), num_classes=10, projection=True)
    >>> d([g([z, labels]), labels]).shape   # (batch, 1)
"""

import keras
from keras import layers

from zoo.errors import ConfigError
from zoo.networks.dcgan import (check_dims, check_image_shape, check_norm, dcgan_init, downsample_features,
                                score_head, upsample_to_images, upsampling_plan)

CONDITIONINGS = ("embedding", "one_hot")


def check_conditioning(conditioning, num_classes, embed_dim=None):
    if conditioning not in CONDITIONINGS:
        raise ConfigError(f"conditioning must be one of {CONDITIONINGS}; got {conditioning!r}.")
    for name, value in (("num_classes", num_classes), ("embed_dim", embed_dim)):
        if name == "embed_dim" and value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{name} must be a positive integer; got {value!r}.")
    if num_classes < 2:
        raise ConfigError(f"A conditional GAN needs at least 2 classes; got num_classes={num_classes}.")


def label_input():
    return keras.Input((), dtype="int32", name="labels")


def label_code(labels, num_classes, conditioning="embedding", embed_dim=32, name="label"):
    """int labels (batch,) -> a (batch, d) code: a learned embedding or a one-hot vector."""
    if conditioning == "one_hot":
        return layers.CategoryEncoding(num_classes, output_mode="one_hot", name=f"{name}_one_hot")(labels)
    return layers.Embedding(num_classes, embed_dim, embeddings_initializer=dcgan_init(),
                            name=f"{name}_embedding")(labels)


def conditional_generator(latent_dim=100, num_classes=10, image_shape=(28, 28, 1), width=64,
                          conditioning="embedding", embed_dim=32, name="generator"):
    """[z (batch, latent_dim), labels (batch,) int32] -> images in [-1, 1], (batch, *image_shape)."""
    check_dims(latent_dim, width)
    check_conditioning(conditioning, num_classes, embed_dim)
    image_shape = check_image_shape(image_shape)
    z = keras.Input((latent_dim,), name="z")
    labels = label_input()
    code = label_code(labels, num_classes, conditioning, embed_dim, name="label")
    x = layers.Concatenate(name="z_and_label")([z, code])
    return keras.Model([z, labels], upsample_to_images(x, image_shape, width), name=name)


def _label_planes(labels, num_classes, image_shape, conditioning):
    """int labels -> extra input channels for D: a learned H x W map, or K one-hot planes."""
    h, w, _ = image_shape
    if conditioning == "one_hot":
        x = layers.CategoryEncoding(num_classes, output_mode="one_hot", name="label_one_hot")(labels)
        x = layers.Reshape((1, 1, num_classes), name="label_reshape")(x)
        return layers.UpSampling2D((h, w), name="label_planes")(x)
    x = layers.Embedding(num_classes, h * w, embeddings_initializer=dcgan_init(), name="label_embedding")(labels)
    return layers.Reshape((h, w, 1), name="label_planes")(x)


def conditional_discriminator(image_shape=(28, 28, 1), num_classes=10, width=64, norm="batch",
                              conditioning="embedding", projection=False, name="discriminator"):
    """[images, labels (batch,) int32] -> one raw logit per image, shape (batch, 1).

    ``projection=True``: logit = psi(phi(x)) + <embed(y), phi(x)> (Miyato & Koyama, 2018),
    and ``conditioning`` is ignored (the projection is always a learned embedding).
    """
    check_dims(1, width)
    check_norm(norm)
    check_conditioning(conditioning, num_classes)
    image_shape = check_image_shape(image_shape)
    images = keras.Input(image_shape, name="images")
    labels = label_input()
    if projection:
        features = downsample_features(images, image_shape, width, norm)
        psi = score_head(features, image_shape, output_name="psi")
        phi = layers.Flatten(name="phi")(features)
        embed = layers.Embedding(num_classes, int(phi.shape[-1]), embeddings_initializer=dcgan_init(),
                                 name="projection_embedding")(labels)
        projected = layers.Dot(axes=1, name="projection")([embed, phi])
        logits = layers.Add(dtype="float32", name="logits")([psi, projected])
    else:
        planes = _label_planes(labels, num_classes, image_shape, conditioning)
        x = layers.Concatenate(name="image_and_label")([images, planes])
        logits = score_head(downsample_features(x, image_shape, width, norm), image_shape)
    return keras.Model([images, labels], logits, name=name)


def acgan_discriminator(image_shape=(28, 28, 1), num_classes=10, width=64, norm="batch",
                        name="discriminator"):
    """images -> [logits (batch, 1), class_logits (batch, num_classes)], both float32."""
    check_dims(1, width)
    check_norm(norm)
    check_conditioning("embedding", num_classes)
    image_shape = check_image_shape(image_shape)
    upsampling_plan(image_shape)
    images = keras.Input(image_shape, name="images")
    features = downsample_features(images, image_shape, width, norm)
    logits = score_head(features, image_shape)
    class_logits = score_head(features, image_shape, units=num_classes, name="classes",
                              output_name="class_logits")
    return keras.Model(images, [logits, class_logits], name=name)
