"""Image-to-image networks: the pix2pix U-Net, the CycleGAN ResNet translator and PatchGAN.

Translators (generators of the image-to-image variants) are functional models
with one float input named ``image`` of shape ``(batch, H, W, C_in)`` (values
in [-1, 1]) and one output layer named ``images`` (tanh, float32) of shape
``(batch, H, W, C_out)``, so they export like any zoo generator (the input is
called ``image`` instead of ``z``).

* ``unet_generator`` (Isola et al., 2017, appendix 6.1.1): encoder
  C64-C128-C256-C512-C512-... (4x4 stride-2 convolutions, LeakyReLU 0.2, batch
  norm except on the first), decoder of 4x4 stride-2 transposed convolutions
  (batch norm, ReLU, dropout 0.5 in the three innermost decoder blocks) with a
  skip connection from the mirrored encoder layer, tanh at the output. ``depth``
  stride-2 stages (default: down to a 1x1 bottleneck, at most 8 as in the paper).
  Dropout is pix2pix's only noise source: it is active with ``training=True`` (in
  ``train_step``) and off with ``training=False`` (``translate()``, exports).
* ``resnet_translator`` (Zhu et al., 2017, appendix 7.2; Johnson et al., 2016):
  c7s1-64, d128, d256, ``blocks`` residual blocks R256, u128, u64, c7s1-C with
  reflection padding and instance norm (``GroupNormalization(groups=-1)``; the
  paper's 9 blocks for 256x256, 6 for 128x128).
* ``patchgan_discriminator`` (both papers): C64-C128-C256-C512 with ``layers``
  stride-2 stages (3: the 70x70 PatchGAN), then a stride-1 4x4 convolution to
  one logit per patch: the output is a ``(batch, h, w, 1)`` map, and the zoo's
  losses (elementwise means) average the per-patch losses. With
  ``condition_channels`` it takes two inputs, ``condition`` (the input image)
  and ``images`` (the real or translated target), concatenated on channels:
  pix2pix's conditional D.

Example:
    >>> g = unet_generator((32, 32, 1), output_channels=1, width=16)
    >>> d = patchgan_discriminator((32, 32, 1), condition_channels=1, width=16, layers=1)
    >>> f = resnet_translator((32, 32, 1), width=16, blocks=3)
"""

import keras
from keras import layers, ops

from zoo.errors import ConfigError

IMAGE_INPUT = "image"
CONDITION_INPUT = "condition"
OUTPUT = "images"
NORMS = ("batch", "instance", None)


def _init():
    # Both papers initialise weights from N(0, 0.02).
    return keras.initializers.RandomNormal(0.0, 0.02)


def _positive_int(name, value, low=1):
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ConfigError(f"{name} must be an integer >= {low}; got {value!r}.")
    return value


def check_shape(image_shape, what="image_shape"):
    """``image_shape`` as a tuple of 3 positive ints, or a ``ConfigError``."""
    try:
        shape = tuple(int(d) for d in image_shape)
    except (TypeError, ValueError):
        shape = None
    if shape is None or len(shape) != 3 or min(shape) < 1 or shape != tuple(image_shape):
        raise ConfigError(f"{what} must be (height, width, channels) of positive integers, e.g. (32, 32, 1) "
                          f"or (256, 256, 3); got {image_shape!r}.")
    return shape


def check_norm(norm):
    if norm not in NORMS:
        raise ConfigError(f"norm must be one of {NORMS}; got {norm!r}.")
    return norm


def _norm(kind, name):
    if kind == "batch":
        return layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name)
    if kind == "instance":
        # Instance norm = group norm with one group per channel (tensorflow-addons is end-of-life).
        return layers.GroupNormalization(groups=-1, epsilon=1e-5, name=name)
    return None


def _apply_norm(x, kind, name):
    layer = _norm(kind, name)
    return x if layer is None else layer(x)


def unet_depth(image_shape, depth=None):
    """The number of stride-2 stages of the U-Net for ``image_shape`` (checked)."""
    h, w, _ = check_shape(image_shape)
    if depth is None:  # down to a 1x1 bottleneck where possible, at most the paper's 8
        depth = 0
        while h % 2 ** (depth + 1) == 0 and w % 2 ** (depth + 1) == 0 and min(h, w) // 2 ** (depth + 1) >= 1 \
                and depth < 8:
            depth += 1
    _positive_int("depth", depth, 1)
    if h % 2**depth or w % 2**depth:
        raise ConfigError(f"A U-Net with depth {depth} needs height and width divisible by 2**{depth} = "
                          f"{2**depth}; the images are {h}x{w}. Pad or resize them (e.g. 28x28 MNIST to 32x32: "
                          "recipes.translation pads by 2 pixels), or lower depth.")
    return depth


