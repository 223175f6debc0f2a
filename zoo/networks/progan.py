"""ProGAN networks (Karras et al., 2018): blocks built once, models per resolution level.

The architecture of the paper's Table 2, with the widths as options:

* G: pixel norm on ``z``; a 4x4 block (an equalized dense layer, the paper's
  4x4 "conv" on a 1x1 input, then a 3x3 convolution), then per resolution a
  nearest-neighbour 2x upsampling and two 3x3 convolutions. Every convolution
  is followed by LeakyReLU(0.2) and pixel norm. ``toRGB`` is a linear 1x1
  convolution per resolution.
* D: ``fromRGB`` (1x1 convolution + LeakyReLU) per resolution; per resolution
  two 3x3 convolutions and a 2x2 average pooling; the 4x4 block has the
  minibatch standard deviation, a 3x3 convolution, a dense layer over the 4x4
  map and the linear output.
* Every weighted layer has the equalized learning rate
  (``EqualizedConv2D``/``EqualizedDense``).

Level ``l`` is resolution ``4 * 2**l``. ``ProGANNetworks`` creates every layer
up front and wires them into functional models that share them:

* ``generator_at(l)`` / ``discriminator_at(l)``: the networks trained at level
  ``l`` (images of ``4 * 2**l`` pixels). For ``l >= 1`` they contain the fade-in
  of level ``l``: G blends the upsampled ``toRGB`` of level ``l - 1`` with the new
  block's ``toRGB``; D blends ``fromRGB`` of the 2x average-pooled image with the
  new block's output (``layers.FadeIn``, whose ``alpha`` the schedule sets).
* ``full_generator()`` / ``full_discriminator()``: every level in one graph at
  the target resolution (the official code's "linear" structure). With the
  fade-ins of the levels below the current one at alpha 1, the current one at
  its alpha and those above at 0, the full G outputs exactly the current
  level's images, nearest-upsampled to the target size, and the full D scores
  exactly what the current level's D gives on the average-pooled images. At the
  end of the schedule (all alphas 1) the full G is the full-resolution
  generator; its lower ``toRGB`` branches then only add zeros.
* ``final_generator(source)``: the full-resolution generator without those
  branches (blocks and the last ``toRGB``), for export.

The generator's output is ``tanh`` of the blended ``toRGB`` (the paper's is
linear; the zoo's generators promise images in [-1, 1]). ``tanh`` commutes with
nearest upsampling, so the fade-in identities above stay exact.

Example:
    >>> nets = ProGANNetworks(latent_dim=128, image_shape=(32, 32, 1), widths=(128, 128, 64, 32))
    >>> g8, d8 = nets.generator_at(1), nets.discriminator_at(1)     # 8x8 models
    >>> g, d = nets.full_generator(), nets.full_discriminator()     # 32x32, all levels
"""

import math

import keras
from keras import layers

from layers import EqualizedConv2D, EqualizedDense, FadeIn, MinibatchStdDev, PixelNorm
from zoo.errors import ConfigError

START = 4  # ProGAN starts at 4x4
_SLOPE = 0.2


def check_progan_shape(image_shape):
    """``(levels, side, channels)`` for a square image of side ``4 * 2**k`` (k >= 1), else ``ConfigError``."""
    try:
        shape = tuple(int(d) for d in image_shape)
    except (TypeError, ValueError):
        shape = None
    ok = shape is not None and len(shape) == 3 and shape == tuple(image_shape) and min(shape) >= 1
    if ok:
        side, channels = shape[0], shape[2]
        k = math.log2(side / START) if side >= START else -1
        ok = shape[0] == shape[1] and k >= 1 and k.is_integer()
    if not ok:
        raise ConfigError(
            f"ProGAN grows square images from 4x4 by doubling: image_shape must be (s, s, channels) "
            f"with s = 4 * 2**k, k >= 1 (8, 16, 32, 64, 128, ...); got {image_shape!r}. Resize the data "
            "(TrainConfig image_size=32, or recipes.load_dataset(..., image_size=32))."
        )
    return int(k) + 1, side, channels


