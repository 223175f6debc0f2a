"""Equalized learning rate (Karras et al., 2018, "Progressive Growing of GANs"; StyleGAN's lr multiplier)."""

import math

import keras
from keras import ops


def _check(name, value, positive=True):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (positive and value <= 0):
        raise ValueError(f"{name} must be a positive number; got {value!r}.")
    return float(value)


class _Equalized(keras.layers.Layer):
    """Shared by the equalized layers: weights ~ N(0, 1 / lr_multiplier), scaled at run time.

    The stored weight ``w`` is drawn from N(0, 1) / ``lr_multiplier`` and the
    layer uses ``w * gain / sqrt(fan_in) * lr_multiplier`` (He's constant), so
    every weight has the same dynamic range and adaptive optimizers (Adam)
    update all layers at the same speed. The bias is stored divided by
    ``lr_multiplier`` too; ``lr_multiplier`` < 1 slows a layer down (StyleGAN's
    mapping network: 0.01).
    """

    def __init__(self, gain=math.sqrt(2.0), lr_multiplier=1.0, use_bias=True, bias_initializer=0.0,
                 activation=None, **kwargs):
        super().__init__(**kwargs)
        self.gain = _check("gain", gain)
        self.lr_multiplier = _check("lr_multiplier", lr_multiplier)
        self.use_bias = bool(use_bias)
        self.bias_initializer = _check("bias_initializer", bias_initializer, positive=False)
        self.activation = keras.activations.get(activation)

    def _add_weights(self, kernel_shape, fan_in, bias_shape):
        self.weight_scale = self.gain / math.sqrt(fan_in) * self.lr_multiplier
        self.kernel = self.add_weight(
            name="kernel", shape=kernel_shape,
            initializer=keras.initializers.RandomNormal(0.0, 1.0 / self.lr_multiplier))
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=bias_shape,
                initializer=keras.initializers.Constant(self.bias_initializer / self.lr_multiplier))

    def scaled_kernel(self):
        """The kernel the layer actually uses (stored kernel times the run-time scale)."""
        return self.kernel * self.weight_scale

    def _finish(self, outputs):
        if self.bias is not None:
            outputs = outputs + ops.cast(self.bias * self.lr_multiplier, outputs.dtype)
        return self.activation(outputs)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain, "lr_multiplier": self.lr_multiplier,
                "use_bias": self.use_bias, "bias_initializer": self.bias_initializer,
                "activation": keras.activations.serialize(self.activation)}


@keras.saving.register_keras_serializable(package="layers")
class EqualizedDense(_Equalized):
    """A dense layer with the equalized learning rate.

    Args:
        units: output width.
        gain: the He constant's numerator (sqrt(2) before a (leaky) ReLU, 1 before a linear output).
        lr_multiplier: scales the layer's effective learning rate (StyleGAN's mapping: 0.01).
        use_bias, bias_initializer, activation: as in ``keras.layers.Dense``
            (``bias_initializer`` is a constant, e.g. 1.0 for AdaIN's scale).

    Example:
        >>> w = EqualizedDense(512, lr_multiplier=0.01, activation="leaky_relu")(z)
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(f"EqualizedDense units must be a positive integer; got {units!r}.")
        self.units = units

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self._add_weights((fan_in, self.units), fan_in, (self.units,))
        self.built = True

    def call(self, inputs):
        return self._finish(ops.matmul(inputs, ops.cast(self.scaled_kernel(), inputs.dtype)))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="layers")
class EqualizedConv2D(_Equalized):
    """A 2D convolution (NHWC, stride 1) with the equalized learning rate.

    Args:
        filters: output channels.
        kernel_size: an odd integer (3 for ProGAN/StyleGAN blocks, 1 for toRGB/fromRGB).
        padding: "same" (default) or "valid".
        gain, lr_multiplier, use_bias, bias_initializer, activation: see ``EqualizedDense``.

    Example:
        >>> rgb = EqualizedConv2D(3, 1, gain=1.0)(features)  # ProGAN's toRGB
    """

    def __init__(self, filters, kernel_size=3, padding="same", **kwargs):
        super().__init__(**kwargs)
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ValueError(f"EqualizedConv2D filters must be a positive integer; got {filters!r}.")
        if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or kernel_size < 1:
            raise ValueError(f"EqualizedConv2D kernel_size must be a positive integer; got {kernel_size!r}.")
        if padding not in ("same", "valid"):
            raise ValueError(f"EqualizedConv2D padding must be 'same' or 'valid'; got {padding!r}.")
        self.filters, self.kernel_size, self.padding = filters, kernel_size, padding

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"EqualizedConv2D takes NHWC inputs with known channels; got {input_shape}.")
        channels = int(input_shape[-1])
        k = self.kernel_size
        self._add_weights((k, k, channels, self.filters), k * k * channels, (self.filters,))
        self.built = True

    def call(self, inputs):
        kernel = ops.cast(self.scaled_kernel(), inputs.dtype)
        return self._finish(ops.conv(inputs, kernel, strides=1, padding=self.padding))

    def compute_output_shape(self, input_shape):
        h, w = input_shape[1:3]
        if self.padding == "valid":
            k = self.kernel_size - 1
            h, w = (None if h is None else h - k), (None if w is None else w - k)
        return (input_shape[0], h, w, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "padding": self.padding}
