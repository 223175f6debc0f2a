"""Discriminator penalties as pure functions with one signature.

``penalty(critic, real, fake, seed) -> scalar`` where ``critic`` maps a batch
of samples to logits (the base model passes D with its statistics frozen),
``real``/``fake`` are same-shaped sample batches and ``seed`` is a stateless
RNG seed (shape ``(2,)``). The weight (lambda, gamma) is applied by the caller
(``GAN(penalty=..., penalty_weight=...)``).

Example:
    >>> gp = PENALTIES["wgan_gp"](critic, real, fake, seed)   # mean((||grad|| - 1)^2)
"""

import tensorflow as tf

from zoo.distribute import replica_mean
from zoo.errors import ConfigError, did_you_mean


def gradient_norms(critic, points):
    """Per-sample L2 norm of d critic(x) / dx at ``points``, shape (batch,)."""
    with tf.GradientTape() as tape:
        tape.watch(points)
        total = tf.reduce_sum(tf.cast(critic(points), tf.float32))
    grads = tape.gradient(total, points)
    axes = list(range(1, len(points.shape)))
    return tf.sqrt(tf.reduce_sum(tf.square(tf.cast(grads, tf.float32)), axis=axes) + 1e-12)


def uniform_noise(x, seed, per_sample=True):
    """U(0, 1) noise for a penalty's points: one value per sample (broadcast over its
    features) or, with ``per_sample=False``, one per coordinate. The penalties' only
    source of randomness."""
    if per_sample:
        shape = tf.concat([tf.shape(x)[:1], tf.ones([len(x.shape) - 1], tf.int32)], 0)
    else:
        shape = tf.shape(x)
    return tf.random.stateless_uniform(shape, seed=seed, dtype=x.dtype)


def wgan_gp(critic, real, fake, seed):
    """WGAN-GP (Gulrajani et al., 2017): (||grad D(x_hat)|| - 1)^2 on x_hat = e*x + (1-e)*G(z), e ~ U(0, 1)."""
    eps = uniform_noise(real, seed)
    points = eps * real + (1.0 - eps) * tf.cast(fake, real.dtype)
    return tf.reduce_mean(tf.square(gradient_norms(critic, points) - 1.0))


def dragan(critic, real, fake, seed):
    """DRAGAN (Kodali et al., 2017): the same norm target on perturbed real samples.

    x_hat = x + a * delta with delta = 0.5 * std(x) * U(0, 1) per coordinate and
    a ~ U(0, 1) per sample, as in the authors' code; std(x) is over the global
    batch under a strategy (``replica_mean``).
    """
    del fake
    seeds = tf.random.experimental.stateless_split(seed, 2)
    variance = replica_mean(tf.square(real)) - tf.square(replica_mean(real))
    spread = tf.cast(tf.sqrt(tf.maximum(variance, 0.0)), real.dtype)
    delta = 0.5 * spread * uniform_noise(real, seeds[0], per_sample=False)
    points = real + uniform_noise(real, seeds[1]) * delta
    return tf.reduce_mean(tf.square(gradient_norms(critic, points) - 1.0))


def r1(critic, real, fake, seed):
    """R1 (Mescheder et al., 2018): 1/2 E[||grad D(x)||^2] on real data."""
    del fake, seed
    return 0.5 * tf.reduce_mean(tf.square(gradient_norms(critic, real)))


PENALTIES = {"wgan_gp": wgan_gp, "dragan": dragan, "r1": r1}


def get_penalty(name):
    if name not in PENALTIES:
        raise ConfigError(f"Unknown penalty {name!r}." + did_you_mean(name, PENALTIES))
    return PENALTIES[name]
