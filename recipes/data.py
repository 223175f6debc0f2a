"""The data layer: any image source -> a batched ``tf.data.Dataset`` in [-1, 1].

    >>> from recipes.data import load_dataset
    >>> ds = load_dataset("mnist_embedded", batch_size=64)             # images only
    >>> ds = load_dataset("mnist", with_labels=True)                   # (images, labels)
    >>> ds = load_dataset("tfds:cifar10", image_size=64)               # any TFDS dataset
    >>> ds = load_dataset("/path/to/images", image_size=(64, 64))      # a folder
    >>> ds = load_dataset(array_uint8, labels=y, num_classes=10)        # NumPy arrays

Sources, in the order a name is resolved:

* ``"mnist_embedded"`` (the default): 10,000 train / 2,000 test real MNIST
  digits (1,000 / 200 per class) shipped in the repo, so everything runs on a
  fresh machine. MNIST is by Yann LeCun and Corinna Cortes, CC BY-SA 3.0.
* ``"mnist"``, ``"fashion_mnist"``: the full 60k/10k sets from the zoo's cache
  (``python -m recipes.fetch mnist fashion_mnist`` puts them there), else from
  TFDS when it has them prepared, else a ``DatasetUnavailableError`` that says
  how to get them.
* ``"tfds:NAME"`` or any other TFDS name: ``tfds.load`` (``download=True`` to let
  TFDS download; off by default so an offline machine fails fast and clearly).
* a directory: image files (png/jpg/bmp/gif), labelled by sub-folder when every
  image sits in a class sub-folder.
* a ``.npz`` file (``x_<split>``/``y_<split>`` or ``images``/``labels`` arrays) or
  NumPy arrays: uint8 pixels, or floats with a declared ``value_range``.

Every element is float32 NHWC in [-1, 1]; labels are int32.
"""

import dataclasses
import hashlib
import os
import zipfile

import numpy as np
import tensorflow as tf

from zoo.errors import DataError, DatasetUnavailableError

EMBEDDED_PATH = os.path.join(os.path.dirname(__file__), "data", "mnist_embedded.npz")
EMBEDDED_SHA256 = "e99dec536ea7cba5f2523fb22ea009a1b1d276c7f07a83bb0a3e1f7b942eaea7"
LOCAL_NAMES = ("mnist_embedded", "mnist", "fashion_mnist")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
SPLITS = ("train", "test")


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """What a source yields after resizing/channel conversion."""

    name: str
    split: str
    image_shape: tuple
    num_examples: int
    num_classes: int | None
    has_labels: bool


class Source:
    """A resolved dataset source: its spec and a way to make unbatched elements."""

    spec: DatasetSpec

    def elements(self):
        """An unbatched dataset of ``(image, label)`` (label -1 when there is none)."""
        raise NotImplementedError

    def to_unit_range(self, images):
        """Batch of raw images -> float32 in [-1, 1]."""
        return tf.cast(images, tf.float32) / 127.5 - 1.0

    def fingerprint(self):
        """A hex digest that changes whenever the data does (caches are keyed on it, not on names)."""
        return hashlib.sha256(f"{self.spec.name}/{self.spec.split}".encode()).hexdigest()


# ------------------------------------------------------------------ arrays


class ArraySource(Source):
    def __init__(self, images, labels=None, value_range=None, num_classes=None, name="arrays", split="train"):
        images = _check_images_array(images, value_range)
        self.images = images
        self.value_range = value_range
        self.labels = None if labels is None else _check_labels(labels, len(images), num_classes)
        if num_classes is None and self.labels is not None:
            num_classes = int(self.labels.max()) + 1
        self.spec = DatasetSpec(
            name, split, tuple(images.shape[1:]), len(images), num_classes, self.labels is not None
        )

    def elements(self):
        labels = self.labels if self.labels is not None else np.full(len(self.images), -1, np.int32)
        return tf.data.Dataset.from_tensor_slices((self.images, labels))

    def fingerprint(self):
        digest = hashlib.sha256(f"{self.images.dtype}{self.images.shape}{self.value_range}".encode())
        digest.update(np.ascontiguousarray(self.images).data)
        if self.labels is not None:
            digest.update(np.ascontiguousarray(self.labels).data)
        return digest.hexdigest()

    def to_unit_range(self, images):
        if self.value_range is None:  # integer pixels in [0, 255]
            return super().to_unit_range(images)
        lo, hi = self.value_range
        return (tf.cast(images, tf.float32) - lo) * (2.0 / (hi - lo)) - 1.0


