"""Weight averages of a GAN: the generator's exponential moving average (with standing batch-norm
statistics) and historical averaging's running mean.

``frozen_copy`` and ``average_into`` make and move ``GAN(ema_decay=...)``'s ``ema_generator``;
``RunningAverage`` is ``GAN(historical_averaging=...)``'s mean of past weights.

A generator's weight average (``GAN(ema_decay=...)``) copies the live generator's
batch-norm moving statistics, which describe the live weights' activations, not
the averaged ones'. ``standing_statistics`` re-estimates them from the averaged
network itself: every ``BatchNormalization`` layer's moving mean and variance
become the mean, over ``batches`` batches of fresh latents, of the statistics the
layer sees in training mode (BigGAN's "standing statistics").

    >>> standing_statistics(gan.ema_generator, gan, batches=50)
"""

import keras
import numpy as np
from keras import ops

from zoo.errors import ConfigError


def frozen_copy(generator):
    """A copy of ``generator`` (same architecture and weights) whose weights are not trainable."""
    try:
        copy = keras.models.clone_model(generator)
    except Exception as e:  # subclassed models without get_config/from_config
        raise ConfigError(
            f"ema_decay needs a copy of the generator, but keras.models.clone_model cannot clone "
            f"{generator.name!r} ({e}). Use a functional or Sequential generator, or give a "
            "subclassed one get_config/from_config."
        ) from None
    if [tuple(v.shape) for v in copy.weights] != [tuple(v.shape) for v in generator.weights]:
        raise ConfigError(
            f"The clone of generator {generator.name!r} has different weights from the original "
            "(is it unbuilt?), so it cannot hold the weight average: build the generator first."
        )
    copy.set_weights(generator.get_weights())
    copy.trainable = False
    return copy


def average_into(average, live, decay):
    """One averaging step of ``average`` (a ``frozen_copy``) towards the model ``live``.

    Trainable weights move to ``decay * average + (1 - decay) * live`` (``decay`` may be a tensor; 0
    copies); non-trainable state (batch-norm statistics) is copied. Works in a replica context of a
    ``tf.distribute`` strategy: the copy's weights have Keras's default aggregation ("none"), so each
    replica writes its own copy from its own live weights; the optimizer keeps the trainable weights
    identical on every replica, so the averages stay identical too.
    """
    trainable = {id(v) for v in live.trainable_weights}
    for avg, var in zip(average.weights, live.weights):
        if id(var) in trainable:
            d = ops.cast(decay, avg.dtype)
            avg.assign(d * avg + (1.0 - d) * ops.cast(var, avg.dtype))
        else:
            avg.assign(var)


class RunningAverage:
    """The mean of a list of variables over their updates, and the distance to it.

    Historical averaging (Salimans et al., 2016): ``penalty()`` is ``||theta - mean of past thetas||^2``
    (0 before the first ``update()``). ``variables`` (the means and the count) are Keras variables that
    the owning model tracks, so they are saved and restored with it.
    """

    def __init__(self, variables, name):
        self.targets = list(variables)
        self.variables = [
            keras.Variable(np.zeros(v.shape, "float32"), trainable=False, name=f"{name}_{i}",
                           aggregation="only_first_replica")
            for i, v in enumerate(self.targets)
        ]
        self.count = keras.Variable(0.0, trainable=False, name=f"{name}_count",
                                    aggregation="only_first_replica")
        self.variables.append(self.count)

    def penalty(self):
        started = ops.cast(self.count > 0, "float32")
        return started * sum(ops.sum(ops.square(ops.cast(t, "float32") - a))
                             for t, a in zip(self.targets, self.variables))

    def update(self):
        n = self.count + 1.0
        for t, a in zip(self.targets, self.variables):
            a.assign(a + (ops.cast(t, "float32") - a) / n)
        self.count.assign(n)


def batch_norm_layers(model):
    """The ``BatchNormalization`` layers of ``model``, nested models included."""
    return [layer for layer in model._flatten_layers(include_self=False)
            if isinstance(layer, keras.layers.BatchNormalization)]


def standing_statistics(model, sampler, batches=50, batch_size=64, seed=0):
    """Sets the moving statistics of every batch-norm layer of ``model`` to their standing values.

    Args:
        model: a generator (e.g. ``gan.ema_generator``) with the same inputs as ``sampler``'s.
        sampler: a ``zoo.GAN`` or ``PretrainedGenerator`` whose ``model_inputs`` draws the inputs
            (latents, and labels/codes/noise where the generator takes them, as ``generate`` does).
        batches: how many batches the statistics average over (>= 1).
        batch_size: samples per batch (>= 2: a batch of one has no variance).
        seed: the seed of the latents (the same seed gives the same statistics).

    Returns the number of batch-norm layers updated (0: nothing to do). The model's weights
    and trainable flags are left as they were.
    """
    if not isinstance(batches, int) or batches < 1 or not isinstance(batch_size, int) or batch_size < 2:
        raise ConfigError(f"standing_statistics needs batches >= 1 and batch_size >= 2; got {batches!r}, "
                          f"{batch_size!r}.")
    layers = batch_norm_layers(model)
    if not layers:
        return 0
    saved = [(layer, layer.momentum, layer.trainable) for layer in layers]
    means = [np.zeros(layer.moving_mean.shape, np.float64) for layer in layers]
    variances = [np.zeros(layer.moving_variance.shape, np.float64) for layer in layers]
    try:
        for layer in layers:  # momentum 0: one training-mode call leaves that batch's statistics
            layer.momentum = 0.0
            layer.trainable = True  # a frozen batch-norm layer runs in inference mode
        for i in range(batches):
            model(sampler.model_inputs(batch_size, seed=seed + i), training=True)
            for k, layer in enumerate(layers):
                means[k] += keras.ops.convert_to_numpy(layer.moving_mean)
                variances[k] += keras.ops.convert_to_numpy(layer.moving_variance)
        for k, layer in enumerate(layers):
            layer.moving_mean.assign((means[k] / batches).astype(layer.moving_mean.dtype))
            layer.moving_variance.assign((variances[k] / batches).astype(layer.moving_variance.dtype))
    finally:
        for layer, momentum, trainable in saved:
            layer.momentum, layer.trainable = momentum, trainable
    return len(layers)


class StandingStatistics(keras.callbacks.Callback):
    """Re-estimates ``gan.ema_generator``'s batch-norm statistics (``standing_statistics``) at the end of
    every epoch, before the callbacks that sample from it.

    ``GAN.fit`` puts one first in the callback list when the GAN averages a generator that has batch
    norm (``ema_standing_statistics`` batches; 0 turns it off). Training with ``train_on_batch``
    instead, call ``standing_statistics(gan.ema_generator, gan)`` before sampling.

    Args:
        batches: batches of fresh latents the statistics average over.
        batch_size: samples per batch.
        seed: seed of the latents (the same every epoch).
    """

    def __init__(self, batches=32, batch_size=64, seed=0):
        super().__init__()
        self.batches, self.batch_size, self.seed = batches, batch_size, seed

    def on_epoch_end(self, epoch, logs=None):
        standing_statistics(self.model.ema_generator, self.model, self.batches, self.batch_size, self.seed)
