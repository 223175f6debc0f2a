"""``SampleQuality``: measure a GAN while it trains, keep the best generator, stop when it stops improving.

A GAN's losses say little about its samples, so "when do we stop training?"
is answered by a sample-quality metric on a fixed budget:

    >>> cb = SampleQuality(x_test, metrics=("fid", "pr"), extractor="mnist", every=2,
    ...                    num_samples=2000, best_path="best.generator.keras", patience=3)
    >>> gan.fit(data, epochs=30, callbacks=[cb, keras.callbacks.TensorBoard("tb")])

Every ``every`` epochs it generates ``num_samples`` images from *fixed* latents
(so epochs are compared on the same z), computes the metrics against real
features computed once at the start, and writes the values into the epoch's
``logs``: they appear in ``History`` and, when a ``keras.callbacks.TensorBoard``
comes *after* this callback in the list, in TensorBoard (``log_dir`` writes its
own TensorBoard scalars under ``<log_dir>/quality`` regardless). Epochs that are
not evaluated carry no metric keys. ``self.results`` lists ``(epoch, values)``.

Collapse warning: each evaluation also measures sample diversity, the mean
pairwise distance of generated features over that of real features. The
callback logs ``collapse_warning = 1`` and prints why when diversity drops
below ``collapse_diversity`` (default 0.5), or when recall or coverage (if
measured) falls below ``collapse_ratio`` (default 0.5) times its best value so far.
It does so only once the generator has taken at least ``collapse_min_steps``
updates (default 500; its optimizer's count, so a resumed or fine-tuned GAN
counts its earlier training): a generator a few steps from its random start has
not had the time to spread over the data, so low diversity or recall then is no
sign of collapse. Before that
``collapse_warning`` is logged as 0; diversity, recall and coverage are measured
(and their best values kept) all along.
"""

import os

import keras
import numpy as np

from zoo.errors import ConfigError
from zoo.io import save_keras_atomic
from zoo.metrics.evaluate import check_metrics, compute_metrics, get_extractor, real_features
from zoo.metrics.extractor import check_images
from zoo.pretrained import saved_generator

_LOWER_IS_BETTER = {"fid", "kid"}


def mean_pairwise_distance(features, max_rows=500, seed=0):
    """Mean Euclidean distance between distinct rows (a subset of ``max_rows`` rows)."""
    if len(features) > max_rows:
        features = features[np.random.default_rng(seed).choice(len(features), max_rows, replace=False)]
    sq = (features * features).sum(axis=1)
    d = np.sqrt(np.clip(sq[:, None] + sq[None] - 2 * features @ features.T, 0, None))
    n = len(features)
    return float(d.sum() / (n * (n - 1)))