def _check_images_array(images, value_range):
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3, 4) or images.shape[0] == 0:
        raise DataError(
            f"images must be an array of shape (n, height, width[, channels]) with 1, 3 or 4 "
            f"channels and n > 0; got shape {images.shape}."
        )
    if np.issubdtype(images.dtype, np.floating):
        if not np.all(np.isfinite(images)):
            bad = int(images.size - np.count_nonzero(np.isfinite(images)))
            raise DataError(f"images contain {bad} NaN/Inf pixel values; clean or drop those images.")
        if value_range is None:
            raise DataError(
                "images are floats: declare their range with value_range=(0, 1), (0, 255) "
                "or (-1, 1) so they are scaled correctly (uint8 images need no declaration)."
            )
        lo, hi = _check_value_range(value_range)
        got_lo, got_hi = float(images.min()), float(images.max())
        tol = 1e-3 * (hi - lo)
        if got_lo < lo - tol or got_hi > hi + tol:
            raise DataError(
                f"images were declared in value_range=({lo:g}, {hi:g}) but hold values in "
                f"[{got_lo:.4g}, {got_hi:.4g}]: declare the range they are really in."
            )
        return images.astype(np.float32)
    if np.issubdtype(images.dtype, np.integer):
        if value_range not in (None, (0, 255), [0, 255]):
            raise DataError(
                f"images are integers, which are read as pixels in [0, 255]; "
                f"value_range={value_range!r} is not allowed for them."
            )
        if images.dtype != np.uint8:
            if images.min() < 0 or images.max() > 255:
                raise DataError(
                    f"integer images must be pixels in [0, 255]; got values in "
                    f"[{images.min()}, {images.max()}]."
                )
            images = images.astype(np.uint8)
        return images
    raise DataError(f"images must be uint8 or float; got dtype {images.dtype}.")


def _check_value_range(value_range):
    try:
        lo, hi = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise DataError(f"value_range must be a pair (low, high); got {value_range!r}.") from None
    if not hi > lo:
        raise DataError(f"value_range must have low < high; got {value_range!r}.")
    return lo, hi


def _check_labels(labels, n, num_classes):
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or len(labels) != n:
        raise DataError(
            f"labels must be a vector with one integer class per image ({n}); got shape {labels.shape}."
        )
    if not np.issubdtype(labels.dtype, np.number) or np.issubdtype(labels.dtype, np.complexfloating):
        raise DataError(f"labels must be integer class indices; got {labels.dtype} values.")
    if not np.issubdtype(labels.dtype, np.integer):
        if not (np.all(np.isfinite(labels)) and np.all(labels == np.round(labels))):
            raise DataError(f"labels must be integer class indices; got {labels.dtype} values.")
    labels = labels.astype(np.int64)
    if labels.min() < 0 or (num_classes is not None and labels.max() >= num_classes):
        top = f"{num_classes - 1}" if num_classes is not None else "num_classes - 1"
        raise DataError(
            f"labels must lie in [0, {top}]; got values in [{labels.min()}, {labels.max()}]."
        )
    return labels.astype(np.int32)


def _npz_source(path, split, num_classes, name):
    try:
        with np.load(path, allow_pickle=False) as f:
            keys = set(f.files)
            if f"x_{split}" in keys:
                x, y = f[f"x_{split}"], (f[f"y_{split}"] if f"y_{split}" in keys else None)
            elif "images" in keys:
                x, y = f["images"], (f["labels"] if "labels" in keys else None)
            else:
                raise DataError(
                    f"{path} has arrays {sorted(keys)}; expected x_{split}/y_{split} or images/labels."
                )
    except DataError:
        raise
    except ValueError as e:  # object arrays (pickles) are never loaded: they can run code
        raise DataError(f"{path} holds Python objects, not numeric arrays ({e}); save the images with "
                        "np.savez(path, images=uint8_array).") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise DataError(f"{path} is not a readable .npz file ({type(e).__name__}: {e}); it may be damaged or "
                        "truncated: save it again with np.savez.") from None
    return ArraySource(x, y, num_classes=num_classes, name=name, split=split)


# ------------------------------------------------------------------ files


