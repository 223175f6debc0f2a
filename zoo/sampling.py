"""Sampling from a generator: reproducible latents and batched generation.

``Sampler`` is shared by the training model (``zoo.GAN``) and the pretrained
generators (``zoo.load``): anything with a ``generator`` (a Keras model whose
first input is ``z``) and a ``latent_distribution`` gets ``latents`` and
``generate``.
"""

import numpy as np
from keras import ops

from zoo.errors import DataError


class Sampler:
    """Mixin: ``latents(n, seed)`` and ``generate(n | z, seed)`` for ``self.generator``."""

    latent_distribution = "normal"

    @property
    def latent_dim(self):
        return int(self.generator.inputs[0].shape[-1])

    def latents(self, n, seed=None):
        """``n`` latent vectors as a NumPy array, reproducible for a fixed ``seed``."""
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise DataError(f"n must be a positive integer number of samples; got {n!r}.")
        rng = np.random.default_rng(seed)
        shape = (int(n), self.latent_dim)
        if self.latent_distribution == "uniform":
            return rng.uniform(-1.0, 1.0, size=shape).astype("float32")
        return rng.standard_normal(shape, dtype=np.float32)

    def generate(self, n=None, z=None, seed=None, batch_size=256):
        """Samples (images in [-1, 1]) as a NumPy array of shape ``(n, *sample_shape)``.

        Give either ``n`` (latents drawn with ``seed``; the same seed gives the
        same images) or ``z`` (an array of shape ``(n, latent_dim)``).
        """
        z = self._check_latents(n, z, seed)
        out = [
            ops.convert_to_numpy(self.generator(z[i : i + batch_size], training=False))
            for i in range(0, len(z), batch_size)
        ]
        return np.concatenate(out, axis=0)

    def _check_latents(self, n, z, seed):
        if (n is None) == (z is None):
            raise DataError("generate() takes exactly one of n (a number of samples) or z (latents).")
        if z is None:
            return self.latents(n, seed)
        z = np.asarray(z)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise DataError(f"z must have shape (n, {self.latent_dim}); got {z.shape}.")
        if not np.issubdtype(z.dtype, np.number) or not np.all(np.isfinite(z)):
            raise DataError("z must be finite numbers (no NaN or Inf).")
        return z.astype("float32")
