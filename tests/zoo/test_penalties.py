import numpy as np
import pytest
import tensorflow as tf

from zoo.errors import ConfigError
from zoo.penalties import PENALTIES, get_penalty, gradient_norms

SEED = tf.constant([1, 2], tf.int64)
A = tf.constant([[3.0], [4.0]])  # ||a|| = 5


def linear(x):  # gradient a everywhere
    return tf.matmul(x, A)


def quadratic(x):  # 1/2 ||x||^2 per sample: gradient x
    return 0.5 * tf.reduce_sum(tf.square(x), axis=1, keepdims=True)


REAL = tf.constant(np.random.default_rng(0).normal(size=(6, 2)), tf.float32)
FAKE = tf.constant(np.random.default_rng(1).normal(size=(6, 2)), tf.float32)


def test_gradient_norms_of_known_functions():
    np.testing.assert_allclose(gradient_norms(linear, REAL).numpy(), np.full(6, 5.0), rtol=1e-6)
    np.testing.assert_allclose(gradient_norms(quadratic, REAL).numpy(), np.linalg.norm(REAL.numpy(), axis=1),
                               rtol=1e-5)


def test_norm_target_penalties_on_a_linear_critic():
    # Any interpolate or perturbation has gradient a, so the penalty is (5 - 1)^2 exactly.
    assert float(PENALTIES["wgan_gp"](linear, REAL, FAKE, SEED)) == pytest.approx(16.0, rel=1e-5)
    assert float(PENALTIES["dragan"](linear, REAL, FAKE, SEED)) == pytest.approx(16.0, rel=1e-5)
    assert float(PENALTIES["r1"](linear, REAL, FAKE, SEED)) == pytest.approx(12.5, rel=1e-5)


def test_wgan_gp_uses_points_between_real_and_fake():
    # With the quadratic critic the penalty is mean((||x_hat|| - 1)^2) for x_hat on the segments.
    got = float(PENALTIES["wgan_gp"](quadratic, REAL, FAKE, SEED))
    eps = tf.random.stateless_uniform((6, 1), seed=SEED)
    x_hat = (eps * REAL + (1 - eps) * FAKE).numpy()
    assert got == pytest.approx(np.mean((np.linalg.norm(x_hat, axis=1) - 1) ** 2), rel=1e-5)
    r1 = float(PENALTIES["r1"](quadratic, REAL, FAKE, SEED))
    assert r1 == pytest.approx(0.5 * np.mean(np.sum(REAL.numpy() ** 2, axis=1)), rel=1e-5)


def test_penalty_is_differentiable_with_respect_to_the_critic():
    w = tf.Variable([[1.0], [2.0]])
    with tf.GradientTape() as tape:
        penalty = PENALTIES["wgan_gp"](lambda x: tf.matmul(x, w), REAL, FAKE, SEED)
    grad = tape.gradient(penalty, w).numpy()
    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||
    norm = np.sqrt(5.0)
    np.testing.assert_allclose(grad, 2 * (norm - 1) * np.array([[1.0], [2.0]]) / norm, rtol=1e-5)


def test_images_are_handled_per_sample():
    images = tf.ones((3, 4, 4, 2))
    norms = gradient_norms(lambda x: tf.reduce_sum(x, axis=[1, 2, 3])[:, None], images)
    np.testing.assert_allclose(norms.numpy(), np.full(3, np.sqrt(32.0)), rtol=1e-6)


def test_unknown_penalty():
    with pytest.raises(ConfigError, match="Unknown penalty 'gp'. Known: dragan, r1, wgan_gp"):
        get_penalty("gp")
