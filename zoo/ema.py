"""Standing batch-norm statistics for a weight-averaged generator.

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

from zoo.errors import ConfigError


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
