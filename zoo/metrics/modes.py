"""Mode coverage: Stacked MNIST (1000 modes) and the 2D mixtures (``zoo.mixtures``).

Stacked MNIST (Metz et al., 2017; VEEGAN; PacGAN) stacks three MNIST digits as
the R, G and B channels of one 28x28 image, giving 10^3 = 1000 modes. A
generated image's mode is the triple of digits our MNIST classifier reads in
its three channels (mode = 100 * R + 10 * G + B). Reported: the number of modes
with at least one sample and KL(mode histogram of the samples || uniform over
the 1000 modes). The papers generate 26,000 samples.
"""

import numpy as np

from zoo.errors import DataError
from zoo.metrics.extractor import check_images

STACKED_MODES = 1000


def kl_to_uniform(counts):
    """KL(p || uniform) of a histogram of counts over all its bins (inf if empty)."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.sum() == 0:
        return float("inf")
    p = counts / counts.sum()
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] * len(counts))))


def stacked_mnist(images, labels, n, seed=0):
    """``n`` Stacked-MNIST images (uint8, (n, 28, 28, 3)) and their modes (0..999).

    ``images`` (m, 28, 28) or (m, 28, 28, 1) uint8 MNIST digits and their
    ``labels``; each channel gets an independently drawn digit.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    labels = np.asarray(labels).astype(np.int64)  # uint8 labels would overflow 100 * label
    if images.ndim != 3 or len(images) != len(labels):
        raise DataError(
            f"stacked_mnist takes (m, 28, 28) digits and m labels; got {images.shape} and {labels.shape}."
        )
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(images), size=(n, 3))
    stacked = np.stack([images[idx[:, c]] for c in range(3)], axis=-1)
    modes = 100 * labels[idx[:, 0]] + 10 * labels[idx[:, 1]] + labels[idx[:, 2]]
    return stacked, modes.astype(np.int64)


def classify_stacked(images, classifier=None, batch_size=256, verbose="auto"):
    """The Stacked-MNIST mode (0..999) of each of ``images`` (n, h, w, 3): every channel read on its
    own by ``classifier``, an MNIST ``FeatureExtractor`` with logits (default: the zoo's shipped one)."""
    images = check_images(images)
    if images.shape[-1] != 3:
        raise DataError(f"Stacked-MNIST images have 3 channels (one digit each); got shape {images.shape}.")
    if classifier is None:
        from zoo.metrics.classifier import load_mnist_classifier

        classifier = load_mnist_classifier()
    digits = [classifier.logits(images[..., c : c + 1], batch_size, verbose=verbose,
                                label=f"{classifier.name} logits, channel {c}").argmax(axis=1).astype(np.int64)
              for c in range(3)]
    return 100 * digits[0] + 10 * digits[1] + digits[2]


def stacked_mnist_modes(images, classifier=None, batch_size=256, verbose="auto"):
    """Modes covered and KL to uniform of Stacked-MNIST ``images`` (n, h, w, 3).

    ``classifier`` is an MNIST ``FeatureExtractor`` with logits (default: the
    zoo's shipped MNIST classifier); each channel is classified on its own.
    ``verbose``: progress of the classifier, as ``keras.Model.predict`` shows it (0: none).
    """
    modes = classify_stacked(images, classifier, batch_size, verbose)
    counts = np.bincount(modes, minlength=STACKED_MODES)
    return {"modes": int(np.count_nonzero(counts)), "num_modes": STACKED_MODES,
            "reverse_kl": kl_to_uniform(counts), "num_samples": int(len(images))}
