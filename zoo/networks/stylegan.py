"""StyleGAN generator and discriminator (Karras, Laine and Aila, 2019).

Generator = ``StyleMapping`` (z -> one style vector w per synthesis layer) + a
nested ``synthesis`` model (styles + per-layer noise -> images):

* mapping: pixel norm on ``z``, then ``mapping_layers`` (the paper: 8) equalized
  dense layers with leaky ReLU (0.2) and learning-rate multiplier 0.01;
* synthesis: a learned constant (``start_h x start_w``, 4x4 for 2**n images) and
  two style layers per resolution block. Layer = (nearest x2 upsample at the
  first conv of every block but the first) equalized 3x3 conv -> NoiseInjection
  with its own noise input -> leaky ReLU (0.2) -> AdaIN with its own w. The first
  layer of the first block is the constant itself (no conv). toRGB is an
  equalized 1x1 conv with gain 1, then ``tanh`` (the paper's output is linear and
  clipped for display; the zoo's contract is images in [-1, 1], and tanh keeps a
  gradient where clipping would cut it).

Everything random is an input or happens only in training:

* noise: one input per style layer, ``noise_0`` ... ``noise_{L-1}`` of shape
  ``(batch, H_i, W_i, 1)`` (``zoo.sampling.Sampler`` draws them, seeded);
* style mixing (training only, like dropout): ``StyleMapping`` maps a second
  latent and switches to its w after a random crossover layer; at inference the
  layer is a pure function of ``z``, so exports contain no random op;
* ``w_avg``: a non-trainable weight of ``StyleMapping``, an EMA (decay
  ``w_avg_decay``) of the batch-mean mapped w, updated when the generator runs in
  training mode (the GAN's generator step; the discriminator step runs G
  stateless and drops the update, as it drops every G state update);
* truncation: ``w' = w_avg + psi * (w - w_avg)``, the layer's ``truncation_psi``
  (1.0 = off), baked into a generator with ``with_truncation(generator, psi)``.

Image sizes: ``s * 2**n`` with ``n >= 1`` and a start size ``s`` from 3 to 7 (the
DCGAN rule): 32x32 and 64x64 start from the paper's 4x4 constant; 28x28 starts from
a 7x7 constant (a deviation from the paper, which only has powers of 2).

Discriminator (ProGAN/StyleGAN): fromRGB (equalized 1x1 conv), then per block two
equalized 3x3 convs with leaky ReLU and 2x2 average pooling, down to the start
size, where MinibatchStdDev, a 3x3 conv, a dense layer and a linear dense logit end it.

Example:
    >>> g = stylegan_generator(latent_dim=64, image_shape=(32, 32, 1), w_dim=64, width=32)
    >>> [t.name for t in g.inputs]
    ['z', 'noise_0', 'noise_1', ..., 'noise_7']
"""

import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

from layers import AdaIN, EqualizedConv2D, EqualizedDense, MinibatchStdDev, NoiseInjection, PixelNorm
from zoo.errors import ConfigError
from zoo.networks.dcgan import upsampling_plan
from zoo.sampling import check_latent_distribution

STYLES_LAYER = "styles"
SYNTHESIS_LAYER = "synthesis"
NOISE_PREFIX = "noise_"


# --------------------------------------------------------------------------- option checks


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def _number(name, value, low, high, high_inclusive, what):
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and value >= low and (value <= high if high_inclusive else value < high)
    if not ok:
        raise ConfigError(f"{name} must be a number in [{low}, {high}{']' if high_inclusive else ')'} "
                          f"({what}); got {value!r}.")
    return float(value)


def check_psi(truncation_psi):
    """``truncation_psi`` as a float (any finite number; 1 = no truncation, 0 = the average w)."""
    ok = isinstance(truncation_psi, (int, float, np.integer, np.floating)) and not isinstance(truncation_psi, bool)
    if not ok or not math.isfinite(truncation_psi):
        raise ConfigError(
            "truncation_psi must be a finite number: 1 = no truncation, 0.7 = the paper's usual "
            f"setting, 0 = the average image for every z; got {truncation_psi!r}."
        )
    return float(truncation_psi)


