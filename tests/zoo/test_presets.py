"""Presets: catalogue entries and trained models as folders that ``zoo.load``/``from_preset`` read back."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import zoo
from zoo import pretrained
from zoo.errors import ConfigError, ZooError
from zoo.pretrained import ChecksumError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small DCGAN with EMA after one epoch, and its preset folder."""
    keras.utils.set_random_seed(0)
    gan = zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=16, width=8, ema_decay=0.9, seed=0)
    gan.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype("float32")
    gan.fit(images, epochs=1, batch_size=32, verbose=0)
    folder = str(tmp_path_factory.mktemp("presets") / "tiny")
    zoo.save_preset(gan, folder, dataset="fashion_mnist (64 random images)", command="the test", seed=0,
                    metrics={"fid_inception": 99.5, "metrics_note": "made up by the test"})
    return gan, folder, images


def test_a_saved_gan_comes_back_with_its_discriminator_and_fine_tunes(trained):
    gan, folder, images = trained
    assert sorted(os.listdir(folder)) == ["README.md", "discriminator.keras", "generator.keras", "preset.json",
                                          "samples.png"]
    back = zoo.DCGAN.from_preset(folder)
    assert type(back) is zoo.DCGAN and back.ema_decay == 0.9 and back.latent_dim == 16 and back.width == 8
    # float16 storage: the weights move by at most a float16 rounding
    np.testing.assert_allclose(back.generate(8, seed=1), gan.generate(8, seed=1), atol=2e-2)
    for a, b in zip(back.discriminator.get_weights(), gan.discriminator.get_weights()):
        np.testing.assert_allclose(a, b, rtol=2e-3, atol=1e-4)
    # the average starts from the shipped (averaged) generator
    for a, b in zip(back.ema_generator.get_weights(), back.generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    back.compile()
    history = back.fit(images, epochs=1, batch_size=32, verbose=0)
    assert np.isfinite(history.history["d_loss"][-1])


def test_any_gan_class_takes_the_preset_and_options_override_training_not_architecture(trained):
    _, folder, _ = trained
    assert type(zoo.GAN.from_preset(folder)) is zoo.DCGAN
    assert zoo.DCGAN.from_preset(folder, ema_decay=None, augment="translation").augment == "translation"
    with pytest.raises(ConfigError, match="holds a DCGAN, not a StudyGAN: use zoo.DCGAN.from_preset"):
        zoo.StudyGAN.from_preset(folder)
    with pytest.raises(ConfigError, match=r"cannot change the architecture \(width\)"):
        zoo.DCGAN.from_preset(folder, width=16)


def test_the_generator_alone_is_a_keras_model(trained, tmp_path):
    gan, folder, _ = trained
    g = zoo.load(folder)
    assert isinstance(g, keras.Model) and isinstance(g, zoo.PretrainedGenerator)
    z = g.latents(5, seed=3)
    np.testing.assert_allclose(np.asarray(g(z)), g.generate(z=z), atol=1e-6)
    assert g.predict(z, verbose=0).shape == (5, 28, 28, 1)
    assert g.entry.name == "tiny" and g.entry.seed == 0 and g.latent_distribution == "normal"
    # a PretrainedGenerator saves and loads like any Keras model, in safe mode
    path = str(tmp_path / "g.keras")
    g.save(path)
    again = pretrained.load_keras_file(path)
    assert isinstance(again, zoo.PretrainedGenerator) and again.entry == g.entry
    np.testing.assert_allclose(again.generate(z=z), g.generate(z=z), atol=1e-6)


def test_a_catalogue_entry_written_as_a_folder_loads_the_same(tmp_path):
    folder = zoo.write_preset("cgan_mnist", tmp_path / "cgan")
    entry = zoo.describe("cgan_mnist")
    with open(os.path.join(folder, "generator.keras"), "rb") as f, \
            open(os.path.join(pretrained.WEIGHTS_DIR, entry.file), "rb") as g:
        assert f.read() == g.read()
    local = zoo.load(folder)
    assert local.entry.metrics == json.loads(json.dumps(entry.metrics))  # JSON turns int keys into strings
    np.testing.assert_array_equal(local.generate(4, labels=3, seed=0), zoo.load("cgan_mnist").generate(
        4, labels=3, seed=0))
    # no discriminator ships with it: from_preset gives the generator, and takes no options
    assert isinstance(zoo.CGAN.from_preset(folder), zoo.PretrainedGenerator)
    with pytest.raises(ConfigError, match="ships no discriminator.*ema_decay"):
        zoo.CGAN.from_preset("cgan_mnist", ema_decay=0.99)


def test_a_damaged_preset_is_refused_before_it_is_opened(trained, tmp_path):
    _, folder, _ = trained
    import shutil

    bad = str(tmp_path / "bad")
    shutil.copytree(folder, bad)
    with open(os.path.join(bad, "discriminator.keras"), "ab") as f:
        f.write(b"x")
    with pytest.raises(ChecksumError, match="discriminator.keras has sha256"):
        zoo.GAN.from_preset(bad)
    os.remove(os.path.join(bad, "discriminator.keras"))
    with pytest.raises(ZooError, match="lacks discriminator.keras"):
        zoo.GAN.from_preset(bad)
    meta = os.path.join(bad, "preset.json")
    data = json.load(open(meta))
    for change, message in (
            ({"version": 99}, "format version 99.*upgrade"),
            ({"format": "other"}, "not a keras-gan-zoo preset"),
            ({"entry": {**data["entry"], "file": "../generator.keras"}}, "must lie in its own folder"),
            ({"entry": {**data["entry"], "colour": "red"}}, r"unknown fields \['colour'\]")):
        with open(meta, "w") as f:
            json.dump({**data, **change}, f)
        with pytest.raises(ZooError, match=message):
            zoo.load(bad)
    with open(meta, "w") as f:
        f.write("{")
    with pytest.raises(ZooError, match="could not be read as JSON"):
        zoo.load(bad)
    with pytest.raises(ConfigError, match="not a preset folder: it has no preset.json"):
        zoo.load(str(tmp_path))


def test_saving_never_destroys_what_is_not_a_preset(trained, tmp_path):
    gan, folder, _ = trained
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="exists: choose another folder or pass overwrite=True"):
        zoo.save_preset(gan, mine)
    with pytest.raises(ConfigError, match="is not a preset folder: refusing to overwrite"):
        zoo.save_preset(gan, mine, overwrite=True)
    assert (mine / "notes.txt").read_text() == "keep me"
    again = zoo.save_preset(gan.generator, tmp_path / "g_only", samples=0)
    assert sorted(os.listdir(again)) == ["README.md", "generator.keras", "preset.json"]
    zoo.save_preset(gan, again, overwrite=True, samples=0)  # a preset is replaced whole
    assert "discriminator.keras" in os.listdir(again)
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")]  # no staging folder left behind


