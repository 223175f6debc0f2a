"""Maxout (Goodfellow et al., 2013): the max over ``pieces`` linear pieces per unit."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="layers")
class Maxout(keras.layers.Layer):
    """Groups the last axis into ``units`` groups of ``pieces`` and keeps each group's max.

    Put it after a ``Dense(units * pieces)`` to get a LinearMaxout layer (the
    discriminator of the PacGAN/ALI 2D experiments).

    Args:
        pieces: linear pieces per output unit.

    Example:
        >>> x = keras.layers.Dense(200 * 5)(x)
        >>> x = Maxout(pieces=5)(x)            # (batch, 200)
    """

    def __init__(self, pieces, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(pieces, int) or pieces < 1:
            raise ValueError(f"Maxout pieces must be a positive integer; got {pieces!r}.")
        self.pieces = pieces

    def call(self, inputs):
        units = inputs.shape[-1] // self.pieces
        grouped = ops.reshape(inputs, (-1, *inputs.shape[1:-1], units, self.pieces))
        return ops.max(grouped, axis=-1)

    def build(self, input_shape):
        if input_shape[-1] % self.pieces:
            raise ValueError(
                f"Maxout with {self.pieces} pieces needs a last dimension divisible by "
                f"{self.pieces}; got {input_shape[-1]}."
            )

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] // self.pieces)

    def get_config(self):
        return {**super().get_config(), "pieces": self.pieces}