def block_channels(width, num_blocks):
    """Channels of each synthesis block, coarse to fine (D uses them in reverse).

    An int ``width`` is the channel count of the first two blocks; later blocks halve it
    (never below ``min(width, 8)``), like the paper's ``fmap_base / 2**res`` capped at
    ``fmap_max``. A list gives one count per block.
    """
    if isinstance(width, (list, tuple)):
        if len(width) != num_blocks:
            raise ConfigError(
                f"width as a list needs one channel count per resolution block ({num_blocks} for this "
                f"image size, coarse to fine); got {len(width)}: {list(width)!r}."
            )
        return [_positive_int("every entry of width", w) for w in width]
    width = _positive_int("width", width)
    return [max(min(width, 8), width >> max(0, b - 1)) for b in range(num_blocks)]


def stylegan_plan(image_shape):
    """``(start_h, start_w, num_blocks)``: the constant's size and the number of resolution blocks."""
    try:
        start_h, start_w, n = upsampling_plan(image_shape)
    except ConfigError:
        raise ConfigError(
            f"StyleGAN cannot build images of shape {tuple(image_shape)}: height and width must be "
            "s * 2**n with n >= 1 and s between 3 and 7 (the constant input is s x s), e.g. 28 "
            "(7x7 constant), 32, 64 (4x4). Resize your data to such a size."
        ) from None
    return start_h, start_w, n + 1


# --------------------------------------------------------------------------- layers


