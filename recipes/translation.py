"""Image-to-image data: paired (pix2pix) and unpaired (CycleGAN) batches from the data layer.

    >>> from recipes.translation import load_translation
    >>> data = load_translation("edges2fashion_mnist", batch_size=16)    # (edges, images) pairs
    >>> data = load_translation("mnist2fashion_mnist", batch_size=16)    # (digits, clothes), unpaired
    >>> data = load_translation("cycle_gan/horse2zebra", image_size=256)  # TFDS or the original zip
    >>> gan.fit(data.dataset, epochs=5)

No translation dataset can be had offline here, so the built-in tasks are made
from MNIST / Fashion-MNIST (``recipes.data.resolve_source``: the embedded
MNIST, or the cache filled by ``python -m recipes.fetch mnist fashion_mnist``):

* Paired, ``edges2<source>`` (``edges2mnist_embedded``, ``edges2mnist``,
  ``edges2fashion_mnist``): the input is the binary Sobel edge map of the image
  (gradient magnitude above ``EDGE_THRESHOLD`` x the image's maximum: edges
  +1, background -1), the target the image itself, as pix2pix's edges2shoes /
  edges2handbags (whose edges came from HED). The edges are computed once, at 28x28.
* Unpaired: ``mnist2fashion_mnist`` (A: digits, B: clothes) and
  ``<source>2inverted_<source>`` (``mnist2inverted_mnist``,
  ``mnist_embedded2inverted_mnist_embedded``): A is the first half of the
  split, B the *second* half with inverted grey levels, so no digit of A has its
  inverted copy in B (the pairing cannot leak).
* MNIST-sized tasks are padded from 28x28 to 32x32 by default (the U-Net needs
  sizes divisible by 2**depth) by mirroring the 2-pixel border, which is the
  background (black for digits, white for inverted digits): ``image_size`` None
  or 32 pads, 28 keeps 28x28, anything else resizes the padded images.

Real datasets, one name away (they need ``image_size``, e.g. 256):

* ``cycle_gan/<name>`` (horse2zebra, apple2orange, summer2winter_yosemite,
  monet2photo, ...): unpaired, splits ``train`` -> trainA/trainB and ``test`` ->
  testA/testB. Read from ``<cache>/datasets/cycle_gan/<name>/{trainA,trainB,testA,testB}``
  (the layout of the original ``<name>.zip``) when it is there, else from TFDS
  ``cycle_gan/<name>`` when it is prepared; otherwise a ``DatasetUnavailableError``
  says how to get either.
* ``pix2pix/<name>`` (facades, maps, cityscapes, edges2shoes, edges2handbags,
  night2day): paired, the original ``<name>.tar.gz`` layout, one side-by-side
  ``A|B`` image per pair in ``<cache>/datasets/pix2pix/<name>/<split>/``; the
  translation direction is the paper's (facades and cityscapes: B -> A).
* ``side_by_side:/path/to/folder`` (paired ``A|B`` images) and
  ``unpaired:/path/to/root`` (``trainA``/``trainB``/``testA``/``testB`` folders):
  your own data. Append ``#b2a`` to a paired name to translate right -> left.

A batch is a tuple of two float32 NHWC tensors in [-1, 1]: ``(inputs,
targets)`` for paired data, ``(images_a, images_b)`` for unpaired data (each
side shuffled on its own).

``translation_data`` is the data ``recipes.train.run`` (so ``python -m
recipes.train``) trains the translation variants on; ``TranslationGrid`` (a
``zoo.SampleGrid``) writes grids of input, translation, target / cycle.
"""

import dataclasses
import os

import numpy as np
import tensorflow as tf

from recipes.data import IMAGE_EXTENSIONS, TFDSSource, make_pipeline, prefetched, resolve_source
from recipes.training import RunError, TrainingData
from zoo.callbacks import SampleGrid
from zoo.errors import DataError, DatasetUnavailableError

