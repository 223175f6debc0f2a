"""Smooth fade-in of a new resolution block (Karras et al., 2018, "Progressive Growing of GANs")."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="layers")
class FadeIn(keras.layers.Layer):
    """Blends the old path and the new block: ``y = (1 - alpha) * old + alpha * new``.

    When ProGAN adds a resolution, the new block's output (``new``) is mixed
    with the previous resolution's output brought to the same size (``old``:
    upsampled toRGB in G, downsampled fromRGB in D), and ``alpha`` rises
    linearly from 0 to 1 over the fade-in phase. ``alpha`` is a non-trainable
    weight of the layer, set from outside (``layer.alpha.assign(a)``, or the
    growing schedule of ``zoo.ProGAN``); it is saved with the model and baked
    into exports as the value it has at export time.

    Args:
        alpha: the initial blend weight in [0, 1] (1: the new block alone).
        **kwargs: ``keras.layers.Layer`` arguments (``name``, ``dtype``).

    Example:
        >>> old = keras.layers.UpSampling2D()(to_rgb_8(x8))
        >>> new = to_rgb_16(block_16(x8))
        >>> images = FadeIn()([old, new])
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial_alpha = float(alpha)
        if not 0.0 <= self.initial_alpha <= 1.0:
            raise ValueError(f"FadeIn alpha must be in [0, 1]; got {alpha!r}.")

    def build(self, input_shape):
        old, new = input_shape
        if tuple(old[1:]) != tuple(new[1:]):
            raise ValueError(
                f"FadeIn blends two tensors of the same shape; got {old} and {new}. Upsample "
                "(generator) or downsample (discriminator) the old path first."
            )
        self.alpha = self.add_weight(name="alpha", shape=(), trainable=False,
                                     initializer=keras.initializers.Constant(self.initial_alpha),
                                     aggregation="only_first_replica")
        self.built = True

    def call(self, inputs):
        old, new = inputs
        alpha = ops.cast(ops.clip(self.alpha, 0.0, 1.0), new.dtype)
        return (1.0 - alpha) * old + alpha * new  # exact at alpha = 0 and 1

    def compute_output_shape(self, input_shape):
        return input_shape[1]

    def get_config(self):
        return {**super().get_config(), "alpha": self.initial_alpha}
