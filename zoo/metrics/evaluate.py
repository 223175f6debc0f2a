"""One entry point for all metrics: ``evaluate(generator, real_images, metrics=...)``.

    >>> from zoo import metrics
    >>> metrics.evaluate(zoo.load("dcgan_mnist"), x_test, metrics=("fid", "kid", "pr"),
    ...                  extractor="inception", num_samples=10_000, real_key="mnist-test")
    {'fid': ..., 'kid': ..., 'kid_std': ..., 'precision': ..., 'recall': ..., ...}

Metric names: ``fid`` (Frechet distance; with ``extractor="mnist"`` it is the
Frechet classifier distance), ``kid`` (+ ``kid_std``), ``is`` (Inception score
from the extractor's logits; + ``is_std``; with ``extractor="mnist"`` the MNIST
score), ``pr`` (precision, recall, f1, density, coverage with k=3) and
``stacked_modes`` (Stacked-MNIST modes and KL; generator must make RGB images).

Extractors: ``"inception"`` (the FID Inception network, 2048-d pool_3, no
logits) or ``"mnist"`` (the zoo's MNIST classifier: features and 10 logits), or
any ``FeatureExtractor`` instance. Real features are cached on disk under
``<cache>/metrics/`` when a ``real_key`` names the real set (the CLI uses
"<dataset>-<split>"), keyed by the extractor's name and the sample count.

Progress: ``verbose`` (default "auto", as in ``keras.Model.predict``) shows the
feature extraction batch by batch with images/s, then KID's subsets and
precision/recall's distance blocks (minutes each with 2048-d Inception features
on a CPU): a live bar on a terminal, a few plain lines in a log file, nothing
with ``verbose=0`` (see ``zoo.progress``). The functions on feature arrays
(``kid_from_features``, ``prdc``) are quiet unless given a ``verbose``.
"""

import functools
import os
import re

import numpy as np

from zoo.errors import ConfigError, DataError, did_you_mean
from zoo.io import cache_dir
from zoo.metrics.extractor import FeatureExtractor, check_images
from zoo.metrics.fid import fid_from_features
from zoo.metrics.kid import kid_from_features
from zoo.metrics.modes import stacked_mnist_modes
from zoo.metrics.prdc import prdc
from zoo.metrics.scores import inception_score_from_logits
from zoo.progress import resolve_verbose

METRICS = ("fid", "kid", "is", "pr", "stacked_modes")
_FEATURE_METRICS = {"fid", "kid", "pr"}


def get_extractor(extractor):
    """A ``FeatureExtractor`` from a name ("inception", "mnist") or an instance."""
    if isinstance(extractor, FeatureExtractor):
        return extractor
    if extractor == "inception":
        return _fid_inception()
    if extractor == "mnist":
        from zoo.metrics.classifier import load_mnist_classifier

        return load_mnist_classifier()
    raise ConfigError(
        f"Unknown feature extractor {extractor!r}: give a name or a zoo.metrics.FeatureExtractor."
        + did_you_mean(str(extractor), ("inception", "mnist"))
    )


@functools.lru_cache(maxsize=1)
def _fid_inception():
    """One FID Inception extractor per process (building it loads 22 M weights)."""
    from zoo.metrics.inception import FIDInceptionExtractor

    return FIDInceptionExtractor()


def check_metrics(metrics):
    """A tuple of known metric names (a comma-separated string is accepted)."""
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    metrics = tuple(metrics)
    if not metrics:
        raise ConfigError(f"No metrics asked for; choose from {', '.join(METRICS)}.")
    for m in metrics:
        if m not in METRICS:
            raise ConfigError(f"Unknown metric {m!r}." + did_you_mean(m, METRICS))
    return metrics


def check_count(name, value, allow_none=False):
    """``value`` as a positive int (or ``None`` when allowed); otherwise a ``ConfigError`` naming ``name``."""
    if value is None and allow_none:
        return None
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        hint = " (or None for all of them)" if allow_none else ""
        raise ConfigError(f"{name} must be a positive integer{hint}; got {value!r}.")
    return int(value)


