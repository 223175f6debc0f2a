import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from recipes.data import load_dataset, output_shape, resolve_source
from zoo.errors import DataError, DatasetUnavailableError


def first(ds):
    return next(iter(ds))


def test_embedded_mnist_is_real_balanced_and_scaled():
    src = resolve_source("mnist_embedded")
    assert src.spec.num_examples == 10_000 and src.spec.num_classes == 10
    assert np.bincount(src.labels).tolist() == [1000] * 10
    assert resolve_source("mnist_embedded", "test").spec.num_examples == 2_000
    images, labels = first(load_dataset("mnist_embedded", batch_size=500, with_labels=True, seed=0))
    assert images.shape == (500, 28, 28, 1) and images.dtype == tf.float32
    assert float(tf.reduce_min(images)) == -1.0 and float(tf.reduce_max(images)) == 1.0
    assert labels.dtype == tf.int32 and 0 <= int(tf.reduce_min(labels)) and int(tf.reduce_max(labels)) <= 9
    # MNIST digits are mostly background: about 80% of pixels are exactly 0 -> -1.
    assert 0.7 < float(tf.reduce_mean(tf.cast(images == -1.0, tf.float32))) < 0.9


def test_batching_shuffling_and_epoch_size():
    ds = load_dataset("mnist_embedded", "test", batch_size=64, seed=1)
    assert sum(1 for _ in ds) == 2000 // 64
    ds_all = load_dataset("mnist_embedded", "test", batch_size=64, drop_remainder=False, shuffle=False)
    assert sum(int(b.shape[0]) for b in ds_all) == 2000
    a = first(load_dataset("mnist_embedded", "test", batch_size=8, seed=1)).numpy()
    b = first(load_dataset("mnist_embedded", "test", batch_size=8, seed=2)).numpy()
    c = first(load_dataset("mnist_embedded", "test", batch_size=8, shuffle=False)).numpy()
    assert not np.array_equal(a, b) and not np.array_equal(a, c)
    repeated = load_dataset("mnist_embedded", "test", batch_size=500, repeat=True)
    assert sum(1 for _ in repeated.take(10)) == 10


def test_pipelines_run_without_tf_data_autotuning():
    # Its thread can hold the iterator's deletion at the end of fit for seconds (recipes.data.prefetched).
    for ds in (load_dataset("mnist_embedded", batch_size=8, seed=0),
               load_dataset(np.zeros((10, 4, 4, 1), np.uint8), batch_size=5, repeat=True)):
        assert ds.options().autotune.enabled is False
        assert next(iter(ds)).shape[0] in (5, 8)


def test_uint8_scaling_is_exact():
    x = np.array([0, 255, 51, 204], np.uint8).reshape(4, 1, 1, 1)
    got = first(load_dataset(x, batch_size=4, shuffle=False)).numpy().ravel()
    np.testing.assert_allclose(got, [-1.0, 1.0, -0.6, 0.6], atol=1e-6)


@pytest.mark.parametrize("value_range, x, expected", [
    ((0, 1), [0.0, 1.0, 0.25], [-1.0, 1.0, -0.5]),
    ((0, 255), [0.0, 255.0, 127.5], [-1.0, 1.0, 0.0]),
    ((-1, 1), [-1.0, 1.0, 0.5], [-1.0, 1.0, 0.5]),
])
def test_float_arrays_are_scaled_from_their_declared_range(value_range, x, expected):
    arr = np.array(x, np.float32).reshape(3, 1, 1, 1)
    got = first(load_dataset(arr, batch_size=3, shuffle=False, value_range=value_range)).numpy().ravel()
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_resize_and_channel_conversion():
    images = first(load_dataset("mnist_embedded", batch_size=4, image_size=32, channels=3))
    assert images.shape == (4, 32, 32, 3)
    np.testing.assert_allclose(images[..., 0], images[..., 2])
    assert -1.0 <= float(tf.reduce_min(images)) and float(tf.reduce_max(images)) <= 1.0
    rgb = np.random.default_rng(0).integers(0, 256, (4, 6, 6, 3), dtype=np.uint8)
    grey = first(load_dataset(rgb, batch_size=4, channels=1, image_size=(3, 2)))
    assert grey.shape == (4, 3, 2, 1)
    rgba = np.random.default_rng(0).integers(0, 256, (4, 6, 6, 4), dtype=np.uint8)
    assert first(load_dataset(rgba, batch_size=4)).shape == (4, 6, 6, 3)
    assert output_shape(resolve_source(rgba).spec, None, None) == (6, 6, 3)