class SampleQuality(keras.callbacks.Callback):
    """Computes sample-quality metrics every ``every`` epochs (see the module docstring).

    Args:
        real_images: real images (array, uint8 or [-1, 1], NHWC) or a callable returning them.
        metrics: names from ``zoo.metrics.METRICS`` ("fid", "kid", "is", "pr", "stacked_modes").
        extractor: "inception", "mnist" or a ``FeatureExtractor``.
        every: evaluate after every ``every``-th epoch (and never more often).
        num_samples: generated images per evaluation (fixed latents, drawn with ``seed``).
        num_real: real images to use (default: all of ``real_images``).
        seed: the seed of the fixed latents.
        batch_size: images per batch of the feature extractor.
        monitor: the metric that decides "best" and early stopping (default: the first of
            fid, kid, f1, is that is computed).
        best_path: a ``.keras`` path; the generator is saved there (atomically) whenever
            ``monitor`` improves.
        patience: stop training after this many evaluations without improvement (None: never).
        min_delta: the improvement that counts.
        log_dir: write TensorBoard scalars ``quality/<metric>`` here.
        real_key: a name for the real set, to cache its features on disk (see ``evaluate``).
        collapse_diversity, collapse_ratio: the collapse thresholds (see the module docstring).
        collapse_min_steps: generator updates before a collapse warning can be raised (0: from the
            first evaluation; see the module docstring).
        verbose: print each evaluation's values, and show the progress of the real features'
            extraction when training starts (0: neither). The generated images' extraction
            runs inside the epoch's progress bar and shows no progress of its own.
    """

    def __init__(self, real_images, metrics=("fid",), extractor="inception", every=1, num_samples=2000,
                 num_real=None, seed=0, batch_size=64, monitor=None, best_path=None, patience=None,
                 min_delta=0.0, log_dir=None, real_key=None, collapse_diversity=0.5, collapse_ratio=0.5,
                 verbose=1, collapse_min_steps=500, **metric_options):
        super().__init__()
        self.metrics = check_metrics(metrics)
        if not isinstance(every, int) or every < 1:
            raise ConfigError(f"every must be a positive number of epochs; got {every!r}.")
        if patience is not None and (not isinstance(patience, int) or patience < 1):
            raise ConfigError(f"patience must be a positive number of evaluations or None; got {patience!r}.")
        if isinstance(collapse_min_steps, bool) or not isinstance(collapse_min_steps, int) or collapse_min_steps < 0:
            raise ConfigError(f"collapse_min_steps must be a number of generator updates >= 0; got "
                              f"{collapse_min_steps!r}.")
        if best_path is not None and not str(best_path).endswith(".keras"):
            raise ConfigError(f"best_path must end in .keras; got {best_path!r}.")
        self.monitor = monitor or self._default_monitor()
        if self.monitor not in self._produced_keys():
            raise ConfigError(
                f"monitor={self.monitor!r} is not computed by metrics {self.metrics}; "
                f"choose from {sorted(self._produced_keys())}."
            )
        self.real_images, self.extractor_spec = real_images, extractor
        self.every, self.num_samples, self.num_real, self.seed = every, num_samples, num_real, seed
        self.batch_size, self.best_path, self.patience, self.min_delta = batch_size, best_path, patience, min_delta
        self.log_dir, self.real_key, self.verbose = log_dir, real_key, verbose
        self.collapse_diversity, self.collapse_ratio = collapse_diversity, collapse_ratio
        self.collapse_min_steps = collapse_min_steps
        self.metric_options = metric_options
        self.results, self.best, self.best_epoch = [], None, None
        self._wait, self._peak, self._writer = 0, {}, None

    def _produced_keys(self):
        keys = set()
        for m in self.metrics:
            keys |= {"fid": {"fid"}, "kid": {"kid"}, "is": {"is"}, "stacked_modes": {"stacked_modes"},
                     "pr": {"precision", "recall", "f1", "density", "coverage"}}[m]
        return keys

    def _default_monitor(self):
        keys = self._produced_keys()
        return next(k for k in ("fid", "kid", "f1", "is", "stacked_modes", "precision") if k in keys)

    def _improved(self, value):
        if self.best is None:
            return True
        if self.monitor in _LOWER_IS_BETTER:
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_train_begin(self, logs=None):
        self.extractor = get_extractor(self.extractor_spec)
        # Real features are always needed: diversity is measured relative to theirs.
        # Before the first epoch's bar: progress is shown (verbose=1) where it cannot break Keras's lines.
        self._real = real_features(self.real_images, self.extractor, self.num_real, self.real_key,
                                   batch_size=self.batch_size, verbose="auto" if self.verbose else 0)
        self._real_diversity = mean_pairwise_distance(self._real, seed=self.seed)
        self._z = self.model.latents(self.num_samples, seed=self.seed)
        if self.log_dir:
            import tensorflow as tf

            self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "quality"))

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        logs = logs if logs is not None else {}
        fake = check_images(self.model.generate(z=self._z, batch_size=256), "generated images")
        # The epoch's bar is still open here (Keras ends it after the user callbacks): no progress.
        fake_feats = self.extractor.features(fake, self.batch_size, verbose=0)
        values, _ = compute_metrics(self.metrics, fake, self._real, self.extractor, fake_feats=fake_feats,
                                    batch_size=self.batch_size, verbose=0, **self.metric_options)
        values["diversity"] = mean_pairwise_distance(fake_feats, seed=self.seed) / self._real_diversity
        reasons = self._collapse_reasons(values)
        if self._generator_updates(epoch) < self.collapse_min_steps:
            reasons = []  # too early to tell collapse from a generator still near its random start
        values["collapse_warning"] = float(bool(reasons))
        logs.update(values)
        self.results.append((epoch, dict(values)))
        self._log_tensorboard(epoch, values)
        self._track_best(epoch, values[self.monitor])
        if self.verbose:
            shown = ", ".join(f"{k}={v:.4g}" for k, v in values.items() if k != "collapse_warning")
            print(f"\nEpoch {epoch + 1}: sample quality ({self.num_samples} samples, {self.extractor.name}): {shown}")
        if reasons:
            print(f"\nEpoch {epoch + 1}: WARNING probable mode collapse: {'; '.join(reasons)}.")

    def _generator_updates(self, epoch):
        """The generator's update count: its optimizer's (training before this fit included), else the
        train steps of this fit's epochs up to ``epoch``."""
        optimizer = getattr(self.model, "g_optimizer", None)
        if optimizer is None or getattr(optimizer, "iterations", None) is None:
            return (epoch + 1) * ((self.params or {}).get("steps") or 0)
        return int(keras.ops.convert_to_numpy(optimizer.iterations))  # a MirroredVariable under a strategy

    def _collapse_reasons(self, values):
        reasons = []
        if values["diversity"] < self.collapse_diversity:
            reasons.append(f"sample diversity is {values['diversity']:.2f} of the real data's "
                           f"(threshold {self.collapse_diversity})")
        for key in ("recall", "coverage"):
            if key in values:
                peak = self._peak.get(key, 0.0)
                if peak > 0 and values[key] < self.collapse_ratio * peak:
                    reasons.append(f"{key} fell to {values[key]:.3f} from a best of {peak:.3f}")
                self._peak[key] = max(peak, values[key])
        return reasons

    def _log_tensorboard(self, epoch, values):
        if self._writer is None:
            return
        import tensorflow as tf

        with self._writer.as_default():
            for k, v in values.items():
                tf.summary.scalar(k, v, step=epoch)
        self._writer.flush()

    def _track_best(self, epoch, value):
        if self._improved(value):
            self.best, self.best_epoch, self._wait = value, epoch, 0
            if self.best_path:
                save_keras_atomic(saved_generator(self.model), self.best_path)  # the EMA copy if any
            return
        self._wait += 1
        if self.patience is not None and self._wait >= self.patience:
            self.model.stop_training = True
            if self.verbose:
                print(f"\nStopping: {self.monitor} has not improved for {self._wait} evaluations "
                      f"(best {self.best:.4g} after epoch {self.best_epoch + 1}).")

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
