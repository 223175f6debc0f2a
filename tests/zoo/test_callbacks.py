import csv
import glob
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import read_events, read_hparams, tiny_networks
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
        def d_loss_terms(self, step):
            terms = super().d_loss_terms(step)
            updates = tf.cast(self.d_optimizer.iterations, tf.float32)
            terms["d_loss"] = terms["d_loss"] + tf.where(updates >= from_d_step, value, 0.0)
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


def test_save_grid_scale_enlarges_every_pixel(tmp_path):
    from zoo.images import save_grid

    images = np.random.default_rng(0).uniform(-1, 1, (5, 4, 4, 1)).astype("float32")
    plain = make_grid(images, cols=3)
    assert plain.shape == (2 * 5 + 1, 3 * 5 + 1, 1)
    written = save_grid(images, str(tmp_path / "g.png"), cols=3, scale=3)
    png = tf.io.decode_png(tf.io.read_file(str(tmp_path / "g.png"))).numpy()
    assert png.shape == written.shape == (3 * 11, 3 * 16, 1)
    np.testing.assert_array_equal(png[::3, ::3], plain)  # nearest neighbour: 3x3 blocks of each pixel
    np.testing.assert_array_equal(png[2::3, 1::3], plain)
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="scale must be a positive integer"):
            save_grid(images, str(tmp_path / "bad.png"), scale=bad)


def test_sample_grid_scale(tmp_path):
    gan = make_gan()
    gan.fit(DATA, batch_size=8, epochs=1, verbose=0, callbacks=[SampleGrid(tmp_path, n=4, scale=2)])
    png = tf.io.decode_png(tf.io.read_file(str(tmp_path / "epoch_0001.png"))).numpy()
    assert png.shape == (2 * (2 * 5 + 1), 2 * (2 * 5 + 1), 1)


def test_tensorboard_writes_the_sample_grid_both_learning_rates_and_the_hparams(tmp_path):
    import zoo

    keras.utils.set_random_seed(0)
    g, d = tiny_networks()
    gan = GAN(g, d, seed=0)
    decay = keras.optimizers.schedules.ExponentialDecay(1e-3, decay_steps=2, decay_rate=0.5)
    gan.compile(d_optimizer=keras.optimizers.Adam(4e-4), g_optimizer=keras.optimizers.Adam(decay))
    grid = SampleGrid(tmp_path / "samples", n=4, seed=1, scale=2)
    board = zoo.TensorBoard(str(tmp_path / "tb"), grid=grid,
                            hparams={"g_lr": 1e-3, "loss": "non_saturating", "image_size": None,
                                     "model": {"width": 4, "widths": (8, 4)}})
    history = gan.fit(DATA, batch_size=8, epochs=3, verbose=0, callbacks=[grid, board])

    train = read_events(tmp_path / "tb" / "train")
    assert [step for step, _ in train["samples"]] == [0, 1, 2], "one image per epoch"
    last = tf.io.decode_png(tf.io.read_file(str(tmp_path / "samples" / "epoch_0003.png"))).numpy()
    np.testing.assert_array_equal(train["samples"][-1][1], last)  # the PNG's grid, scale included
    assert last.shape == (2 * 11, 2 * 11, 1)
    assert train["epoch_d_learning_rate"] == [(e, pytest.approx(4e-4)) for e in range(3)]
    # The schedule's value after each epoch's 2 generator updates: halved every 2 steps.
    assert train["epoch_g_learning_rate"] == [(e, pytest.approx(1e-3 * 0.5 ** (2 * (e + 1) / 2))) for e in range(3)]
    assert [step for step, _ in train["epoch_d_loss"]] == [0, 1, 2]
    assert "d_learning_rate" not in history.history, "the rates go to TensorBoard, not to the other callbacks' logs"

    assert read_hparams(tmp_path / "tb") == {"g_lr": pytest.approx(1e-3), "loss": "non_saturating",
                                             "image_size": "None", "model.width": 4, "model.widths": "(8, 4)"}


def test_tensorboard_per_step_scalars_keep_the_epoch_ones(tmp_path):
    import zoo

    gan = make_gan()
    # 4 steps per epoch, a record every 3: Keras alone would drop the epoch scalars of an epoch whose last
    # step is not recorded.
    board = zoo.TensorBoard(str(tmp_path / "tb"), grid=4, scale=3, update_freq=3)
    gan.fit(DATA, batch_size=4, epochs=2, verbose=0, callbacks=[board])
    train = read_events(tmp_path / "tb" / "train")
    for tag in ("batch_d_loss", "batch_g_loss", "batch_d_learning_rate", "batch_g_learning_rate"):
        assert [step for step, _ in train[tag]] == [3, 6], tag
    for tag in ("epoch_d_loss", "epoch_d_learning_rate", "epoch_g_learning_rate"):
        assert [step for step, _ in train[tag]] == [0, 1], tag
    assert [image.shape for _, image in train["samples"]] == [(3 * 11, 3 * 11, 1)] * 2
    assert read_hparams(tmp_path / "tb") is None, "no hparams given, none written"


def test_tensorboard_rejects_bad_arguments(tmp_path):
    import zoo

    with pytest.raises(ValueError, match="grid must be a SampleGrid"):
        zoo.TensorBoard(str(tmp_path), grid="yes")
    with pytest.raises(ValueError, match="grid_freq must be a positive integer"):
        zoo.TensorBoard(str(tmp_path), grid_freq=0)
    with pytest.raises(ValueError, match="hparams must be a dict"):
        zoo.TensorBoard(str(tmp_path), hparams=[("g_lr", 1e-3)])


def test_csv_logger_has_no_empty_validation_columns_and_keeps_the_header_when_appending(tmp_path):
    import zoo

    path = tmp_path / "losses.csv"
    gan = make_gan()
    gan.fit(DATA, batch_size=8, epochs=2, verbose=0, callbacks=[zoo.CSVLogger(str(path), append=True)])
    with open(path) as f:
        header = next(csv.reader(f))
    assert header == ["epoch", "d_loss", "g_loss", "loss"]
    # An earlier run's file with other columns (Keras's val_* ones): appended rows follow its header.
    path.write_text("epoch,d_loss,g_loss,loss,val_d_loss\n0,1,2,3,NA\n")
    gan.fit(DATA, batch_size=8, epochs=1, verbose=0, callbacks=[zoo.CSVLogger(str(path), append=True)])
    with open(path) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "d_loss", "g_loss", "loss", "val_d_loss"] and len(rows) == 3
    assert len(rows[2]) == 5 and rows[2][-1] == "NA"
