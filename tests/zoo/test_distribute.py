"""zoo.distribute: replica_mean / replica_average, outside a strategy, on one replica and on the two-replica
``mirrored`` strategy of tests/conftest.py. (replica_mean's global-batch mean and gradient along axis 0 are
also checked in test_replica_equivalence.py, with every loss family that relies on it.)
"""

import numpy as np
import tensorflow as tf

from zoo.distribute import logs_for_strategy, per_replica_loss, replica_average, replica_mean

# Per-replica values: replica 0 holds PARTS[0], replica 1 PARTS[1] (equal shapes, as equal batch slices).
PARTS = np.array([[[1.0, 2.0], [3.0, 4.0]], [[10.0, 20.0], [30.0, 50.0]]], "float32")


def _per_replica(strategy, parts):
    return strategy.experimental_distribute_values_from_function(
        lambda ctx: tf.constant(parts[ctx.replica_id_in_sync_group]))


def _local(strategy, values):
    return [np.asarray(v) for v in strategy.experimental_local_results(values)]


def test_outside_a_strategy_replica_mean_is_the_mean_and_replica_average_the_identity():
    x = tf.constant(PARTS[0])
    np.testing.assert_allclose(replica_mean(x), 2.5)
    np.testing.assert_allclose(replica_mean(x, axis=0), [2.0, 3.0])
    np.testing.assert_allclose(replica_mean(x, axis=1), [1.5, 3.5])
    integers = replica_mean(tf.constant([1, 2], tf.int32))
    assert integers.dtype == tf.float32 and float(integers) == 1.5, "the mean of integers is not truncated"
    tensors = (tf.constant(1.0), tf.constant([2.0, 3.0]))
    out = replica_average(tensors)
    assert isinstance(out, list) and len(out) == 2
    for a, b in zip(out, tensors):
        np.testing.assert_array_equal(a, b)


def test_on_one_replica_they_are_the_plain_mean_and_the_identity():
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")

    def fn():
        x = tf.constant(PARTS[1])
        return replica_mean(x), replica_mean(x, axis=0), replica_average([x])[0]

    mean, column_mean, same = (np.asarray(t) for t in strategy.run(tf.function(fn)))
    np.testing.assert_allclose(mean, PARTS[1].mean())
    np.testing.assert_allclose(column_mean, PARTS[1].mean(axis=0))
    np.testing.assert_array_equal(same, PARTS[1])


def test_replica_mean_is_the_mean_over_every_replicas_values(mirrored):
    values = _per_replica(mirrored, PARTS)

    @tf.function
    def step(x):
        return mirrored.run(lambda part: (replica_mean(part), replica_mean(part, axis=1)), args=(x,))

    means, row_means = step(values)
    assert all(float(m) == PARTS.mean() for m in _local(mirrored, means)), _local(mirrored, means)
    # axis=1 keeps the rows apart: row i's mean over every replica's row i.
    for m in _local(mirrored, row_means):
        np.testing.assert_allclose(m, PARTS.mean(axis=2).mean(axis=0))
    # In the cross-replica context (no replica context to reduce in) it is the plain mean.
    np.testing.assert_allclose(replica_mean(tf.constant(PARTS[1])), PARTS[1].mean())


def test_replica_average_gives_every_replica_the_mean_of_each_tensor(mirrored):
    matrices = _per_replica(mirrored, PARTS)
    scalars = _per_replica(mirrored, np.array([2.0, 6.0], "float32"))

    @tf.function
    def step(m, s):
        return mirrored.run(lambda a, b: tuple(replica_average([a, b])), args=(m, s))

    averaged, scalar = step(matrices, scalars)
    for m in _local(mirrored, averaged):
        np.testing.assert_allclose(m, PARTS.mean(axis=0))
    assert [float(s) for s in _local(mirrored, scalar)] == [4.0, 4.0]


def test_replica_average_is_differentiable_and_shares_every_replicas_gradient(mirrored):
    """Replica r's loss is (r + 1) * sum(average); the global loss is their sum, so each replica's
    input gets d/dx = (1 + 2) / 2 = 1.5 everywhere: the average passes every replica's upstream
    gradient back, divided by the replica count."""
    values = _per_replica(mirrored, PARTS)

    @tf.function
    def step(x):
        def fn(part):
            with tf.GradientTape() as tape:
                tape.watch(part)
                weight = tf.cast(tf.distribute.get_replica_context().replica_id_in_sync_group, tf.float32) + 1.0
                loss = weight * tf.reduce_sum(replica_average([part])[0])
            return tape.gradient(loss, part)
        return mirrored.run(fn, args=(x,))

    for grad in _local(mirrored, step(values)):
        np.testing.assert_allclose(grad, np.full(PARTS.shape[1:], 1.5))


def test_per_replica_loss_divides_by_the_replica_count(mirrored):
    # The optimizer sums the replicas' gradients, so each replica's mean loss is divided by their number.
    assert float(per_replica_loss(tf.constant(3.0))) == 3.0

    @tf.function
    def scaled():
        return mirrored.run(lambda: per_replica_loss(tf.constant(3.0)))

    assert [float(v) for v in _local(mirrored, scaled())] == [1.5, 1.5]


def test_logs_pass_unchanged_outside_a_multi_worker_run(mirrored):
    logs = {"d_loss": tf.constant(1.0)}
    assert logs_for_strategy(logs) is logs
    with mirrored.scope():
        assert logs_for_strategy(logs) is logs  # a one-machine MirroredStrategy reduces scalars fine
