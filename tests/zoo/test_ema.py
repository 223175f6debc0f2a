"""Exponential moving average of the generator's weights (``GAN(..., ema_decay=)``)."""

import os

import keras
import numpy as np
import pytest

from conftest import snapshot, tiny_networks
from zoo import GAN, DCGAN
from zoo.errors import ConfigError


def make_gan(ema_decay=0.9, ema_start=0, strategy=None, lr=0.1, **kwargs):
    """Tiny dense GAN (batch norm in G) trained with plain SGD, so every step is deterministic. The
    batch-norm statistics stay the live generator's copies unless a test asks for standing ones."""
    kwargs.setdefault("ema_standing_statistics", 0)
    keras.utils.set_random_seed(0)
    g, d = tiny_networks()
    gan = GAN(g, d, seed=0, ema_decay=ema_decay, ema_start=ema_start, **kwargs)
    gan.compile(d_optimizer=keras.optimizers.SGD(lr), g_optimizer=keras.optimizers.SGD(lr))
    return gan


def data(n=8):
    return np.random.default_rng(0).uniform(-1, 1, (n, 4, 4, 1)).astype("float32")


class RecordGenerator(keras.callbacks.Callback):
    """The live generator's weights after every train step (the first entry: before training)."""

    def on_train_begin(self, logs=None):
        self.weights = [snapshot(self.model.generator.weights)]

    def on_train_batch_end(self, batch, logs=None):
        self.weights.append(snapshot(self.model.generator.weights))


def numpy_average(recorded, trainable, decay, start):
    """The EMA recomputed from the recorded weights: trainable weights averaged, the rest copied."""
    average = [w.copy() for w in recorded[0]]
    for step, weights in enumerate(recorded[1:], start=1):
        d = decay if step > start else 0.0
        average = [d * a + (1 - d) * w if t else w.copy() for a, w, t in zip(average, weights, trainable)]
    return average


def trainable_mask(gan):
    ids = {id(v) for v in gan.generator.trainable_weights}
    return [id(v) in ids for v in gan.generator.weights]


