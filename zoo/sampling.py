"""Sampling from a generator: reproducible latents, labels and batched generation.

``Sampler`` is shared by the training model (``zoo.GAN``) and the pretrained
generators (``zoo.load``): anything with a ``generator`` (a Keras model with an
input ``z``, or whose first input is ``z``) and a ``latent_distribution`` gets
``latents`` and ``generate``. A class-conditional generator (an int input
named ``labels`` that feeds an ``Embedding`` or ``CategoryEncoding`` layer,
which records the class count) also gets ``num_classes`` and
``generate(..., labels=...)``. An InfoGAN-style generator (a float input named
``codes``: a one-hot categorical code followed by continuous codes) gets
``code_split``, ``generate(..., codes= | categorical=, continuous=)`` and
``sweep_inputs`` (rows = categorical value, columns = one continuous code swept).
A generator with noise inputs (float inputs named ``noise_*``, e.g. StyleGAN's
per-layer noise) gets N(0, 1) noise drawn from the seed for every such input
that ``generate(..., noise=)`` does not give (``noise="zero"`` for none).
"""

import os

import numpy as np
from keras import ops

from zoo.errors import ConfigError, DataError

LABELS = "labels"
CODES = "codes"
NOISE_PREFIX = "noise_"
# The InfoGAN generator records its code split in the name of an Identity layer on ``codes``.
_CODE_SPLIT_PREFIX = "codes_split_"
# Layers whose first argument is a class index, and the attribute holding the class count.
_CLASS_COUNT_ATTRS = (("Embedding", "input_dim"), ("CategoryEncoding", "num_tokens"))


def class_count(model, input_name=LABELS, max_depth=3):
    """The class count of ``model``'s integer input ``input_name``: the size of the first
    Embedding/CategoryEncoding it feeds (within ``max_depth`` layers), or ``None``."""
    try:
        frontier = [model.get_layer(input_name)]
    except ValueError:
        return None
    for _ in range(max_depth):
        nxt = []
        for layer in frontier:
            for node in getattr(layer, "_outbound_nodes", []):
                op = node.operation
                for cls_name, attr in _CLASS_COUNT_ATTRS:
                    if type(op).__name__ == cls_name and getattr(op, attr, None):
                        return int(getattr(op, attr))
                nxt.append(op)
        frontier = nxt
    return None


def code_split(model):
    """``(categorical, continuous)`` sizes of ``model``'s ``codes`` input, or ``None``.

    Read from the layer named ``codes_split_<categorical>_<continuous>`` (see
    ``zoo.networks.infogan``); a ``codes`` input without it has an unknown split.
    """
    for layer in model.layers:
        name = layer.name
        if name.startswith(_CODE_SPLIT_PREFIX):
            parts = name[len(_CODE_SPLIT_PREFIX):].split("_")
            if len(parts) == 2 and all(p.isdigit() for p in parts):
                return int(parts[0]), int(parts[1])
    return None


def noise_inputs(model):
    """``[(name, shape without batch)]`` of ``model``'s float inputs named ``noise_*``, in input order."""
    return [(t.name, tuple(int(d) for d in t.shape[1:])) for t in model.inputs
            if t.name.startswith(NOISE_PREFIX) and "float" in str(t.dtype)]


def sweep_codes(categorical, continuous, index=0, cols=9, low=-2.0, high=2.0):
    """Codes for a sweep grid: row ``r`` = categorical value ``r``; columns sweep continuous code
    ``index`` over ``linspace(low, high, cols)``; the other continuous codes are 0.

    Returns a float32 array ``(categorical * cols, categorical + continuous)``, row-major.
    """
    if not isinstance(index, (int, np.integer)) or isinstance(index, bool) or not 0 <= index < continuous:
        raise DataError(f"index must be a continuous code in [0, {continuous - 1}]; got {index!r}.")
    if not isinstance(cols, (int, np.integer)) or isinstance(cols, bool) or cols < 1:
        raise DataError(f"cols must be a positive integer; got {cols!r}.")
    codes = np.zeros((categorical, cols, categorical + continuous), np.float32)
    codes[np.arange(categorical), :, np.arange(categorical)] = 1.0
    codes[:, :, categorical + index] = np.linspace(low, high, cols, dtype=np.float32)[None, :]
    return codes.reshape(categorical * cols, categorical + continuous)


