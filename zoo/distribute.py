"""Batch statistics over the global batch under a ``tf.distribute`` strategy.

Under ``MirroredStrategy`` (and ``MultiWorkerMirroredStrategy``) every replica
sees a slice of the global batch. Loss terms that are plain means over samples
need only the per-replica scaling the base model applies (``per_replica_loss``);
terms that are *non-linear in a batch mean* (RaGAN's average logits, feature
matching's mean features, DRAGAN's data spread, BEGAN's k_t balance, the
unrolled discriminator's gradients) would change with the replica count. They
take their means from ``replica_mean`` / ``replica_average``, so one step on 2
replicas gives the update of one step on 1 replica with the same global batch
(the tests check this for every loss family).

Batch normalization and the minibatch layers (``MinibatchStdDev``,
``MinibatchDiscrimination``) keep per-replica statistics, as in the papers'
multi-GPU code.
"""

import tensorflow as tf
from keras import ops


def per_replica_loss(loss):
    """A per-replica mean loss divided by the replica count: the optimizer sums gradients across replicas."""
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss if replicas == 1 else loss / replicas


def logs_for_strategy(logs):
    """``train_step``'s logs in the shape Keras can reduce under the current strategy.

    Keras 3 reduces a multi-worker run's logs with ``strategy.reduce("MEAN", v, axis=0)``,
    which fails on scalars (tensorflow/tensorflow#72388); there each value goes out
    with shape (1,) and comes back a scalar. Elsewhere the logs are unchanged.
    """
    strategy = tf.distribute.get_strategy()
    if not (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.extended._in_multi_worker_mode()):
        return logs
    return {name: ops.reshape(value, (1,)) for name, value in logs.items()}


def replica_mean(x, axis=None):
    """``ops.mean(x, axis)`` over the batch of every replica (equal per-replica batches).

    Differentiable: the all-reduce's gradient sums the upstream gradients of all
    replicas, so each replica's samples get their share of every replica's loss.
    Outside a strategy (or with one replica) it is ``ops.mean``.
    """
    mean = ops.mean(ops.cast(x, "float32"), axis=axis)
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return mean
    return ctx.all_reduce(tf.distribute.ReduceOp.MEAN, mean)


def replica_average(tensors):
    """The mean of each tensor in ``tensors`` (a list) over all replicas (identity on one).

    For values every replica must agree on, such as the unrolled discriminator's
    gradients (the optimizer averages real gradients the same way). Differentiable.
    """
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return list(tensors)
    return list(ctx.all_reduce(tf.distribute.ReduceOp.MEAN, list(tensors)))
