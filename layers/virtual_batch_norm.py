"""Virtual batch normalization (Salimans et al., 2016) for generators.

Batch norm makes each output depend on the rest of its batch. Virtual batch
norm normalises every example with the statistics of a *fixed reference batch*
plus the example itself, so an output depends only on its own input, while
training keeps batch norm's conditioning. The reference batch runs through the
network with every call:

    z -> ReferenceBatch (prepends the fixed reference latents)
      -> ... VirtualBatchNormalization ... (stats from the reference rows + each row)
      -> DropReference (removes the reference rows) -> images

The reference latents are a (non-trainable) weight of ``ReferenceBatch``, drawn
once from ``seed``: the exported generator stays a pure function of ``z``.

Example:
    >>> z = keras.Input((2,))
    >>> x = ReferenceBatch(size=64, seed=0)(z)
    >>> x = VirtualBatchNormalization(reference_size=64)(keras.layers.Dense(400)(x))
    >>> out = DropReference(size=64)(keras.layers.Dense(2)(keras.layers.ReLU()(x)))
"""

import numpy as np
import keras
from keras import ops


def _check_size(size):
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"The reference batch size must be a positive integer; got {size!r}.")
    return size


@keras.saving.register_keras_serializable(package="layers")
class ReferenceBatch(keras.layers.Layer):
    """Prepends ``size`` fixed reference latents (N(0, 1) drawn from ``seed``) to the batch.

    Args:
        size: how many reference rows (>= 1); ``DropReference(size)`` removes them again.
        seed: the seed the reference rows are drawn from (fixed, so they are the same every step).
        **kwargs: ``keras.layers.Layer`` arguments (``name``, ``dtype``).
    """

    def __init__(self, size=64, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.size, self.seed = _check_size(size), seed

    def build(self, input_shape):
        values = np.random.default_rng(self.seed).standard_normal((self.size, *input_shape[1:]))
        self.reference = self.add_weight(
            name="reference", shape=(self.size, *input_shape[1:]), trainable=False,
            initializer=keras.initializers.Constant(values.astype("float32")),
        )

    def call(self, inputs):
        return ops.concatenate([ops.cast(self.reference, inputs.dtype), inputs], axis=0)

    def compute_output_shape(self, input_shape):
        return (None, *input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "size": self.size, "seed": self.seed}


@keras.saving.register_keras_serializable(package="layers")
class DropReference(keras.layers.Layer):
    """Removes the ``size`` reference rows that ``ReferenceBatch`` prepended.

    Args:
        size: how many rows to drop from the front of the batch (``ReferenceBatch``'s ``size``).
        **kwargs: ``keras.layers.Layer`` arguments (``name``, ``dtype``).
    """

    def __init__(self, size=64, **kwargs):
        super().__init__(**kwargs)
        self.size = _check_size(size)

    def call(self, inputs):
        return inputs[self.size:]

    def compute_output_shape(self, input_shape):
        return (None, *input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


@keras.saving.register_keras_serializable(package="layers")
class VirtualBatchNormalization(keras.layers.Layer):
    """Normalises each row with the first ``reference_size`` rows' statistics plus itself.

    For row i: mean_i = (R * mean_ref + x_i) / (R + 1), likewise for the mean of
    squares; var_i = meansq_i - mean_i^2; y_i = gamma * (x_i - mean_i) / sqrt(var_i + eps) + beta.
    Statistics are per feature (the last axis), pooled over the other axes.

    Args:
        reference_size: R, the number of leading reference rows in every batch.
        epsilon: added to the variance.
    """

    def __init__(self, reference_size=64, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.reference_size, self.epsilon = _check_size(reference_size), float(epsilon)

    def build(self, input_shape):
        self.gamma = self.add_weight(name="gamma", shape=(input_shape[-1],), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(input_shape[-1],), initializer="zeros")

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        r = self.reference_size
        spatial = tuple(range(1, len(x.shape) - 1))
        ref = x[:r]
        axes = (0, *spatial)
        ref_mean, ref_sq = ops.mean(ref, axis=axes), ops.mean(ops.square(ref), axis=axes)
        own_mean = ops.mean(x, axis=spatial, keepdims=True) if spatial else x
        own_sq = ops.mean(ops.square(x), axis=spatial, keepdims=True) if spatial else ops.square(x)
        w = 1.0 / (r + 1.0)
        mean = (1.0 - w) * ref_mean + w * own_mean
        var = (1.0 - w) * ref_sq + w * own_sq - ops.square(mean)
        gamma, beta = ops.cast(self.gamma, "float32"), ops.cast(self.beta, "float32")  # bfloat16 under a mixed policy
        y = (x - mean) * ops.rsqrt(ops.maximum(var, 0.0) + self.epsilon) * gamma + beta
        return ops.cast(y, inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "reference_size": self.reference_size, "epsilon": self.epsilon}
