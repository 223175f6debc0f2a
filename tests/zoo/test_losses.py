import math

import numpy as np
import pytest
import tensorflow as tf

from zoo import losses
from zoo.errors import ConfigError

REAL = np.array([[2.0], [-1.0], [0.0]], np.float32)
FAKE = np.array([[0.5], [-3.0], [1.5]], np.float32)


def softplus(x):
    return math.log1p(math.exp(x))


def mean(values):
    return sum(values) / len(values)


def test_bce_discriminator_loss_matches_hand_computation():
    # -log sigmoid(r) = softplus(-r); -log(1 - sigmoid(f)) = softplus(f)
    expected = mean([softplus(-r) for r in REAL[:, 0]]) + mean([softplus(f) for f in FAKE[:, 0]])
    for name in ("minimax", "non_saturating"):
        got = float(losses.get_loss(name).d_loss(REAL, FAKE))
        assert got == pytest.approx(expected, rel=1e-6)
    assert expected == pytest.approx(
        mean([-math.log(1 / (1 + math.exp(-r))) for r in REAL[:, 0]])
        + mean([-math.log(1 - 1 / (1 + math.exp(-f))) for f in FAKE[:, 0]]),
        rel=1e-9,
    )


def test_minimax_generator_loss_is_log_one_minus_d():
    expected = mean([math.log(1 - 1 / (1 + math.exp(-f))) for f in FAKE[:, 0]])
    assert float(losses.get_loss("minimax").g_loss(REAL, FAKE)) == pytest.approx(expected, rel=1e-6)
    assert float(losses.get_loss("minimax").g_loss(None, FAKE)) == pytest.approx(expected, rel=1e-6)


def test_non_saturating_generator_loss_is_minus_log_d():
    expected = mean([-math.log(1 / (1 + math.exp(-f))) for f in FAKE[:, 0]])
    assert float(losses.get_loss("non_saturating").g_loss(None, FAKE)) == pytest.approx(expected, rel=1e-6)


def test_non_saturating_gives_strong_gradient_where_minimax_saturates():
    # Early in training D rejects fakes confidently: logit -10 means D(G(z)) ~ 4.5e-5.
    fake = tf.Variable([[-10.0]])
    grads = {}
    for name in ("minimax", "non_saturating"):
        with tf.GradientTape() as tape:
            loss = losses.get_loss(name).g_loss(None, fake)
        grads[name] = abs(float(tape.gradient(loss, fake)[0, 0]))
    assert grads["minimax"] == pytest.approx(1 / (1 + math.exp(10)), rel=1e-4)  # sigmoid(-10)
    assert grads["non_saturating"] == pytest.approx(1 / (1 + math.exp(-10)), rel=1e-4)  # sigmoid(10)
    assert grads["non_saturating"] > 1e4 * grads["minimax"]


def test_both_generator_losses_share_the_fixed_point_direction():
    # Both push fake logits up (towards "real").
    fake = tf.Variable([[0.3], [-0.7]])
    for name in ("minimax", "non_saturating"):
        with tf.GradientTape() as tape:
            loss = losses.get_loss(name).g_loss(None, fake)
        assert np.all(tape.gradient(loss, fake).numpy() < 0)


def test_unknown_loss_lists_the_known_ones():
    with pytest.raises(ConfigError, match=r"Unknown loss 'nope'.*minimax.*non_saturating"):
        losses.get_loss("nope")


def test_registering_a_taken_name_is_an_error():
    with pytest.raises(ConfigError, match="already registered"):
        losses.register_loss("minimax", losses.bce_d_loss, losses.minimax_g_loss)


def test_registry_entries_are_uniform():
    for name, pair in losses.LOSSES.items():
        assert pair.name == name
        value = pair.d_loss(REAL, FAKE)
        assert np.shape(value) == ()
        value = pair.g_loss(REAL, FAKE)
        assert np.shape(value) == ()


def test_one_sided_label_smoothing_changes_only_the_real_target():
    a = 0.1
    expected = mean([(1 - a) * softplus(-r) + a * softplus(r) for r in REAL[:, 0]]) + mean(
        [softplus(f) for f in FAKE[:, 0]])
    got = float(losses.bce_d_loss(REAL, FAKE, label_smoothing=a))
    assert got == pytest.approx(expected, rel=1e-6)


def test_least_squares():
    d = 0.5 * mean([(r - 1) ** 2 for r in REAL[:, 0]]) + 0.5 * mean([f**2 for f in FAKE[:, 0]])
    g = 0.5 * mean([(f - 1) ** 2 for f in FAKE[:, 0]])
    pair = losses.get_loss("least_squares")
    assert float(pair.d_loss(REAL, FAKE)) == pytest.approx(d, rel=1e-6)
    assert float(pair.g_loss(None, FAKE)) == pytest.approx(g, rel=1e-6)


def test_hinge():
    d = mean([max(0.0, 1 - r) for r in REAL[:, 0]]) + mean([max(0.0, 1 + f) for f in FAKE[:, 0]])
    pair = losses.get_loss("hinge")
    assert float(pair.d_loss(REAL, FAKE)) == pytest.approx(d, rel=1e-6)
    assert float(pair.g_loss(None, FAKE)) == pytest.approx(-mean(FAKE[:, 0]), rel=1e-6)


def test_wasserstein():
    pair = losses.get_loss("wasserstein")
    assert float(pair.d_loss(REAL, FAKE)) == pytest.approx(mean(FAKE[:, 0]) - mean(REAL[:, 0]), rel=1e-6)
    assert float(pair.g_loss(None, FAKE)) == pytest.approx(-mean(FAKE[:, 0]), rel=1e-6)


def test_relativistic_pairs_real_and_fake():
    pair = losses.get_loss("relativistic")
    assert pair.g_uses_real
    d = mean([softplus(-(r - f)) for r, f in zip(REAL[:, 0], FAKE[:, 0])])
    g = mean([softplus(-(f - r)) for r, f in zip(REAL[:, 0], FAKE[:, 0])])
    assert float(pair.d_loss(REAL, FAKE)) == pytest.approx(d, rel=1e-6)
    assert float(pair.g_loss(REAL, FAKE)) == pytest.approx(g, rel=1e-6)


def test_relativistic_average_compares_with_the_other_sides_mean():
    pair = losses.get_loss("relativistic_average")
    mr, mf = mean(REAL[:, 0]), mean(FAKE[:, 0])
    d = mean([softplus(-(r - mf)) for r in REAL[:, 0]]) + mean([softplus(f - mr) for f in FAKE[:, 0]])
    g = mean([softplus(-(f - mr)) for f in FAKE[:, 0]]) + mean([softplus(r - mf) for r in REAL[:, 0]])
    assert float(pair.d_loss(REAL, FAKE)) == pytest.approx(d, rel=1e-6)
    assert float(pair.g_loss(REAL, FAKE)) == pytest.approx(g, rel=1e-6)
