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