def default_widths(levels):
    """The paper's channel rule ``min(512, 16384 / resolution)`` divided by 4: 128 up to 32x32, then halving."""
    return tuple(min(128, 4096 // (START * 2**level)) or 1 for level in range(levels))


def check_widths(widths, levels):
    """``widths`` (``None``, an int, or one int per level from 4x4 up) as a tuple of ``levels`` positive ints."""
    def positive(w):
        return isinstance(w, int) and not isinstance(w, bool) and w >= 1

    if widths is None:
        return default_widths(levels)
    if positive(widths):
        return (widths,) * levels
    if isinstance(widths, (list, tuple)) and len(widths) == levels and all(positive(w) for w in widths):
        return tuple(widths)
    res = ", ".join(str(START * 2**l) for l in range(levels))
    raise ConfigError(
        f"widths must be a positive int or {levels} positive ints, the channels at resolutions {res} "
        f"(e.g. {default_widths(levels)}), or None for that default; got {widths!r}."
    )


def _lrelu(name):
    return layers.LeakyReLU(_SLOPE, name=name)


class ProGANNetworks:
    """All layers of a ProGAN G and D, and the functional models that share them.

    Args:
        latent_dim: size of ``z``.
        image_shape: the target ``(s, s, channels)``, ``s = 4 * 2**k``.
        widths: channels per level (4x4 first), one int for all levels, or ``None``
            (``default_widths``).
    """

    def __init__(self, latent_dim, image_shape, widths):
        if not isinstance(latent_dim, int) or isinstance(latent_dim, bool) or latent_dim < 1:
            raise ConfigError(f"latent_dim must be a positive integer; got {latent_dim!r}.")
        self.levels, self.side, self.channels = check_progan_shape(image_shape)
        self.latent_dim = latent_dim
        self.widths = check_widths(widths, self.levels)
        self._g, self._d = [], []
        for level, width in enumerate(self.widths):
            res = self.resolution(level)
            self._g.append(self._g_block(level, res, width))
            self._d.append(self._d_block(level, res, width))
        self._g_models, self._d_models = {}, {}

    def resolution(self, level):
        return START * 2**level

    # ------------------------------------------------------------------ layers

    def _g_block(self, level, res, width):
        b = {}
        if level == 0:
            b["norm_z"] = PixelNorm(name="g_norm_z")
            b["dense"] = EqualizedDense(START * START * width, gain=math.sqrt(2.0) / 4, name="g4_dense")
            b["reshape"] = layers.Reshape((START, START, width), name="g4_reshape")
            b["act0"], b["norm0"] = _lrelu("g4_lrelu0"), PixelNorm(name="g4_norm0")
            b["conv1"] = EqualizedConv2D(width, 3, name="g4_conv")
            b["act1"], b["norm1"] = _lrelu("g4_lrelu1"), PixelNorm(name="g4_norm1")
        else:
            b["up"] = layers.UpSampling2D(2, interpolation="nearest", name=f"g{res}_up")
            for i in range(2):
                b[f"conv{i}"] = EqualizedConv2D(width, 3, name=f"g{res}_conv{i}")
                b[f"act{i}"], b[f"norm{i}"] = _lrelu(f"g{res}_lrelu{i}"), PixelNorm(name=f"g{res}_norm{i}")
            b["rgb_up"] = layers.UpSampling2D(2, interpolation="nearest", name=f"g{res}_rgb_up")
            b["fade"] = FadeIn(alpha=1.0, name=f"g{res}_fade")
        b["to_rgb"] = EqualizedConv2D(self.channels, 1, gain=1.0, name=f"to_rgb_{res}")
        return b

    def _d_block(self, level, res, width):
        b = {"from_rgb": EqualizedConv2D(width, 1, name=f"from_rgb_{res}"),
             "from_rgb_act": _lrelu(f"from_rgb_{res}_lrelu")}
        if level == 0:
            b["mbstd"] = MinibatchStdDev(group_size=4, name="d4_mbstd")
            b["conv"], b["act0"] = EqualizedConv2D(width, 3, name="d4_conv"), _lrelu("d4_lrelu0")
            b["flatten"] = layers.Flatten(name="d4_flatten")
            b["dense"], b["act1"] = EqualizedDense(width, name="d4_dense"), _lrelu("d4_lrelu1")
            b["out"] = EqualizedDense(1, gain=1.0, dtype="float32", name="logits")
        else:
            lower = self.widths[level - 1]
            b["conv0"], b["act0"] = EqualizedConv2D(width, 3, name=f"d{res}_conv0"), _lrelu(f"d{res}_lrelu0")
            b["conv1"], b["act1"] = EqualizedConv2D(lower, 3, name=f"d{res}_conv1"), _lrelu(f"d{res}_lrelu1")
            b["pool"] = layers.AveragePooling2D(2, name=f"d{res}_pool")
            b["rgb_pool"] = layers.AveragePooling2D(2, name=f"d{res}_rgb_pool")
            b["fade"] = FadeIn(alpha=1.0, name=f"d{res}_fade")
        return b

    def fades(self):
        """``(generator FadeIn, discriminator FadeIn)`` per level (``None`` at level 0)."""
        return [(g.get("fade"), d.get("fade")) for g, d in zip(self._g, self._d)]

    # ------------------------------------------------------------------ wiring

    def _g_features(self, z, level, get=None):
        """G's features at levels 0..``level``; ``get`` maps each layer to the one actually called
        (default: the layer itself; ``final_generator`` picks same-named layers of another model)."""
        get = get or (lambda layer: layer)

        def run(block, *keys, x):
            for key in keys:
                x = get(block[key])(x)
            return x

        x = run(self._g[0], "norm_z", "dense", "reshape", "act0", "norm0", "conv1", "act1", "norm1", x=z)
        feats = [x]
        for b in self._g[1:level + 1]:
            x = run(b, "up", "conv0", "act0", "norm0", "conv1", "act1", "norm1", x=x)
            feats.append(x)
        return feats

    def _g_rgb(self, feats, level):
        """The blended (linear) image of ``level`` from that level's and the previous level's features."""
        b = self._g[level]
        new = b["to_rgb"](feats[level])
        if level == 0:
            return new
        old = b["rgb_up"](self._g[level - 1]["to_rgb"](feats[level - 1]))
        return b["fade"]([old, new])

    def _tanh(self, x, name):
        return layers.Activation("tanh", dtype="float32", name=name)(x)

    def full_generator(self, name="generator"):
        """z -> images at the target size, every level in one graph (see the module docstring)."""
        if "full" not in self._g_models:
            z = keras.Input((self.latent_dim,), name="z")
            feats = self._g_features(z, self.levels - 1)
            img = self._g[0]["to_rgb"](feats[0])
            for level in range(1, self.levels):
                b = self._g[level]
                img = b["fade"]([b["rgb_up"](img), b["to_rgb"](feats[level])])
            self._g_models["full"] = keras.Model(z, self._tanh(img, "images"), name=name)
        return self._g_models["full"]

    def generator_at(self, level):
        """z -> images of level ``level`` (``4 * 2**level`` pixels), with that level's fade-in."""
        if level not in self._g_models:
            z = keras.Input((self.latent_dim,), name="z")
            img = self._g_rgb(self._g_features(z, level), level)
            res = self.resolution(level)
            self._g_models[level] = keras.Model(z, self._tanh(img, f"images_{res}"), name=f"generator_{res}")
        return self._g_models[level]

    def _d_head(self, x):
        b = self._d[0]
        x = b["act0"](b["conv"](b["mbstd"](x)))
        return b["out"](b["act1"](b["dense"](b["flatten"](x))))

    def _d_down(self, x, level):
        """Block ``level`` of D: features at level ``level`` -> features at level ``level - 1``."""
        b = self._d[level]
        return b["pool"](b["act1"](b["conv1"](b["act0"](b["conv0"](x)))))

    def _from_rgb(self, images, level):
        b = self._d[level]
        return b["from_rgb_act"](b["from_rgb"](images))

    def discriminator_at(self, level):
        """Images of level ``level`` -> logits ``(batch, 1)``, with that level's fade-in."""
        if level not in self._d_models:
            res = self.resolution(level)
            images = keras.Input((res, res, self.channels), name="images")
            x = self._from_rgb(images, level)
            if level > 0:
                b = self._d[level]
                x = b["fade"]([self._from_rgb(b["rgb_pool"](images), level - 1), self._d_down(x, level)])
                for lvl in range(level - 1, 0, -1):
                    x = self._d_down(x, lvl)
            self._d_models[level] = keras.Model(images, self._d_head(x), name=f"discriminator_{res}")
        return self._d_models[level]

    def full_discriminator(self, name="discriminator"):
        """Images at the target size -> logits, every level in one graph (see the module docstring)."""
        if "full" not in self._d_models:
            top = self.levels - 1
            images = keras.Input((self.side, self.side, self.channels), name="images")
            x, pooled = self._from_rgb(images, top), images
            for level in range(top, 0, -1):
                b = self._d[level]
                pooled = b["rgb_pool"](pooled)
                x = b["fade"]([self._from_rgb(pooled, level - 1), self._d_down(x, level)])
            self._d_models["full"] = keras.Model(images, self._d_head(x), name=name)
        return self._d_models["full"]

    def final_generator(self, source=None, name="generator"):
        """The full-resolution generator without the fade-in branches: blocks, last toRGB, tanh.

        ``source`` (default: ``full_generator()``) is a model with the same layer names whose
        layers (so weights) it shares, e.g. a weight-averaged copy of the full generator.
        """
        source = source or self.full_generator()
        top = self.levels - 1
        z = keras.Input((self.latent_dim,), name="z")
        x = self._g_features(z, top, get=lambda layer: source.get_layer(layer.name))[top]
        x = source.get_layer(self._g[top]["to_rgb"].name)(x)
        return keras.Model(z, self._tanh(x, "images"), name=name)
