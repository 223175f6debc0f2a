"""Minibatch standard deviation (Karras et al., 2018, "Progressive Growing of GANs")."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="layers")
class MinibatchStdDev(keras.layers.Layer):
    """Appends a feature map holding how much the samples of a small group differ.

    The batch is split into groups of ``group_size`` samples (sample i joins
    group i mod (batch / group_size), as in the paper's reshape); within
    each group the standard deviation of every feature at every pixel is taken,
    averaged over features and pixels, and the resulting scalar is appended as
    an extra channel to each sample of the group. A collapsed generator's
    samples have ~0 there, which D learns to see. ``num_channels`` > 1 splits
    the channels into that many slices, each giving its own statistic (StyleGAN).

    If the batch is not a multiple of ``group_size``, the largest group size
    below it that divides the batch is used (1 makes the statistic ~0).

    Args:
        group_size: samples per group (the paper: 4).
        num_channels: statistics appended (the paper: 1).
        epsilon: added to the variance before the square root.

    Example:
        >>> x = MinibatchStdDev(group_size=4)(features)  # (batch, 4, 4, C) -> (batch, 4, 4, C + 1)
    """

    def __init__(self, group_size=4, num_channels=1, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("group_size", group_size), ("num_channels", num_channels)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"MinibatchStdDev {name} must be a positive integer; got {value!r}.")
        self.group_size, self.num_channels, self.epsilon = group_size, num_channels, float(epsilon)

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"MinibatchStdDev takes NHWC features with known channels; got {input_shape}.")
        if input_shape[-1] % self.num_channels:
            raise ValueError(
                f"MinibatchStdDev num_channels={self.num_channels} must divide the {input_shape[-1]} channels."
            )
        self.built = True

    def _group(self, batch):
        """The largest size <= group_size that divides the batch (static when the batch is known)."""
        if isinstance(batch, int):
            return next(g for g in range(min(self.group_size, batch), 0, -1) if batch % g == 0)
        group = ops.convert_to_tensor(1, "int32")
        for g in range(2, self.group_size + 1):
            group = ops.where(ops.logical_and(batch % g == 0, batch >= g), g, group)
        return group

    def call(self, inputs):
        shape = ops.shape(inputs)
        batch, h, w, c = shape[0], shape[1], shape[2], inputs.shape[-1]
        group = self._group(batch)
        f = self.num_channels
        x = ops.reshape(ops.cast(inputs, "float32"), (group, -1, h, w, f, c // f))
        x = x - ops.mean(x, axis=0, keepdims=True)
        std = ops.sqrt(ops.mean(ops.square(x), axis=0) + self.epsilon)  # (batch / group, h, w, f, c / f)
        stat = ops.mean(std, axis=(1, 2, 4))  # (batch / group, f)
        stat = ops.tile(stat, (group, 1))  # sample i belongs to group i % (batch / group)
        stat = ops.broadcast_to(stat[:, None, None, :], (batch, h, w, f))
        return ops.concatenate([inputs, ops.cast(stat, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.num_channels)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "num_channels": self.num_channels,
                "epsilon": self.epsilon}