def unet_generator(image_shape=(32, 32, 1), output_channels=None, width=64, depth=None, dropout=0.5,
                   norm="batch", name="generator"):
    """pix2pix's U-Net: ``image`` (batch, H, W, C_in) -> ``images`` (batch, H, W, output_channels) in [-1, 1].

    Args:
        image_shape: the input's ``(H, W, C_in)``; H and W divisible by ``2**depth``.
        output_channels: channels of the output (default: ``C_in``).
        width: channels of the first encoder layer (the paper: 64); stage ``i`` has
            ``width * min(2**i, 8)``.
        depth: stride-2 stages (default: down to 1x1, at most 8; 256x256 gives the paper's 8).
        dropout: dropout rate of the three innermost decoder blocks (the paper: 0.5; 0 turns it off).
        norm: "batch" (the paper), "instance" or None.
    """
    shape = check_shape(image_shape)
    output_channels = shape[-1] if output_channels is None else _positive_int("output_channels", output_channels)
    _positive_int("width", width)
    check_norm(norm)
    if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0.0 <= dropout < 1.0:
        raise ConfigError(f"dropout must be a rate in [0, 1); got {dropout!r}.")
    depth = unet_depth(shape, depth)
    image = keras.Input(shape, name=IMAGE_INPUT)
    x, skips = image, []
    for i in range(depth):
        x = layers.Conv2D(width * min(2**i, 8), 4, strides=2, padding="same", use_bias=(i == 0 or norm is None),
                          kernel_initializer=_init(), name=f"down{i}")(x)
        # The paper: no norm on the first layer; the 1x1 bottleneck is not normalised either
        # (a batch norm over a 1x1 map of batch size 1 would zero it).
        if 0 < i < depth - 1:
            x = _apply_norm(x, norm, f"down{i}_norm")
        x = layers.LeakyReLU(0.2, name=f"down{i}_lrelu")(x)
        skips.append(x)
    skips = skips[:-1][::-1]  # the bottleneck is not a skip
    for i, skip in enumerate(skips):
        stage = depth - 2 - i  # the encoder stage it mirrors
        x = layers.Conv2DTranspose(width * min(2**stage, 8), 4, strides=2, padding="same",
                                   use_bias=norm is None, kernel_initializer=_init(), name=f"up{i}")(x)
        x = _apply_norm(x, norm, f"up{i}_norm")
        if dropout and i < 3:
            x = layers.Dropout(dropout, name=f"up{i}_dropout")(x)
        x = layers.ReLU(name=f"up{i}_relu")(x)
        x = layers.Concatenate(name=f"skip{i}")([x, skip])
    x = layers.Conv2DTranspose(output_channels, 4, strides=2, padding="same", kernel_initializer=_init(),
                               name="to_image")(x)
    return keras.Model(image, layers.Activation("tanh", dtype="float32", name=OUTPUT)(x), name=name)


