"""Sample-quality metrics: FID, KID, Inception score, precision/recall, mode coverage.

    >>> from zoo import metrics
    >>> metrics.evaluate(generator, real_images, metrics=("fid", "kid", "pr"), extractor="inception")

Feature extractors (``FeatureExtractor``): the FID Inception network
(``"inception"``, ported from TF's inception-2015-12-05, weights fetched once
with ``python -m recipes.fetch fid_inception``) and the zoo's MNIST classifier
(``"mnist"``, shipped). Lower-level functions take feature arrays.
"""

from zoo.metrics.callback import SampleQuality, mean_pairwise_distance
from zoo.metrics.evaluate import METRICS, evaluate, get_extractor, real_features, sample_images
from zoo.metrics.extractor import FeatureExtractor, check_images
from zoo.metrics.fid import GaussianStats, fid_from_features, frechet_distance, trace_sqrt_product
from zoo.metrics.kid import kid_from_features, mmd2_unbiased
from zoo.metrics.modes import classify_stacked, kl_to_uniform, stacked_mnist, stacked_mnist_modes
from zoo.metrics.prdc import prdc, precision_recall
from zoo.metrics.scores import inception_score_from_logits

__all__ = [
    "evaluate", "METRICS", "get_extractor", "real_features", "sample_images", "SampleQuality",
    "FeatureExtractor", "check_images", "GaussianStats", "fid_from_features", "frechet_distance",
    "trace_sqrt_product", "kid_from_features", "mmd2_unbiased", "inception_score_from_logits",
    "prdc", "precision_recall", "kl_to_uniform", "stacked_mnist", "stacked_mnist_modes", "classify_stacked",
    "mean_pairwise_distance",
]