EDGE_THRESHOLD = 0.25
MNIST_SIZE, PADDED_SIZE = 28, 32
EDGE_SOURCES = ("mnist_embedded", "mnist", "fashion_mnist")
UNPAIRED_TASKS = {
    "mnist2fashion_mnist": ("mnist", "fashion_mnist", None),
    "mnist2inverted_mnist": ("mnist", "mnist", "invert"),
    "mnist_embedded2inverted_mnist_embedded": ("mnist_embedded", "mnist_embedded", "invert"),
    "fashion_mnist2inverted_fashion_mnist": ("fashion_mnist", "fashion_mnist", "invert"),
}
PAIRED_TASKS = {f"edges2{s}": s for s in EDGE_SOURCES}
# pix2pix's datasets (https://efrosgans.eecs.berkeley.edu/pix2pix/datasets/<name>.tar.gz): the paper's direction.
PIX2PIX_DATASETS = {"facades": "b2a", "cityscapes": "b2a", "maps": "a2b", "edges2shoes": "a2b",
                    "edges2handbags": "a2b", "night2day": "a2b"}
PIX2PIX_URL = "https://efrosgans.eecs.berkeley.edu/pix2pix/datasets/{}.tar.gz"
CYCLEGAN_URL = "https://efrosgans.eecs.berkeley.edu/cyclegan/datasets/{}.zip"
CYCLEGAN_SPLITS = {"train": ("trainA", "trainB"), "test": ("testA", "testB")}


@dataclasses.dataclass
class TranslationData:
    """A batched dataset of image pairs and what it holds.

    ``kind``: "paired" (``(inputs, targets)``) or "unpaired" (``(images_a, images_b)``);
    ``shapes``: the per-sample shapes of the two halves; ``num_examples``: pairs per epoch
    (unpaired: the smaller domain); ``names``: what the two halves are.
    """

    name: str
    split: str
    kind: str
    dataset: tf.data.Dataset
    shapes: tuple
    num_examples: int
    names: tuple


def task_names():
    """The built-in task names (the real datasets are named by prefix, see the module docstring)."""
    return sorted(PAIRED_TASKS) + sorted(UNPAIRED_TASKS)


# ------------------------------------------------------------------ edges, arrays


def sobel_edges(images, threshold=EDGE_THRESHOLD, chunk=4096):
    """Binary Sobel edge maps of uint8 images ``(n, H, W, 1)`` -> uint8 ``(n, H, W, 1)`` of 0/255.

    A pixel is an edge where the gradient magnitude of the [0, 1] image exceeds
    ``threshold`` times that image's largest magnitude (an empty image has no edges).
    """
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 1:
        raise DataError(f"sobel_edges takes grey images (n, H, W, 1); got shape {images.shape}.")
    if not 0.0 < threshold < 1.0:
        raise DataError(f"The edge threshold is a fraction of the largest gradient in (0, 1); got {threshold!r}.")
    out = np.empty(images.shape, np.uint8)
    for i in range(0, len(images), chunk):
        x = images[i:i + chunk, ..., 0].astype(np.float32) / 255.0
        p = np.pad(x, ((0, 0), (1, 1), (1, 1)), mode="edge")
        right, left = p[:, :, 2:], p[:, :, :-2]  # Sobel: [1 2 1] smoothing across, [-1 0 1] along
        gx = (right[:, :-2] + 2 * right[:, 1:-1] + right[:, 2:]) - (left[:, :-2] + 2 * left[:, 1:-1] + left[:, 2:])
        below, above = p[:, 2:], p[:, :-2]
        gy = (below[:, :, :-2] + 2 * below[:, :, 1:-1] + below[:, :, 2:]) - (
            above[:, :, :-2] + 2 * above[:, :, 1:-1] + above[:, :, 2:])
        magnitude = np.sqrt(gx**2 + gy**2)
        top = magnitude.max(axis=(1, 2), keepdims=True)
        edges = (magnitude > threshold * top) & (top > 0)
        out[i:i + chunk, ..., 0] = np.where(edges, 255, 0).astype(np.uint8)
    return out


