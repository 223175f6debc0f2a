"""A training run killed with SIGKILL and started again with the same command resumes where its last
backup left it and finishes with a valid generator.

``recipes.train`` backs up with ``keras.callbacks.BackupAndRestore`` at the end of every epoch
(``backup/latest.weights.h5`` + ``backup/training_metadata.json``), so the run here has short
epochs: the embedded MNIST test split (2,000 digits) in batches of 32 is 62 steps an epoch.
"""

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

import zoo
from zoo import pretrained

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EPOCHS, BATCH, SPLIT_SIZE = 5, 32, 2000
STEPS_PER_EPOCH = SPLIT_SIZE // BATCH


def _command(workdir):
    return [sys.executable, "-m", "recipes.train", "--recipe=dcgan_mnist", f"--workdir={workdir}",
            f"--epochs={EPOCHS}", f"--batch_size={BATCH}", "--seed=0", "--config", "width=4",
            "--config", "latent_dim=8", "--config", "split=test", "--config", "samples=4"]


def _backup_epoch(workdir):
    """The epoch the backup would resume at, or None (no backup yet, or one being written)."""
    try:
        with open(os.path.join(workdir, "backup", "training_metadata.json")) as f:
            return int(json.load(f)["epoch"])
    except (OSError, ValueError, KeyError):
        return None


def _csv_epochs(workdir):
    with open(os.path.join(workdir, "losses.csv")) as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


@pytest.mark.slow
def test_a_run_killed_with_sigkill_resumes_from_its_last_backup(tmp_path):
    workdir = str(tmp_path / "run")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    log = open(tmp_path / "first.log", "w")
    proc = subprocess.Popen(_command(workdir), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        # Watch two backups appear, to learn how long an epoch takes, then kill at a random point of the
        # next epoch (away from its ends, where the backup itself is being written; see
        # test_a_damaged_backup_does_not_crash_the_restart for that window).
        seen, deadline = {}, time.monotonic() + 300
        while len(seen) < 2:
            assert proc.poll() is None, f"the run ended before it could be killed: {(tmp_path / 'first.log').read_text()[-2000:]}"
            assert time.monotonic() < deadline, "no backups within 300 s"
            epoch = _backup_epoch(workdir)
            if epoch is not None and epoch not in seen:
                seen[epoch] = time.monotonic()
            time.sleep(0.01)
        (e1, t1), (e2, t2) = sorted(seen.items())
        epoch_seconds = (t2 - t1) / (e2 - e1)
        time.sleep(rng.uniform(0.15, 0.75) * epoch_seconds)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()

    resume_at = _backup_epoch(workdir)
    context = f"random seed {seed}, killed during epoch index {resume_at} (epoch {epoch_seconds:.2f} s)"
    assert resume_at is not None and 1 <= resume_at < EPOCHS, context
    assert not os.path.exists(os.path.join(workdir, "summary.json")), context
    before_restart = _csv_epochs(workdir)
    assert before_restart == list(range(resume_at)), context

    second = subprocess.run(_command(workdir), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, f"{context}\n{second.stderr[-3000:]}"
    assert "Done in" in second.stdout

    with open(os.path.join(workdir, "summary.json")) as f:
        summary = json.load(f)
    assert summary["status"] == "finished" and summary["steps_per_epoch"] == STEPS_PER_EPOCH
    # Only the epochs the first run had not finished were trained again...
    assert summary["steps_this_run"] == (EPOCHS - resume_at) * STEPS_PER_EPOCH, context
    assert _csv_epochs(workdir) == list(range(EPOCHS)), "one losses.csv row per epoch, none twice"
    assert not os.path.exists(os.path.join(workdir, "backup")), "the backup is removed once finished"
    assert os.path.isfile(os.path.join(workdir, "samples", f"epoch_{EPOCHS:04d}.png"))

    # ... on top of the restored optimizer state: its step counters cover every epoch.
    gan = keras.saving.load_model(os.path.join(workdir, "gan.keras"), safe_mode=True)
    assert int(gan.g_optimizer.iterations) == EPOCHS * STEPS_PER_EPOCH, context
    assert int(gan.d_optimizer.iterations) == EPOCHS * STEPS_PER_EPOCH, context

    generator = pretrained.load_keras_file(os.path.join(workdir, "generator.keras"))  # safe mode
    images = pretrained.PretrainedGenerator(generator, zoo.describe("dcgan_mnist")).generate(16, seed=0)
    assert images.shape == (16, 28, 28, 1)
    assert np.all(np.isfinite(images)) and np.abs(images).max() <= 1.0
    assert images.std() > 1e-3, "not a constant image"
    np.testing.assert_allclose(images, gan.generate(z=pretrained.PretrainedGenerator(
        generator, zoo.describe("dcgan_mnist")).latents(16, seed=0)), atol=1e-6)


# ------------------------------------------------------------------ what the backup does not cover


class _CrashAfterFirstEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        raise RuntimeError("simulated kill")


class _StateAtStart(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.state = np.array(self.model.seed_generator.state.numpy())
        self.model.stop_training = True


def _tiny_gan():
    gan = zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=8, width=4, seed=0)
    gan.compile()
    return gan


def test_a_resumed_run_continues_the_latent_random_stream(tmp_path):
    x = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    backup = str(tmp_path / "backup")
    gan = _tiny_gan()
    with pytest.raises(RuntimeError, match="simulated kill"):
        gan.fit(x, batch_size=8, epochs=3, verbose=0, shuffle=False,
                callbacks=[keras.callbacks.BackupAndRestore(backup), _CrashAfterFirstEpoch()])
    at_backup = gan.seed_generator.state.numpy()
    assert at_backup.any(), "two steps drew latents"
    resumed, probe = _tiny_gan(), _StateAtStart()
    resumed.fit(x, batch_size=8, epochs=3, verbose=0, shuffle=False,
                callbacks=[keras.callbacks.BackupAndRestore(backup), probe])
    np.testing.assert_array_equal(probe.state, at_backup)


class _Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs."""


def test_a_kill_while_the_backup_is_written_does_not_break_the_restart(tmp_path, monkeypatch):
    from recipes.registry import make_config
    from recipes.train import run

    digits = np.random.default_rng(0).integers(0, 256, (32, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "digits.npz", x_train=digits)  # 4 steps of 8 an epoch
    config = make_config("dcgan_mnist", {"dataset": str(tmp_path / "digits.npz"), "epochs": 3, "batch_size": 8,
                                         "samples": 4, "latent_dim": 8, "width": 4})
    workdir = str(tmp_path / "run")
    original, calls = keras.Model.save_weights, []

    def save_weights(self, filepath, overwrite=True, **kwargs):
        calls.append(str(filepath))
        if len(calls) == 4:  # checkpoint, then backup, after epoch 0; the same after epoch 1 (killed in its backup)
            with open(filepath, "wb") as f:
                f.write(b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)
            raise _Killed()
        return original(self, filepath, overwrite=overwrite, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(keras.Model, "save_weights", save_weights)
        with pytest.raises(_Killed):
            run(config, workdir, verbose=0)
    assert "checkpoints" in calls[0] and "backup" in calls[1] and "backup" in calls[3], calls
    summary = run(config, workdir, verbose=0)  # the same command again
    assert summary["steps_this_run"] == 2 * 4, "resumed from the complete backup of epoch 0"