@keras.saving.register_keras_serializable(package="zoo")
class StyleMapping(keras.layers.Layer):
    """z -> styles: one w per synthesis layer, shape ``(batch, num_styles, w_dim)``.

    Owns the mapping network (``mapping``: PixelNorm + equalized dense layers),
    the tracked average ``w_avg`` and the truncation ``truncation_psi``.

    * Inference (``training`` false): ``w = mapping(z)``, truncated towards
      ``w_avg`` by ``truncation_psi`` (1.0: untouched), the same w for every layer.
      A pure function of ``z``.
    * Training: ``w_avg <- decay * w_avg + (1 - decay) * mean_batch(w)``; then,
      with probability ``style_mixing`` per sample, a second latent ``z2`` (drawn
      here from the layer's seed, decorrelated across replicas) is mapped to
      ``w2`` and the layers from a random crossover ``c`` in ``[1, num_styles)`` on
      use ``w2``. No truncation in training.

    Args:
        num_styles: number of style inputs of the synthesis network (2 per block).
        w_dim: width of w (and of every mapping layer).
        mapping_layers: dense layers of the mapping network (the paper: 8).
        lr_multiplier: of the mapping layers (the paper: 0.01).
        style_mixing: probability of mixing two latents per training sample (the paper: 0.9).
        w_avg_decay: decay of ``w_avg``'s moving average (the paper: 0.995).
        truncation_psi: used at inference; 1.0 = no truncation.
        latent_distribution: ``"normal"`` or ``"uniform"``, how ``z2`` is drawn.
        seed: seed of the style-mixing draws.
    """

    def __init__(self, num_styles, w_dim=128, mapping_layers=8, lr_multiplier=0.01, style_mixing=0.9,
                 w_avg_decay=0.995, truncation_psi=1.0, latent_distribution="normal", seed=None, **kwargs):
        super().__init__(**kwargs)
        self.num_styles = _positive_int("num_styles", num_styles)
        self.w_dim = _positive_int("w_dim", w_dim)
        self.mapping_layers = _positive_int("mapping_layers", mapping_layers)
        self.lr_multiplier = _number("mapping_lr_multiplier", lr_multiplier, 1e-12, 1.0, True,
                                     "the paper's mapping network uses 0.01")
        self.style_mixing = _number("style_mixing", style_mixing, 0.0, 1.0, True,
                                    "the probability of mixing two latents in training; the paper: 0.9")
        self.w_avg_decay = _number("w_avg_decay", w_avg_decay, 0.0, 1.0, False,
                                   "the decay of the average w; the paper: 0.995")
        self.truncation_psi = check_psi(truncation_psi)
        self.latent_distribution = check_latent_distribution(latent_distribution)
        self.seed = seed
        self.mapping = keras.Sequential(
            [PixelNorm(name="pixel_norm")]
            + [EqualizedDense(self.w_dim, lr_multiplier=self.lr_multiplier, activation="leaky_relu",
                              name=f"dense_{i}") for i in range(self.mapping_layers)],
            name="mapping",
        )
        self.seed_generator = keras.random.SeedGenerator(seed, name="mixing_seed")

    def build(self, z_shape):
        self.mapping.build(z_shape)
        # "mean": under a tf.distribute strategy the update averages the replicas' batch means.
        self.w_avg = self.add_weight(name="w_avg", shape=(self.w_dim,), initializer="zeros", trainable=False,
                                     aggregation="mean")
        self.built = True

    def map(self, z):
        """The mapped ``w`` (batch, w_dim), untruncated."""
        return self.mapping(z)

    def truncate(self, w, truncation_psi):
        """``w_avg + psi * (w - w_avg)`` (``w`` itself when psi is 1)."""
        if truncation_psi == 1.0:
            return w
        avg = ops.cast(self.w_avg, w.dtype)
        return avg + truncation_psi * (w - avg)

    def broadcast(self, w):
        """(batch, w_dim) -> (batch, num_styles, w_dim): the same w for every layer."""
        return ops.tile(ops.expand_dims(w, 1), (1, self.num_styles, 1))

    def styles(self, z, truncation_psi=None):
        """Inference styles for ``z`` with ``truncation_psi`` (default: the layer's)."""
        psi = self.truncation_psi if truncation_psi is None else check_psi(truncation_psi)
        return self.broadcast(self.truncate(self.map(z), psi))

    def call(self, z, training=None):
        w = self.map(z)
        if not training:
            return self.broadcast(self.truncate(w, self.truncation_psi))
        decay = self.w_avg_decay
        batch_mean = ops.mean(ops.cast(w, "float32"), axis=0)
        self.w_avg.assign(decay * ops.cast(self.w_avg, "float32") + (1.0 - decay) * batch_mean)  # reads autocast
        ws = self.broadcast(w)
        if self.style_mixing > 0 and self.num_styles > 1:
            ws = self._mix(z, ws)
        return ws

    def _mix(self, z, ws):
        seed = ops.cast(self.seed_generator.next(), "int64")
        ctx = tf.distribute.get_replica_context()
        if ctx is not None and ctx.num_replicas_in_sync > 1:
            seed = tf.random.experimental.stateless_fold_in(seed, ctx.replica_id_in_sync_group)
        seeds = tf.random.experimental.stateless_split(seed, 3)
        batch = ops.shape(z)[0]
        if self.latent_distribution == "uniform":
            z2 = tf.random.stateless_uniform(ops.shape(z), seeds[0], minval=-1.0, maxval=1.0, dtype=z.dtype)
        else:
            z2 = tf.random.stateless_normal(ops.shape(z), seeds[0], dtype=z.dtype)
        mixing = tf.random.stateless_uniform((batch,), seeds[1]) < self.style_mixing
        crossover = tf.random.stateless_uniform((batch,), seeds[2], minval=1, maxval=self.num_styles,
                                                dtype="int32")
        cut = ops.where(mixing, crossover, self.num_styles)  # num_styles: every layer keeps w
        use_w2 = ops.arange(self.num_styles, dtype="int32")[None, :] >= cut[:, None]
        ws2 = self.broadcast(ops.cast(self.map(z2), ws.dtype))
        return ops.where(use_w2[:, :, None], ws2, ws)

    def compute_output_shape(self, z_shape):
        return (z_shape[0], self.num_styles, self.w_dim)

    def get_config(self):
        return {**super().get_config(), "num_styles": self.num_styles, "w_dim": self.w_dim,
                "mapping_layers": self.mapping_layers, "lr_multiplier": self.lr_multiplier,
                "style_mixing": self.style_mixing, "w_avg_decay": self.w_avg_decay,
                "truncation_psi": self.truncation_psi, "latent_distribution": self.latent_distribution,
                "seed": self.seed}


