"""A process killed while it writes a checkpoint or a backup leaves the previous one intact.

The "kill" is a model whose ``save_weights`` writes half a file and then dies (a BaseException,
as nothing may catch it); Keras's own callbacks, which write in place, are run through the same
scenario to show what the zoo's callbacks prevent.
"""

import os

import keras
import numpy as np
import pytest

import zoo
from zoo.callbacks import AtomicBackupAndRestore, FiniteModelCheckpoint
from zoo.io import save_weights_atomic

from conftest import tiny_networks  # noqa: E402

DATA = np.random.default_rng(0).uniform(-1, 1, (16, 4, 4, 1)).astype("float32")  # 2 steps of 8 an epoch


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs."""


def tiny_gan():
    """A dense 4x4 GAN with batch norm, run eagerly: these tests are about files, not speed of steps."""
    keras.utils.set_random_seed(0)
    gan = zoo.GAN(*tiny_networks(), seed=0)
    gan.compile(run_eagerly=True)
    return gan


def dies_while_saving(gan, monkeypatch):
    def save_weights(filepath, overwrite=True, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)  # the first bytes of an HDF5 file, then nothing
        raise Killed()

    monkeypatch.setattr(gan, "save_weights", save_weights)


class CrashAtEpochEnd(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("crash")


def fit(gan, callbacks, epochs=4):
    return gan.fit(DATA, batch_size=8, epochs=epochs, verbose=0, shuffle=False, callbacks=callbacks)


@pytest.mark.parametrize("backup_class, survives", [
    (AtomicBackupAndRestore, True),
    (keras.callbacks.BackupAndRestore, False),
])
def test_a_kill_while_the_backup_is_written_leaves_a_resumable_backup(tmp_path, monkeypatch, backup_class,
                                                                      survives):
    backup = str(tmp_path / "backup")
    with pytest.raises(RuntimeError, match="crash"):  # backups after epochs 0 and 1, then a crash
        fit(tiny_gan(), [backup_class(backup), CrashAtEpochEnd(1)])
    killed = tiny_gan()
    dies_while_saving(killed, monkeypatch)
    with pytest.raises(Killed):  # resumes at epoch 2 and dies while backing it up
        fit(killed, [backup_class(backup)])
    restarted = tiny_gan()
    if not survives:
        with pytest.raises(OSError):  # Keras's in-place backup: the restart cannot read it
            fit(restarted, [backup_class(backup)])
        return
    history = fit(restarted, [backup_class(backup)])
    assert history.epoch == [2, 3], "resumed from the last complete backup (after epoch 1)"
    assert int(restarted.g_optimizer.iterations) == 8 and int(restarted.d_optimizer.iterations) == 8
    assert not os.path.exists(backup)


def test_the_atomic_backup_resumes_like_keras_and_leaves_no_temporary_files(tmp_path):
    backup = str(tmp_path / "backup")
    gan = tiny_gan()
    with pytest.raises(RuntimeError, match="crash"):
        fit(gan, [AtomicBackupAndRestore(backup), CrashAtEpochEnd(0)])
    assert sorted(os.listdir(backup)) == ["latest.weights.h5", "training_metadata.json"]
    resumed = tiny_gan()
    history = fit(resumed, [AtomicBackupAndRestore(backup)], epochs=3)
    assert history.epoch == [1, 2] and int(resumed.g_optimizer.iterations) == 6


@pytest.mark.parametrize("checkpoint_class, survives", [
    (FiniteModelCheckpoint, True),
    (keras.callbacks.ModelCheckpoint, False),
])
def test_a_kill_while_a_checkpoint_is_written_leaves_the_previous_one(tmp_path, monkeypatch, checkpoint_class,
                                                                     survives):
    path = str(tmp_path / "checkpoints" / "last.weights.h5")
    gan = tiny_gan()
    fit(gan, [checkpoint_class(path, save_weights_only=True)], epochs=1)
    dies_while_saving(gan, monkeypatch)
    with pytest.raises(Killed):
        fit(gan, [checkpoint_class(path, save_weights_only=True)], epochs=1)
    fresh = tiny_gan()
    if not survives:
        with pytest.raises(OSError):
            fresh.load_weights(path)
        return
    fresh.load_weights(path)
    assert int(fresh.g_optimizer.iterations) == 2, "the checkpoint of the first fit"
    assert os.listdir(tmp_path / "checkpoints") == ["last.weights.h5"], "no temporary file left"


def test_save_weights_atomic_wants_a_weights_path(tmp_path):
    with pytest.raises(ValueError, match=r"must end in \.weights\.h5; got '.*model\.h5'"):
        save_weights_atomic(tiny_gan(), str(tmp_path / "model.h5"))
