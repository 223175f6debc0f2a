"""pix2pix (Isola et al., 2017): paired image-to-image translation with a conditional PatchGAN.

G is a U-Net that maps an input image ``x`` to a target-domain image; D is a
PatchGAN that scores ``concat(x, y)`` for the real target ``y`` and for
``G(x)``. The objective is the non-saturating GAN loss (cross-entropy) plus
``l1_weight * |y - G(x)|_1`` (the paper's lambda = 100). There is no latent
``z``: the paper's noise is dropout in the decoder, active during training.

Only the base model's hooks change (``zoo.GAN`` keeps the loop, the state
rules, the loss scaling across replicas and the optimizers):

* ``unpack_batch``: a batch is ``(input images, target images)`` (Keras's
  ``(x, y)``: ``fit(inputs, targets)`` or a dataset of such pairs); the target
  is the step's "real" sample, the input image its condition.
* ``sample_latents`` returns ``None`` and ``generator_inputs(z, x)`` is ``x``:
  no latents are drawn.
* ``discriminate(samples, x)``: ``D([x, samples])``.
* ``g_loss_terms``: adds ``l1``.

Inference: ``translate(images)`` runs G with ``training=False``: dropout off and
batch norm with its moving averages, so a translation is deterministic, and
that is also what ``exports.export_generator`` freezes (ONNX and TF Serving
want no random ops in the graph). The paper's test mode differs: it keeps
dropout on and normalises with the statistics of the test batch.
``translate(images, stochastic=True)`` gives that mode in Python (no state is
updated; not reproducible). The paper reports that the dropout noise has little
effect on the outputs anyway ("minor stochasticity").

``Translator`` is the mixin shared with ``zoo.CycleGAN``: no latents,
``generate()`` raises a ``ConfigError`` that points to ``translate()``, and
``fit`` checks pairs of image batches.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from zoo.checks import check_number, check_pixels
from zoo.errors import ConfigError, DataError
from zoo.gan import GAN
from zoo.networks.image_to_image import (CONDITION_INPUT, IMAGE_INPUT, OUTPUT, check_shape, patchgan_discriminator,
                                         unet_generator)
from zoo.steps import forward, inputs_by_name


class Translator:
    """Mixin for image-to-image variants (``zoo.GAN`` subclasses without a latent input).

    Subclasses set ``translation`` ("paired" or "unpaired": what a batch holds)
    and ``pair_names`` (what the two halves of a batch are), and implement
    ``pair_shapes()`` (the per-sample shapes of the two halves).
    """

    translation = None
    pair_names = ("inputs", "targets")
    unsupported = {
        "penalty": "the zoo's gradient penalties sum D's outputs per sample; a per-patch PatchGAN penalty is "
                   "not implemented",
        "feature_matching": "the feature model would take only the images, not the pair",
        "unrolled_steps": "unrolled D steps are not tested with translators",
        "pack": "PacGAN would mix several pairs in one D input",
        "augment": "the pair's two images would need the same transformation",
    }

    # ------------------------------------------------------------------ no latents

    def sample_latents(self, batch_size):
        """No latents: translators are functions of their input image."""
        del batch_size
        return None

    @property
    def latent_dim(self):
        """``None``: a translator has no latent input (its input is named ``image``)."""
        return None

    def _no_latents(self, what):
        return ConfigError(
            f"{type(self).__name__} translates images and has no latent input z, so {what} does not apply: "
            f"call {type(self).__name__.lower()}.translate(images){self._translate_hint} on a batch of "
            f"images of shape (n, {', '.join(map(str, self.pair_shapes()[0]))}) in [-1, 1]."
        )

    _translate_hint = ""

    def generate(self, *args, **kwargs):
        """Not available: use ``translate(images)``."""
        raise self._no_latents("generate()")

    def latents(self, *args, **kwargs):
        raise self._no_latents("latents()")

    def grid_inputs(self, *args, **kwargs):
        raise self._no_latents("grid_inputs() (zoo.SampleGrid)")

    def grid_feed(self, *args, **kwargs):
        raise self._no_latents("grid_feed() (zoo.SampleGrid; use recipes.translation.TranslationGrid)")

    # ------------------------------------------------------------------ inference

    def _run(self, model, images, what, batch_size=256, stochastic=False):
        """``model`` on ``images`` (checked against its input) in batches, as a NumPy array."""
        shape = tuple(int(d) for d in model.inputs[0].shape[1:])
        x = check_image_batch(images, shape, what)
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise DataError(f"batch_size must be a positive integer; got {batch_size!r}.")
        out = []
        for i in range(0, len(x), batch_size):
            batch = ops.convert_to_tensor(x[i:i + batch_size])
            if stochastic:  # training-mode forward pass: dropout on, batch statistics; no state updated
                y = forward(model, batch, update_state=False)
            else:
                y = model(batch, training=False)
            out.append(ops.convert_to_numpy(y))
        return np.concatenate(out, axis=0)

    # ------------------------------------------------------------------ fit

    def check_training_data(self, x, y=None):
        """Raises ``DataError`` unless ``x`` (and ``y``) hold pairs of image batches that fit this model."""
        first, second = self.pair_names
        shapes = self.pair_shapes()
        name = type(self).__name__
        hint = (f"{name} trains on ({first}, {second}) pairs: fit(x={first}, y={second}) with float arrays "
                f"in [-1, 1], or a dataset of such pairs (recipes.translation.load_translation).")
        if isinstance(x, tf.data.Dataset):
            spec = x.element_spec
            if not isinstance(spec, (tuple, list)) or len(spec) < 2 or not all(
                    hasattr(s, "shape") for s in spec[:2]):
                raise DataError(f"The dataset yields {spec}; {hint}")
            for what, s, want in zip((first, second), spec[:2], shapes):
                if s.shape.rank != 4:
                    raise DataError(f"The dataset's {what} have shape {s.shape}; {name} expects batches of "
                                    f"images (batch, {', '.join(map(str, want))}). Call dataset.batch() first.")
                if tuple(s.shape[1:]) != want:
                    raise DataError(self._shape_message(what, tuple(s.shape[1:]), want))
                if not s.dtype.is_floating:
                    raise DataError(f"The dataset yields {s.dtype.name} {what}; {name} trains on floats in "
                                    "[-1, 1]. Scale them with x / 127.5 - 1.")
            return
        if y is None and isinstance(x, (tuple, list)) and len(x) == 2:
            x, y = x
        if x is None or y is None:
            raise DataError(f"fit() got {'no data' if x is None else f'{first} but no {second}'}. {hint}")
        arrays = []
        for what, arr, want in zip((first, second), (x, y), shapes):
            arr = arr.numpy() if tf.is_tensor(arr) else np.asarray(arr)
            if arr.ndim != 4:
                raise DataError(f"The {what} must be NHWC images (rank 4); got an array of shape {arr.shape}.")
            if tuple(arr.shape[1:]) != want:
                raise DataError(self._shape_message(what, tuple(arr.shape[1:]), want))
            if not np.issubdtype(arr.dtype, np.floating):
                raise DataError(f"The {what} are {arr.dtype}; {name} trains on floats in [-1, 1]. Scale them "
                                "with x / 127.5 - 1.")
            check_pixels(arr, what)
            arrays.append(arr)
        if len(arrays[0]) != len(arrays[1]):
            raise DataError(f"fit() got {len(arrays[0])} {first} but {len(arrays[1])} {second}: pass the same "
                            "number of each.")

    def _shape_message(self, what, got, want):
        return (f"The {what} have shape {got} but this {type(self).__name__} takes {want}: build it for your "
                f"data's shape (image_shape=...) or resize/pad the data (recipes.translation does).")


def check_image_batch(images, shape, what="images"):
    """``images`` as float32 in [-1, 1] of shape ``(n, *shape)``; uint8 pixels are scaled. Else ``DataError``."""
    arr = images.numpy() if tf.is_tensor(images) else np.asarray(images)
    if arr.ndim == 3 and tuple(arr.shape) == shape:
        raise DataError(f"{what} must be a batch (n, {', '.join(map(str, shape))}); got one image of shape "
                        f"{arr.shape}: pass images[None].")
    if arr.ndim != 4 or tuple(arr.shape[1:]) != shape:
        raise DataError(f"{what} must have shape (n, {', '.join(map(str, shape))}); got {arr.shape}.")
    if len(arr) == 0:
        raise DataError(f"{what} is empty: pass at least one image.")
    if arr.dtype == np.uint8:
        return arr.astype("float32") / 127.5 - 1.0
    if not np.issubdtype(arr.dtype, np.floating):
        raise DataError(f"{what} must be floats in [-1, 1] or uint8 pixels; got {arr.dtype}.")
    check_pixels(arr, what)
    return arr.astype("float32")


@keras.saving.register_keras_serializable(package="zoo")
class Pix2Pix(Translator, GAN):
    """pix2pix: a U-Net translator and a conditional PatchGAN, adversarial + L1 loss.

    Args:
        image_shape: ``(H, W, C)`` of the target images (what G makes); H and W divisible
            by ``2**depth`` (28x28 MNIST: pad to 32x32, ``recipes.translation`` does).
        input_channels: channels of the input images (default: C).
        width: channels of G's first layer (the paper: 64).
        depth: G's stride-2 stages (default: down to 1x1, at most 8).
        dropout: rate of G's dropout (the paper: 0.5 in the three innermost decoder blocks).
        g_norm: G's normalisation, "batch" (the paper), "instance" or None.
        d_width: channels of D's first layer (default: ``width``).
        d_layers: D's stride-2 stages: 3 is the 70x70 PatchGAN of the paper (for 256x256);
            ``zoo.networks.image_to_image.patch_size(n)`` gives the patch size.
        d_norm: D's normalisation ("batch", "instance" or None).
        l1_weight: lambda of the L1 term (the paper: 100).
        **kwargs: ``GAN`` options: ``loss`` (default "non_saturating", the paper's), ``d_steps``,
            ``clip_value``, ``label_smoothing``, ``historical_averaging``, ``ema_decay``, ``seed``.

    Example:
        >>> gan = Pix2Pix(image_shape=(32, 32, 1), width=16, d_layers=1)
        >>> gan.compile()   # Adam(2e-4, beta_1=0.5), the paper's
        >>> gan.fit(edges, images, batch_size=16, epochs=5)   # (inputs, targets) in [-1, 1]
        >>> fakes = gan.translate(test_edges)
    """

    translation = "paired"
    pair_names = ("input images", "target images")
    d_loss_names = ("d_loss",)
    g_loss_names = ("g_loss", "l1")

    def __init__(self, image_shape=(32, 32, 1), input_channels=None, width=64, depth=None, dropout=0.5,
                 g_norm="batch", d_width=None, d_layers=3, d_norm="batch", l1_weight=100.0, **kwargs):
        image_shape = check_shape(image_shape)
        input_channels = image_shape[-1] if input_channels is None else input_channels
        self.l1_weight = check_number("l1_weight", l1_weight)
        self.input_channels, self.width, self.depth, self.dropout = input_channels, width, depth, dropout
        self.g_norm, self.d_width, self.d_layers, self.d_norm = g_norm, d_width, d_layers, d_norm
        super().__init__(
            generator=unet_generator((*image_shape[:2], input_channels), image_shape[-1], width, depth, dropout,
                                     g_norm),
            discriminator=patchgan_discriminator(image_shape, input_channels, d_width or width, d_layers, d_norm),
            **kwargs,
        )

    # ------------------------------------------------------------------ hooks

    def unpack_batch(self, data):
        """``(inputs, targets)`` -> ``(targets, inputs)``: the target is the real sample, the input the condition."""
        if not isinstance(data, (tuple, list)) or len(data) < 2 or data[1] is None:
            raise DataError("Pix2Pix trains on (input images, target images) pairs; got a single batch. Call "
                            "fit(inputs, targets) or use recipes.translation.load_translation(...).")
        return data[1], data[0]

    def generator_inputs(self, z, condition):
        del z  # always None: no latents
        return condition

    def discriminate(self, samples, condition, update_state=True, weights=None):
        discriminator = self.step_networks("d")[0]
        inputs = inputs_by_name(discriminator, {CONDITION_INPUT: condition, OUTPUT: samples})
        return forward(discriminator, inputs, update_state, weights)

    def g_loss_terms(self, step):
        terms = super().g_loss_terms(step)
        terms["l1"] = self.l1_weight * l1_distance(step.real, step.fake)
        return terms

    # ------------------------------------------------------------------ inference

    def pair_shapes(self):
        return (tuple(int(d) for d in self.generator.inputs[0].shape[1:]), self.image_shape)

    def translate(self, images, batch_size=256, stochastic=False):
        """Input images ``(n, H, W, C_in)`` (floats in [-1, 1] or uint8) -> translations in [-1, 1].

        ``stochastic=False`` (default): dropout off, batch-norm moving averages (deterministic; what
        exports reproduce). ``stochastic=True``: the paper's test mode, dropout on and the batch's own
        statistics (nothing is updated; outputs vary from call to call and with the batch).
        With ``ema_decay`` the weight average translates (``sampling_generator``).
        """
        if not isinstance(stochastic, bool):
            raise ConfigError(f"stochastic must be True or False; got {stochastic!r}.")
        return self._run(self.sampling_generator, images, "images", batch_size, stochastic)

    # ------------------------------------------------------------------ checks

    def check_networks(self):
        g_in = [t.name for t in self.generator.inputs]
        if g_in != [IMAGE_INPUT] or len(self.generator.inputs[0].shape) != 4:
            raise ConfigError(f"The Pix2Pix generator must take one image input named {IMAGE_INPUT!r} "
                              f"(batch, H, W, C); its inputs are {g_in}.")
        d_in = {t.name: tuple(t.shape[1:]) for t in self.discriminator.inputs}
        want = {CONDITION_INPUT: tuple(self.generator.inputs[0].shape[1:]), OUTPUT: self.image_shape}
        if d_in != want:
            raise ConfigError(f"The Pix2Pix discriminator must take inputs {want} (the input image and the "
                              f"real or translated target); it takes {d_in}.")

def l1_distance(a, b):
    """Mean absolute difference (over pixels and the per-replica batch), float32."""
    return ops.mean(ops.abs(ops.cast(a, "float32") - ops.cast(b, "float32")))
