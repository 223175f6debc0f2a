"""ResNet generator and discriminator of SNGAN (Miyato et al., 2018), with SAGAN's options.

The CIFAR-10 networks of the SNGAN paper (its appendix B.4, Table 4):

* G: z -> dense to a ``start x start x 4*width`` map -> residual up-blocks
  (BN, ReLU, nearest 2x upsample, 3x3 conv, BN, ReLU, 3x3 conv; shortcut:
  upsample + 1x1 conv) -> BN, ReLU, 3x3 conv to the image channels, tanh.
* D: an "optimized" first down-block (3x3 conv, ReLU, 3x3 conv, 2x2 average
  pool; shortcut: pool + 1x1 conv), more down-blocks (ReLU, conv, ReLU, conv,
  pool; shortcut: 1x1 conv + pool), two blocks without downsampling, ReLU,
  global sum pooling and a dense layer to one score. Every weight layer of D is
  wrapped in ``layers.SpectralNormalization``.

For 32x32 images (start 4): G has 3 up-blocks and D 2 down-blocks then 2
plain blocks at 8x8, exactly the paper's. Other sizes follow
``upsampling_plan`` (e.g. 28x28: start 7, 2 up-blocks; D down to 7x7).

SAGAN (Zhang et al., 2019) adds ``spectral_norm_g=True`` (SN in G as well)
and ``attention`` at a resolution (a ``layers.SelfAttention`` block after the
G block that outputs that resolution, and after the D block that takes it).

Example:
    >>> g = resnet_generator(128, (32, 32, 3), width=64, attention=16, spectral_norm_g=True)
    >>> d = resnet_discriminator((32, 32, 3), width=64, attention=16)
"""

import keras
from keras import layers as kl

from layers import SelfAttention, SpectralNormalization
from zoo.errors import ConfigError
from zoo.networks.dcgan import check_image_shape, upsampling_plan


def _maybe_sn(layer, on):
    return SpectralNormalization(layer, name=f"sn_{layer.name}") if on else layer


def _conv(filters, size, name, sn):
    return _maybe_sn(kl.Conv2D(filters, size, padding="same", kernel_initializer="glorot_uniform", name=name), sn)


def _bn(name):
    return kl.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name)


def _check(latent_dim, width, attention, image_shape):
    for name, value in (("latent_dim", latent_dim), ("width", width)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{name} must be a positive integer; got {value!r}.")
    start_h, start_w, n = upsampling_plan(image_shape)
    sizes = [start_h * 2**i for i in range(1, n + 1)]
    if attention is not None and attention not in sizes:
        raise ConfigError(
            f"attention={attention!r} is not a feature-map height of these networks for images of "
            f"shape {tuple(image_shape)}: pick one of {sizes} (or None for no self-attention)."
        )
    if attention is not None and width * 4 // 8 < 1:
        raise ConfigError(f"Self-attention needs width >= 2 (its keys have width*4 // 8 channels); got {width}.")
    return start_h, start_w, n


def resnet_generator(latent_dim=128, image_shape=(32, 32, 3), width=64, attention=None,
                     spectral_norm_g=False, name="generator"):
    """z (batch, latent_dim) -> images in [-1, 1]; every block has ``4 * width`` channels
    (the paper's 256 for CIFAR-10 is ``width=64``)."""
    image_shape = check_image_shape(image_shape)
    start_h, start_w, n = _check(latent_dim, width, attention, image_shape)
    channels = 4 * width
    z = keras.Input((latent_dim,), name="z")
    x = _maybe_sn(kl.Dense(start_h * start_w * channels, name="project"), spectral_norm_g)(z)
    x = kl.Reshape((start_h, start_w, channels), name="project_reshape")(x)
    for i in range(n):
        h = _bn(f"up{i}_bn1")(x)
        h = kl.ReLU(name=f"up{i}_relu1")(h)
        h = kl.UpSampling2D(2, name=f"up{i}_upsample")(h)
        h = _conv(channels, 3, f"up{i}_conv1", spectral_norm_g)(h)
        h = _bn(f"up{i}_bn2")(h)
        h = kl.ReLU(name=f"up{i}_relu2")(h)
        h = _conv(channels, 3, f"up{i}_conv2", spectral_norm_g)(h)
        s = kl.UpSampling2D(2, name=f"up{i}_shortcut_upsample")(x)
        s = _conv(channels, 1, f"up{i}_shortcut", spectral_norm_g)(s)
        x = kl.Add(name=f"up{i}_add")([h, s])
        if attention == start_h * 2 ** (i + 1):
            x = SelfAttention(spectral_norm=spectral_norm_g, name=f"attention_{attention}")(x)
    x = kl.ReLU(name="out_relu")(_bn("out_bn")(x))
    x = _conv(image_shape[-1], 3, "to_image", spectral_norm_g)(x)
    images = kl.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(z, images, name=name)


def resnet_discriminator(image_shape=(32, 32, 3), width=64, attention=None, name="discriminator"):
    """Images -> one raw score per image (batch, 1); spectral norm on every weight layer;
    blocks have ``2 * width`` channels (the paper's 128 for CIFAR-10 is ``width=64``)."""
    image_shape = check_image_shape(image_shape)
    start_h, _, n = _check(1, width, attention, image_shape)
    downs = n - 1 if n >= 3 else n
    channels = 2 * width
    images = keras.Input(tuple(image_shape), name="images")
    height = image_shape[0]
    x = images
    for i in range(downs + 2):
        down, first = i < downs, i == 0
        if attention == height:
            x = SelfAttention(spectral_norm=True, name=f"attention_{attention}")(x)
        h = x if first else kl.ReLU(name=f"block{i}_relu1")(x)
        h = _conv(channels, 3, f"block{i}_conv1", True)(h)
        h = kl.ReLU(name=f"block{i}_relu2")(h)
        h = _conv(channels, 3, f"block{i}_conv2", True)(h)
        if down:
            h = kl.AveragePooling2D(2, name=f"block{i}_pool")(h)
        s = x
        if first:  # the optimized block: pool, then 1x1 conv
            s = _conv(channels, 1, f"block{i}_shortcut", True)(kl.AveragePooling2D(2, name="block0_shortcut_pool")(s))
        elif down:
            s = kl.AveragePooling2D(2, name=f"block{i}_shortcut_pool")(_conv(channels, 1, f"block{i}_shortcut", True)(s))
        x = kl.Add(name=f"block{i}_add")([h, s])
        height = height // 2 if down else height
    x = kl.ReLU(name="out_relu")(x)
    x = GlobalSumPooling(name="global_sum_pool")(x)
    score = _maybe_sn(kl.Dense(1, dtype="float32", name="score"), True)(x)
    return keras.Model(images, score, name=name)


@keras.saving.register_keras_serializable(package="zoo")
class GlobalSumPooling(kl.Layer):
    """Sums feature maps over height and width (SNGAN's D), (batch, H, W, C) -> (batch, C)."""

    def call(self, inputs):
        return keras.ops.sum(inputs, axis=(1, 2))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])