class FolderSource(Source):
    def __init__(self, path, channels=None):
        files, labels, classes = _list_images(path)
        try:
            first = tf.io.decode_image(tf.io.read_file(files[0]), expand_animations=False)
        except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as e:
            raise DataError(f"{files[0]} is not a readable image ({e.message.splitlines()[0]}): delete or "
                            "replace it; the folder's first image sets the data's size.") from None
        h, w, c = (int(d) for d in first.shape)
        channels = channels or (1 if c == 1 else 3)
        self.files, self.labels, self.classes = files, labels, classes
        self.size, self.channels = (h, w), channels
        self.spec = DatasetSpec(
            os.path.basename(os.path.normpath(path)), "train", (h, w, channels), len(files),
            len(classes) or None, bool(classes),
        )

    def elements(self):
        size, channels = self.size, self.channels

        def decode(path, label):
            image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
            image = tf.image.resize(image, size, method="bilinear", antialias=True)
            return tf.ensure_shape(image, (*size, channels)), label

        labels = self.labels if self.labels is not None else [-1] * len(self.files)
        ds = tf.data.Dataset.from_tensor_slices((self.files, np.asarray(labels, np.int32)))
        return ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE)

    def fingerprint(self):
        digest = hashlib.sha256(f"{self.size}{self.channels}".encode())
        for path in self.files:  # names, sizes and modification times: a changed file changes the digest
            st = os.stat(path)
            digest.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return digest.hexdigest()


def _list_images(path):
    files = []
    for root, _, names in os.walk(path):
        files += [os.path.join(root, n) for n in names if n.lower().endswith(IMAGE_EXTENSIONS)]
    files.sort()
    if not files:
        raise DataError(
            f"The folder {path} holds no images ({', '.join(IMAGE_EXTENSIONS)}); point at a folder "
            "of images or of class sub-folders of images."
        )
    rel = [os.path.relpath(f, path) for f in files]
    if all(os.sep in r and r.count(os.sep) == 1 for r in rel):
        classes = sorted({r.split(os.sep)[0] for r in rel})
        index = {c: i for i, c in enumerate(classes)}
        return files, [index[r.split(os.sep)[0]] for r in rel], classes
    return files, None, []


# ------------------------------------------------------------------ TFDS


class TFDSSource(Source):
    def __init__(self, name, split, data_dir=None, download=False):
        import tensorflow_datasets as tfds

        try:
            builder = tfds.builder(name, data_dir=data_dir)
        except Exception as e:  # noqa: BLE001  (TFDS raises many kinds)
            raise DatasetUnavailableError(f"TFDS does not know the dataset {name!r}: {_first_line(e)}") from None
        features = builder.info.features
        self.image_key = next(
            (k for k, f in features.items() if isinstance(f, tfds.features.Image)), None
        )
        if self.image_key is None:
            raise DataError(f"TFDS dataset {name!r} has no image feature (features: {list(features)}).")
        label = features["label"] if "label" in features.keys() else None
        self.label_key = "label" if isinstance(label, tfds.features.ClassLabel) else None
        if not builder.is_prepared() and not download:
            raise DatasetUnavailableError(
                f"TFDS dataset {name!r} is not prepared in {builder.data_dir_root}. Prepare it where "
                f"there is internet (`tfds build {name}`) and copy it here (pass tfds_data_dir=...), "
                "or pass download=True (--download on the CLI) to let TFDS download it."
            )
        try:
            self._ds = tfds.load(name, split=split, data_dir=data_dir, download=download, shuffle_files=True)
            examples = builder.info.splits[split].num_examples
        except Exception as e:  # noqa: BLE001
            raise DatasetUnavailableError(
                f"TFDS could not load {name!r} split {split!r}: {_first_line(e)}. Known splits: "
                f"{sorted(builder.info.splits)}; offline machines need the dataset prepared in advance."
            ) from None
        shape = tuple(features[self.image_key].shape)
        self.spec = DatasetSpec(
            name, split, shape, int(examples),
            features["label"].num_classes if self.label_key else None, self.label_key is not None,
        )

    def elements(self):
        image_key, label_key = self.image_key, self.label_key
        return self._ds.map(
            lambda ex: (ex[image_key], tf.cast(ex[label_key], tf.int32) if label_key else tf.constant(-1, tf.int32))
        )


def _first_line(e):
    text = str(e).strip().splitlines()
    return text[0][:300] if text else type(e).__name__