def _source_arrays(name, split, cache_dir, tfds_data_dir=None, download=False):
    """``(uint8 images (n, 28, 28, 1), int32 labels)`` of one of the MNIST-like sources."""
    source = resolve_source(name, split, cache_dir=cache_dir, tfds_data_dir=tfds_data_dir, download=download)
    if hasattr(source, "images"):
        images, labels = source.images, source.labels
    else:  # TFDS-prepared MNIST: read it once
        batches = list(source.elements().batch(10_000).as_numpy_iterator())
        images, labels = np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])
    images = np.asarray(images, np.uint8)
    if images.ndim == 3:
        images = images[..., None]
    labels = np.full(len(images), -1, np.int32) if labels is None else np.asarray(labels, np.int32)
    return images, labels


def task_arrays(name, split="train", cache_dir=None, tfds_data_dir=None, download=False):
    """The raw arrays of a built-in task: ``{"first", "second"}`` uint8 ``(n, 28, 28, 1)`` images and
    ``{"first_labels", "second_labels"}`` (class labels of the underlying images; -1 where unknown).

    Paired tasks: ``first`` = edges, ``second`` = images (same order). Unpaired: domains A and B.
    """
    if name in PAIRED_TASKS:
        images, labels = _source_arrays(PAIRED_TASKS[name], split, cache_dir, tfds_data_dir, download)
        return {"first": sobel_edges(images), "second": images, "first_labels": labels, "second_labels": labels}
    if name in UNPAIRED_TASKS:
        a_name, b_name, transform = UNPAIRED_TASKS[name]
        a, a_labels = _source_arrays(a_name, split, cache_dir, tfds_data_dir, download)
        if transform == "invert":  # disjoint halves: A = first half as is, B = second half inverted
            half = len(a) // 2
            b, b_labels = 255 - a[half:], a_labels[half:]
            a, a_labels = a[:half], a_labels[:half]
        else:
            b, b_labels = _source_arrays(b_name, split, cache_dir, tfds_data_dir, download)
        return {"first": a, "second": b, "first_labels": a_labels, "second_labels": b_labels}
    raise DataError(f"{name!r} is not a built-in translation task; known: {', '.join(task_names())}.")


def _size_plan(image_size):
    """What to do with 28x28 images: ``("pad", 32)``, ``("keep", 28)`` or ``("resize", (h, w))``."""
    if image_size is None or image_size == PADDED_SIZE or tuple(np.atleast_1d(image_size)) == (PADDED_SIZE,) * 2:
        return "pad", (PADDED_SIZE, PADDED_SIZE)
    size = (image_size, image_size) if isinstance(image_size, (int, np.integer)) else tuple(image_size)
    if len(size) != 2 or not all(isinstance(s, (int, np.integer)) and s > 0 for s in size) or \
            isinstance(image_size, bool):
        raise DataError(f"image_size must be a positive int or (height, width); got {image_size!r}.")
    return ("keep" if size == (MNIST_SIZE, MNIST_SIZE) else "resize"), size


def to_model_range(images, image_size=None, channels=None):
    """uint8 28x28 images -> float32 in [-1, 1], padded to 32x32 (default; the border mirrored), kept, or resized.

    Works on NumPy arrays and inside ``tf.data`` (batched tensors).
    """
    plan, size = _size_plan(image_size)
    x = tf.cast(images, tf.float32) / 127.5 - 1.0
    if plan in ("pad", "resize"):
        pad = (PADDED_SIZE - MNIST_SIZE) // 2
        # Mirror the border: that is the background of MNIST-like images (black, or white once inverted).
        x = tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="SYMMETRIC")
    if plan == "resize":
        x = tf.clip_by_value(tf.image.resize(x, size, antialias=True), -1.0, 1.0)
    if channels == 3 and x.shape[-1] == 1:
        x = tf.image.grayscale_to_rgb(x)
    elif channels not in (None, 1, 3):
        raise DataError(f"channels must be 1 or 3; got {channels!r}.")
    return x.numpy() if isinstance(images, np.ndarray) else x


# ------------------------------------------------------------------ loading