def test_the_model_card_has_the_hugging_face_header_and_the_facts(trained):
    _, folder, _ = trained
    card = open(os.path.join(folder, "README.md")).read()
    header = card.split("---\n")[1]
    assert "library_name: keras" in header and "- fashion_mnist" in header and "value: 99.5" in header
    assert "![64 samples, seed 0](samples.png)" in card
    assert "zoo.DCGAN.from_preset" in card and "- Seed: 0" in card and "made up by the test" in card
    assert "Fashion-MNIST by Zalando Research, licensed MIT" in card


def test_a_catalogue_entry_with_its_discriminator_fine_tunes_from_where_it_stopped():
    shipped = [n for n in zoo.list_pretrained() if zoo.describe(n).discriminator_file]
    assert "study_ns_mnist" in shipped
    gan = zoo.StudyGAN.from_preset("study_ns_mnist")
    assert type(gan) is zoo.StudyGAN and gan.ema_decay == 0.999 and gan.latent_distribution == "uniform"
    sampler = zoo.load("study_ns_mnist")
    np.testing.assert_allclose(gan.generate(4, seed=0), sampler.generate(4, seed=0), atol=1e-5)
    # the shipped D tells real-looking digits from noise: a trained critic, not a fresh one
    noise = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    fakes = gan.generate(16, seed=1)
    d = gan.discriminator
    assert float(np.mean(d.predict(fakes, verbose=0))) > float(np.mean(d.predict(noise, verbose=0)))
    gan.compile()
    before = [w.copy() for w in d.get_weights()]
    history = gan.fit(fakes, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["d_loss"][-1])
    assert any(not np.array_equal(a, b) for a, b in zip(before, d.get_weights())), "fit updates the shipped D"


def test_the_catalogue_cards_in_docs_are_generated_from_the_catalogue():
    for name in zoo.list_pretrained():
        path = os.path.join(ROOT, "docs", "catalogue", f"{name}.md")
        assert os.path.isfile(path), f"{path} is missing: python benchmarks/catalogue_grids.py --names={name}"
        g = zoo.load(name)
        expected = zoo.model_card.model_card(g.entry, samples=f"{name}.png", latent_dim=g.latent_dim)
        assert open(path).read() == expected, f"{path} is stale: python benchmarks/catalogue_grids.py"


def test_from_preset_in_a_fresh_process_for_every_catalogue_entry():
    code = ("import zoo\n"
            "for name in zoo.list_pretrained():\n"
            "    model = zoo.GAN.from_preset(name)\n"
            "    images = model.generate(2, seed=0)\n"
            "    assert images.shape[1:] == zoo.describe(name).image_shape, name\n"
            "    print(name, type(model).__name__)\n")
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(proc.stdout.splitlines()) == len(zoo.list_pretrained())


def test_the_version_is_one_number_for_the_package_and_the_presets(trained):
    import importlib.metadata

    _, folder, _ = trained
    assert zoo.__version__ == importlib.metadata.version("keras-gan-zoo")
    assert json.load(open(os.path.join(folder, "preset.json")))["written_by"] == f"keras-gan-zoo {zoo.__version__}"


def test_saved_generators_remember_their_latent_distribution(tmp_path):
    """A generator trained on U(-1, 1) latents must be sampled (and scored) with them, from any file."""
    from exports.generator import load_generator
    from zoo.metrics.evaluate import sample_images

    keras.utils.set_random_seed(0)
    gan = zoo.StudyGAN(image_shape=(8, 8, 1), latent_dim=4, seed=0)  # latent_distribution="uniform"
    gan.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (16, 8, 8, 1)).astype("float32")
    gan.fit(images, batch_size=8, epochs=1, verbose=0, callbacks=[zoo.GeneratorSnapshots(tmp_path / "g")])
    gan.save(tmp_path / "gan.keras")
    uniform = gan.latents(6, seed=3)
    assert uniform.min() >= -1 and uniform.max() <= 1
    for path in (tmp_path / "g" / "epoch_0001.keras", tmp_path / "gan.keras"):
        model, _ = load_generator(str(path))
        assert isinstance(model, zoo.PretrainedGenerator) and model.latent_distribution == "uniform", path
        np.testing.assert_allclose(model.latents(6, seed=3), uniform)
        np.testing.assert_allclose(sample_images(model, 6, seed=3), gan.generate(6, seed=3), atol=1e-5)
