"""FID, KID, Inception score and precision/recall/density/coverage against their definitions."""

import numpy as np
import pytest
import scipy.linalg

from zoo.errors import ConfigError, DataError
from zoo.metrics.fid import GaussianStats, fid_from_features, frechet_distance, trace_sqrt_product
from zoo.metrics.kid import kid_from_features, mmd2_unbiased
from zoo.metrics.prdc import knn_radii, prdc, precision_recall
from zoo.metrics.scores import inception_score_from_logits


def textbook_fid(a, b):
    """The formula as TTUR / pytorch-fid write it, with scipy.linalg.sqrtm."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    covmean = covmean.real if np.iscomplexobj(covmean) else covmean
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def correlated(rng, n, d, shift=0.0, scale=1.0):
    mix = rng.standard_normal((d, d)) / np.sqrt(d)
    return (rng.standard_normal((n, d)) @ mix) * scale + shift


@pytest.mark.parametrize("n,d", [(2000, 64), (300, 128), (60, 256)])  # full rank .. rank-deficient
def test_fid_matches_scipy_sqrtm(n, d):
    rng = np.random.default_rng(n + d)
    a, b = correlated(rng, n, d), correlated(rng, n, d, shift=0.3, scale=1.2)
    ours, ref = fid_from_features(a, b), textbook_fid(a, b)
    assert ours == pytest.approx(ref, rel=1e-3, abs=1e-3)


def test_trace_sqrt_product_of_commuting_diagonals():
    s1, s2 = np.diag([1.0, 4.0, 9.0]), np.diag([4.0, 1.0, 0.0])
    assert trace_sqrt_product(s1, s2) == pytest.approx(2 + 2 + 0)


def test_fid_of_gaussians_has_closed_form():
    # Same covariance: FID is the squared distance of the means.
    mu1, mu2, sigma = np.zeros(3), np.array([1.0, 2.0, 2.0]), np.eye(3) * 2
    assert frechet_distance((mu1, sigma), (mu2, sigma)) == pytest.approx(9.0)
    # Isotropic covariances s^2 I and t^2 I: d * (s - t)^2.
    assert frechet_distance((mu1, np.eye(3) * 4), (mu1, np.eye(3) * 1)) == pytest.approx(3.0)


def test_fid_of_a_set_with_itself_is_zero_and_stats_round_trip(tmp_path):
    a = correlated(np.random.default_rng(0), 500, 32)
    assert fid_from_features(a, a) == pytest.approx(0.0, abs=1e-8)
    stats = GaussianStats.of(a)
    stats.save(tmp_path / "s.npz")
    again = GaussianStats.load(tmp_path / "s.npz")
    assert again.n == 500 and frechet_distance(stats, again) == pytest.approx(0.0, abs=1e-8)


def test_fid_rejects_bad_features():
    with pytest.raises(DataError, match="2-D"):
        fid_from_features(np.zeros(5), np.zeros((5, 2)))
    with pytest.raises(DataError, match="NaN"):
        fid_from_features(np.full((5, 2), np.nan), np.zeros((5, 2)))
    with pytest.raises(DataError, match="different feature extractors"):
        fid_from_features(np.random.rand(5, 2), np.random.rand(5, 3))
    with pytest.raises(DataError, match="at least 2"):
        fid_from_features(np.zeros((1, 2)), np.zeros((5, 2)))


def test_kid_of_same_distribution_is_unbiased_and_separates_different_ones():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4000, 8)), rng.standard_normal((4000, 8))
    # Small subsets: a biased (V-statistic) estimator would be clearly positive here.
    mean, std = kid_from_features(a, b, num_subsets=400, subset_size=20, seed=0)
    assert abs(mean) < 3 * std / np.sqrt(400)
    biased = np.mean([
        (lambda x, y: ((x @ x.T / 8 + 1) ** 3).mean() + ((y @ y.T / 8 + 1) ** 3).mean()
         - 2 * ((x @ y.T / 8 + 1) ** 3).mean())(a[i * 20:(i + 1) * 20], b[i * 20:(i + 1) * 20])
        for i in range(200)])
    assert biased > 10 * std / np.sqrt(400)
    far, far_std = kid_from_features(a, b + 1.0, num_subsets=20, subset_size=500)
    assert far > 0.1 and far > 10 * far_std


def test_kid_of_a_set_against_itself_is_about_zero():
    a = np.random.default_rng(2).standard_normal((1000, 16))
    mean, std = kid_from_features(a, a, num_subsets=50, subset_size=200)
    assert abs(mean) < 3 * std


def test_mmd_matches_explicit_double_sum():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((7, 3)), rng.standard_normal((5, 3)) + 0.5
    k = lambda u, v: (u @ v / 3 + 1) ** 3  # noqa: E731
    xx = sum(k(x[i], x[j]) for i in range(7) for j in range(7) if i != j) / 42
    yy = sum(k(y[i], y[j]) for i in range(5) for j in range(5) if i != j) / 20
    xy = sum(k(x[i], y[j]) for i in range(7) for j in range(5)) / 35
    assert mmd2_unbiased(x, y) == pytest.approx(xx + yy - 2 * xy)


def test_kid_rejects_bad_options():
    a = np.zeros((10, 2))
    with pytest.raises(ConfigError, match="num_subsets"):
        kid_from_features(a, a, num_subsets=0)
    with pytest.raises(ConfigError, match="subset_size"):
        kid_from_features(a, a, subset_size=1)


def test_inception_score_bounds():
    n, c = 1000, 10
    # Confident and uniformly spread over classes: IS = number of classes.
    confident = np.full((n, c), -50.0)
    confident[np.arange(n), np.arange(n) % c] = 50.0
    mean, std = inception_score_from_logits(confident, splits=10, seed=None)
    assert mean == pytest.approx(c, rel=1e-6) and std < 1e-6
    # Every sample the same class: IS = 1.
    collapsed = np.zeros((n, c))
    collapsed[:, 3] = 50.0
    assert inception_score_from_logits(collapsed)[0] == pytest.approx(1.0)
    # Uninformative predictions: IS = 1.
    assert inception_score_from_logits(np.zeros((n, c)))[0] == pytest.approx(1.0)
    # The splits do not depend on the input order (rows are permuted with a fixed seed).
    sorted_rows = confident[np.argsort(np.arange(n) % c)]
    assert inception_score_from_logits(sorted_rows)[0] == pytest.approx(c, rel=0.05)
    assert inception_score_from_logits(sorted_rows, seed=None)[0] == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="splits"):
        inception_score_from_logits(confident, splits=0)


def test_precision_recall_identical_and_far_apart_sets():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((500, 8))
    assert precision_recall(a, a) == (1.0, 1.0, 1.0)
    out = prdc(a, a)
    assert out["coverage"] == 1.0 and out["density"] == pytest.approx(1.0), "as Naeem et al.'s prdc (strict balls)"
    assert precision_recall(a, a + 100.0) == (0.0, 0.0, 0.0)
    assert prdc(a, a + 100.0)["coverage"] == 0.0


def test_precision_recall_see_quality_and_diversity_separately():
    rng = np.random.default_rng(5)
    real = rng.standard_normal((2000, 2))
    collapsed = rng.standard_normal((2000, 2)) * 0.1  # good quality, little diversity
    out = prdc(real, collapsed)
    assert out["precision"] > 0.95 and out["recall"] < 0.3 and out["coverage"] < 0.3
    spread = rng.standard_normal((2000, 2)) * 3  # diverse, many off-manifold samples
    out = prdc(real, spread)
    assert out["precision"] < 0.6 and out["recall"] > 0.9


def test_knn_radii_match_brute_force():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2100, 3))  # more than one block of 1024 rows
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    np.testing.assert_allclose(knn_radii(x, 3), np.sort(d, axis=1)[:, 3], atol=1e-6)


def test_prdc_rejects_bad_k():
    a = np.zeros((4, 2))
    with pytest.raises(ConfigError, match="k must be"):
        prdc(a, a, k=4)
