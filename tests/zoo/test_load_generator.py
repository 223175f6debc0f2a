"""``zoo.pretrained.load_generator``: the one path from anything that holds a generator to the network to sample."""

import os

import keras
import numpy as np
import pytest

import zoo
from zoo import pretrained
from zoo.errors import ConfigError, ZooError
from zoo.pretrained import ChecksumError, LoadedGenerator, load_generator


@pytest.fixture(scope="module")
def gan_files(tmp_path_factory):
    """A tiny StudyGAN (uniform latents) with EMA, saved whole, as a workdir's generator.keras and as a preset."""
    keras.utils.set_random_seed(0)
    gan = zoo.StudyGAN(image_shape=(8, 8, 1), latent_dim=4, seed=0, ema_decay=0.9)
    gan.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (16, 8, 8, 1)).astype("float32")
    gan.fit(images, batch_size=8, epochs=1, verbose=0)
    root = tmp_path_factory.mktemp("load_generator")
    workdir = root / "run"
    workdir.mkdir()
    gan.save(root / "gan.keras")
    pretrained.saved_generator(gan).save(workdir / "generator.keras")
    zoo.save_preset(gan, str(root / "preset"), samples=0)
    return gan, root


def test_a_gan_in_memory_gives_the_network_it_ships(gan_files):
    gan, _ = gan_files
    loaded = load_generator(gan)
    assert isinstance(loaded, LoadedGenerator) and loaded.source == "<StudyGAN.ema_generator>"
    generator, source = loaded  # unpacks as (generator, source)
    assert isinstance(generator, zoo.PretrainedGenerator) and loaded.latent_distribution == "uniform"
    assert loaded.network is generator.generator
    np.testing.assert_allclose(generator.generate(4, seed=1), gan.generate(4, seed=1), atol=1e-6)


@pytest.mark.parametrize("where", ["gan.keras", "run", "run/generator.keras", "preset"])
def test_every_saved_form_samples_as_the_gan_does(gan_files, where):
    gan, root = gan_files
    loaded = load_generator(str(root / where))
    assert isinstance(loaded.generator, zoo.PretrainedGenerator), where
    assert loaded.latent_distribution == "uniform", where
    expected = {"run": str(root / "run" / "generator.keras")}.get(where, str(root / where))
    assert loaded.source == expected
    # presets store float16 weights
    np.testing.assert_allclose(loaded.generator.generate(4, seed=2), gan.generate(4, seed=2), atol=1e-2)


def test_a_catalogue_name_is_checksum_verified(tmp_path, monkeypatch):
    loaded = load_generator("dcgan_mnist")
    assert loaded.source == "zoo:dcgan_mnist" and loaded.generator.entry.name == "dcgan_mnist"
    entry = zoo.describe("dcgan_mnist")
    data = bytearray(open(os.path.join(pretrained.WEIGHTS_DIR, entry.file), "rb").read())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / entry.file).write_bytes(bytes(data))
    monkeypatch.setattr(pretrained, "WEIGHTS_DIR", str(tmp_path))
    with pytest.raises(ChecksumError, match="was modified"):
        load_generator("dcgan_mnist")


def test_a_keras_model_passes_through():
    z = keras.Input((4,), name="z")
    model = keras.Model(z, keras.layers.Reshape((2, 2, 1))(keras.layers.Dense(4, activation="tanh")(z)), name="g")
    loaded = load_generator(model)
    assert loaded.generator is model and loaded.network is model and loaded.source == "<keras.Model 'g'>"
    assert loaded.latent_distribution is None


def test_bad_sources_say_what_is_expected(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "model.h5").write_bytes(b"x")
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    cases = [
        (42, ConfigError, r"generator must be a keras\.Model, a path to a \.keras file or a recipe workdir; got int"),
        (str(tmp_path / "missing.keras"), ConfigError, r"does not exist: pass a \.keras file or a recipe workdir"),
        ("dcgan_mnst", ConfigError, r"'dcgan_mnst' does not exist: .*a catalogue name.* Known: .*dcgan_mnist"),
        (str(tmp_path / "empty"), ConfigError, "is a directory without generator.keras"),
        (str(tmp_path / "model.h5"), ConfigError, r"is not a \.keras file"),
        (str(tmp_path / "broken.keras"), ZooError, r"Could not load .*broken\.keras: it is not a valid \.keras file"),
    ]
    for source, error, message in cases:
        with pytest.raises(error, match=message):
            load_generator(source)
    with pytest.raises(ConfigError) as info:
        load_generator(str(tmp_path / "missing.keras"))
    assert "Known:" not in str(info.value)  # a path is not a mistyped catalogue name


def test_exports_and_evaluate_load_the_same_way(gan_files):
    from exports.generator import load_generator as export_loader
    from recipes.evaluate import load_any_generator

    gan, root = gan_files
    for loader in (export_loader, load_any_generator):
        model, source = loader(str(root / "gan.keras"))
        assert isinstance(model, zoo.PretrainedGenerator) and model.latent_distribution == "uniform"
        assert source == str(root / "gan.keras")
        assert loader("dcgan_mnist").source == "zoo:dcgan_mnist"
