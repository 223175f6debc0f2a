"""One step on 2 replicas == one step on 1 replica with the same global batch, for every loss family.

Gradients are summed over replicas, so every loss term must be divided by the
replica count (``zoo.distribute.per_replica_loss``), and terms that are non-linear in a batch mean
must take that mean over the global batch (``zoo.distribute.replica_mean``).
SGD (not Adam) so that a wrongly scaled gradient shows up in the weights; no
batch norm (its statistics are per replica by design). The latents come from
the data and the penalties' noise from the samples themselves, so both runs
draw exactly the same numbers.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo import GAN, penalties
from zoo.distribute import replica_mean


class _LatentsFromData(GAN):
    """Takes its latents from the dataset's second component, so 1 and 2 replicas see the same z."""

    def generator_inputs(self, z, condition):
        return condition


def _noise_from_the_samples(x, seed, per_sample=True):
    """Deterministic stand-in for ``penalties.uniform_noise``: a function of each sample only."""
    del seed
    if per_sample:
        total = tf.reduce_sum(x, axis=list(range(1, len(x.shape))), keepdims=True)
        return tf.math.floormod(tf.abs(total) * 3.7, 1.0)
    return tf.math.floormod(tf.abs(x) * 5.3, 1.0)


FAMILIES = {
    "non_saturating": {},
    "minimax": {"loss": "minimax"},
    "least_squares": {"loss": "least_squares"},
    "hinge": {"loss": "hinge"},
    "wgan_clipping": {"loss": "wasserstein", "clip_value": 0.05, "d_steps": 2},
    "wgan_gp": {"loss": "wasserstein", "penalty": "wgan_gp", "d_steps": 2},
    "dragan": {"penalty": "dragan"},
    "r1": {"penalty": "r1", "penalty_weight": 1.0},
    "relativistic": {"loss": "relativistic"},
    "relativistic_average": {"loss": "relativistic_average"},
    "label_smoothing": {"label_smoothing": 0.2},
    "feature_matching": {"feature_matching": 1.0},
    "historical_averaging": {"historical_averaging": 0.5},
    "unrolled": {"unrolled_steps": 2},
    "pacgan": {"pack": 2},
}


def _smooth_networks(pack):
    """Tiny dense G and D with tanh hidden units, so the penalties' gradient norms depend on
    where they are taken (a piecewise-linear D would make them nearly constant); no batch norm."""
    z = keras.Input((4,))
    h = keras.layers.Dense(16, activation="tanh")(z)
    images = keras.layers.Reshape((4, 4, 1))(keras.layers.Dense(16, activation="tanh")(h))
    x = keras.Input((4, 4, pack))
    y = keras.layers.Dense(16, activation="tanh")(keras.layers.Flatten()(x))
    return keras.Model(z, images), keras.Model(x, keras.layers.Dense(1)(y))


def _replica_run(strategy, data, z, options):
    with strategy.scope():
        keras.utils.set_random_seed(7)
        g, d = _smooth_networks(options.get("pack", 1))
        gan = _LatentsFromData(g, d, seed=0, **options)
        gan.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1))
    before = [v.numpy() for v in gan.trainable_variables]
    gan.fit(data, z, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return before, [v.numpy() for v in gan.trainable_variables]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_two_replicas_give_the_same_update_as_one(family, real_batch, mirrored, monkeypatch):
    monkeypatch.setattr(penalties, "uniform_noise", _noise_from_the_samples)
    data = np.concatenate([real_batch, real_batch[::-1] * 0.5])
    z = np.random.default_rng(1).standard_normal((16, 4)).astype("float32")
    before, one = _replica_run(tf.distribute.OneDeviceStrategy("/cpu:0"), data, z, FAMILIES[family])
    _, two = _replica_run(mirrored, data, z, FAMILIES[family])
    moved = max(float(np.max(np.abs(a - b))) for a, b in zip(one, before))
    assert moved > 1e-3, "the run must change the weights for the comparison to mean anything"
    # The updates must agree up to float32 rounding, which depends on the CPU's kernels (reduction order,
    # AVX2 vs AVX-512): 2e-4 of the largest step (a replica-count bug moves updates by percents or more),
    # plus the rounding of the weights themselves.
    for a, b, w in zip(one, two, before):
        tolerance = 2e-4 * moved + 8 * np.finfo(np.float32).eps * float(np.max(np.abs(w)))
        np.testing.assert_allclose(a - w, b - w, rtol=0, atol=tolerance, err_msg=family)


def test_replica_mean_is_the_global_batch_mean_and_differentiable(mirrored):
    x = tf.constant(np.arange(8, dtype="float32").reshape(4, 2))

    def step(part):
        with tf.GradientTape() as tape:
            tape.watch(part)
            mean = replica_mean(tf.square(part), axis=0)
            loss = tf.reduce_sum(mean) / 2.0  # each replica's share of the global loss
        return mean, tape.gradient(loss, part)

    dataset = mirrored.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices(x).batch(4))
    means, grads = mirrored.run(step, args=(next(iter(dataset)),))
    for m in mirrored.experimental_local_results(means):
        np.testing.assert_allclose(m, np.mean(np.square(x.numpy()), axis=0))
    # d/dx of sum_j mean_i x_ij^2 over the global batch of 4 is 2 x / 4: every replica's share reaches each sample.
    got = np.concatenate(mirrored.experimental_local_results(grads))
    np.testing.assert_allclose(got, 2.0 * x.numpy() / 4.0)
