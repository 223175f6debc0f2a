"""recipes.translation: the edge and unpaired tasks built from MNIST, the real datasets' loaders and
their errors when absent, the side-by-side and trainA/trainB folder layouts, and training a
translation recipe through recipes.train.run (the CLI's in-process API)."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from recipes import train
from recipes.registry import make_config
from recipes.translation import (TranslationGrid, load_translation, sobel_edges, task_arrays, task_names,
                                 to_model_range)
from zoo.errors import DataError, DatasetUnavailableError


def square(size=12, lo=3, hi=9):
    img = np.zeros((1, size, size, 1), np.uint8)
    img[0, lo:hi, lo:hi] = 255
    return img


def test_sobel_edges_outline_a_square():
    edges = sobel_edges(square())[0, ..., 0]
    assert set(np.unique(edges)) == {0, 255}
    assert edges[5, 5] == 0 and edges[0, 0] == 0, "no edges inside the square or in the flat background"
    assert edges[3, 5] == 255 and edges[5, 2] == 255 and edges[8, 5] == 255, "edges along the square's border"
    assert not sobel_edges(np.zeros((2, 8, 8, 1), np.uint8)).any(), "an empty image has no edges"
    with pytest.raises(DataError, match="grey images"):
        sobel_edges(np.zeros((2, 8, 8, 3), np.uint8))


def test_edges_task_pairs_edges_with_their_own_image():
    arrays = task_arrays("edges2mnist_embedded", "test")
    assert arrays["first"].shape == arrays["second"].shape == (2000, 28, 28, 1)
    np.testing.assert_array_equal(arrays["first"][:50], sobel_edges(arrays["second"][:50]))
    data = load_translation("edges2mnist_embedded", "test", batch_size=4, shuffle=False)
    assert data.kind == "paired" and data.shapes == ((32, 32, 1), (32, 32, 1)) and data.num_examples == 2000
    assert data.dataset.options().autotune.enabled is False  # recipes.data.prefetched
    edges, images = (t.numpy() for t in next(iter(data.dataset)))
    assert edges.shape == images.shape == (4, 32, 32, 1)
    assert set(np.unique(edges)) == {-1.0, 1.0} and images.min() >= -1 and images.max() <= 1
    assert (images[:, :2] == -1).all(), "padded with the (mirrored) background"
    np.testing.assert_allclose(images[:, 2:30, 2:30], arrays["second"][:4] / 127.5 - 1, atol=1e-6)
    kept = load_translation("edges2mnist_embedded", "test", batch_size=4, image_size=28, channels=3)
    assert kept.shapes[0] == (28, 28, 3) and next(iter(kept.dataset))[0].shape == (4, 28, 28, 3)


def test_inverted_task_uses_disjoint_halves():
    arrays = task_arrays("mnist_embedded2inverted_mnist_embedded", "test")
    source = task_arrays("edges2mnist_embedded", "test")["second"]
    np.testing.assert_array_equal(arrays["first"], source[:1000])
    np.testing.assert_array_equal(arrays["second"], 255 - source[1000:])
    data = load_translation("mnist_embedded2inverted_mnist_embedded", "train", batch_size=8, seed=0)
    assert data.kind == "unpaired" and data.num_examples == 5000
    a, b = (t.numpy() for t in next(iter(data.dataset)))
    assert a.mean() < -0.5 < 0.5 < b.mean(), "A: white digits on black, B: inverted (white padding too)"
    assert (b[:, :2] == 1).all()


def test_to_model_range_pads_keeps_or_resizes():
    x = np.zeros((2, 28, 28, 1), np.uint8)
    x[:, :, 0] = 255  # a white left column: mirrored into the padding
    padded = to_model_range(x)
    assert padded.shape == (2, 32, 32, 1) and padded[0, 5, 5, 0] == -1
    assert (padded[:, :, 1:3] == 1).all() and (padded[:, :, 0] == -1).all() and (padded[:, :, 3:] == -1).all()
    assert to_model_range(x, 28).shape == (2, 28, 28, 1) and to_model_range(x, 64).shape == (2, 64, 64, 1)
    with pytest.raises(DataError, match="image_size"):
        to_model_range(x, -3)


def test_missing_real_datasets_say_how_to_get_them(tmp_path):
    with pytest.raises(DatasetUnavailableError, match=r"(?s)cyclegan/datasets/horse2zebra.zip.*unzip it into.*trainA.*"
                                                      r"tfds build cycle_gan/horse2zebra"):
        load_translation("cycle_gan/horse2zebra", image_size=64, cache_dir=str(tmp_path),
                         tfds_data_dir=str(tmp_path / "tfds"))
    with pytest.raises(DatasetUnavailableError, match=r"(?s)TFDS has no pix2pix.*pix2pix/datasets/facades.tar.gz"
                                                      r".*side_by_side:"):
        load_translation("pix2pix/facades", image_size=64, cache_dir=str(tmp_path))
    with pytest.raises(DatasetUnavailableError, match="Fetch it once with `python -m recipes.fetch mnist`"):
        load_translation("mnist2fashion_mnist", cache_dir=str(tmp_path), tfds_data_dir=str(tmp_path / "tfds"))


@pytest.mark.parametrize("name, kwargs, message", [
    ("edges2cifar", {}, "Unknown translation dataset 'edges2cifar'. Built-in tasks: edges2fashion_mnist"),
    ("edges2mnist_embedded#b2a", {}, "fixed direction"),
    ("side_by_side:/x#up", {}, "'#a2b' or '#b2a'"),
    ("edges2mnist_embedded", dict(batch_size=0), "batch_size must be a positive integer"),
    ("edges2mnist_embedded", dict(split="test", batch_size=4000), "larger than the 2000 examples"),
    ("cycle_gan/horse2zebra", dict(split="val"), "splits"),
])
def test_bad_requests(name, kwargs, message):
    with pytest.raises(DataError, match=message):
        load_translation(name, **kwargs)


def _write_png(path, array):
    tf.io.write_file(str(path), tf.io.encode_png(array))


def test_side_by_side_folders_give_pairs_in_either_direction(tmp_path):
    folder = tmp_path / "pairs"
    folder.mkdir()
    for i in range(4):
        left = np.full((8, 8, 3), 10 * i, np.uint8)
        right = np.full((8, 8, 3), 200, np.uint8)
        _write_png(folder / f"{i}.png", np.concatenate([left, right], axis=1))
    data = load_translation(f"side_by_side:{folder}", batch_size=2, shuffle=False)
    a, b = (t.numpy() for t in next(iter(data.dataset)))
    assert data.shapes == ((8, 8, 3), (8, 8, 3)) and data.num_examples == 4
    assert data.dataset.options().autotune.enabled is False
    np.testing.assert_allclose(a[1], 10 / 127.5 - 1, atol=1e-5)
    np.testing.assert_allclose(b, 200 / 127.5 - 1, atol=1e-5)
    swapped = load_translation(f"side_by_side:{folder}#b2a", batch_size=2, shuffle=False, image_size=16)
    a2, b2 = (t.numpy() for t in next(iter(swapped.dataset)))
    assert a2.shape == (2, 16, 16, 3) and np.allclose(a2, 200 / 127.5 - 1, atol=1e-4)
    cache = tmp_path / "cache"
    (cache / "datasets" / "pix2pix" / "facades").mkdir(parents=True)
    os.symlink(folder, cache / "datasets" / "pix2pix" / "facades" / "train")
    facades = load_translation("pix2pix/facades", batch_size=2, shuffle=False, cache_dir=str(cache))
    assert facades.names == ("B", "A"), "facades translate labels (right) -> photos (left), as in the paper"


def test_unpaired_folders_in_the_cyclegan_zip_layout(tmp_path):
    for sub, value, n in (("trainA", 0, 5), ("trainB", 255, 3)):
        (tmp_path / sub).mkdir()
        for i in range(n):
            _write_png(tmp_path / sub / f"{i}.png", np.full((8, 8, 3), value, np.uint8))
    data = load_translation(f"unpaired:{tmp_path}", batch_size=2, seed=0)
    assert data.kind == "unpaired" and data.num_examples == 3 and data.shapes == ((8, 8, 3), (8, 8, 3))
    assert data.dataset.options().autotune.enabled is False  # zip keeps its inputs' options
    a, b = (t.numpy() for t in next(iter(data.dataset)))
    assert (a == -1).all() and (b == 1).all()
    with pytest.raises(DataError, match="testA and testB"):
        load_translation(f"unpaired:{tmp_path}", split="test")


TINY = {"pix2pix": dict(width=4, depth=2), "cyclegan": dict(width=4, blocks=1)}


@pytest.mark.parametrize("recipe, dataset", [
    ("pix2pix_edges2mnist", "edges2mnist_embedded"),
    ("cyclegan_mnist2inverted_mnist", "mnist_embedded2inverted_mnist_embedded"),
])
def test_a_translation_recipe_trains_through_the_train_api(tmp_path, recipe, dataset):
    variant = recipe.split("_")[0]
    config = make_config(recipe, dict(dataset=dataset, steps=2, batch_size=4, samples=6, **TINY[variant]))
    summary = train.run(config, str(tmp_path), verbose=0)
    assert summary["status"] == "finished" and summary["steps_this_run"] == 2
    assert summary["dataset"]["kind"] == ("paired" if variant == "pix2pix" else "unpaired")
    for name in ("generator.keras", "gan.keras", "samples/final.png", "samples/epoch_0001.png", "losses.csv"):
        assert (tmp_path / name).exists(), name
    generator = keras.models.load_model(tmp_path / "generator.keras")
    assert [t.name for t in generator.inputs] == ["image"] and generator.output.shape == (None, 32, 32, 1)
    if variant == "cyclegan":
        assert (tmp_path / "generator_b2a.keras").exists()
        assert "cycle_a" in summary["final_metrics"]
        cols = 6
    else:
        assert "l1" in summary["final_metrics"]
        cols = 3
    grid = tf.io.decode_png(tf.io.read_file(str(tmp_path / "samples" / "final.png"))).numpy()
    assert grid.shape[:2] == (1 + 2 * 33, 1 + cols * 33), "2 rows of (input, translation, ...) at 32x32"
    with open(tmp_path / "summary.json") as f:
        assert json.load(f)["recipe_config"]["variant"] == variant


def test_a_variant_gets_a_clear_error_for_the_wrong_kind_of_data(tmp_path):
    config = make_config("pix2pix_edges2mnist", dict(dataset="mnist_embedded2inverted_mnist_embedded", steps=1))
    with pytest.raises(train.RunError, match="trains on paired data.*is unpaired"):
        train.run(config, str(tmp_path), verbose=0)


def test_translation_grid_writes_rows(tmp_path):
    class Fake:
        translation = "paired"

        def translate(self, x):
            return -x

    images, cols = __import__("recipes.translation", fromlist=["x"]).translation_rows(
        Fake(), np.zeros((2, 4, 4, 1), "float32"), np.ones((2, 4, 4, 3), "float32"))
    assert cols == 3 and images.shape == (6, 4, 4, 3), "grey columns become RGB beside an RGB target"
    assert TranslationGrid(tmp_path, images, images).every == 1
    assert "edges2fashion_mnist" in task_names()