@keras.saving.register_keras_serializable(package="zoo")
class ConstantInput(keras.layers.Layer):
    """The synthesis network's learned constant (``shape``, init N(0, 1)), repeated for the batch of its input."""

    def __init__(self, shape, **kwargs):
        super().__init__(**kwargs)
        self.shape = tuple(int(d) for d in shape)

    def build(self, input_shape):
        self.const = self.add_weight(name="const", shape=self.shape, initializer=keras.initializers.RandomNormal(0.0, 1.0))
        self.built = True

    def call(self, x):
        const = ops.cast(self.const, self.compute_dtype)
        return ops.tile(const[None], (ops.shape(x)[0],) + (1,) * len(self.shape))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.shape)

    def get_config(self):
        return {**super().get_config(), "shape": list(self.shape)}


@keras.saving.register_keras_serializable(package="zoo")
class StyleSelect(keras.layers.Layer):
    """``ws[:, index]``: the style of one synthesis layer out of ``(batch, num_styles, w_dim)``."""

    def __init__(self, index, **kwargs):
        super().__init__(**kwargs)
        self.index = int(index)

    def call(self, ws):
        return ws[:, self.index]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def get_config(self):
        return {**super().get_config(), "index": self.index}


# --------------------------------------------------------------------------- builders


def noise_shapes(image_shape):
    """``[(name, (H, W, 1))]`` of the noise inputs, one per style layer, coarse to fine."""
    start_h, start_w, blocks = stylegan_plan(image_shape)
    return [(f"{NOISE_PREFIX}{2 * b + j}", (start_h * 2**b, start_w * 2**b, 1))
            for b in range(blocks) for j in range(2)]


def stylegan_synthesis(image_shape, w_dim=128, width=64, name=SYNTHESIS_LAYER):
    """``[ws (batch, L, w_dim), noise_0, ..., noise_{L-1}]`` -> images in [-1, 1]."""
    start_h, start_w, blocks = stylegan_plan(image_shape)
    channels = block_channels(width, blocks)
    w_dim = _positive_int("w_dim", w_dim)
    num_styles = 2 * blocks
    ws = keras.Input((num_styles, w_dim), name="ws")
    noises = [keras.Input(shape, name=n) for n, shape in noise_shapes(image_shape)]
    x = ConstantInput((start_h, start_w, channels[0]), name="const")(ws)
    for i in range(num_styles):
        block, first = i // 2, i % 2 == 0
        res = f"{start_h * 2**block}x{start_w * 2**block}"
        if first and block > 0:
            x = layers.UpSampling2D(2, interpolation="nearest", name=f"up_{res}")(x)
        if not (block == 0 and first):  # the 4x4 block's first layer is the constant itself
            x = EqualizedConv2D(channels[block], 3, name=f"conv_{i}_{res}")(x)
        x = NoiseInjection(name=f"noise_injection_{i}")([x, noises[i]])
        x = layers.LeakyReLU(0.2, name=f"lrelu_{i}")(x)
        x = AdaIN(name=f"adain_{i}")([x, StyleSelect(i, name=f"w_{i}")(ws)])
    x = EqualizedConv2D(int(image_shape[-1]), 1, gain=1.0, name="to_rgb")(x)
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model([ws, *noises], images, name=name)


