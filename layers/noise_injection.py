"""Per-pixel noise with a learned per-channel scale (Karras et al., 2019, "A Style-Based Generator...")."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="layers")
class NoiseInjection(keras.layers.Layer):
    """Adds single-channel noise, scaled per feature map: ``y = x + scale_c * noise``.

    The noise is an explicit input (batch, H, W, 1), not drawn inside the layer,
    so a generator built with it stays a pure function of its inputs: exported
    graphs contain no random ops and the same (z, noise) always gives the same
    image. Feed zeros for the mean image, or fresh N(0, 1) noise for stochastic
    detail (``zoo`` generators draw it for you in ``generate``).

    ``scale`` starts at 0 (StyleGAN's initialisation), so a fresh layer is the
    identity.

    Example:
        >>> noise = keras.Input((16, 16, 1), name="noise_16")
        >>> x = NoiseInjection()([x, noise])
    """

    def build(self, input_shape):
        x_shape, noise_shape = input_shape
        if len(x_shape) != 4 or len(noise_shape) != 4 or noise_shape[-1] != 1:
            raise ValueError(
                "NoiseInjection takes [features (batch, H, W, C), noise (batch, H, W, 1)]; got "
                f"shapes {x_shape} and {noise_shape}."
            )
        if tuple(noise_shape[1:3]) != tuple(x_shape[1:3]) and None not in (*noise_shape[1:3], *x_shape[1:3]):
            raise ValueError(
                f"NoiseInjection's noise has spatial size {tuple(noise_shape[1:3])} but the features "
                f"{tuple(x_shape[1:3])}: give each block noise of its own resolution."
            )
        self.scale = self.add_weight(name="scale", shape=(x_shape[-1],), initializer="zeros")
        self.built = True

    def call(self, inputs):
        x, noise = inputs
        return x + ops.cast(self.scale, x.dtype) * ops.cast(noise, x.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape[0]
