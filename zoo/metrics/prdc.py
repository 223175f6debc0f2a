"""Precision, recall (Kynkaanniemi et al., 2019), density and coverage (Naeem et al., 2020).

Each set of features defines a manifold: the union of balls around its points,
each ball's radius the distance to the point's k-th nearest neighbour in its
own set (k = 3 by default, as in both papers).

* precision: share of generated samples inside the real manifold (quality);
* recall: share of real samples inside the generated manifold (diversity);
* F1: their harmonic mean;
* density: how many real balls contain each generated sample, divided by k
  (about 1 when the distributions match; above 1 where fakes crowd real modes);
* coverage: share of real samples whose ball contains at least one generated
  sample (robust to outliers in the generated set).

Ball membership follows each metric's reference code: precision and recall count a
point on the boundary as inside (``distance <= radius``, Kynkaanniemi et al.'s
implementation); density and coverage do not (``distance < radius``, Naeem et al.'s
``prdc``). The difference shows only for duplicated or memorised samples: for two
identical sets density is 1.0 here, as in ``prdc``.

Distances are computed in row blocks, so memory stays O(block * n).
"""

import numpy as np

from zoo.errors import ConfigError
from zoo.metrics.fid import check_features
from zoo.progress import Progress

_BLOCK = 1024


def _distance_blocks(a, b):
    """Yields (start, distances of a[start:start+B] to all of b)."""
    b_sq = (b * b).sum(axis=1)
    for start in range(0, len(a), _BLOCK):
        rows = a[start : start + _BLOCK]
        d2 = (rows * rows).sum(axis=1)[:, None] + b_sq[None] - 2 * rows @ b.T
        yield start, np.sqrt(np.clip(d2, 0, None))


def knn_radii(features, k, progress=None):
    """Distance from each row to its k-th nearest neighbour among the other rows."""
    radii = np.empty(len(features))
    for start, d in _distance_blocks(features, features):
        # Column k of the sorted row: column 0 is the point itself (distance 0).
        radii[start : start + len(d)] = np.partition(d, k, axis=1)[:, k]
        if progress is not None:
            progress.advance(1)
    return radii


def _blocks(n):
    return -(-n // _BLOCK)


def _check(real_features, fake_features, k):
    real = check_features(real_features, "real features")
    fake = check_features(fake_features, "generated features")
    if real.shape[1] != fake.shape[1]:
        raise ConfigError(
            f"Real and generated features differ in width ({real.shape[1]} vs {fake.shape[1]}): "
            "they come from different extractors."
        )
    if not isinstance(k, int) or k < 1 or k >= min(len(real), len(fake)):
        raise ConfigError(
            f"k must be an integer between 1 and the smaller set size minus 1 "
            f"({min(len(real), len(fake)) - 1}); got {k!r}."
        )
    return real, fake


def prdc(real_features, fake_features, k=3, verbose=0):
    """``dict`` with precision, recall, f1, density and coverage.

    ``verbose``: progress over the blocks of pairwise distances (``zoo.progress``); 0, the
    default of these array functions, shows none (``evaluate`` passes its own).
    """
    real, fake = _check(real_features, fake_features, k)
    steps = 2 * _blocks(len(real)) + _blocks(len(fake))
    with Progress(steps, f"Precision/recall (k={k}, {len(real)} real, {len(fake)} generated)", unit="block",
                  verbose=verbose, rate=False) as progress:
        return _prdc(real, fake, k, progress)


def _prdc(real, fake, k, progress):
    real_radii, fake_radii = knn_radii(real, k, progress), knn_radii(fake, k, progress)
    inside_real = np.zeros(len(fake))  # number of real balls strictly holding each fake
    in_precision_ball = np.zeros(len(fake), dtype=bool)  # some real ball holds the fake (boundary included)
    covered = np.zeros(len(real), dtype=bool)  # real ball holds at least one fake
    recalled = np.zeros(len(real), dtype=bool)  # real point inside some fake ball
    for start, d in _distance_blocks(real, fake):  # d: real rows x fake columns
        r = real_radii[start : start + len(d)]
        r = r[:, None]
        in_ball = d <= r  # precision (Kynkaanniemi et al.)
        strictly = d < r  # density and coverage (Naeem et al.)
        in_precision_ball |= in_ball.any(axis=0)
        inside_real += strictly.sum(axis=0)
        covered[start : start + len(d)] = strictly.any(axis=1)
        recalled[start : start + len(d)] = (d <= fake_radii[None]).any(axis=1)
        progress.advance(1)
    precision = float(in_precision_ball.mean())
    recall = float(recalled.mean())
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return {"precision": precision, "recall": recall, "f1": float(f1),
            "density": float(inside_real.sum() / (k * len(fake))), "coverage": float(covered.mean())}


def precision_recall(real_features, fake_features, k=3):
    """``(precision, recall, f1)`` in the improved k-NN sense."""
    out = prdc(real_features, fake_features, k)
    return out["precision"], out["recall"], out["f1"]