class Sampler:
    """Mixin: ``latents(n, seed)`` and ``generate(n | z, seed, labels)`` for ``self.generator``.

    ``generate`` runs ``sampling_generator``: ``self.generator`` here, the EMA copy
    (same architecture, so the same inputs) for a ``zoo.GAN`` with ``ema_decay``.
    """

    latent_distribution = "normal"

    @property
    def sampling_generator(self):
        """The model that ``generate`` runs (``zoo.GAN`` returns its weight average when it keeps one)."""
        return self.generator

    def _input_names(self):
        return [t.name for t in self.generator.inputs]

    def _z_input(self):
        names = self._input_names()
        return self.generator.inputs[names.index("z") if "z" in names else 0]

    @property
    def latent_dim(self):
        return int(self._z_input().shape[-1])

    @property
    def sample_shape(self):
        """Shape of one generated sample (an image ``(H, W, C)`` or a vector ``(d,)``)."""
        return tuple(int(d) for d in self.generator.outputs[0].shape[1:])

    @property
    def conditional(self):
        """Whether the generator takes class ``labels`` besides ``z``."""
        return LABELS in self._input_names()

    @property
    def num_classes(self):
        """Number of classes of a conditional generator (``None`` if not conditional or unknown)."""
        return class_count(self.generator) if self.conditional else None

    @property
    def has_codes(self):
        """Whether the generator takes InfoGAN ``codes`` besides ``z``."""
        return CODES in self._input_names()

    @property
    def code_split(self):
        """``(categorical, continuous)`` code sizes (``None`` without codes or with an unknown split)."""
        return code_split(self.generator) if self.has_codes else None

    def _code_width(self):
        names = self._input_names()
        return int(self.generator.inputs[names.index(CODES)].shape[-1])

    @property
    def noise_inputs(self):
        """``[(name, shape)]`` of the generator's noise inputs (``noise_*``); empty for most generators."""
        return noise_inputs(self.generator)

    def noise(self, n, seed=None):
        """N(0, 1) values ``{name: (n, *shape) float32}`` for every noise input, reproducible for a fixed
        ``seed`` (a stream apart from the latents' and the codes')."""
        seed = check_seed(seed)
        rng = np.random.default_rng(None if seed is None else [seed, 2])
        return {name: rng.standard_normal((int(n), *shape), dtype=np.float32) for name, shape in self.noise_inputs}

    def latents(self, n, seed=None):
        """``n`` latent vectors as a NumPy array, reproducible for a fixed ``seed``."""
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise DataError(f"n must be a positive integer number of samples; got {n!r}.")
        rng = np.random.default_rng(check_seed(seed))
        shape = (int(n), self.latent_dim)
        if self.latent_distribution == "uniform":
            return rng.uniform(-1.0, 1.0, size=shape).astype("float32")
        return rng.standard_normal(shape, dtype=np.float32)

    def generate(self, n=None, z=None, seed=None, batch_size=256, labels=None, codes=None,
                 categorical=None, continuous=None, noise=None):
        """Samples (images in [-1, 1]) as a NumPy array of shape ``(n, *sample_shape)``.

        Give either ``n`` (latents drawn with ``seed``; the same seed gives the
        same images) or ``z`` (an array of shape ``(n, latent_dim)``).

        ``labels`` (conditional generators only): the class of each sample, an
        integer array of length ``n`` or one integer for all of them. Without
        it a conditional generator cycles through the classes (0, 1, 2, ...).
        The latents do not depend on the labels, so ``generate(n, seed=s,
        labels=k)`` for each class ``k`` draws every class from the same ``z``.

        InfoGAN generators (a ``codes`` input): ``codes`` is an array ``(n,
        categorical + continuous)`` (one-hot categorical code, then continuous
        codes), or give ``categorical`` (one int or ``n`` ints) and/or
        ``continuous`` (``(continuous,)`` for all samples or ``(n, continuous)``);
        what is not given is drawn (categorical uniformly, continuous from
        U(-1, 1)) from ``seed``, independently of ``z``.

        Generators with noise inputs (``noise_*``): ``noise=None`` or ``"random"`` draws
        N(0, 1) noise from ``seed`` (a stream apart from ``z``'s, so ``generate(z=z, seed=s)``
        is reproducible too); ``"zero"`` feeds zeros; a dict ``{name: array}`` gives some or
        all of them (``(n, *shape)``, or ``shape`` for every sample), the rest drawn.
        """
        if n is not None:
            check_sample_count(n, batch_size, 4 * (int(np.prod(self.sample_shape)) + self.latent_dim))
        inputs = self.model_inputs(n, z, seed, labels, codes, categorical, continuous, noise)
        count = len(inputs[0]) if isinstance(inputs, list) else len(inputs)
        check_sample_count(count, batch_size, 4 * int(np.prod(self.sample_shape)))
        out = []
        for i in range(0, count, batch_size):
            feed = [x[i : i + batch_size] for x in inputs] if isinstance(inputs, list) else inputs[i : i + batch_size]
            out.append(ops.convert_to_numpy(self.sampling_generator(feed, training=False)))
        return np.concatenate(out, axis=0)

    def model_inputs(self, n=None, z=None, seed=None, labels=None, codes=None, categorical=None, continuous=None,
                     noise=None):
        """What ``generate`` feeds the generator, checked: the latents ``(n, latent_dim)`` for a
        generator with one input, else one array per input in the generator's input order (labels,
        codes and noise drawn or checked as ``generate`` describes)."""
        z = self._check_latents(n, z, seed)
        labels = self._check_labels(labels, len(z))
        codes = self._check_codes(codes, categorical, continuous, len(z), seed)
        noise = self._check_noise(noise, len(z), seed)
        if labels is None and codes is None and not noise:
            return z
        by_name = {"z": z, LABELS: labels, CODES: codes, **(noise or {})}
        return [by_name[name] for name in self._input_names()]

    def grid_inputs(self, n, seed=None):
        """``(z, labels, cols)`` for a sample grid of about ``n`` images.

        Unconditional: ``n`` latents, ``labels=None``, ``cols=None`` (a square
        grid). Conditional: one row per class (the first ``n`` classes if there
        are more), ``cols = n // rows`` columns, and every row uses the same
        ``cols`` latents, so a column shows one ``z`` across the classes.
        """
        if not self.conditional or not self.num_classes:
            return self.latents(n, seed), None, None
        rows = min(self.num_classes, n)
        cols = max(1, n // rows)
        z = np.tile(self.latents(cols, seed), (rows, 1))
        labels = np.repeat(np.arange(rows, dtype=np.int32), cols)
        return z, labels, cols

    def grid_feed(self, n, seed=None):
        """``(generate kwargs, cols)`` for a sample grid of about ``n`` images (``SampleGrid``).

        Conditional and unconditional generators: ``grid_inputs``. InfoGAN generators: one row
        per categorical value, each column one fixed ``z`` and continuous codes, so a column
        shows one latent across the categorical values.
        """
        split = self.code_split
        if split is None:
            z, labels, cols = self.grid_inputs(n, seed)
            feed = {"z": z, "labels": labels}
        else:
            rows = min(split[0], n)
            cols = max(1, n // rows)
            z = np.tile(self.latents(cols, seed), (rows, 1))
            cont = np.tile(self._random_codes(cols, seed)[:, split[0]:], (rows, 1))
            feed = {"z": z, "categorical": np.repeat(np.arange(rows), cols), "continuous": cont}
        if self.noise_inputs:  # fixed noise too, so successive grids differ only by training
            feed["noise"] = self.noise(len(z), seed)
        return feed, cols

    def sweep_inputs(self, index=0, cols=9, low=-2.0, high=2.0, seed=None):
        """``(z, codes, cols)``: rows = categorical value, columns = continuous code ``index``
        swept over ``[low, high]`` (others 0), one fixed ``z`` for the whole grid.

        >>> z, codes, cols = gan.sweep_inputs(index=1)
        >>> save_grid(gan.generate(z=z, codes=codes), "sweep.png", cols=cols)
        """
        split = self._require_split("sweep_inputs()")
        codes = sweep_codes(split[0], split[1], index, cols, low, high)
        z = np.tile(self.latents(1, seed), (len(codes), 1))
        return z, codes, cols

    def _require_split(self, what):
        if not self.has_codes:
            raise DataError(f"This generator has no 'codes' input (it is not an InfoGAN): {what} does not "
                            "apply.")
        split = self.code_split
        if split is None:
            raise DataError(f"This generator's 'codes' input does not record its categorical/continuous "
                            f"split (no 'codes_split_<cat>_<cont>' layer): {what} needs it; pass codes= "
                            "as a full array instead.")
        return split

    def _random_codes(self, n, seed):
        """``n`` random codes: a uniform one-hot categorical code and U(-1, 1) continuous codes."""
        cat, cont = self._require_split("drawing random codes")
        seed = check_seed(seed)
        rng = np.random.default_rng(None if seed is None else [seed, 1])  # a stream apart from z's
        out = np.zeros((n, cat + cont), np.float32)
        out[np.arange(n), rng.integers(0, cat, n)] = 1.0
        out[:, cat:] = rng.uniform(-1.0, 1.0, (n, cont))
        return out

    def _check_codes(self, codes, categorical, continuous, n, seed):
        """The ``codes`` fed to an InfoGAN generator as float32 ``(n, width)``, or ``None``."""
        given = [k for k, v in (("codes", codes), ("categorical", categorical), ("continuous", continuous))
                 if v is not None]
        if not self.has_codes:
            if given:
                raise DataError(f"This generator has no 'codes' input (it is not an InfoGAN): call generate() "
                                f"without {' / '.join(given)}.")
            return None
        if codes is not None:
            if categorical is not None or continuous is not None:
                raise DataError("Give either codes= (the full array) or categorical=/continuous=, not both.")
            width = self._code_width()
            arr = float32_array(codes, "codes", f"({n}, {width})")
            if arr.shape != (n, width):
                raise DataError(f"codes must have shape ({n}, {width}) (one row per sample: one-hot "
                                f"categorical code, then continuous codes); got {arr.shape}.")
            split = self.code_split
            if split is not None:
                onehot = arr[:, :split[0]]
                if not (np.all((onehot == 0) | (onehot == 1)) and np.all(onehot.sum(1) == 1)):
                    raise DataError(f"The first {split[0]} columns of codes are the categorical code and must "
                                    "be one-hot (a single 1 per row); use categorical=INT to set it.")
            return arr
        cat, cont = self._require_split("categorical=/continuous=" if given else "drawing random codes")
        out = self._random_codes(n, seed)
        if categorical is not None:
            arr = np.asarray(categorical)
            if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
                raise DataError(f"categorical must be integer code values (0 to {cat - 1}); got {arr.dtype} "
                                f"values {_preview(arr)}.")
            if arr.ndim == 0:
                arr = np.full(n, arr)
            elif arr.shape != (n,):
                raise DataError(f"categorical must be one integer or {n} integers (one per sample); got "
                                f"shape {arr.shape}.")
            if np.any((arr < 0) | (arr >= cat)):
                raise DataError(f"categorical must lie in [0, {cat - 1}] ({cat} values); got "
                                f"{_preview(arr[(arr < 0) | (arr >= cat)])}.")
            out[:, :cat] = 0.0
            out[np.arange(n), arr] = 1.0
        if continuous is not None:
            arr = float32_array(continuous, "continuous", f"({cont},) or ({n}, {cont})")
            if arr.shape == (cont,):
                arr = np.tile(arr, (n, 1))
            if arr.shape != (n, cont):
                raise DataError(f"continuous must have shape ({cont},) (the same for every sample) or "
                                f"({n}, {cont}); got {arr.shape}.")
            out[:, cat:] = arr
        return out

    def _check_noise(self, noise, n, seed):
        """``{name: float32 (n, *shape)}`` for every noise input, or ``None`` without noise inputs."""
        specs = dict(self.noise_inputs)
        if not specs:
            if noise is not None:
                raise DataError("This generator has no noise inputs (none named 'noise_*'): call generate() "
                                "without noise.")
            return None
        if noise is None or (isinstance(noise, str) and noise == "random"):
            return self.noise(n, seed)
        if isinstance(noise, str) and noise == "zero":
            return {name: np.zeros((n, *shape), np.float32) for name, shape in specs.items()}
        if not isinstance(noise, dict):
            raise DataError(f"noise must be 'random' (drawn from seed), 'zero' or a dict {{name: array}} for the "
                            f"inputs {', '.join(specs)}; got {noise!r}.")
        unknown = sorted(set(noise) - set(specs))
        if unknown:
            raise DataError(f"noise has no input(s) {unknown}; this generator's noise inputs are "
                            f"{', '.join(specs)}.")
        out = self.noise(n, seed)  # drawn in full, so a given entry leaves the others' values unchanged
        for name, value in noise.items():
            shape = specs[name]
            arr = float32_array(value, f"noise[{name!r}]", str((n, *shape)))
            if arr.shape == shape:
                arr = np.broadcast_to(arr, (n, *shape))
            if arr.shape != (n, *shape):
                raise DataError(f"noise[{name!r}] must have shape {(n, *shape)} (or {shape} for every sample); "
                                f"got {arr.shape}.")
            out[name] = arr
        return out

    def _check_latents(self, n, z, seed):
        if (n is None) == (z is None):
            raise DataError("generate() takes exactly one of n (a number of samples) or z (latents).")
        if z is None:
            return self.latents(n, seed)
        z = float32_array(z, "z", f"(n, {self.latent_dim})")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise DataError(f"z must have shape (n, {self.latent_dim}); got {z.shape}.")
        if len(z) == 0:
            raise DataError(f"z holds no latents (shape {z.shape}): give at least one row.")
        return z

    def _check_labels(self, labels, n):
        """``labels`` as an int32 array of length ``n`` (or ``None`` for an unconditional generator)."""
        if not self.conditional:
            if labels is not None:
                raise DataError(
                    "This generator is not conditional (it has no 'labels' input): call generate() "
                    "without labels."
                )
            return None
        k = self.num_classes
        if labels is None:
            if k is None:
                raise DataError("This conditional generator needs labels=: an integer class per sample.")
            return (np.arange(n) % k).astype(np.int32)
        try:
            arr = np.asarray(labels)
        except (TypeError, ValueError):
            arr = np.asarray(labels, dtype=object)
        span = f"0 to {k - 1}" if k else "non-negative integers"
        integral = arr.dtype != bool and np.issubdtype(arr.dtype, np.number) and (
            np.issubdtype(arr.dtype, np.integer) or bool(np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))))
        if not integral:
            raise DataError(
                f"labels must be integer class indices ({span}); got {arr.dtype} values "
                f"{_preview(arr)}."
            )
        if arr.ndim == 0:
            arr = np.full(n, arr)
        elif arr.ndim != 1 or len(arr) != n:
            raise DataError(
                f"labels must be one integer or an array of {n} integers (one per sample); got shape "
                f"{arr.shape}."
            )
        bad = (arr < 0) | (arr >= k) if k else arr < 0
        if np.any(bad):
            raise DataError(
                f"labels must lie in [0, {k - 1}] (this generator has {k} classes); got "
                f"{_preview(arr[bad])}." if k else f"labels must be non-negative; got {_preview(arr[bad])}."
            )
        return arr.astype(np.int32)


