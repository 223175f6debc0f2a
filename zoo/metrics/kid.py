"""Kernel Inception Distance (Binkowski et al., 2018).

KID is the squared maximum mean discrepancy between real and generated
features under the cubic polynomial kernel k(x, y) = (x.y / d + 1)^3, estimated
without bias (the U-statistic: diagonal terms of the within-set kernel
matrices left out), averaged over random subsets. Unlike FID its estimator is
unbiased, so values from different sample sizes are comparable, and it can be
slightly negative when the two sets come from the same distribution.
"""

import numpy as np

from zoo.errors import ConfigError
from zoo.metrics.fid import check_features
from zoo.progress import Progress


def polynomial_kernel(x, y, degree=3, gamma=None, coef0=1.0):
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    return (gamma * (x @ y.T) + coef0) ** degree


def mmd2_unbiased(x, y, kernel=polynomial_kernel):
    """Unbiased estimate of MMD^2 between samples ``x`` (m, d) and ``y`` (n, d)."""
    m, n = len(x), len(y)
    if m < 2 or n < 2:
        raise ConfigError("The unbiased MMD needs at least 2 samples in each set.")
    kxx, kyy, kxy = kernel(x, x), kernel(y, y), kernel(x, y)
    within_x = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    within_y = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(within_x + within_y - 2 * kxy.mean())


def kid_from_features(real_features, fake_features, num_subsets=100, subset_size=1000, seed=0, verbose=0):
    """``(mean, std)`` of the unbiased MMD^2 over ``num_subsets`` random subsets.

    Each subset draws ``min(subset_size, len(real), len(fake))`` rows from each
    set without replacement. ``std`` is the standard deviation across subsets.
    ``verbose``: progress over the subsets (``zoo.progress``); 0, the default of
    these array functions, shows none (``evaluate`` passes its own).
    """
    real = check_features(real_features, "real features", min_rows=2)
    fake = check_features(fake_features, "generated features", min_rows=2)
    if real.shape[1] != fake.shape[1]:
        raise ConfigError(
            f"Real and generated features differ in width ({real.shape[1]} vs {fake.shape[1]}): "
            "they come from different extractors."
        )
    if not isinstance(num_subsets, int) or num_subsets < 1:
        raise ConfigError(f"num_subsets must be a positive integer; got {num_subsets!r}.")
    if not isinstance(subset_size, int) or subset_size < 2:
        raise ConfigError(f"subset_size must be an integer >= 2; got {subset_size!r}.")
    m = min(subset_size, len(real), len(fake))
    rng = np.random.default_rng(seed)
    values = []
    with Progress(num_subsets, f"KID ({m} + {m} rows per subset)", unit="subset", verbose=verbose,
                  rate=False) as progress:
        for _ in range(num_subsets):
            values.append(mmd2_unbiased(real[rng.choice(len(real), m, replace=False)],
                                        fake[rng.choice(len(fake), m, replace=False)]))
            progress.advance(1)
    return float(np.mean(values)), float(np.std(values))
