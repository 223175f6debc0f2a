"""FLOPs of a GAN training step, counted from its networks' layer shapes, and the machine's matmul rate.

Only the layers that multiply count: Dense, Conv2D and Conv2DTranspose (also inside wrappers such
as spectral normalisation, and inside nested models). Normalisation, activations and the optimizer
add a few percent that is left out, so an achieved rate computed from these counts is a slight
underestimate.
"""

import time


def _kernel_layer(layer):
    """The Dense/Conv layer that does ``layer``'s multiplications (unwrapping wrappers), or None."""
    import keras

    kinds = (keras.layers.Dense, keras.layers.Conv2D, keras.layers.Conv2DTranspose)
    while not isinstance(layer, kinds) and hasattr(layer, "layer"):
        layer = layer.layer
    return layer if isinstance(layer, kinds) else None


def forward_macs(model):
    """Multiply-adds of one forward pass of ``model`` per example (a built functional model)."""
    import keras

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += forward_macs(layer)
            continue
        inner = _kernel_layer(layer)
        if inner is None:
            continue
        kernel = inner.kernel.shape
        if isinstance(inner, keras.layers.Dense):
            rows = 1
            for size in layer.output.shape[1:-1]:
                rows *= int(size)
            total += rows * int(kernel[0]) * int(kernel[1])
        elif isinstance(inner, keras.layers.Conv2DTranspose):  # each input pixel scatters a kernel
            h, w = (int(s) for s in layer.input.shape[1:3])
            total += h * w * int(kernel[0]) * int(kernel[1]) * int(kernel[2]) * int(kernel[3])
        else:  # Conv2D: kernel (kh, kw, in / groups, out), per output pixel
            h, w = (int(s) for s in layer.output.shape[1:3])
            total += h * w * int(kernel[0]) * int(kernel[1]) * int(kernel[2]) * int(kernel[3])
    return total


def gan_step_flops(gan, batch, d_steps=1):
    """FLOPs of one training step of a two-player GAN at ``batch``.

    Each D update runs G forward on a batch, and D forward and backward (weights and inputs: 3x a
    forward) on the real and the fake batch. The G update runs G forward and backward (3x) and D
    forward and backward to its inputs only (2x). Gradient penalties (a second backward) are not
    counted.
    """
    g, d = forward_macs(gan.generator) * batch, forward_macs(gan.discriminator) * batch
    return 2 * (d_steps * (g + 2 * 3 * d) + 3 * g + 2 * d)


def matmul_seconds(n=1024):
    """A function timing one float32 n x n matmul (seconds) with TensorFlow's current threading,
    already traced; each one is 2 n^3 FLOPs."""
    import tensorflow as tf

    a, b = tf.random.normal((n, n)), tf.random.normal((n, n))
    product = tf.function(lambda: tf.matmul(a, b))
    product().numpy()

    def timed():
        start = time.perf_counter()
        product().numpy()
        return time.perf_counter() - start

    return timed


MATMUL_N = 4096  # large enough to run near the CPU's peak (a 1024^2 matmul reaches ~60% of this one's rate)


def matmul_gflops(n=MATMUL_N, repeats=3):
    """The machine's float32 large-matmul rate (GFLOP/s, median of ``repeats``) with TensorFlow's threading:
    the reference that achieved training and extraction rates are compared with."""
    timed = matmul_seconds(n)
    seconds = sorted(timed() for _ in range(repeats))
    return 2 * n ** 3 / seconds[len(seconds) // 2] / 1e9
