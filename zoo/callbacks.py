"""Callbacks for ``GAN.fit``."""

import csv
import json
import os

import numpy as np
import keras

from zoo.errors import ConfigError
from zoo.images import check_scale, make_grid, save_png
from zoo.pretrained import saved_generator
from zoo.io import save_keras_atomic, save_weights_atomic, write_atomic


class SampleGrid(keras.callbacks.Callback):
    """Writes a PNG grid of samples from fixed latents at the end of every epoch.

    The latents are drawn once (from ``seed``), so successive grids show how
    the same points of latent space evolve during training. A class-conditional
    model gets one row per class, each column one latent (``grid_inputs``); an
    InfoGAN one row per categorical code value (``grid_feed``).

    Args:
        directory: where ``epoch_0001.png``, ``epoch_0002.png``, ... go (created); ``None`` writes
            no PNGs (the grid then serves ``zoo.TensorBoard`` and ``save`` only).
        n: number of samples in the grid (a square number looks best).
        seed: seed of the fixed latents.
        every: write a grid every ``every`` epochs (the last epoch always gets one).
        scale: enlarge the grid ``scale`` times, nearest neighbour (3 makes 28x28 digits legible).

    Example:
        >>> gan.fit(ds, epochs=10, callbacks=[SampleGrid("runs/samples", n=64, scale=3)])
    """

    def __init__(self, directory, n=64, seed=0, every=1, scale=1):
        super().__init__()
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"SampleGrid n must be a positive integer; got {n!r}.")
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"SampleGrid every must be a positive integer; got {every!r}.")
        self.directory = None if directory is None else os.fspath(directory)
        self.n, self.seed, self.every, self.scale = n, seed, every, check_scale(scale)
        self._feed = self._cols = None
        self._last_epoch = None
        self._epoch_image = None  # (key, image): the grid of an epoch's end, shared by PNG and TensorBoard
        self.paths = []

    def on_train_begin(self, logs=None):
        if self.directory is not None:
            os.makedirs(self.directory, exist_ok=True)
        self._last_epoch = self.params.get("epochs") if self.params else None

    def grid(self):
        """``(images, columns)`` of the grid now; subclasses change what a grid shows."""
        if self._feed is None:
            self._feed, self._cols = self.model.grid_feed(self.n, seed=self.seed)
        return self.model.generate(**self._feed), self._cols

    def image(self):
        """The grid now as one uint8 ``(H, W, C)`` image, tiled and scaled: what the PNGs hold."""
        images, cols = self.grid()
        return make_grid(images, cols, scale=self.scale)

    def due(self, epoch):
        """Whether ``epoch`` (0-based) gets a grid: every ``every``-th, and the last of the ``fit``."""
        number = epoch + 1
        return not number % self.every or number == self._last_epoch

    def epoch_image(self, epoch):
        """``image()`` at the end of ``epoch``, made once however many callbacks show it (the
        PNG, ``zoo.TensorBoard``): it is remade when the epoch or the model's update counts differ."""
        key = (epoch, _update_counts(self.model))
        if self._epoch_image is None or self._epoch_image[0] != key:
            self._epoch_image = (key, self.image())
        return self._epoch_image[1]

    def on_epoch_end(self, epoch, logs=None):
        if self.directory is None or not self.due(epoch):
            return
        self._write(os.path.join(self.directory, f"epoch_{epoch + 1:04d}.png"), self.epoch_image(epoch))

    def save(self, path):
        """Writes the current grid to ``path`` (the train CLI's ``final.png`` too)."""
        self._write(path, self.image())

    def _write(self, path, image):
        save_png(image, path)
        self.paths.append(path)


def _update_counts(model):
    """The update counts of a model's optimizers (a GAN's two): they change whenever its weights train."""
    names = ("d_optimizer", "g_optimizer", "optimizer")
    optimizers = [getattr(model, name, None) for name in names]
    # convert_to_numpy, not int(): under a tf.distribute strategy the counter is a MirroredVariable.
    return tuple(int(keras.ops.convert_to_numpy(o.iterations)) for o in optimizers
                 if getattr(o, "iterations", None) is not None)


