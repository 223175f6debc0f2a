"""The interface every feature extractor of the metrics implements.

A metric never sees a network directly: it asks an extractor for ``features``
(an (n, dim) float64 array) or ``logits`` (an (n, classes) array). Extractors
take images the way generators produce them: NHWC, either floats in [-1, 1] or
uint8 in [0, 255], at the generator's resolution, with 1 or 3 channels; each
extractor owns its resize and channel convention (documented on the class).
"""

import numbers

import numpy as np

from zoo.errors import DataError
from zoo.progress import Progress


def check_images(images, what="images"):
    """Validates an image batch and returns it as float32 in [-1, 1] (NHWC, NumPy).

    uint8 input is mapped with x / 127.5 - 1; float input must already be in
    [-1, 1] (a small tolerance is allowed for generator round-off) and finite.
    """
    if hasattr(images, "numpy"):
        images = images.numpy()
    images = np.asarray(images)
    if images.ndim == 3:
        raise DataError(
            f"{what} has shape {images.shape}: expected a batch (n, height, width, channels). "
            "For grey images add the channel axis: images[..., None]."
        )
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise DataError(
            f"{what} has shape {images.shape}: expected (n, height, width, 1 or 3) in NHWC order."
        )
    if images.shape[0] == 0:
        raise DataError(f"{what} is empty: a metric needs at least one image.")
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 127.5 - 1.0
    if not np.issubdtype(images.dtype, np.floating):
        raise DataError(
            f"{what} has dtype {images.dtype}: expected uint8 in [0, 255] or floats in [-1, 1]."
        )
    images = images.astype(np.float32)
    if not np.all(np.isfinite(images)):
        raise DataError(f"{what} contains NaN or Inf values.")
    lo, hi = float(images.min()), float(images.max())
    if lo < -1.0 - 1e-3 or hi > 1.0 + 1e-3:
        raise DataError(
            f"{what} has values in [{lo:.3g}, {hi:.3g}]: expected floats in [-1, 1] "
            "(the generator contract) or uint8 in [0, 255]. Rescale, e.g. x / 127.5 - 1."
        )
    return np.clip(images, -1.0, 1.0)


class FeatureExtractor:
    """Base class: subclasses set ``name`` and ``dim`` and implement ``_features``.

    ``name`` identifies the network and its weights; it is part of the cache key
    of real-data statistics, so change it whenever the features change.
    ``features``/``logits`` call ``_features``/``_logits`` one batch at a time
    (showing progress), so those see at most ``batch_size`` images per call.
    """

    name = None
    dim = None
    #: number of classes ``logits`` returns, or None when the network has no head.
    num_classes = None

    def features(self, images, batch_size=64, verbose="auto", label=None):
        """(n, dim) float64 features of ``images`` (see ``check_images``).

        ``verbose`` shows progress over the batches like ``keras.Model.predict`` (its
        default too): "auto"/1 a live bar on a terminal and a few plain lines elsewhere,
        2 plain lines, 0 nothing (see ``zoo.progress``). ``label`` names the job there
        (default "<extractor name> features").
        """
        images = check_images(images)
        return self._in_batches(self._features, images, batch_size, verbose, label or f"{self.name} features")

    def logits(self, images, batch_size=64, verbose="auto", label=None):
        """(n, num_classes) float64 logits; only for extractors with a classifier head.

        ``verbose`` and ``label`` as for ``features``.
        """
        if self.num_classes is None:
            raise NotImplementedError(
                f"The {self.name} extractor has no classification head, so it cannot give "
                "logits (needed by the Inception score). Use an extractor with a head."
            )
        images = check_images(images)
        return self._in_batches(self._logits, images, batch_size, verbose, label or f"{self.name} logits")

    @staticmethod
    def _in_batches(run, images, batch_size, verbose, label):
        """``run`` on ``batch_size`` images at a time, with progress; the outputs concatenated (float64).

        A ``batch_size`` that is not a positive integer goes to ``run`` as given, so each
        extractor reports it in its own words.
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            return np.asarray(run(images, batch_size), dtype=np.float64)
        parts = []
        with Progress(len(images), label, unit="image", verbose=verbose) as progress:
            for start in range(0, len(images), int(batch_size)):
                part = np.asarray(run(images[start:start + batch_size], batch_size), dtype=np.float64)
                parts.append(part)
                progress.advance(len(part))
        return np.concatenate(parts)

    def _features(self, images, batch_size):
        raise NotImplementedError

    def _logits(self, images, batch_size):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r}, dim={self.dim})"