def test_arrays_with_labels_and_npz_files(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (10, 5, 5), dtype=np.uint8)
    y = np.arange(10) % 3
    images, labels = first(load_dataset(x, labels=y, num_classes=3, batch_size=10, with_labels=True,
                                        shuffle=False))
    assert images.shape == (10, 5, 5, 1) and labels.numpy().tolist() == y.tolist()
    path = tmp_path / "d.npz"
    np.savez(path, x_train=x, y_train=y, x_test=x[:4], y_test=y[:4])
    assert resolve_source(str(path), "test").spec.num_examples == 4
    np.savez(tmp_path / "e.npz", images=x)
    assert not resolve_source(str(tmp_path / "e.npz")).spec.has_labels


def _write_png(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tf.io.write_file(str(path), tf.io.encode_png(array))


def test_folder_of_class_subfolders(tmp_path):
    rng = np.random.default_rng(0)
    for cls in ("cat", "dog"):
        for i in range(3):
            _write_png(tmp_path / cls / f"{i}.png", rng.integers(0, 256, (8, 8, 3), dtype=np.uint8))
    _write_png(tmp_path / "dog" / "big.png", rng.integers(0, 256, (16, 12, 3), dtype=np.uint8))
    src = resolve_source(str(tmp_path))
    assert src.spec.has_labels and src.spec.num_classes == 2 and src.spec.num_examples == 7
    assert src.spec.image_shape == (8, 8, 3)
    images, labels = first(load_dataset(str(tmp_path), batch_size=7, with_labels=True, shuffle=False))
    assert images.shape == (7, 8, 8, 3), "odd-sized images are resized to the first one's size"
    assert sorted(labels.numpy().tolist()) == [0, 0, 0, 1, 1, 1, 1]
    assert first(load_dataset(str(tmp_path), batch_size=2, image_size=4, channels=1)).shape == (2, 4, 4, 1)


def test_flat_folder_has_no_labels(tmp_path):
    for i in range(4):
        _write_png(tmp_path / f"{i}.png", np.full((6, 6, 1), 50 * i, np.uint8))
    src = resolve_source(str(tmp_path))
    assert not src.spec.has_labels and src.spec.image_shape == (6, 6, 1)
    with pytest.raises(DataError, match="has no labels"):
        load_dataset(str(tmp_path), batch_size=2, with_labels=True)


def _tiny_tfds_builder():
    import tensorflow_datasets as tfds

    class TinyShapes(tfds.core.GeneratorBasedBuilder):
        """Eight-pixel test images, built locally (no download)."""

        VERSION = tfds.core.Version("1.0.0")
        # TFDS looks for a builder's resources in its module's package; tests are no package.
        __module__ = "recipes.tiny_shapes"

        def _info(self):
            return self.dataset_info_from_configs(features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(8, 8, 1)),
                "label": tfds.features.ClassLabel(num_classes=3),
            }))

        def _split_generators(self, dl_manager):
            return {"train": self._generate_examples(12), "test": self._generate_examples(6)}

        def _generate_examples(self, n):
            for i in range(n):
                yield i, {"image": np.full((8, 8, 1), 20 * i, np.uint8), "label": i % 3}

    return TinyShapes


def test_tfds_source_reads_a_prepared_dataset(tmp_path):
    builder = _tiny_tfds_builder()(data_dir=str(tmp_path))
    builder.download_and_prepare()
    src = resolve_source("tfds:tiny_shapes", "test", tfds_data_dir=str(tmp_path))
    assert src.spec.num_examples == 6 and src.spec.num_classes == 3 and src.spec.image_shape == (8, 8, 1)
    images, labels = first(load_dataset("tfds:tiny_shapes", "train", batch_size=12, with_labels=True,
                                        tfds_data_dir=str(tmp_path), shuffle=False))
    assert images.shape == (12, 8, 8, 1)
    assert sorted(np.unique(np.round((images.numpy()[:, 0, 0, 0] + 1) * 127.5)).tolist()) == [
        20.0 * i for i in range(12)]
    assert sorted(labels.numpy().tolist()) == sorted([i % 3 for i in range(12)])


def test_unprepared_tfds_dataset_says_how_to_get_it(tmp_path):
    with pytest.raises(DatasetUnavailableError, match=r"'cifar10' is not prepared.*tfds build cifar10.*download=True"):
        load_dataset("cifar10", tfds_data_dir=str(tmp_path))


def test_missing_full_mnist_says_to_fetch_it(tmp_path):
    with pytest.raises(DatasetUnavailableError, match=r"python -m recipes.fetch fashion_mnist"):
        load_dataset("fashion_mnist", cache_dir=str(tmp_path / "cache"), tfds_data_dir=str(tmp_path))