# ------------------------------------------------------------------ resolving


def resolve_source(source="mnist_embedded", split="train", *, labels=None, value_range=None,
                   num_classes=None, cache_dir=None, tfds_data_dir=None, download=False, channels=None):
    """Turns a name, path or array into a ``Source`` (see the module docstring)."""
    if isinstance(source, Source):
        return source
    if isinstance(source, np.ndarray) or tf.is_tensor(source):
        return ArraySource(np.asarray(source), labels, value_range, num_classes, split=split)
    if not isinstance(source, (str, os.PathLike)):
        raise DataError(
            f"A dataset source is a name, a path or an array; got {type(source).__name__}."
        )
    source = os.fspath(source)
    if source in LOCAL_NAMES:
        _check_split(split, source)
        return _local_source(source, split, num_classes, cache_dir, tfds_data_dir, download)
    if source.startswith("tfds:"):
        return TFDSSource(source[5:], split, tfds_data_dir, download)
    if os.path.isdir(source):
        return FolderSource(source, channels)
    if source.endswith(".npz"):
        if not os.path.exists(source):
            raise DataError(f"No such file: {source}.")
        return _npz_source(source, split, num_classes, os.path.basename(source))
    if os.sep in source or os.path.splitext(source)[1]:
        raise DataError(f"{source!r} is neither an existing folder of images nor an existing .npz file.")
    import tensorflow_datasets as tfds

    if source in tfds.list_builders(with_community_datasets=False):  # community ones would ask the network
        return TFDSSource(source, split, tfds_data_dir, download)
    raise DataError(
        f"Unknown dataset {source!r}. Use one of {', '.join(LOCAL_NAMES)}, a TFDS name "
        "(e.g. tfds:cifar10), a folder of images, a .npz file or NumPy arrays."
    )


def _check_split(split, name):
    if split not in SPLITS:
        raise DataError(f"Dataset {name!r} has splits {SPLITS}; got split={split!r}.")