def stylegan_generator(latent_dim=128, image_shape=(32, 32, 3), w_dim=128, mapping_layers=8,
                       mapping_lr_multiplier=0.01, width=64, style_mixing=0.9, w_avg_decay=0.995,
                       truncation_psi=1.0, latent_distribution="normal", seed=None, name="generator"):
    """``z`` (batch, latent_dim) and ``noise_0..noise_{L-1}`` -> images in [-1, 1].

    Layers ``styles`` (``StyleMapping``) and ``synthesis`` (``stylegan_synthesis``).
    """
    latent_dim = _positive_int("latent_dim", latent_dim)
    synthesis = stylegan_synthesis(image_shape, w_dim, width)
    num_styles = synthesis.inputs[0].shape[1]
    z = keras.Input((latent_dim,), name="z")
    noises = [keras.Input(shape, name=n) for n, shape in noise_shapes(image_shape)]
    ws = StyleMapping(num_styles, w_dim, mapping_layers, mapping_lr_multiplier, style_mixing, w_avg_decay,
                      truncation_psi, latent_distribution, seed, name=STYLES_LAYER)(z)
    return keras.Model([z, *noises], synthesis([ws, *noises]), name=name)


def stylegan_discriminator(image_shape=(32, 32, 3), width=64, name="discriminator"):
    """Images -> one logit per image, ``(batch, 1)``; ``width`` as for the generator (mirrored)."""
    start_h, start_w, blocks = stylegan_plan(image_shape)
    channels = block_channels(width, blocks)
    images = keras.Input(tuple(image_shape), name="images")
    x = EqualizedConv2D(channels[-1], 1, activation="leaky_relu", name="from_rgb")(images)
    for block in range(blocks - 1, 0, -1):
        res = f"{start_h * 2**block}x{start_w * 2**block}"
        x = EqualizedConv2D(channels[block], 3, activation="leaky_relu", name=f"conv_{res}_0")(x)
        x = EqualizedConv2D(channels[block - 1], 3, activation="leaky_relu", name=f"conv_{res}_1")(x)
        x = layers.AveragePooling2D(2, name=f"down_{res}")(x)
    x = MinibatchStdDev(group_size=4, name="minibatch_stddev")(x)
    x = EqualizedConv2D(channels[0], 3, activation="leaky_relu", name=f"conv_{start_h}x{start_w}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = EqualizedDense(channels[0], activation="leaky_relu", name="dense")(x)
    logits = EqualizedDense(1, gain=1.0, name="dense_logits")(x)
    return keras.Model(images, layers.Activation("linear", dtype="float32", name="logits")(logits), name=name)


# --------------------------------------------------------------------------- helpers


def styles_layer(generator):
    """The ``StyleMapping`` layer of a StyleGAN generator (``ConfigError`` if there is none)."""
    for layer in generator.layers:
        if isinstance(layer, StyleMapping):
            return layer
    raise ConfigError(
        f"Model {generator.name!r} has no StyleMapping layer: it is not a StyleGAN generator "
        "(zoo.networks.stylegan.stylegan_generator)."
    )


def synthesis_model(generator):
    """The nested synthesis network of a StyleGAN generator."""
    try:
        return generator.get_layer(SYNTHESIS_LAYER)
    except ValueError:
        raise ConfigError(f"Model {generator.name!r} has no {SYNTHESIS_LAYER!r} model: it is not a StyleGAN "
                          "generator.") from None


def with_truncation(generator, truncation_psi):
    """A copy of a StyleGAN ``generator`` whose inference applies ``truncation_psi``.

    A snapshot (weights copied, ``w_avg`` included): export it, save it, or pass it
    to ``exports.export_generator``; its inputs are the generator's (``z``,
    ``noise_*``). ``truncation_psi=1`` gives an untruncated copy.
    """
    psi = check_psi(truncation_psi)
    styles_layer(generator)  # fail early on a generator without one

    def clone(layer):
        config = layer.get_config()
        if isinstance(layer, StyleMapping):
            config["truncation_psi"] = psi
        return layer.__class__.from_config(config)

    copy = keras.models.clone_model(generator, clone_function=clone)
    copy.set_weights(generator.get_weights())
    return copy