def sample_images(generator, n, seed=0, batch_size=256):
    """``n`` generated images in [-1, 1] from a zoo GAN / pretrained generator / Keras model.

    An array of images passes through (its first ``n`` rows).
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ConfigError(f"num_samples must be a positive integer; got {n!r}.")
    if hasattr(generator, "generate"):
        return generator.generate(int(n), seed=seed, batch_size=batch_size)
    if hasattr(generator, "inputs") and hasattr(generator, "predict_on_batch"):  # a Keras generator
        from zoo.sampling import Sampler

        sampler = Sampler()
        sampler.generator = generator
        return sampler.generate(int(n), seed=seed, batch_size=batch_size)
    images = np.asarray(generator)
    if images.ndim == 4:
        if len(images) < n:
            raise DataError(f"Asked for {n} samples but the image array holds only {len(images)}.")
        return images[:n]
    raise ConfigError(
        f"Cannot sample from {type(generator).__name__}: pass a zoo GAN, a zoo.load() generator, "
        "a Keras generator model (input z) or an array of images."
    )


def _cache_path(real_key, extractor, n, cache):
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{real_key}-{extractor.name}-n{n}")
    return os.path.join(cache_dir(cache), "metrics", safe + ".npz")


def real_features(real_images, extractor, num_samples=None, real_key=None, cache=None, batch_size=64,
                  verbose="auto"):
    """Features of (the first ``num_samples`` of) ``real_images``, cached when ``real_key`` is set.

    ``real_images`` may be an array or a zero-argument callable returning one
    (so a cache hit never loads the dataset). ``verbose``: progress of the
    extraction (a cache hit shows none).
    """
    path = None
    if real_key is not None:
        path = _cache_path(real_key, extractor, num_samples or "all", cache)
        if os.path.exists(path):
            try:
                with np.load(path) as d:
                    if str(d["extractor"]) == extractor.name:
                        return d["features"].astype(np.float64)
            except (OSError, ValueError, KeyError):
                pass  # a damaged cache entry is recomputed and replaced
    images = real_images() if callable(real_images) else real_images
    images = check_images(images, "real images")
    if num_samples is not None:
        if len(images) < num_samples:
            raise DataError(f"Asked for {num_samples} real images but only {len(images)} are available.")
        images = images[:num_samples]
    features = extractor.features(images, batch_size, verbose=verbose,
                                  label=f"Real images: {extractor.name} features")
    if path is not None:
        import io

        from zoo.io import write_atomic

        os.makedirs(os.path.dirname(path), exist_ok=True)
        buf = io.BytesIO()
        np.savez(buf, features=features.astype(np.float32), extractor=extractor.name)
        write_atomic(path, buf.getvalue())
    return features


def compute_metrics(metrics, fake_images, real_feats, extractor, fake_feats=None, batch_size=64,
                    kid_subsets=100, kid_subset_size=1000, k=3, is_splits=10, verbose="auto"):
    """The metric values for generated images (and precomputed real features).

    ``verbose``: progress of the extractor's passes over the generated images, and of KID's
    subsets and precision/recall's distance blocks.
    """
    results = {}
    if _FEATURE_METRICS.intersection(metrics) and fake_feats is None:
        fake_feats = extractor.features(fake_images, batch_size, verbose=verbose,
                                        label=f"Generated images: {extractor.name} features")
    if "fid" in metrics:
        results["fid"] = fid_from_features(real_feats, fake_feats)
    if "kid" in metrics:
        results["kid"], results["kid_std"] = kid_from_features(
            real_feats, fake_feats, num_subsets=kid_subsets, subset_size=kid_subset_size, verbose=verbose)
    if "pr" in metrics:
        results.update(prdc(real_feats, fake_feats, k=k, verbose=verbose))
    if "is" in metrics:
        if extractor.num_classes is None:
            raise ConfigError(
                f"The Inception score needs class logits, which the {extractor.name} extractor does "
                "not have (the FID Inception weights stop at pool_3; the 1008-way ImageNet head is "
                "not available offline). Use extractor='mnist' for the MNIST score, or pass a "
                "FeatureExtractor with a classifier head."
            )
        results["is"], results["is_std"] = inception_score_from_logits(
            extractor.logits(fake_images, batch_size, verbose=verbose,
                             label=f"Generated images: {extractor.name} logits"),
            splits=min(is_splits, len(fake_images)))
    if "stacked_modes" in metrics:
        out = stacked_mnist_modes(fake_images, verbose=verbose)
        results["stacked_modes"], results["stacked_kl"] = out["modes"], out["reverse_kl"]
    return results, fake_feats


def evaluate(generator, real_images=None, metrics=("fid", "kid", "pr"), extractor="inception",
             num_samples=10_000, num_real=None, seed=0, real_key=None, cache=None, batch_size=64,
             verbose="auto", **options):
    """Evaluates ``generator`` (or an array of generated images) against ``real_images``.

    Returns a dict of metric values plus ``num_samples``/``num_real``/``extractor``.
    ``options`` go to ``compute_metrics`` (kid_subsets, kid_subset_size, k, is_splits).
    ``verbose``: progress of each feature extraction (real, then generated), as
    ``keras.Model.predict`` shows it: "auto" (default) or 1, 2 (plain lines), 0 (none).
    """
    metrics = check_metrics(metrics)
    resolve_verbose(verbose)  # a bad value fails before the work
    num_real = check_count("num_real", num_real, allow_none=True)
    extractor = get_extractor(extractor)
    fake = check_images(sample_images(generator, num_samples, seed=seed), "generated images")
    real_feats = None
    if _FEATURE_METRICS.intersection(metrics):
        if real_images is None:
            raise ConfigError(f"Metrics {sorted(_FEATURE_METRICS.intersection(metrics))} compare with real "
                              "images: pass real_images.")
        real_feats = real_features(real_images, extractor, num_real, real_key, cache, batch_size, verbose)
    results, _ = compute_metrics(metrics, fake, real_feats, extractor, batch_size=batch_size, verbose=verbose,
                                 **options)
    results.update(num_samples=int(num_samples), extractor=extractor.name)
    if real_feats is not None:
        results["num_real"] = int(len(real_feats))
    return results
