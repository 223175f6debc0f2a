"""Spectral normalization (Miyato et al., 2018, "Spectral Normalization for Generative Adversarial Networks")."""

import keras
from keras import ops

# Layer types whose weight matrix is normalised, and the attribute that holds it.
_WEIGHT_ATTRS = {"Dense": "kernel", "Conv1D": "kernel", "Conv2D": "kernel", "Conv3D": "kernel",
                 "Conv2DTranspose": "kernel", "Conv1DTranspose": "kernel", "Embedding": "embeddings"}


def _weight_attr(layer):
    for klass in type(layer).__mro__:
        if klass.__name__ in _WEIGHT_ATTRS:
            return klass.__name__, _WEIGHT_ATTRS[klass.__name__]
    return None, None


def weight_matrix(kind, weight):
    """The 2D matrix whose largest singular value is normalised: (fan-in, out channels).

    Conv kernels (kh, kw, in, out) flatten to (kh*kw*in, out); transposed-conv
    kernels (kh, kw, out, in) put their output channels last first, as PyTorch
    does; Dense kernels and Embedding tables are matrices already.
    """
    if kind.endswith("Transpose"):
        rank = len(weight.shape)
        weight = ops.transpose(weight, (*range(rank - 2), rank - 1, rank - 2))
    return ops.reshape(weight, (-1, weight.shape[-1]))


def _normalize(v, eps):
    return v / ops.sqrt(ops.maximum(ops.sum(ops.square(v)), eps))


@keras.saving.register_keras_serializable(package="layers")
class SpectralNormalization(keras.layers.Wrapper):
    """Runs the wrapped layer with its weight divided by its spectral norm, W / sigma(W).

    Unlike ``keras.layers.SpectralNormalization`` (which assigns W / sigma into
    the kernel, only with ``training=True``, and whose gradient ignores how
    sigma depends on W), the normalised weight is computed in the forward pass
    every call, so:

    * the layer always uses W / sigma(W), in training and at inference (and in
      exported graphs, where sigma is computed from the stored vector ``u``);
    * the gradient is the gradient of the function W -> f(W / sigma(W)): with
      ``u``, ``v`` the power-iteration estimates of the top singular vectors,
      sigma = u^T W v, so d sigma / dW = u v^T is part of it (Miyato et al.'s
      formula, as in PyTorch's ``spectral_norm``).

    ``u`` persists across calls and advances ``power_iterations`` steps per call
    with ``training=True`` only; inference never changes it. It is the same on
    every replica of a distribution strategy (it depends only on W).

    Args:
        layer: a ``Dense``, ``Conv1D/2D/3D``, ``Conv1D/2DTranspose`` or ``Embedding``
            layer (or a subclass of one).
        power_iterations: power-iteration steps per training call (the paper: 1).
        epsilon: floor of the squared norm when normalising vectors.

    Example:
        >>> x = SpectralNormalization(keras.layers.Conv2D(64, 3, padding="same"))(images)
        >>> logits = SpectralNormalization(keras.layers.Dense(1))(keras.layers.Flatten()(x))
    """

    def __init__(self, layer, power_iterations=1, epsilon=1e-12, **kwargs):
        if isinstance(layer, keras.layers.Layer):  # compute like the wrapped layer (a float32 output layer
            kwargs.setdefault("dtype", layer.dtype_policy)  # stays float32 under a mixed policy)
        super().__init__(layer, **kwargs)
        kind, attr = _weight_attr(layer)
        if kind is None:
            supported = ", ".join(sorted(_WEIGHT_ATTRS))
            raise ValueError(
                f"SpectralNormalization wraps {supported} layers; got {type(layer).__name__}. "
                "Wrap the layer that owns the weight matrix."
            )
        if not isinstance(power_iterations, int) or isinstance(power_iterations, bool) or power_iterations < 1:
            raise ValueError(f"power_iterations must be an integer >= 1; got {power_iterations!r}.")
        self.kind, self.weight_attr = kind, attr
        self.power_iterations = power_iterations
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
        weight = getattr(self.layer, self.weight_attr)
        if not isinstance(weight, keras.Variable):
            raise ValueError(
                f"SpectralNormalization needs a plain float weight in {type(self.layer).__name__}."
                f"{self.weight_attr}; a quantized or LoRA-enabled layer cannot be wrapped."
            )
        self._weight_variable = weight
        out = int(weight_matrix(self.kind, ops.zeros(weight.shape)).shape[-1])
        self.u = self.add_weight(
            name="u", shape=(1, out), trainable=False, aggregation="only_first_replica",
            initializer=keras.initializers.RandomNormal(0.0, 1.0, seed=0),
        )
        self.built = True

    def spectral_norm(self, training=False):
        """sigma(W) as used by the next call (differentiable in W); advances ``u`` when training."""
        matrix = ops.cast(weight_matrix(self.kind, self._weight_variable.value), "float32")
        u = _normalize(ops.cast(self.u.value, "float32"), self.epsilon)  # under mixed precision .value autocasts
        steps = self.power_iterations if training else 0
        for _ in range(steps):
            v = _normalize(ops.matmul(u, ops.transpose(matrix)), self.epsilon)
            u = _normalize(ops.matmul(v, matrix), self.epsilon)
        u = ops.stop_gradient(u)
        v = ops.stop_gradient(_normalize(ops.matmul(u, ops.transpose(matrix)), self.epsilon))
        if training:
            self.u.assign(u)
        return ops.sum(ops.matmul(v, matrix) * u)

    def call(self, inputs, training=False):
        sigma = self.spectral_norm(training=bool(training))
        weight = self._weight_variable
        value = weight.value  # the compute dtype under a mixed policy
        normalized = value / ops.cast(sigma, value.dtype)
        # Run the wrapped layer with W replaced by W / sigma (every other variable at
        # its current value, which may itself be substituted by an outer stateless call).
        trainable = [normalized if v is weight else v.value for v in self.layer.trainable_variables]
        non_trainable = [normalized if v is weight else v.value for v in self.layer.non_trainable_variables]
        outputs, _ = self.layer.stateless_call(trainable, non_trainable, inputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations, "epsilon": self.epsilon}
