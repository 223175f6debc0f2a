"""Self-attention for images (Zhang et al., 2019, "Self-Attention Generative Adversarial Networks")."""

import keras
from keras import ops

from layers.spectral_normalization import SpectralNormalization


@keras.saving.register_keras_serializable(package="layers")
class SelfAttention(keras.layers.Layer):
    """SAGAN's attention block: every position attends to every other position.

    For features ``x`` (batch, H, W, C), 1x1 convolutions give queries
    ``f(x)`` and keys ``g(x)`` with ``C // key_ratio`` channels and values
    ``h(x)`` with ``C // value_ratio`` channels. ``beta = softmax_j(f_i . g_j)``
    over the N = H * W positions, ``o = v(sum_j beta_ij h_j)`` with a 1x1
    convolution ``v`` back to C channels, and the output is ``x + gamma * o``
    with a learned scalar ``gamma`` that starts at 0, so a fresh block is the
    identity and the network learns how much non-local evidence to use.

    Args:
        key_ratio: C divided by the query/key channels (the paper: 8).
        value_ratio: C divided by the value channels (1 in the paper's text, 2
            in its released code and BigGAN).
        spectral_norm: wrap the four 1x1 convolutions in ``SpectralNormalization``
            (SAGAN does, in G and D).

    Example:
        >>> x = keras.layers.Conv2D(64, 3, padding="same")(images)  # (batch, 16, 16, 64)
        >>> x = SelfAttention(spectral_norm=True)(x)
    """

    def __init__(self, key_ratio=8, value_ratio=2, spectral_norm=True, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("key_ratio", key_ratio), ("value_ratio", value_ratio)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"SelfAttention {name} must be a positive integer; got {value!r}.")
        self.key_ratio, self.value_ratio = key_ratio, value_ratio
        self.spectral_norm = bool(spectral_norm)

    def _conv(self, filters, name):
        conv = keras.layers.Conv2D(filters, 1, use_bias=False, name=name, dtype=self.dtype_policy,
                                   kernel_initializer=keras.initializers.GlorotUniform(seed=None))
        return SpectralNormalization(conv, name=f"sn_{name}", dtype=self.dtype_policy) if self.spectral_norm else conv

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                f"SelfAttention takes NHWC feature maps with known channels; got shape {input_shape}."
            )
        channels = int(input_shape[-1])
        keys, values = channels // self.key_ratio, channels // self.value_ratio
        if keys < 1 or values < 1:
            raise ValueError(
                f"SelfAttention on {channels} channels leaves no key ({channels} // {self.key_ratio}) "
                f"or value ({channels} // {self.value_ratio}) channels: apply it to wider features "
                "or lower key_ratio/value_ratio."
            )
        self.query_conv = self._conv(keys, "query")
        self.key_conv = self._conv(keys, "key")
        self.value_conv = self._conv(values, "value")
        self.output_conv = self._conv(channels, "attention_output")
        for conv, shape in ((self.query_conv, input_shape), (self.key_conv, input_shape),
                            (self.value_conv, input_shape),
                            (self.output_conv, (*input_shape[:-1], values))):
            conv.build(shape)
        self.gamma = self.add_weight(name="gamma", shape=(), initializer="zeros")
        self.built = True

    def attention(self, inputs, training=False):
        """``(attention map (batch, N, N), attended values (batch, H, W, C // value_ratio))``."""
        shape = ops.shape(inputs)
        n = shape[1] * shape[2]

        def flat(t):
            return ops.reshape(t, (shape[0], n, t.shape[-1]))

        q = flat(self.query_conv(inputs, training=training))
        k = flat(self.key_conv(inputs, training=training))
        v = flat(self.value_conv(inputs, training=training))
        beta = ops.softmax(ops.matmul(q, ops.transpose(k, (0, 2, 1))), axis=-1)
        attended = ops.reshape(ops.matmul(beta, v), (shape[0], shape[1], shape[2], v.shape[-1]))
        return beta, attended

    def call(self, inputs, training=False):
        _, attended = self.attention(inputs, training=training)
        return inputs + ops.cast(self.gamma, inputs.dtype) * self.output_conv(attended, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "key_ratio": self.key_ratio, "value_ratio": self.value_ratio,
                "spectral_norm": self.spectral_norm}
