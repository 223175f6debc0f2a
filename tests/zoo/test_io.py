"""zoo.io: compact (float16) storage of generators, and GeneratorSnapshots."""

import os

import keras
import numpy as np

import zoo
from zoo.io import save_compact_keras


def test_a_compact_keras_file_is_half_the_size_and_loads_as_float32(tmp_path):
    generator = zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=8, width=64, seed=0).generator  # 3 MB: weights dominate
    full, compact = str(tmp_path / "full.keras"), str(tmp_path / "compact.keras")
    generator.save(full)
    save_compact_keras(generator, compact)
    assert os.path.getsize(compact) < 0.6 * os.path.getsize(full)
    loaded = keras.models.load_model(compact, safe_mode=True)
    assert {w.dtype for w in loaded.weights} == {"float32"}
    for a, b in zip(loaded.weights, generator.weights):  # the float16 rounding of each weight, no more
        np.testing.assert_allclose(a.numpy(), b.numpy().astype(np.float16).astype(np.float32), rtol=0, atol=0)
    z = np.random.default_rng(0).standard_normal((4, 8)).astype("float32")
    assert np.abs(loaded(z).numpy() - generator(z).numpy()).max() < 1e-2
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".tmp-")], "written via a temporary file"


def test_generator_snapshots_keep_one_float32_generator_per_epoch(tmp_path):
    gan = zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=4, width=4, seed=0, ema_decay=0.9)
    gan.compile()
    x = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    gan.fit(x, batch_size=8, epochs=2, verbose=0, callbacks=[zoo.GeneratorSnapshots(tmp_path / "g")])
    assert sorted(os.listdir(tmp_path / "g")) == ["epoch_0001.keras", "epoch_0002.keras"]
    last = keras.models.load_model(tmp_path / "g" / "epoch_0002.keras")
    z = gan.latents(3, seed=1)
    np.testing.assert_allclose(last(z).numpy(), gan.generate(z=z), atol=1e-6)  # the EMA generator