MAX_SEED = 2**32 - 1


LATENT_DISTRIBUTIONS = ("normal", "uniform")


def check_latent_distribution(value):
    """``value`` if it names a latent distribution ``Sampler.latents`` draws from, else a ``ConfigError``."""
    if value not in LATENT_DISTRIBUTIONS:
        raise ConfigError(f"latent_distribution must be one of {LATENT_DISTRIBUTIONS}; got {value!r}.")
    return value


def check_seed(seed, error=DataError):
    """``seed`` as an int in [0, 2**32 - 1] (or ``None``); anything else raises ``error`` saying so."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise error(f"seed must be None or an integer in [0, {MAX_SEED}]; got {seed!r}.")
    return int(seed)


def float32_array(value, what, expected):
    """``value`` as a float32 NumPy array, or a ``DataError`` naming ``what`` and the ``expected`` shape.

    Refuses what would otherwise pass silently wrong: complex numbers (the imaginary part would be
    dropped), non-numeric objects, and values that are not finite once cast to float32 (NaN, Inf, and
    magnitudes above 3.4e38 that the cast turns into Inf).
    """
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        arr = np.asarray(value, dtype=object)
    if np.iscomplexobj(arr):
        raise DataError(f"{what} must be real numbers; got complex values (their imaginary part would be lost).")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise DataError(f"{what} must be a numeric array of shape {expected}; got {arr.dtype} values.")
    with np.errstate(over="ignore", invalid="ignore"):
        arr = arr.astype(np.float32)
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{what} must be finite numbers (no NaN or Inf), within float32's range (|x| < 3.4e38).")
    return arr


def check_sample_count(n, batch_size, bytes_per_sample):
    """Refuses ``n`` / ``batch_size`` that are not positive integers, or outputs larger than this machine's memory."""
    for name, value in (("n", n), ("batch_size", batch_size)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            what = "number of samples" if name == "n" else "number of samples per generator call"
            raise DataError(f"{name} must be a positive integer {what}; got {value!r}.")
    need = int(n) * int(bytes_per_sample)
    have = _physical_memory()
    if have and need > have // 2:
        raise DataError(
            f"{int(n):,} samples need {need / 2**30:.1f} GiB as float32, more than half of this machine's "
            f"{have / 2**30:.1f} GiB: generate them in chunks (a loop over generate(n=..., seed=...) with "
            "different seeds) and write each chunk out."
        )


def _physical_memory():
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _preview(arr, limit=5):
    flat = np.ravel(arr)
    items = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in flat[:limit])
    return f"[{items}{', ...' if flat.size > limit else ''}]"