def load_translation(name, split="train", batch_size=64, *, image_size=None, channels=None, shuffle=True,
                     seed=None, repeat=False, drop_remainder=True, cache_dir=None, tfds_data_dir=None,
                     download=False, shuffle_buffer=10_000):
    """A ``TranslationData`` of batched image pairs (see the module docstring for the names)."""
    if not isinstance(name, str):
        raise DataError(f"A translation dataset is named by a string; got {type(name).__name__}.")
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise DataError(f"batch_size must be a positive integer; got {batch_size!r}.")
    base, _, direction = name.partition("#")
    if direction and direction not in ("a2b", "b2a"):
        raise DataError(f"A paired dataset's direction suffix is '#a2b' or '#b2a'; got {name!r}.")
    opts = dict(shuffle=shuffle, seed=seed, repeat=repeat, drop_remainder=drop_remainder,
                shuffle_buffer=shuffle_buffer)
    if base in PAIRED_TASKS or base in UNPAIRED_TASKS:
        if direction:
            raise DataError(f"{base!r} has a fixed direction; drop {'#' + direction!r}.")
        arrays = task_arrays(base, split, cache_dir, tfds_data_dir, download)
        if base in PAIRED_TASKS:
            pairs = tf.data.Dataset.from_tensor_slices((arrays["first"], arrays["second"]))
            ds = _batch(pairs, len(arrays["first"]), batch_size, **opts)
            kind, names, count = "paired", ("edges", "images"), len(arrays["first"])
        else:
            ds_a = _batch(tf.data.Dataset.from_tensor_slices(arrays["first"]), len(arrays["first"]), batch_size,
                          **opts)
            opts_b = dict(opts, seed=None if seed is None else seed + 1)  # independent orders
            ds_b = _batch(tf.data.Dataset.from_tensor_slices(arrays["second"]), len(arrays["second"]), batch_size,
                          **opts_b)
            ds = tf.data.Dataset.zip((ds_a, ds_b))
            kind, names = "unpaired", ("A", "B")
            count = min(len(arrays["first"]), len(arrays["second"]))
        ds = prefetched(ds.map(
            lambda a, b: (to_model_range(a, image_size, channels), to_model_range(b, image_size, channels)),
            num_parallel_calls=tf.data.AUTOTUNE))
        shape = (*_size_plan(image_size)[1], channels or 1)
        return TranslationData(base, split, kind, ds, (shape, shape), count, names)
    if base.startswith("cycle_gan/") or base.startswith("unpaired:"):
        if direction:
            raise DataError(f"Unpaired data has two directions already (CycleGAN.translate(direction=)); drop "
                            f"{'#' + direction!r}.")
        return _unpaired_real(base, split, batch_size, image_size, channels, cache_dir, tfds_data_dir, download,
                              opts)
    if base.startswith("pix2pix/") or base.startswith("side_by_side:"):
        return _side_by_side(base, split, batch_size, image_size, channels, direction, cache_dir, opts)
    raise DataError(
        f"Unknown translation dataset {name!r}. Built-in tasks: {', '.join(task_names())}; real data: "
        "cycle_gan/<name> (e.g. cycle_gan/horse2zebra), pix2pix/<name> (e.g. pix2pix/facades), "
        "side_by_side:/folder (paired A|B images) or unpaired:/root (trainA/trainB/testA/testB folders)."
    )


def _batch(ds, count, batch_size, *, shuffle, seed, repeat, drop_remainder, shuffle_buffer):
    if drop_remainder and batch_size > count:
        raise DataError(f"batch_size={batch_size} is larger than the {count} examples: use a smaller batch.")
    if shuffle:
        ds = ds.shuffle(min(shuffle_buffer, count), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder=drop_remainder)


