"""Checks shared by the models: numbers, networks' output activations, training images, declared refusals.

Every check raises a ``zoo.errors`` error whose one line says what was wrong and how to fix it.
"""

import keras
import numpy as np
import tensorflow as tf

from zoo.errors import ConfigError, DataError


def is_finite_float32(value):
    """Whether the real number ``value`` is finite once cast to float32 (NaN, Inf and |x| > 3.4e38 are not)."""
    try:
        with np.errstate(over="ignore"):
            return bool(np.isfinite(np.float32(float(value))))
    except (OverflowError, TypeError, ValueError):
        return False


def check_number(name, value, low=0.0, high=None, integer=False):
    """``value`` as a float (or int) in [low, high); otherwise a ``ConfigError`` that gives the range."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    # NaN fails no comparison below: every value must be finite as the float32 the graph uses.
    ok = ok and is_finite_float32(value)
    if integer:
        ok = ok and float(value).is_integer()
    if not ok or value < low or (high is not None and value >= high):
        span = f"in [{low}, {high})" if high is not None else f">= {low}"
        finite = "" if integer else " (NaN and Inf are not)"
        raise ConfigError(f"{name} must be {'an integer' if integer else 'a number'} {span}{finite}; got {value!r}.")
    return int(value) if integer else float(value)


def check_unsupported(model, values):
    """Refuses the options a class declares unsupported.

    ``values`` maps option names to their values on ``model``; every option named in
    ``type(model).unsupported`` (``{option: why}``) that differs from its neutral value (``None``, 0,
    ``False``, or 1 for ``pack``) raises one ``ConfigError`` with the reason and the value to use.
    """
    for key, why in type(model).unsupported.items():
        value = values.get(key)
        if (value != 1) if key == "pack" else bool(value):
            default = "at 1" if key == "pack" else "unset"
            raise ConfigError(f"{type(model).__name__} does not support {key}={value!r}: {why}. Leave it {default}.")


def packed_shape(image_shape, pack):
    """The input shape of a discriminator that judges ``pack`` images at once (PacGAN: stacked on the
    channel axis); ``image_shape`` when ``pack`` is not a valid count (the GAN then refuses it)."""
    valid = isinstance(pack, (int, np.integer)) and not isinstance(pack, bool) and pack >= 1
    return (*image_shape[:-1], image_shape[-1] * int(pack)) if valid else tuple(image_shape)


UNBOUNDED_ACTIVATIONS = ("linear", "relu", "elu", "selu", "leaky_relu", "softplus", "gelu", "silu", "swish",
                         "exponential", "relu6", "mish")
_SHAPE_ONLY = (keras.layers.Reshape, keras.layers.Flatten, keras.layers.Permute, keras.layers.Identity,
               keras.layers.Dropout)


def output_activation(model, depth=3):
    """The name of the activation the model's (first) output passes through last, or ``None`` when that
    cannot be read off a layer (a Lambda, a custom layer, a subclassed model)."""
    tensor = model.outputs[0] if getattr(model, "outputs", None) else None
    for _ in range(16):  # back through layers that only move values around
        history = getattr(tensor, "_keras_history", None)
        op = getattr(history, "operation", None)
        if not isinstance(op, _SHAPE_ONLY) or len(op._inbound_nodes) <= history.node_index:
            break
        inputs = op._inbound_nodes[history.node_index].input_tensors
        if len(inputs) != 1:
            break
        tensor = inputs[0]
    if isinstance(op, keras.Model) and depth > 0:  # a nested functional model (StyleGAN's synthesis)
        return output_activation(op, depth - 1)
    activation = getattr(op, "activation", None)
    return getattr(activation, "__name__", None) if callable(activation) else None


def check_pair(generator, discriminator, loss, pack=1):
    """Checks that a generator's images fit the zoo's [-1, 1] range and a discriminator's input.

    ``loss`` is the ``zoo.losses.AdversarialLoss`` (on "logits" a final sigmoid in D is refused);
    ``pack`` is PacGAN's (D takes ``pack`` samples stacked on the channel axis).
    """
    g_out = tuple(generator.outputs[0].shape[1:])
    if len(g_out) not in (1, 3):
        raise ConfigError(f"The generator must output NHWC images or flat vectors; its output shape is "
                          f"{(None, *g_out)}.")
    g_act = output_activation(generator)
    if len(g_out) == 3 and g_act == "sigmoid":
        raise ConfigError(
            "The generator ends in a sigmoid, so its images lie in [0, 1], but the zoo's images (and the "
            "data it feeds D) lie in [-1, 1]: end the generator in tanh instead."
        )
    if len(g_out) == 3 and g_act in UNBOUNDED_ACTIVATIONS:
        raise ConfigError(
            f"The generator's output layer has a {g_act!r} activation, so its images are unbounded, but "
            "the zoo's images lie in [-1, 1]: end the generator in tanh (e.g. keras.layers.Activation("
            "'tanh', name='images'))."
        )
    d_act = output_activation(discriminator)
    if loss.inputs == "logits" and d_act in ("sigmoid", "softmax"):
        raise ConfigError(
            f"The discriminator ends in a {d_act}, but loss {loss.name!r} is defined on raw "
            "scores (logits): remove the final activation (e.g. Dense(1) with no activation); the "
            "cross-entropy losses apply the sigmoid themselves, stably."
        )
    want = g_out[:-1] + (g_out[-1] * pack,)
    d_in = tuple(discriminator.inputs[0].shape[1:])
    if d_in != want:
        packed = f" packed {pack} at a time (pack={pack})" if pack > 1 else ""
        raise ConfigError(
            f"The discriminator takes inputs of shape {d_in} but the generator makes "
            f"{g_out}{packed}, so D must take {want}: build both for the same shape."
        )


def as_array(x):
    """``x`` (array-like or tensor) as a NumPy array; complex values are refused, not silently truncated."""
    arr = x.numpy() if tf.is_tensor(x) else np.asarray(x)
    if np.iscomplexobj(arr):
        raise DataError("The images are complex numbers; the GAN trains on real floats in [-1, 1].")
    if arr.dtype == object:
        raise DataError("The images are Python objects (a ragged or mixed array); pass one float array "
                        "of shape (n, height, width, channels).")
    return arr


def check_signed_range(arr, name):
    """Refuses images that never go below 0 but do go above it: [0, 1] data (the most common mistake)."""
    lo, hi = float(np.min(arr)), float(np.max(arr))
    if lo >= 0.0 and 0.0 < hi <= 1.0 + 1e-3:
        raise DataError(
            f"{name} has pixel values in [{lo:.3g}, {hi:.3g}]: these look like images scaled to [0, 1], but "
            "the GAN trains on [-1, 1] (its generator ends in tanh). Scale them with 2 * x - 1 "
            "(recipes.load_dataset does it for you)."
        )


def check_pixels(arr, name, images=True):
    """Rejects non-finite values, and for images values outside [-1, 1]."""
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise DataError(f"{name} contains {bad} NaN/Inf values; clean or drop those samples.")
    if not images:
        return
    lo, hi = float(np.min(arr)), float(np.max(arr))
    if lo < -1.0 - 1e-3 or hi > 1.0 + 1e-3:
        raise DataError(
            f"{name} has pixel values in [{lo:.3g}, {hi:.3g}] but the GAN trains on [-1, 1]. "
            "Scale uint8 images with x / 127.5 - 1 and [0, 1] images with 2 * x - 1."
        )


def check_training_images(x, want):
    """Raises ``DataError`` unless ``x`` (a batched dataset of images or ``(images, ...)`` tuples, an array,
    or a tuple whose first item is one) holds float samples of shape ``want`` in [-1, 1]."""
    fix = (
        f"This model makes images of shape {want}; build it for your data's "
        "shape or resize the data (recipes.load_dataset(..., image_size=, channels=))."
    )
    if isinstance(x, tf.data.Dataset):
        spec = x.element_spec
        if isinstance(spec, (tuple, list)):
            spec = spec[0]
        if isinstance(spec, dict) or not hasattr(spec, "shape"):
            raise DataError(
                "fit() expects a dataset of images or (images, labels) tuples; got "
                f"elements of {x.element_spec}. Map dict elements to tuples first."
            )
        if spec.shape.rank != len(want) + 1:
            raise DataError(
                f"fit() expects batches of samples of shape {want}; the dataset yields shape "
                f"{spec.shape}. Call dataset.batch(batch_size) first."
            )
        if tuple(spec.shape[1:]) != want:
            raise DataError(f"The dataset yields images of shape {tuple(spec.shape[1:])}. {fix}")
        if not spec.dtype.is_floating:
            raise DataError(
                f"The dataset yields {spec.dtype.name} images; the GAN trains on "
                "floats in [-1, 1]. Scale them with x / 127.5 - 1 (recipes.load_dataset does)."
            )
        first = next(iter(x.take(1)), None)  # its values, checked as strictly as an array's
        if first is None:
            raise DataError("The dataset is empty: there is nothing to train on.")
        arr = (first[0] if isinstance(first, (tuple, list)) else first).numpy()
        name = "The dataset's first batch"
    else:
        if x is None:
            raise DataError("fit() needs training images: pass x=dataset or an array.")
        if isinstance(x, (tuple, list)):
            x = x[0]
        arr = as_array(x)
        if arr.ndim != len(want) + 1:
            kind = "NHWC images (rank 4)" if len(want) == 3 else f"samples of shape {want}"
            raise DataError(f"fit() expects {kind}; got an array of shape {arr.shape}.")
        if len(arr) == 0:
            raise DataError("fit() got an empty array of images: there is nothing to train on.")
        if tuple(arr.shape[1:]) != want:
            raise DataError(f"The images have shape {tuple(arr.shape[1:])}. {fix}")
        if not np.issubdtype(arr.dtype, np.floating):
            raise DataError(
                f"The images are {arr.dtype}; the GAN trains on floats in [-1, 1]. "
                "Scale them with x / 127.5 - 1."
            )
        name = "x"
    check_pixels(arr, name, images=len(want) == 3)
    if len(want) == 3:
        check_signed_range(arr, name)


def check_replica_batches(strategy, x, batch_size):
    """Under a strategy with R replicas a global batch must split into R equal parts.

    Checked where the sizes are known: arrays (``batch_size`` and the last partial
    batch) and datasets with a static batch size (``drop_remainder=True``). A dataset
    of unknown batch size is let through (its batches usually split); an uneven last
    batch then fails inside the step.
    """
    replicas = strategy.num_replicas_in_sync
    if replicas == 1:
        return
    if isinstance(x, tf.data.Dataset):
        spec = x.element_spec[0] if isinstance(x.element_spec, (tuple, list)) else x.element_spec
        sizes = [spec.shape[0]] if spec.shape.rank else []
        fix = "batch the dataset with dataset.batch(n, drop_remainder=True), n a multiple of the replicas"
    else:
        n = len(x[0] if isinstance(x, (tuple, list)) else x)
        batch = 32 if batch_size is None else int(batch_size)
        sizes = [batch] + ([n % batch] if n % batch else [])
        fix = "pass a batch_size that is a multiple of the replicas and drop the last partial batch"
    bad = [s for s in sizes if s is not None and s % replicas]
    if bad:
        raise DataError(
            f"fit() under {type(strategy).__name__} with {replicas} replicas got a batch "
            f"of {bad[0]}, which does not split evenly across the {replicas} replicas: {fix} "
            "(recipes.load_dataset does this)."
        )
