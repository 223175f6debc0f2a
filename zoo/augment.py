"""Differentiable augmentation (DiffAugment, Zhao et al., NeurIPS 2020) for the discriminator's inputs.

The same random transformations are applied to real and generated images before
D sees them, in D's and G's steps alike, and they are differentiable, so G learns
through them: D cannot memorise a small training set, and G is not pushed to
reproduce the augmentations (which it would if only the real data were
augmented). Policies, combined with commas:

* ``translation``: shift each image by up to 1/8 of its size in each direction,
  filling with the background value -1 (the zoo's black);
* ``cutout``: blank a square of half the image size at a random place (to -1);
* ``color``: brightness (add U(-0.5, 0.5)), contrast (scale the deviation from the
  image mean by U(0.5, 1.5)) and, for RGB, saturation (scale the deviation from
  the grey value by U(0, 2)), in [-1, 1] units.

``GAN(augment="translation,cutout")`` applies it in ``discriminate`` (and so in
the penalties too) during training; ``augment(images, policy, seed)`` is the pure
function.

Reference:
    Zhao, Liu, Lin, Zhu and Han, "Differentiable Augmentation for Data-Efficient
    GAN Training", NeurIPS 2020 (the DiffAugment policies).
"""

import tensorflow as tf

from zoo.errors import ConfigError

POLICIES = ("color", "translation", "cutout")
BACKGROUND = -1.0


def check_policy(policy):
    """``policy`` as a tuple of policy names (``None`` or ``""``: no augmentation)."""
    if policy is None or policy == "":
        return ()
    if not isinstance(policy, str):
        raise ConfigError(f"augment must be None or a comma-separated string of {', '.join(POLICIES)}; "
                          f"got {policy!r}.")
    names = tuple(p.strip() for p in policy.split(",") if p.strip())
    unknown = [p for p in names if p not in POLICIES]
    if unknown or len(set(names)) != len(names):
        raise ConfigError(f"augment must list each of {', '.join(POLICIES)} at most once, e.g. "
                          f"'translation,cutout'; got {policy!r}.")
    return names


def augment(images, policy, seed):
    """Applies the ``policy`` (names or a comma-separated string) to NHWC ``images`` with a stateless
    ``seed`` (shape ``(2,)``); the same seed gives the same transformations."""
    names = check_policy(policy) if isinstance(policy, str) else tuple(policy)
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 3)
    x = images
    for i, name in enumerate(POLICIES):  # a fixed order, whatever the order given
        if name in names:
            x = _FUNCTIONS[name](x, seeds[i])
    return x


def _per_image(x, seed, low, high):
    shape = tf.stack([tf.shape(x)[0], 1, 1, 1])
    return tf.random.stateless_uniform(shape, seed=seed, minval=low, maxval=high, dtype=x.dtype)


def _color(x, seed):
    seeds = tf.random.experimental.stateless_split(seed, 3)
    x = x + _per_image(x, seeds[0], -0.5, 0.5)
    if x.shape[-1] == 3:
        grey = tf.reduce_mean(x, axis=-1, keepdims=True)
        x = (x - grey) * _per_image(x, seeds[1], 0.0, 2.0) + grey
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * _per_image(x, seeds[2], 0.5, 1.5) + mean


def _offsets(x, seed, ratio, low, high):
    """Per image and per spatial axis, ``(size, span, offset)`` with ``span = round(ratio * size)`` and an
    integer ``offset`` in ``[low(span, size), high(span, size)]``, shape (batch, 1)."""
    batch, seeds = tf.shape(x)[0], tf.random.experimental.stateless_split(seed, 2)
    out = []
    for s, size in ((seeds[0], tf.shape(x)[1]), (seeds[1], tf.shape(x)[2])):
        span = tf.cast(tf.cast(size, tf.float32) * ratio + 0.5, tf.int32)
        offset = tf.random.stateless_uniform([batch, 1], seed=s, minval=low(span, size),
                                             maxval=high(span, size) + 1, dtype=tf.int32)
        out.append((size, span, offset))
    return out


def _translation(x, seed, ratio=0.125):
    sources, inside = [], []
    for size, _, shift in _offsets(x, seed, ratio, lambda span, size: -span, lambda span, size: span):
        source = tf.range(size)[None, :] - shift  # the source row (column) of each target one, per image
        sources.append(tf.clip_by_value(source, 0, size - 1))
        inside.append((source >= 0) & (source < size))
    x = tf.gather(x, sources[0], axis=1, batch_dims=1)
    x = tf.gather(x, sources[1], axis=2, batch_dims=1)
    keep = inside[0][:, :, None] & inside[1][:, None, :]
    return tf.where(keep[..., None], x, tf.cast(BACKGROUND, x.dtype))


def _cutout(x, seed, ratio=0.5):
    masks = []
    for size, span, start in _offsets(x, seed, ratio, lambda span, size: -(span // 2),
                                      lambda span, size: size - span % 2 - span // 2):
        index = tf.range(size)[None, :]
        masks.append((index >= start) & (index < start + span))
    cut = masks[0][:, :, None] & masks[1][:, None, :]
    return tf.where(cut[..., None], tf.cast(BACKGROUND, x.dtype), x)


_FUNCTIONS = {"color": _color, "translation": _translation, "cutout": _cutout}