def _learning_rate(optimizer):
    """An optimizer's learning rate now, as a float (a ``LearningRateSchedule``'s value at its step)."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)  # LossScaleOptimizer
    return float(keras.ops.convert_to_numpy(inner.learning_rate))


def _hparam_items(values, prefix=""):
    """``values`` flattened (``{"model": {"width": 64}}`` -> ``{"model.width": 64}``) with every value a
    bool, int, float or str (others, None and tuples included, as their text)."""
    out = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_hparam_items(value, f"{name}."))
            continue
        if isinstance(value, np.generic):
            value = value.item()
        out[name] = value if isinstance(value, (bool, int, float, str)) else str(value)
    return out


class TensorBoard(keras.callbacks.TensorBoard):
    """``keras.callbacks.TensorBoard`` for a GAN: besides the losses, sample grids, both players'
    learning rates and the run's hyperparameters.

    * Images: ``samples`` (in the ``train`` run), the grid of ``grid``: a ``SampleGrid`` (the same
      fixed latents, layout and scale as its PNGs; pass the one in the callback list and each grid is
      generated once), an int (a grid of that many samples from fixed latents drawn with ``seed``,
      enlarged ``scale`` times) or ``None`` (no images). Written after every ``grid_freq``-th epoch and
      the last one, at step = epoch (0-based), as Keras's ``epoch_*`` scalars.
    * Scalars ``epoch_d_learning_rate`` and ``epoch_g_learning_rate``: the discriminator's and the
      generator's learning rates (a ``LearningRateSchedule``'s value at its optimizer's step). With
      ``update_freq`` a number of steps, ``batch_*`` scalars of the losses and both rates every that
      many steps too (and, unlike with Keras's callback, the ``epoch_*`` scalars of an epoch whose last
      step is not a multiple of it are kept).
    * Hyperparameters: ``hparams`` (a dict, e.g. a recipe's config; nested dicts flatten to
      ``outer.inner``, values other than bool, int, float and str are written as text) once at train
      start, into ``log_dir`` itself, so TensorBoard's HParams dashboard lists the run, with the scalars
      of its ``train`` run as metrics. Without ``tensorboard.plugins.hparams`` they go to a text summary
      ``hparams`` instead.

    Other arguments are Keras's (``update_freq``, ``histogram_freq``, ...). The learning rates and
    images are not added to the logs other callbacks see (``History``, ``CSVLogger``).

    Example:
        >>> grid = zoo.SampleGrid("runs/x/samples", n=64, scale=3)
        >>> tb = zoo.TensorBoard("runs/x/tensorboard", grid=grid, hparams={"g_lr": 2e-4, "d_lr": 2e-4})
        >>> gan.fit(ds, epochs=10, callbacks=[grid, tb])

    Then ``tensorboard --logdir runs``. TensorBoard shows 10 images per tag unless it is started with
    ``--samples_per_plugin=images=100`` (or 0 for all).
    """

    def __init__(self, log_dir="logs", grid=64, grid_freq=1, hparams=None, seed=0, scale=1, **kwargs):
        super().__init__(log_dir=log_dir, **kwargs)
        if not isinstance(grid_freq, int) or isinstance(grid_freq, bool) or grid_freq < 1:
            raise ValueError(f"TensorBoard grid_freq must be a positive integer; got {grid_freq!r}.")
        if isinstance(grid, bool) or not (grid is None or isinstance(grid, (int, SampleGrid))):
            raise ValueError(f"TensorBoard grid must be a SampleGrid, a number of samples or None; got {grid!r}.")
        if hparams is not None and not isinstance(hparams, dict):
            raise ValueError(f"TensorBoard hparams must be a dict or None; got {type(hparams).__name__}.")
        self._own_grid = isinstance(grid, int)
        self.grid = SampleGrid(None, n=grid, seed=seed, every=grid_freq, scale=scale) if self._own_grid else grid
        self.grid_freq = grid_freq
        self.hparams = None if hparams is None else _hparam_items(hparams)
        self._batches = 0

    def set_model(self, model):  # the grid may not be in the callback list itself
        super().set_model(model)
        if self.grid is not None:
            self.grid.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        if self.grid is not None:
            self.grid.set_params(params)

    def on_train_begin(self, logs=None):
        if self._own_grid and getattr(self.model, "latent_dim", 0) is None:
            raise ConfigError(
                f"{type(self.model).__name__} translates images and has no latents to draw a sample grid from: "
                "pass zoo.TensorBoard(grid=recipes.translation.TranslationGrid(None, inputs, targets)) to show "
                "fixed examples, or grid=None for no images."
            )
        super().on_train_begin(logs)
        self._batches = 0
        self._last_epoch = self.params.get("epochs") if self.params else None
        if self.hparams:
            self._write_hparams()

    def _learning_rates(self):
        model = self.model
        return {f"{player}_learning_rate": _learning_rate(opt)
                for player, opt in (("d", getattr(model, "d_optimizer", None)),
                                    ("g", getattr(model, "g_optimizer", None))) if opt is not None}

    def on_train_batch_begin(self, batch, logs=None):
        self._batches += 1
        super().on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq != "epoch" and isinstance(logs, dict) and self._batches % self.update_freq == 0:
            logs = {**logs, **self._learning_rates()}  # Keras writes batch_<key> for each
        super().on_train_batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        import tensorflow as tf

        with tf.summary.record_if(True):  # not subject to the per-step update_freq of the last batch
            super().on_epoch_end(epoch, {**(logs or {}), **self._learning_rates()})
            number = epoch + 1
            if self.grid is not None and (not number % self.grid_freq or number == self._last_epoch):
                # Keras's writer of the train run (a private property of Keras 3's callback: revisit if renamed).
                with self._train_writer.as_default():
                    tf.summary.image("samples", self.grid.epoch_image(epoch)[None], step=epoch)

    def _write_hparams(self):
        import tensorflow as tf

        writer = tf.summary.create_file_writer(self.log_dir)
        try:
            with writer.as_default(), tf.summary.record_if(True):
                try:
                    from tensorboard.plugins.hparams import api as hp
                except ImportError:  # no HParams plugin: a table in the Text dashboard
                    rows = "\n".join(f"| {k} | {v} |" for k, v in self.hparams.items())
                    tf.summary.text("hparams", f"| hyperparameter | value |\n|---|---|\n{rows}", step=0)
                else:
                    hp.hparams(self.hparams)
        finally:
            writer.close()


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

    Args:
        directory: where the ``epoch_NNNN.keras`` files go (created if missing).
        every: save after every ``every`` epochs (a positive integer).

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
        save_keras_atomic(saved_generator(self.model), path)


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


class CSVLogger(keras.callbacks.CSVLogger):
    """``keras.callbacks.CSVLogger`` whose columns are the values logged, and no empty ``val_*`` ones.

    Keras's logger, when the first epoch's logs hold no ``val_*`` key, adds a ``val_<key>`` column for
    every key, in case validation starts at a later epoch (``validation_freq``), and fills them with
    ``NA``. A GAN trains without validation data, so here the columns are exactly the keys logged at
    the end of the first epoch (``val_*`` ones among them when that epoch was validated). When
    appending to a file that has a header, its columns are kept, so the rows of a resumed run line up
    with those written before. Same arguments as Keras's callback.
    """

    def on_train_begin(self, logs=None):
        self._header_keys = None
        if self.append and os.path.isfile(self.filename):
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.sep), None)
            if header and header[0] == "epoch":
                self._header_keys = header[1:]
        super().on_train_begin(logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.keys is None:  # set before Keras's own choice, which adds the val_* columns
            self.keys = list(self._header_keys) if self._header_keys is not None else sorted(logs or {})
        super().on_epoch_end(epoch, logs)


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
    would pick the direction of an adversarial loss (``logged``) by itself is refused with what to do; the
    model's own ``training_callbacks()`` go first."""
    if isinstance(callbacks, keras.callbacks.CallbackList):  # adapted in place
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
    # The model's own callbacks go first (the others sample from the standing statistics); one the user
    # passed already is not added twice.
    own = [cb for cb in gan.training_callbacks() if not any(type(cb) is type(mine) for mine in out)]
    return own + out


def _assignable_lr(optimizer):
    inner = getattr(optimizer, "inner_optimizer", optimizer)  # LossScaleOptimizer
    return not isinstance(getattr(inner, "_learning_rate", None), keras.optimizers.schedules.LearningRateSchedule)
