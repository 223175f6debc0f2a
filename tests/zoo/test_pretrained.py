import os
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest

import exports
import zoo
from zoo import pretrained
from zoo.errors import ConfigError, DatasetUnavailableError, ZooError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_one_line_load_in_a_fresh_process():
    code = "import zoo; g = zoo.load('dcgan_mnist'); print(g.generate(4, seed=0).shape)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().endswith("(4, 28, 28, 1)")


def test_loaded_generator_is_deterministic_and_in_range():
    g = zoo.load("dcgan_mnist")
    a, b = g.generate(8, seed=3), g.generate(8, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (8, 28, 28, 1) and a.min() >= -1 and a.max() <= 1
    assert g.latent_dim == 100 and g.image_shape == (28, 28, 1)
    # Trained, not random: most pixels sit at the background value like real digits.
    assert (a < -0.9).mean() > 0.6
    entry = zoo.describe("dcgan_mnist")
    assert entry.sha256 == pretrained.sha256_of(os.path.join(pretrained.WEIGHTS_DIR, entry.file))
    assert "recipes.train" in entry.command
    assert zoo.list_pretrained() == sorted(pretrained.CATALOGUE)


def test_unknown_name_lists_the_catalogue():
    with pytest.raises(ConfigError, match="No pretrained generator or preset folder named 'dcgan_mnst'. Known: .*dcgan_mnist"):
        zoo.load("dcgan_mnst")


def test_a_tampered_weights_file_is_refused(tmp_path, monkeypatch):
    entry = zoo.describe("dcgan_mnist")
    bad = tmp_path / entry.file
    shutil.copy(os.path.join(pretrained.WEIGHTS_DIR, entry.file), bad)
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    monkeypatch.setattr(pretrained, "WEIGHTS_DIR", str(tmp_path))
    with pytest.raises(pretrained.ChecksumError, match="was modified"):
        zoo.load("dcgan_mnist")


def test_a_keras_file_with_a_lambda_layer_is_refused_by_safe_mode(tmp_path):
    z = keras.Input((4,), name="z")
    model = keras.Model(z, keras.layers.Lambda(lambda t: t * 2.0)(z))
    path = str(tmp_path / "evil.keras")
    model.save(path)
    with pytest.raises(ZooError, match="Refusing to load .*Lambda"):
        pretrained.load_generator_file(path)


def test_remote_entries_are_fetched_and_verified(tmp_path, monkeypatch):
    entry = zoo.describe("dcgan_mnist")
    src = os.path.join(pretrained.WEIGHTS_DIR, entry.file)
    remote = pretrained.PretrainedEntry(**{**entry.__dict__, "name": "remote", "file": "remote.keras",
                                           "url": "file://" + src})
    monkeypatch.setitem(pretrained.CATALOGUE, "remote", remote)
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path))
    g = zoo.load("remote")
    assert os.path.isfile(tmp_path / "weights" / "remote.keras"), "fetched into $GANZOO_HOME/weights"
    with open(tmp_path / "weights" / "remote.keras", "wb") as f:  # a stale or damaged copy is fetched again
        f.write(b"not the generator")
    np.testing.assert_array_equal(zoo.load("remote").generate(2, seed=0), g.generate(2, seed=0))
    np.testing.assert_array_equal(g.generate(2, seed=0), zoo.load("dcgan_mnist").generate(2, seed=0))
    offline = pretrained.PretrainedEntry(**{**remote.__dict__, "name": "offline", "file": "offline.keras",
                                            "url": "http://127.0.0.1:9/none.keras"})
    monkeypatch.setitem(pretrained.CATALOGUE, "offline", offline)
    with pytest.raises(DatasetUnavailableError, match="may be offline"):
        zoo.load("offline")


def test_export_a_pretrained_generator(tmp_path):
    manifest = exports.export_generator("dcgan_mnist", str(tmp_path / "out"), formats=("onnx",))
    assert manifest["parity"]["max_abs_error"]["onnx"] < 1e-4
    assert os.path.exists(tmp_path / "out" / "dcgan_mnist-v1.onnx")


@pytest.mark.parametrize("name", sorted(pretrained.CATALOGUE))
def test_every_catalogue_entry_loads_and_matches_its_checksum(name):
    entry = zoo.describe(name)
    assert pretrained.sha256_of(os.path.join(pretrained.WEIGHTS_DIR, entry.file)) == entry.sha256
    g = zoo.load(name)
    assert g.image_shape == tuple(entry.image_shape)
    assert g.generate(2, seed=0).shape == (2, *entry.image_shape)
    # one command that trains it: the train CLI, or the study's runner (which trains through it)
    assert entry.metrics and entry.command.count("recipes.train") + entry.command.count("benchmarks/study.py") == 1