def _local_source(name, split, num_classes, cache_dir, tfds_data_dir, download):
    if name == "mnist_embedded":
        with open(EMBEDDED_PATH, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if digest != EMBEDDED_SHA256:
            raise DatasetUnavailableError(
                f"The embedded MNIST file {EMBEDDED_PATH} is corrupt (sha256 {digest}); "
                "reinstall the package or `git checkout` the file."
            )
        return _npz_source(EMBEDDED_PATH, split, num_classes or 10, name)
    from recipes import fetch  # not at module level: `python -m recipes.fetch` would warn

    path = fetch.dataset_path(name, cache_dir)
    if os.path.exists(path):
        return _npz_source(path, split, num_classes or 10, name)
    try:
        return TFDSSource(name, split, tfds_data_dir, download)
    except DatasetUnavailableError:
        raise DatasetUnavailableError(
            f"Dataset {name!r} is not on this machine. Fetch it once with "
            f"`python -m recipes.fetch {name}` (it lands in {os.path.dirname(path)}), or prepare "
            f"it with TFDS, or use 'mnist_embedded' which ships with the zoo."
        ) from None


def load_dataset(source="mnist_embedded", split="train", batch_size=64, *, shuffle=True, seed=None,
                 image_size=None, channels=None, with_labels=False, drop_remainder=True, repeat=False,
                 labels=None, value_range=None, num_classes=None, cache_dir=None, tfds_data_dir=None,
                 download=False, shuffle_buffer=10_000):
    """A batched, shuffled, prefetched ``tf.data.Dataset`` of images in [-1, 1].

    Args:
        source: a name (``mnist_embedded``, ``mnist``, ``fashion_mnist``, ``tfds:NAME``
            or a TFDS name), a folder of images, a ``.npz`` path or an array of images.
        split: ``"train"`` or ``"test"`` (TFDS accepts its own split syntax).
        batch_size: examples per batch.
        shuffle, seed, shuffle_buffer: shuffling (reshuffled every epoch).
        image_size: ``int`` or ``(height, width)`` to resize to; ``None`` keeps the size.
        channels: 1 or 3 to convert grey <-> RGB; ``None`` keeps them (RGBA -> RGB).
        with_labels: yield ``(images, labels)`` instead of images.
        drop_remainder: drop the last partial batch (on by default: GAN steps
            assume full batches, and distribution strategies need them).
        repeat: repeat forever (use ``steps_per_epoch`` in ``fit``).
        labels, value_range, num_classes: for arrays: the labels, the range of
            float pixels (e.g. ``(0, 1)``), and the label count to check against.
        cache_dir: the zoo cache (default ``$GANZOO_HOME`` or ``~/.cache/ganzoo``).
        tfds_data_dir, download: passed to ``tfds.load``.

    Returns:
        A ``tf.data.Dataset`` of float32 ``(batch, H, W, C)`` images (and int32 labels).
    """
    src = resolve_source(source, split, labels=labels, value_range=value_range, num_classes=num_classes,
                         cache_dir=cache_dir, tfds_data_dir=tfds_data_dir, download=download,
                         channels=channels)
    return make_pipeline(src, batch_size, shuffle=shuffle, seed=seed, image_size=image_size,
                         channels=channels, with_labels=with_labels, drop_remainder=drop_remainder,
                         repeat=repeat, shuffle_buffer=shuffle_buffer)


def output_shape(spec, image_size=None, channels=None):
    """The image shape ``load_dataset`` yields for ``spec`` with these options."""
    h, w, c = spec.image_shape
    if image_size is not None:
        h, w = _check_image_size(image_size)
    if channels is not None:
        c = _check_channels(channels)
    elif c == 4:
        c = 3
    return (h, w, c)


def _check_image_size(image_size):
    size = (image_size, image_size) if isinstance(image_size, (int, np.integer)) else image_size
    try:
        h, w = (int(s) for s in size)
    except (TypeError, ValueError):
        raise DataError(f"image_size must be an int or (height, width); got {image_size!r}.") from None
    if h < 1 or w < 1 or isinstance(image_size, bool):
        raise DataError(f"image_size must be positive; got {image_size!r}.")
    return h, w


def _check_channels(channels):
    if channels not in (1, 3):
        raise DataError(f"channels must be 1 (grey) or 3 (RGB); got {channels!r}.")
    return channels


def make_pipeline(src, batch_size, *, shuffle=True, seed=None, image_size=None, channels=None,
                  with_labels=False, drop_remainder=True, repeat=False, shuffle_buffer=10_000):
    """Batches, shuffles, scales and prefetches the elements of a resolved ``Source``."""
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise DataError(f"batch_size must be a positive integer; got {batch_size!r}.")
    spec = src.spec
    if drop_remainder and batch_size > spec.num_examples:
        raise DataError(
            f"batch_size={batch_size} is larger than the {spec.num_examples} examples of "
            f"{spec.name!r}/{spec.split}: use a smaller batch or drop_remainder=False."
        )
    if with_labels and not spec.has_labels:
        raise DataError(f"Dataset {spec.name!r} has no labels; use with_labels=False.")
    if spec.image_shape[0] is None and image_size is None:
        raise DataError(f"Images of {spec.name!r} vary in size: pass image_size=(height, width).")
    target = output_shape(spec, image_size, channels)
    in_channels = spec.image_shape[-1]

    def convert(images, labels):
        x = src.to_unit_range(images)
        if in_channels == 4:
            x = x[..., :3]
        if target[-1] == 3 and x.shape[-1] == 1:
            x = tf.image.grayscale_to_rgb(x)
        elif target[-1] == 1 and x.shape[-1] == 3:
            x = tf.image.rgb_to_grayscale(x)
        if tuple(x.shape[1:3]) != target[:2]:
            x = tf.clip_by_value(tf.image.resize(x, target[:2], antialias=True), -1.0, 1.0)
        x = tf.ensure_shape(x, (None, *target))
        return (x, labels) if with_labels else x

    ds = src.elements()
    if shuffle:
        ds = ds.shuffle(min(shuffle_buffer, spec.num_examples), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    ds = ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE)
    return prefetched(ds)


def prefetched(ds, buffer_size=tf.data.AUTOTUNE):
    """``ds`` prefetched, with tf.data's autotuning off (``AUTOTUNE`` parallelism stays at the CPU count).

    The autotuning thread can hold the deletion of an iterator, which ends every ``fit`` call, for
    seconds to tens of seconds after the last step (TensorFlow 2.21, seen on 2-core machines): a
    training run would wait that long before it saves.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.prefetch(buffer_size).with_options(options)


__all__ = ["load_dataset", "resolve_source", "make_pipeline", "prefetched", "output_shape", "DatasetSpec"]