NAN = np.full((4, 2, 2, 1), np.nan, np.float32)
U8 = np.zeros((4, 2, 2, 1), np.uint8)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(source="imagenet21k_nope"), DataError, r"Unknown dataset 'imagenet21k_nope'. Use one of mnist_embedded"),
    (dict(source="mnist_embedded", split="validation"), DataError, r"has splits \('train', 'test'\)"),
    (dict(source="/no/such/dir/"), DataError, "neither an existing folder"),
    (dict(source="missing.npz"), DataError, "No such file"),
    (dict(source=42), DataError, "name, a path or an array; got int"),
    (dict(source=NAN, value_range=(0, 1)), DataError, "16 NaN/Inf pixel values"),
    (dict(source=np.zeros((4, 2, 2, 1), np.float32)), DataError, "declare their range with value_range"),
    (dict(source=np.full((4, 2, 2, 1), 3.0, np.float32), value_range=(0, 1)), DataError,
     r"declared in value_range=\(0, 1\) but hold values in \[3, 3\]"),
    (dict(source=np.full((4, 2, 2, 1), 0.5, np.float32), value_range=(1, 0)), DataError, "low < high"),
    (dict(source=np.full((4, 2, 2, 1), 300, np.int32)), DataError, r"integer images must be pixels in \[0, 255\]"),
    (dict(source=U8, value_range=(0, 1)), DataError, "integers, which are read as pixels in \\[0, 255\\]"),
    (dict(source=np.zeros((4, 2, 2, 2), np.uint8)), DataError, "1, 3 or 4 channels"),
    (dict(source=np.zeros((4, 4), np.uint8)), DataError, r"shape \(n, height, width\[, channels\]\)"),
    (dict(source=np.zeros((4, 2, 2), bool)), DataError, "uint8 or float; got dtype bool"),
    (dict(source=U8, labels=[0, 1, 2, 10], num_classes=10), DataError, r"labels must lie in \[0, 9\]; got values in \[0, 10\]"),
    (dict(source=U8, labels=[0, -1, 2, 3]), DataError, r"labels must lie in \[0, num_classes - 1\]"),
    (dict(source=U8, labels=[0, 1, 2]), DataError, r"one integer class per image \(4\); got shape \(3,\)"),
    (dict(source=U8, labels=[0.5, 1, 2, 3]), DataError, "integer class indices"),
    (dict(source=U8, batch_size=5), DataError, "batch_size=5 is larger than the 4 examples"),
    (dict(source=U8, batch_size=0), DataError, "batch_size must be a positive integer"),
    (dict(source=U8, batch_size=2, with_labels=True), DataError, "has no labels"),
    (dict(source=U8, batch_size=2, image_size=(0, 3)), DataError, "image_size must be positive"),
    (dict(source=U8, batch_size=2, image_size="big"), DataError, "image_size must be an int or"),
    (dict(source=U8, batch_size=2, channels=2), DataError, r"channels must be 1 \(grey\) or 3 \(RGB\)"),
])
def test_bad_input_gets_a_clear_error(kwargs, error, message):
    kwargs.setdefault("batch_size", 2)
    with pytest.raises(error, match=message):
        load_dataset(**kwargs)


def test_empty_folder_is_an_error(tmp_path):
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(DataError, match="holds no images"):
        load_dataset(str(tmp_path))


def test_corrupt_embedded_file_is_detected(tmp_path, monkeypatch):
    import recipes.data as data

    bad = tmp_path / "mnist_embedded.npz"
    bad.write_bytes(open(data.EMBEDDED_PATH, "rb").read()[:-10] + b"0123456789")
    monkeypatch.setattr(data, "EMBEDDED_PATH", str(bad))
    with pytest.raises(DatasetUnavailableError, match="is corrupt"):
        load_dataset("mnist_embedded")


def test_an_unknown_bare_name_is_refused_without_asking_the_network():
    # A fresh process with TensorFlow's warnings on (the tests silence them): TFDS's community index, which
    # the check must not query, would print a cloud-metadata warning while trying the network.
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    code = ("from recipes.data import resolve_source\n"
            "try:\n    resolve_source('no_such_set_anywhere')\nexcept Exception as e:\n    print(type(e).__name__, e)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    assert proc.stdout.startswith("DataError Unknown dataset 'no_such_set_anywhere'"), proc.stdout + proc.stderr
    assert "metadata.google" not in proc.stderr
