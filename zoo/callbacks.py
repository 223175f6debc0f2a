"""Callbacks for ``GAN.fit``."""

import json
import os

import numpy as np
import keras

from zoo.images import save_grid
from zoo.io import float32_copy, save_keras_atomic, save_weights_atomic, write_atomic


class SampleGrid(keras.callbacks.Callback):
    """Writes a PNG grid of samples from fixed latents at the end of every epoch.

    The latents are drawn once (from ``seed``), so successive grids show how
    the same points of latent space evolve during training. A class-conditional
    model gets one row per class, each column one latent (``grid_inputs``); an
    InfoGAN one row per categorical code value (``grid_feed``).

    Args:
        directory: where ``epoch_0001.png``, ``epoch_0002.png``, ... go (created).
        n: number of samples in the grid (a square number looks best).
        seed: seed of the fixed latents.
        every: write a grid every ``every`` epochs (the last epoch always gets one).

    Example:
        >>> gan.fit(ds, epochs=10, callbacks=[SampleGrid("runs/samples", n=64)])
    """

    def __init__(self, directory, n=64, seed=0, every=1):
        super().__init__()
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"SampleGrid n must be a positive integer; got {n!r}.")
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"SampleGrid every must be a positive integer; got {every!r}.")
        self.directory = os.fspath(directory)
        self.n, self.seed, self.every = n, seed, every
        self._feed = self._cols = None
        self.paths = []

    def on_train_begin(self, logs=None):
        os.makedirs(self.directory, exist_ok=True)
        self._last_epoch = self.params.get("epochs") if self.params else None

    def grid(self):
        """``(images, columns)`` of the grid now; subclasses change what a grid shows."""
        if self._feed is None:
            self._feed, self._cols = self.model.grid_feed(self.n, seed=self.seed)
        return self.model.generate(**self._feed), self._cols

    def on_epoch_end(self, epoch, logs=None):
        number = epoch + 1
        if number % self.every and number != self._last_epoch:
            return
        self.save(os.path.join(self.directory, f"epoch_{number:04d}.png"))

    def save(self, path):
        """Writes the current grid to ``path`` (the train CLI's ``final.png`` too)."""
        images, cols = self.grid()
        save_grid(images, path, cols=cols)
        self.paths.append(path)


def _all_finite(logs):
    return all(np.isfinite(float(v)) for v in (logs or {}).values() if np.ndim(v) == 0)


class StopOnNonFinite(keras.callbacks.Callback):
    """Stops training at the first batch where any logged loss is NaN/Inf, and says where.

    Unlike ``keras.callbacks.TerminateOnNaN`` (which watches only ``loss``) it
    checks every term (``d_loss``, ``g_loss``, penalties, ...). After ``fit``
    returns, ``self.failure`` is ``None`` or ``{"epoch", "step", "term", "value"}``
    (``step`` counts batches since the start of this ``fit``).
    """

    def __init__(self):
        super().__init__()
        self.failure = None
        self._step = 0
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        for name, value in (logs or {}).items():
            if np.ndim(value) == 0 and not np.isfinite(float(value)):
                self.failure = {"epoch": self._epoch + 1, "step": self._step, "term": name,
                                "value": float(value)}
                self.model.stop_training = True
                return

    def describe(self):
        f = self.failure
        return None if f is None else (f"{f['term']} became {f['value']} at step {f['step']} "
                                       f"(epoch {f['epoch']})")


class GeneratorSnapshots(keras.callbacks.Callback):
    """Saves the generator after every ``every`` epochs as ``<directory>/epoch_NNNN.keras``.

    The saved network is the one samples come from (``sampling_generator``: the
    weight average when ``ema_decay`` is set), in float32 whatever the training
    precision, written atomically. Epochs whose logged losses are not all finite
    are skipped. These are the checkpoints a study picks its best one from (the
    minimum FID over checkpoints, as in Lucic et al. 2018).

    Example:
        >>> gan.fit(ds, epochs=4, steps_per_epoch=3906, callbacks=[GeneratorSnapshots("runs/x/generators")])
    """

    def __init__(self, directory, every=1):
        super().__init__()
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise ValueError(f"GeneratorSnapshots every must be a positive integer; got {every!r}.")
        self.directory, self.every = os.fspath(directory), every

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every or not _all_finite(logs):
            return
        os.makedirs(self.directory, exist_ok=True)
        path = os.path.join(self.directory, f"epoch_{epoch + 1:04d}.keras")
        save_keras_atomic(float32_copy(self.model.sampling_generator), path)


class FiniteModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """``ModelCheckpoint`` that never overwrites a checkpoint with weights from a diverged epoch,
    and never leaves half a checkpoint.

    An epoch whose logged losses are not all finite is skipped, so the last good
    checkpoint survives a NaN/Inf. Each checkpoint is written to a temporary file
    beside the target and renamed over it, so a process killed while saving leaves
    the previous checkpoint intact.
    """

    def on_epoch_end(self, epoch, logs=None):
        if _all_finite(logs):
            super().on_epoch_end(epoch, logs)

    def _save_model(self, epoch, batch, logs):
        # Keras's own _save_model writes in place; this keeps its file naming and save_best_only logic
        # (private in Keras 3: revisit if it is renamed).
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, batch, logs, filepath):
            return
        os.makedirs(os.path.dirname(os.path.abspath(filepath)), exist_ok=True)
        if self.save_weights_only:
            save_weights_atomic(self.model, filepath)
        else:
            save_keras_atomic(self.model, filepath)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """``keras.callbacks.BackupAndRestore`` whose backup is replaced atomically.

    Keras overwrites ``latest.weights.h5`` and ``training_metadata.json`` in place, so a
    process killed while it saves leaves a truncated file, and the restart fails
    in ``on_train_begin``. Here both are written to temporary files and renamed
    into place (weights first), so the backup on disk is always a complete one:
    the previous epoch's, or this one's. Same arguments as Keras's callback, without
    ``double_checkpoint`` (not needed when a backup cannot be half-written).
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__(backup_dir, save_freq=save_freq, delete_checkpoint=delete_checkpoint)

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        save_weights_atomic(self.model, self._weights_path)
        write_atomic(self._training_metadata_path,
                     json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen}))


class _TwoPlayerView:
    """What a Keras learning-rate callback sees as ``model``: the GAN, with an ``optimizer`` that lists
    both players' optimizers (Keras's LR callbacks then update each one, keeping their ratio)."""

    def __init__(self, gan):
        object.__setattr__(self, "_gan", gan)

    @property
    def optimizer(self):
        return _Optimizers([self._gan.d_optimizer, self._gan.g_optimizer])

    def __getattr__(self, name):
        return getattr(self._gan, name)

    def __setattr__(self, name, value):  # stop_training and friends reach the GAN
        setattr(self._gan, name, value)


class _Optimizers:
    def __init__(self, optimizers):
        self.optimizers = optimizers


class OnBothOptimizers(keras.callbacks.Callback):
    """Runs a Keras learning-rate callback (``ReduceLROnPlateau``, ``LearningRateScheduler``) on both of a
    GAN's optimizers. ``GAN.fit`` wraps those callbacks in it; there is no need to use it by hand."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def set_model(self, model):
        super().set_model(model)
        self.inner.set_model(_TwoPlayerView(model))

    def set_params(self, params):
        super().set_params(params)
        self.inner.set_params(params)


def _forward(hook):
    def call(self, *args, **kwargs):
        return getattr(self.inner, hook)(*args, **kwargs)

    call.__name__ = hook
    return call


for _hook in ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
              "on_train_batch_end"):
    setattr(OnBothOptimizers, _hook, _forward(_hook))

_LR_CALLBACKS = (keras.callbacks.ReduceLROnPlateau, keras.callbacks.LearningRateScheduler)


def adapt_callbacks(gan, callbacks, logged):
    """``callbacks`` ready for ``GAN.fit``: learning-rate callbacks act on both optimizers; a callback that
    would pick the direction of an adversarial loss (``logged``) by itself is refused with what to do."""
    from zoo.errors import ConfigError

    if isinstance(callbacks, keras.callbacks.CallbackList):  # adapted in place (ProGAN passes one)
        callbacks.callbacks = adapt_callbacks(gan, callbacks.callbacks, logged)
        return callbacks
    out = []
    for cb in callbacks or []:
        monitor = getattr(cb, "monitor", None)
        uses_monitor = not isinstance(cb, keras.callbacks.ModelCheckpoint) or getattr(cb, "save_best_only", False)
        if (monitor is not None and uses_monitor and getattr(cb, "mode", None) == "auto"
                and monitor.removeprefix("val_") in logged):
            raise ConfigError(
                f"{type(cb).__name__}(monitor={monitor!r}) watches a GAN loss term: it rises or falls as "
                "either player wins, so it does not say whether samples got better, and Keras cannot tell "
                "which way is good. Monitor a quality metric from zoo.metrics.SampleQuality (e.g. "
                "monitor='fid', mode='min'), or pass mode='min' or 'max' if you mean the loss itself."
            )
        if isinstance(cb, _LR_CALLBACKS):
            schedules = [o for o in (gan.d_optimizer, gan.g_optimizer) if not _assignable_lr(o)]
            if schedules:
                raise ConfigError(
                    f"{type(cb).__name__} sets the learning rate, but the GAN's optimizers follow a "
                    "LearningRateSchedule (e.g. zoo.LinearDecay), which cannot be assigned: use one or the other."
                )
            cb = OnBothOptimizers(cb)
        out.append(cb)
    return out


def _assignable_lr(optimizer):
    inner = getattr(optimizer, "inner_optimizer", optimizer)  # LossScaleOptimizer
    return not isinstance(getattr(inner, "_learning_rate", None), keras.optimizers.schedules.LearningRateSchedule)
