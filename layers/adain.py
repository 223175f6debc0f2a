"""Adaptive instance normalization (Huang & Belongie, 2017; the style input of StyleGAN, Karras et al., 2019)."""

import keras
from keras import ops

from layers.equalized import EqualizedDense


@keras.saving.register_keras_serializable(package="layers")
class AdaIN(keras.layers.Layer):
    """Instance-normalises feature maps, then scales and shifts them by a style vector.

    For features ``x`` (batch, H, W, C) and a style ``w`` (batch, D):
    ``y = (1 + A_s(w)) * (x - mean_hw(x)) / sqrt(var_hw(x) + epsilon) + A_b(w)``,
    where ``A_s``, ``A_b`` are learned affine maps (equalized-LR dense layers,
    StyleGAN's "A"). The scale's bias starts at 1 (written here as ``1 + A_s``
    with ``A_s``'s bias at 0), so a fresh layer is plain instance norm.

    Args:
        epsilon: added to the variance.
        lr_multiplier: of the affine maps.

    Example:
        >>> x = AdaIN()([features, w])  # features (batch, 8, 8, 64), w (batch, 128)
    """

    def __init__(self, epsilon=1e-8, lr_multiplier=1.0, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self.lr_multiplier = float(lr_multiplier)

    def build(self, input_shape):
        x_shape, w_shape = input_shape
        if len(x_shape) != 4 or x_shape[-1] is None or len(w_shape) != 2 or w_shape[-1] is None:
            raise ValueError(
                "AdaIN takes [features (batch, H, W, C), style (batch, D)] with known C and D; got "
                f"shapes {x_shape} and {w_shape}."
            )
        channels = int(x_shape[-1])
        dense = dict(gain=1.0, lr_multiplier=self.lr_multiplier, dtype=self.dtype_policy)
        self.style_scale = EqualizedDense(channels, name="style_scale", **dense)
        self.style_bias = EqualizedDense(channels, name="style_bias", **dense)
        self.style_scale.build(w_shape)
        self.style_bias.build(w_shape)
        self.built = True

    def call(self, inputs):
        x, w = inputs
        mean = ops.mean(x, axis=(1, 2), keepdims=True)
        var = ops.mean(ops.square(x - mean), axis=(1, 2), keepdims=True)
        normalized = (x - mean) * ops.rsqrt(var + self.epsilon)
        w = ops.cast(w, x.dtype)
        scale = 1.0 + self.style_scale(w)[:, None, None, :]
        bias = self.style_bias(w)[:, None, None, :]
        return scale * normalized + bias

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "lr_multiplier": self.lr_multiplier}