def _unpaired_real(name, split, batch_size, image_size, channels, cache_dir, tfds_data_dir, download, opts):
    """CycleGAN data: the original zip layout (trainA/trainB/testA/testB folders), else TFDS."""
    from zoo.io import cache_dir as zoo_cache

    if split not in CYCLEGAN_SPLITS:
        raise DataError(f"Unpaired datasets have splits {tuple(CYCLEGAN_SPLITS)} (-> trainA/trainB, testA/testB); "
                        f"got split={split!r}.")
    folders = CYCLEGAN_SPLITS[split]
    if name.startswith("unpaired:"):
        root = name[len("unpaired:"):]
        if not all(os.path.isdir(os.path.join(root, f)) for f in folders):
            raise DataError(f"{root!r} must hold the folders {folders[0]} and {folders[1]} of images (the layout of "
                            "CycleGAN's dataset zips).")
        sources = [resolve_source(os.path.join(root, f), channels=channels) for f in folders]
    else:
        short = name[len("cycle_gan/"):]
        root = os.path.join(zoo_cache(cache_dir), "datasets", "cycle_gan", short)
        if all(os.path.isdir(os.path.join(root, f)) for f in folders):
            sources = [resolve_source(os.path.join(root, f), channels=channels) for f in folders]
        else:
            try:
                sources = [TFDSSource(name, f, tfds_data_dir, download) for f in folders]
            except (DatasetUnavailableError, ImportError) as e:
                raise DatasetUnavailableError(
                    f"The unpaired dataset {name!r} is not on this machine. Two ways to get it: (1) download "
                    f"{CYCLEGAN_URL.format(short)} where there is internet and unzip it into "
                    f"{os.path.dirname(root)}, so that {root}/trainA, trainB, testA and testB exist; or (2) run "
                    f"`tfds build {name}` where there is internet and copy the TFDS data dir here "
                    "(tfds_data_dir=...), or pass download=True (--download) where TFDS can download. "
                    f"TFDS said: {e}"
                ) from None
    a, b = (make_pipeline(s, batch_size, image_size=image_size, channels=channels, **dict(
        opts, seed=None if opts["seed"] is None else opts["seed"] + i)) for i, s in enumerate(sources))
    shape_a = (*(a.element_spec.shape[1:3]), a.element_spec.shape[-1])
    shape_b = (*(b.element_spec.shape[1:3]), b.element_spec.shape[-1])
    count = min(s.spec.num_examples for s in sources)
    return TranslationData(name, split, "unpaired", tf.data.Dataset.zip((a, b)), (tuple(shape_a), tuple(shape_b)),
                           count, ("A", "B"))