@pytest.mark.parametrize("decay, start", [(0.9, 0), (0.5, 2)])
def test_the_average_equals_a_numpy_recomputation(decay, start):
    gan = make_gan(decay, start)
    assert [w.trainable for w in gan.ema_generator.weights] == [False] * len(gan.generator.weights)
    np.testing.assert_array_equal(gan.ema_generator.get_weights()[0], gan.generator.get_weights()[0])
    recorder = RecordGenerator()
    gan.fit(data(), batch_size=4, epochs=2, verbose=0, shuffle=False, callbacks=[recorder])
    assert len(recorder.weights) == 5 and int(gan.ema_updates.numpy()) == 4
    mask = trainable_mask(gan)
    assert sum(mask) == 6 and len(mask) == 8, "dense kernels/biases, BN gamma/beta; BN moving statistics"
    expected = numpy_average(recorder.weights, mask, decay, start)
    for name, got, want in zip([v.path for v in gan.generator.weights], gan.ema_generator.get_weights(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)
    live = gan.generator.get_weights()
    assert not np.allclose(gan.ema_generator.get_weights()[0], live[0]), "the average lags the live weights"
    for got, w, t in zip(gan.ema_generator.get_weights(), live, mask):
        if not t:
            np.testing.assert_array_equal(got, w)  # batch-norm statistics are copied, not averaged


def test_decay_zero_tracks_the_live_generator_exactly():
    gan = make_gan(0.0)
    gan.fit(data(), batch_size=4, epochs=2, verbose=0)
    for avg, live in zip(gan.ema_generator.get_weights(), gan.generator.get_weights()):
        np.testing.assert_array_equal(avg, live)
    z = gan.latents(4, seed=1)
    np.testing.assert_array_equal(gan.generate(z=z), gan.generator(z, training=False).numpy())


def test_generate_and_call_use_the_average():
    gan = make_gan(0.9)
    assert gan.sampling_generator is gan.ema_generator
    gan.fit(data(), batch_size=4, epochs=3, verbose=0)
    z = gan.latents(6, seed=3)
    ema = gan.ema_generator(z, training=False).numpy()
    live = gan.generator(z, training=False).numpy()
    assert np.abs(ema - live).max() > 1e-4, "after training the average differs from the live generator"
    np.testing.assert_allclose(gan.generate(z=z), ema, atol=1e-6)
    np.testing.assert_allclose(gan.predict(z, verbose=0), ema, atol=1e-6)
    feed, _ = gan.grid_feed(4, seed=0)
    np.testing.assert_allclose(gan.generate(**feed), gan.ema_generator(feed["z"]).numpy(), atol=1e-6)
    plain = make_gan(None)
    assert plain.ema_generator is None and plain.sampling_generator is plain.generator


def test_keras_round_trip_restores_the_average(tmp_path):
    gan = make_gan(0.9, ema_start=1)
    gan.fit(data(), batch_size=4, epochs=2, verbose=0)
    path = tmp_path / "gan.keras"
    gan.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.ema_decay == 0.9 and loaded.ema_start == 1 and int(loaded.ema_updates.numpy()) == 4
    for a, b in zip(loaded.ema_generator.get_weights(), gan.ema_generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(loaded.generator.get_weights(), gan.generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    z = gan.latents(4, seed=0)
    np.testing.assert_allclose(loaded.generate(z=z), gan.generate(z=z), atol=1e-6)
    # save_weights / load_weights (what BackupAndRestore and ModelCheckpoint use) carries it too.
    gan.save_weights(tmp_path / "w.weights.h5")
    fresh = make_gan(0.9, ema_start=1)
    fresh.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(fresh.ema_generator.get_weights(), gan.ema_generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(fresh.ema_updates.numpy()) == 4


def test_reset_restarts_the_average_at_the_live_weights():
    gan = make_gan(0.9)
    gan.fit(data(), batch_size=4, epochs=1, verbose=0)
    gan.reset_ema()
    for a, b in zip(gan.ema_generator.get_weights(), gan.generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(gan.ema_updates.numpy()) == 0


def test_fit_under_mirrored_strategy_updates_the_average(mirrored):
    with mirrored.scope():
        gan = make_gan(0.5)
    recorder = RecordGenerator()
    gan.fit(data(), batch_size=8, epochs=3, verbose=0, shuffle=False, callbacks=[recorder])
    assert int(gan.ema_updates.numpy()) == 3
    mask = trainable_mask(gan)
    expected = numpy_average(recorder.weights, mask, 0.5, 0)
    for got, want, t in zip(gan.ema_generator.get_weights(), expected, mask):
        if t:
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # Every replica holds the same average; non-synced BN statistics are copied replica by replica.
    for avg, live, t in zip(gan.ema_generator.weights, gan.generator.weights, mask):
        avg_parts = [p.numpy() for p in mirrored.experimental_local_results(avg.value)]
        live_parts = [p.numpy() for p in mirrored.experimental_local_results(live.value)]
        assert len(avg_parts) == 2
        if t:
            np.testing.assert_array_equal(avg_parts[0], avg_parts[1])
        else:
            for a, b in zip(avg_parts, live_parts):
                np.testing.assert_array_equal(a, b)
    assert not np.allclose(gan.ema_generator.get_weights()[0], gan.generator.get_weights()[0])


def test_standing_statistics_under_mirrored_strategy_reach_every_replica(mirrored):
    from zoo.ema import batch_norm_layers

    with mirrored.scope():
        gan = make_gan(0.5, ema_standing_statistics=3)
    gan.fit(data(), batch_size=8, epochs=1, verbose=0, shuffle=False)
    (bn,) = batch_norm_layers(gan.ema_generator)
    (live,) = batch_norm_layers(gan.generator)
    parts = [p.numpy() for p in mirrored.experimental_local_results(bn.moving_variance.value)]
    np.testing.assert_array_equal(parts[0], parts[1])
    assert not np.allclose(parts[0], live.moving_variance.numpy())


def test_config_round_trip_and_variants():
    gan = make_gan(0.99, ema_start=5)
    config = gan.get_config()
    assert config["ema_decay"] == 0.99 and config["ema_start"] == 5
    clone = GAN.from_config(config)
    assert clone.ema_decay == 0.99 and clone.ema_start == 5 and clone.ema_generator is not None
    dcgan = DCGAN(image_shape=(28, 28, 1), latent_dim=8, width=4, ema_decay=0.999)
    assert DCGAN.from_config(dcgan.get_config()).get_config() == dcgan.get_config()
    assert make_gan(None).get_config()["ema_decay"] is None


@pytest.mark.parametrize("kwargs, message", [
    (dict(ema_decay=1.0), r"ema_decay must be None .* or a number in \[0, 1\)"),
    (dict(ema_decay=-0.1), r"ema_decay must be None .* in \[0, 1\).*got -0.1"),
    (dict(ema_decay="0.999"), r"ema_decay must be None"),
    (dict(ema_decay=True), r"ema_decay must be None"),
    (dict(ema_decay=0.9, ema_start=-1), r"ema_start must be an integer >= 0"),
    (dict(ema_decay=0.9, ema_start=2.5), r"ema_start must be an integer >= 0"),
    (dict(ema_decay=None, ema_start=10), r"ema_start=10 only applies to the weight average: set ema_decay"),
])
def test_bad_ema_options_are_rejected(kwargs, message):
    g, d = tiny_networks()
    with pytest.raises(ConfigError, match=message):
        GAN(g, d, **kwargs)


def test_train_cli_saves_the_average_as_generator_keras(tmp_path):
    from recipes.registry import make_config
    from recipes.train import run

    config = make_config("dcgan_mnist", {"steps": 2, "batch_size": 8, "samples": 4, "latent_dim": 8, "width": 4,
                                         "ema_decay": 0.5})
    workdir = str(tmp_path / "run")
    run(config, workdir, verbose=0)
    generator = keras.models.load_model(os.path.join(workdir, "generator.keras"))
    gan = keras.models.load_model(os.path.join(workdir, "gan.keras"))
    for a, b in zip(generator.get_weights(), gan.ema_generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(generator.get_weights(), gan.generator.get_weights()))


def test_standing_statistics_are_the_averaged_generators_own():
    from zoo.ema import batch_norm_layers, standing_statistics

    gan = make_gan(ema_decay=0.9, lr=0.5)
    gan.fit(data(64), batch_size=8, epochs=2, verbose=0)
    ema = gan.ema_generator
    (bn,) = batch_norm_layers(ema)
    features = keras.Model(ema.inputs, bn.input)  # what the batch-norm layer sees
    weights = snapshot(ema.weights)
    copied = np.asarray(bn.moving_mean).copy()
    assert standing_statistics(ema, gan, batches=8, batch_size=32, seed=5) == 1
    # the mean, over the 8 batches, of each batch's statistics of the averaged generator's own activations
    seen = [np.asarray(features(gan.model_inputs(32, seed=5 + i))) for i in range(8)]
    seen = [s.reshape(-1, s.shape[-1]) for s in seen]
    np.testing.assert_allclose(np.asarray(bn.moving_mean), np.mean([s.mean(0) for s in seen], 0), rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_allclose(np.asarray(bn.moving_variance), np.mean([s.var(0) for s in seen], 0), rtol=1e-3,
                               atol=1e-5)
    assert not np.allclose(copied, np.asarray(bn.moving_mean))  # the copied statistics were the live G's
    # nothing else changed: trainable weights, momentum, the frozen flag
    changed = [w.path for w, before in zip(ema.weights, weights) if not np.array_equal(np.asarray(w), before)]
    assert sorted(changed) == sorted([bn.moving_mean.path, bn.moving_variance.path])
    assert bn.momentum == 0.99 and not bn.trainable and not ema.trainable
    with pytest.raises(ConfigError, match="batch_size >= 2"):
        standing_statistics(ema, gan, batch_size=1)


@pytest.mark.parametrize("batches", [0, 4])
def test_fit_ends_every_epoch_with_the_averages_own_statistics(batches):
    from zoo.ema import batch_norm_layers, standing_statistics

    gan = make_gan(ema_decay=0.9, lr=0.5, ema_standing_statistics=batches)
    gan.fit(data(64), batch_size=8, epochs=1, verbose=0)
    (bn,) = batch_norm_layers(gan.ema_generator)
    (live,) = batch_norm_layers(gan.generator)
    after_fit = np.asarray(bn.moving_variance).copy()
    if not batches:  # the copies of the live generator's statistics
        np.testing.assert_array_equal(after_fit, np.asarray(live.moving_variance))
        return
    assert not np.allclose(after_fit, np.asarray(live.moving_variance))
    standing_statistics(gan.ema_generator, gan, batches=batches, seed=0)  # what the epoch's end computed
    np.testing.assert_allclose(np.asarray(bn.moving_variance), after_fit, rtol=1e-5)
    assert GAN.from_config(gan.get_config()).ema_standing_statistics == batches
