"""Pixelwise feature normalization (Karras et al., 2018, "Progressive Growing of GANs")."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="layers")
class PixelNorm(keras.layers.Layer):
    """Scales each feature vector (all channels of one pixel) to unit root-mean-square.

    ``y = x / sqrt(mean_c(x_c^2) + epsilon)`` over the last axis. ProGAN puts it
    after every convolution of the generator (and StyleGAN on ``z``) instead of
    batch norm, so no sample's statistics depend on the rest of the batch.

    Args:
        epsilon: added to the mean square (the paper: 1e-8).

    Example:
        >>> x = PixelNorm()(keras.layers.LeakyReLU(0.2)(conv(x)))
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, inputs):
        return inputs * ops.rsqrt(ops.mean(ops.square(inputs), axis=-1, keepdims=True) + self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
