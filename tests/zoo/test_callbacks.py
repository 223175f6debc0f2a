import csv
import glob
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_networks
from zoo import GAN, SampleGrid
from zoo.images import make_grid


def make_gan(cls=GAN, seed=0):
    keras.utils.set_random_seed(seed)
    g, d = tiny_networks()
    gan = cls(g, d, seed=seed)
    gan.compile()
    return gan


DATA = np.random.default_rng(0).uniform(-1, 1, (16, 4, 4, 1)).astype("float32")


def test_sample_grid_writes_one_png_per_epoch_from_fixed_latents(tmp_path):
    gan = make_gan()
    grid = SampleGrid(tmp_path / "samples", n=9, seed=1)
    gan.fit(DATA, batch_size=8, epochs=3, callbacks=[grid], verbose=0)
    files = sorted(os.listdir(tmp_path / "samples"))
    assert files == ["epoch_0001.png", "epoch_0002.png", "epoch_0003.png"]
    png = tf.io.decode_png(tf.io.read_file(str(tmp_path / "samples" / files[-1]))).numpy()
    assert png.shape == (3 * 5 + 1, 3 * 5 + 1, 1)  # 3x3 tiles of 4x4 with 1-pixel padding
    np.testing.assert_array_equal(png, make_grid(gan.generate(z=gan.latents(9, seed=1))))


def test_sample_grid_every_n_epochs_keeps_the_last(tmp_path):
    gan = make_gan()
    gan.fit(DATA, batch_size=8, epochs=5, verbose=0,
            callbacks=[SampleGrid(tmp_path, n=4, every=2)])
    assert sorted(os.listdir(tmp_path)) == ["epoch_0002.png", "epoch_0004.png", "epoch_0005.png"]


def test_sample_grid_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="n must be a positive integer"):
        SampleGrid(tmp_path, n=0)


def test_model_checkpoint_tensorboard_and_csv_logger(tmp_path):
    gan = make_gan()
    ckpt = str(tmp_path / "ckpt.weights.h5")
    callbacks = [
        keras.callbacks.ModelCheckpoint(ckpt, save_weights_only=True),
        keras.callbacks.TensorBoard(str(tmp_path / "tb")),
        keras.callbacks.CSVLogger(str(tmp_path / "log.csv")),
    ]
    gan.fit(DATA, batch_size=8, epochs=2, callbacks=callbacks, verbose=0)
    # The checkpoint restores the generator exactly into a fresh model.
    fresh = make_gan(seed=5)
    z = gan.latents(4, seed=0)
    assert not np.allclose(fresh.generate(z=z), gan.generate(z=z))
    fresh.load_weights(ckpt)
    np.testing.assert_allclose(fresh.generate(z=z), gan.generate(z=z), atol=1e-6)
    assert int(fresh.g_optimizer.iterations) == 4
    assert glob.glob(str(tmp_path / "tb" / "train" / "events.out.tfevents.*"))
    with open(tmp_path / "log.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["0", "1"]
    assert {"d_loss", "g_loss", "loss"} <= set(rows[0])
    assert all(np.isfinite(float(r["d_loss"])) for r in rows)


def diverging_gan_class(from_d_step, value):
    """A GAN whose d_loss becomes ``value`` (NaN/Inf) once D has taken ``from_d_step`` steps."""

    class Diverging(GAN):
        def d_loss_terms(self, real, fake, condition, real_logits, fake_logits):
            terms = super().d_loss_terms(real, fake, condition, real_logits, fake_logits)
            step = tf.cast(self.d_optimizer.iterations, tf.float32)
            terms["d_loss"] = terms["d_loss"] + tf.where(step >= from_d_step, value, 0.0)
            return terms

    return Diverging


def test_terminate_on_nan_stops_a_diverging_gan():
    gan = make_gan(diverging_gan_class(2, np.nan))
    seen = []
    counter = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))
    history = gan.fit(DATA, batch_size=4, epochs=5, verbose=0,
                      callbacks=[counter, keras.callbacks.TerminateOnNaN()])
    assert gan.stop_training
    assert len(seen) == 3, "stopped at the first batch whose loss is NaN"
    assert len(history.epoch) == 1


class _Crash(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise RuntimeError("simulated crash")


def test_backup_and_restore_resumes_where_training_stopped(tmp_path):
    backup = str(tmp_path / "backup")
    gan = make_gan()
    with pytest.raises(RuntimeError, match="simulated crash"):
        gan.fit(DATA, batch_size=8, epochs=4, verbose=0,
                callbacks=[keras.callbacks.BackupAndRestore(backup), _Crash()])
    z = gan.latents(4, seed=0)
    after_two_epochs = gan.generate(z=z)
    # A new process would rebuild the model from scratch and run the same command.
    resumed = make_gan(seed=9)
    history = resumed.fit(DATA, batch_size=8, epochs=4, verbose=0,
                          callbacks=[keras.callbacks.BackupAndRestore(backup)])
    assert history.epoch == [2, 3], "epochs 0 and 1 were restored, not rerun"
    assert int(resumed.g_optimizer.iterations) == 8 and int(resumed.d_optimizer.iterations) == 8
    assert not os.path.exists(backup), "the backup is removed once training finishes"
    assert not np.allclose(resumed.generate(z=z), after_two_epochs)


def test_divergence_stops_with_its_step_and_keeps_the_last_good_checkpoint(tmp_path):
    from zoo import FiniteModelCheckpoint, StopOnNonFinite

    gan = make_gan(diverging_gan_class(5, np.inf))
    ckpt = str(tmp_path / "last.weights.h5")
    stop = StopOnNonFinite()
    gan.fit(DATA, batch_size=4, epochs=3, verbose=0, shuffle=False,
            callbacks=[stop, FiniteModelCheckpoint(ckpt, save_weights_only=True)])
    # 4 batches per epoch: steps 1-4 finite (epoch 1), step 6 sees iterations >= 5.
    assert stop.failure == {"epoch": 2, "step": 6, "term": "d_loss", "value": float("inf")}
    assert stop.describe() == "d_loss became inf at step 6 (epoch 2)"
    good = make_gan(seed=3)
    good.load_weights(ckpt)
    assert int(good.d_optimizer.iterations) == 4, "the checkpoint is the one from the finite epoch 1"