@keras.saving.register_keras_serializable(package="zoo")
class ReflectionPadding2D(layers.Layer):
    """Pads height and width by ``padding`` pixels, mirroring the border (CycleGAN's ReflectionPad2d).

    Example:
        >>> ReflectionPadding2D(3)(keras.ops.ones((1, 8, 8, 2))).shape   # (1, 14, 14, 2)
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = _positive_int("padding", padding)

    def call(self, x):
        p = self.padding
        return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        p = 2 * self.padding
        return (b, None if h is None else h + p, None if w is None else w + p, c)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


def resnet_translator(image_shape=(32, 32, 1), output_channels=None, width=64, blocks=9, norm="instance",
                      name="generator"):
    """CycleGAN's generator: ``image`` -> ``images`` of the same height and width, in [-1, 1].

    Args:
        image_shape: ``(H, W, C_in)``, H and W divisible by 4 (two stride-2 stages).
        output_channels: default ``C_in``.
        width: channels of the first layer (the paper: 64); then 2x and 4x.
        blocks: residual blocks at 1/4 resolution (the paper: 9 for 256x256, 6 for 128x128).
        norm: "instance" (the paper), "batch" or None.
    """
    shape = check_shape(image_shape)
    output_channels = shape[-1] if output_channels is None else _positive_int("output_channels", output_channels)
    _positive_int("width", width)
    _positive_int("blocks", blocks, 0)
    check_norm(norm)
    if shape[0] % 4 or shape[1] % 4:
        raise ConfigError(f"The ResNet translator downsamples twice: height and width must be divisible by 4; "
                          f"the images are {shape[0]}x{shape[1]}. Pad or resize them (e.g. 28x28 or 32x32).")
    image = keras.Input(shape, name=IMAGE_INPUT)

    def conv(x, filters, kernel, stride, tag):
        if stride == 1 and kernel > 1:
            x = ReflectionPadding2D(kernel // 2, name=f"{tag}_pad")(x)
        return layers.Conv2D(filters, kernel, strides=stride, padding="valid" if stride == 1 else "same",
                             use_bias=norm is None, kernel_initializer=_init(), name=tag)(x)

    x = conv(image, width, 7, 1, "c7s1")
    x = layers.ReLU(name="c7s1_relu")(_apply_norm(x, norm, "c7s1_norm"))
    for i, mult in enumerate((2, 4)):
        x = conv(x, width * mult, 3, 2, f"down{i}")
        x = layers.ReLU(name=f"down{i}_relu")(_apply_norm(x, norm, f"down{i}_norm"))
    for b in range(blocks):
        y = conv(x, width * 4, 3, 1, f"res{b}_a")
        y = layers.ReLU(name=f"res{b}_relu")(_apply_norm(y, norm, f"res{b}_a_norm"))
        y = _apply_norm(conv(y, width * 4, 3, 1, f"res{b}_b"), norm, f"res{b}_b_norm")
        x = layers.Add(name=f"res{b}")([x, y])
    for i, mult in enumerate((2, 1)):
        x = layers.Conv2DTranspose(width * mult, 3, strides=2, padding="same", use_bias=norm is None,
                                   kernel_initializer=_init(), name=f"up{i}")(x)
        x = layers.ReLU(name=f"up{i}_relu")(_apply_norm(x, norm, f"up{i}_norm"))
    x = ReflectionPadding2D(3, name="to_image_pad")(x)
    x = layers.Conv2D(output_channels, 7, padding="valid", kernel_initializer=_init(), name="to_image")(x)
    return keras.Model(image, layers.Activation("tanh", dtype="float32", name=OUTPUT)(x), name=name)


def patch_size(layers_):
    """The receptive field (in pixels) of one PatchGAN output for ``layers_`` stride-2 stages."""
    field = 1
    for stride in [1, 1] + [2] * layers_:  # walk back from the output: two stride-1 4x4 convs first
        field = (field - 1) * stride + 4
    return field


def patchgan_discriminator(image_shape=(32, 32, 1), condition_channels=None, width=64, layers=3, norm="batch",
                           name="discriminator"):
    """PatchGAN: images -> a map of logits ``(batch, h, w, 1)``, one per (overlapping) patch.

    Args:
        image_shape: ``(H, W, C)`` of the images it judges.
        condition_channels: ``None`` (CycleGAN: one input ``images``) or the channel count of
            pix2pix's input image: then the inputs are ``[condition, images]``, concatenated.
        width: channels of the first layer (the paper: 64); ``width * min(2**i, 8)`` after.
        layers: stride-2 stages (3: 70x70 patches; 2: 34x34; 1: 16x16; ``patch_size``).
        norm: "batch" (pix2pix), "instance" (CycleGAN) or None; never on the first layer.
    """
    shape = check_shape(image_shape)
    _positive_int("width", width)
    n = _positive_int("layers", layers)
    check_norm(norm)
    if shape[0] % 2**n or shape[1] % 2**n:
        raise ConfigError(f"A PatchGAN with {n} stride-2 layers needs height and width divisible by {2**n}; "
                          f"the images are {shape[0]}x{shape[1]}.")
    images = keras.Input(shape, name=OUTPUT)
    if condition_channels is None:
        inputs, x = [images], images
    else:
        _positive_int("condition_channels", condition_channels)
        condition = keras.Input((*shape[:2], condition_channels), name=CONDITION_INPUT)
        inputs = [condition, images]
        x = keras.layers.Concatenate(name="condition_and_images")([condition, images])
    for i in range(n + 1):  # n stride-2 stages, then one stride-1 stage (C512 in the 70x70 D)
        x = keras.layers.Conv2D(width * min(2**i, 8), 4, strides=2 if i < n else 1, padding="same",
                                use_bias=(i == 0 or norm is None), kernel_initializer=_init(), name=f"c{i}")(x)
        if i > 0:
            x = _apply_norm(x, norm, f"c{i}_norm")
        x = keras.layers.LeakyReLU(0.2, name=f"c{i}_lrelu")(x)
    x = keras.layers.Conv2D(1, 4, padding="same", kernel_initializer=_init(), name="patch_logits")(x)
    logits = keras.layers.Activation("linear", dtype="float32", name="logits")(x)
    return keras.Model(inputs if len(inputs) > 1 else images, logits, name=name)