def _side_by_side(name, split, batch_size, image_size, channels, direction, cache_dir, opts):
    """pix2pix data: a folder of side-by-side ``A|B`` images, split down the middle."""
    from zoo.io import cache_dir as zoo_cache

    if name.startswith("side_by_side:"):
        folder = name[len("side_by_side:"):]
        direction = direction or "a2b"
        if not os.path.isdir(folder):
            raise DataError(f"{folder!r} is not a folder of side-by-side A|B images.")
    else:
        short = name[len("pix2pix/"):]
        direction = direction or PIX2PIX_DATASETS.get(short, "a2b")
        folder = os.path.join(zoo_cache(cache_dir), "datasets", "pix2pix", short, split)
        if not os.path.isdir(folder):
            raise DatasetUnavailableError(
                f"The paired dataset {name!r} (split {split!r}) is not on this machine: {folder} does not exist. "
                f"TFDS has no pix2pix datasets; download {PIX2PIX_URL.format(short)} where there is internet "
                f"and extract it into {os.path.dirname(os.path.dirname(folder))} (it unpacks to "
                f"{short}/train, {short}/val, {short}/test of side-by-side A|B images), or pass "
                "'side_by_side:/path/to/folder' for your own pairs."
            )
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))
    if not files:
        raise DataError(f"{folder!r} holds no images ({', '.join(IMAGE_EXTENSIONS)}).")
    first = tf.io.decode_image(tf.io.read_file(files[0]), expand_animations=False)
    h, w, c = (int(d) for d in first.shape)
    if w % 2:
        raise DataError(f"{files[0]} is {w} pixels wide: a side-by-side pair has an even width (A | B).")
    size = (h, w // 2) if image_size is None else _size_plan(image_size)[1]
    out_c = channels or (1 if c == 1 else 3)

    def decode(path):
        image = tf.io.decode_image(tf.io.read_file(path), channels=out_c, expand_animations=False)
        half = tf.shape(image)[1] // 2
        left, right = image[:, :half], image[:, half:2 * half]
        resize = lambda x: tf.image.resize(tf.cast(x, tf.float32), size, antialias=True)  # noqa: E731
        return resize(left), resize(right)

    def scale(a, b):
        a, b = (tf.clip_by_value(x / 127.5 - 1.0, -1.0, 1.0) for x in (a, b))
        a, b = (tf.ensure_shape(x, (None, *size, out_c)) for x in (a, b))
        return (a, b) if direction == "a2b" else (b, a)

    ds = tf.data.Dataset.from_tensor_slices(files)
    ds = _batch(ds, len(files), batch_size, **opts)
    ds = ds.map(lambda paths: tf.map_fn(decode, paths, fn_output_signature=(tf.float32, tf.float32)),
                num_parallel_calls=tf.data.AUTOTUNE)
    ds = prefetched(ds.map(scale))
    shape = (*size, out_c)
    names = ("A", "B") if direction == "a2b" else ("B", "A")
    return TranslationData(name, split, "paired", ds, (shape, shape), len(files), names)


# ------------------------------------------------------------------ training


def translation_rows(gan, first, second):
    """Grid rows for ``first``/``second`` (float arrays): paired: input | translation | target;
    unpaired: a | a2b | cycled a | b | b2a | cycled b. Returns ``(images, cols)``."""
    if gan.translation == "paired":
        columns = [first, gan.translate(first), second]
    else:
        a2b, b2a = gan.translate(first, "a2b"), gan.translate(second, "b2a")
        columns = [first, a2b, gan.translate(a2b, "b2a"), second, b2a, gan.translate(b2a, "a2b")]
    channels = max(c.shape[-1] for c in columns)
    columns = [np.repeat(c, channels, axis=-1) if c.shape[-1] != channels else c for c in columns]
    return np.stack(columns, axis=1).reshape(-1, *columns[0].shape[1:]), len(columns)


class TranslationGrid(SampleGrid):
    """``SampleGrid`` for translators: one row per fixed example (``translation_rows``).

    ``first``/``second``: float arrays in [-1, 1], (inputs, targets) or (images A, images B).
    """

    def __init__(self, directory, first, second, every=1, scale=1):
        super().__init__(directory, n=len(first), every=every, scale=scale)
        self.first, self.second = first, second

    def grid(self):
        return translation_rows(self.model, self.first, self.second)


def translation_data(config, cache_dir=None, download=False):
    """``recipes.training.TrainingData`` for the translators (pix2pix, CycleGAN): batches of image pairs,
    a ``TranslationGrid`` of fixed examples, and CycleGAN's ``generator_b2a.keras``."""
    from zoo.registry import get_variant

    cls = get_variant(config.variant)
    load = dict(image_size=config.image_size, channels=config.channels, cache_dir=cache_dir, download=download)
    data = load_translation(config.dataset, config.split, config.batch_size, seed=config.seed, repeat=True, **load)
    if data.kind != cls.translation:
        raise RunError(f"Variant {config.variant!r} trains on {cls.translation} data, but {config.dataset!r} is "
                       f"{data.kind}: choose a {cls.translation} dataset (e.g. "
                       f"{'edges2fashion_mnist' if cls.translation == 'paired' else 'mnist2fashion_mnist'}).")
    rows = max(1, min(8, config.samples // 3))
    fixed = load_translation(config.dataset, config.split, rows, shuffle=False, **load).dataset
    first, second = (np.asarray(t) for t in next(iter(fixed)))
    options = dict(config.model)
    if data.kind == "paired" and "input_channels" not in options:
        options["input_channels"] = data.shapes[0][-1]
    return TrainingData(
        dataset=data.dataset, num_examples=data.num_examples, image_shape=data.shapes[1], model_options=options,
        grid=lambda directory, scale=1: TranslationGrid(directory, first, second, scale=scale),
        summary={"name": data.name, "split": data.split, "kind": data.kind, "num_examples": data.num_examples,
                 "shapes": [list(s) for s in data.shapes], "halves": list(data.names)},
        extra_models={"generator_b2a.keras": "generator_b2a"} if data.kind == "unpaired" else {},
    )
