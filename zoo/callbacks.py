"""Callbacks for ``GAN.fit``."""

import os

import numpy as np
import keras

from zoo.images import save_grid


class SampleGrid(keras.callbacks.Callback):
    """Writes a PNG grid of samples from fixed latents at the end of every epoch.

    The latents are drawn once (from ``seed``), so successive grids show how
    the same points of latent space evolve during training.

    Args:
        directory: where ``epoch_0001.png``, ``epoch_0002.png``, ... go (created).
        n: number of samples in the grid (a square number looks best).
        seed: seed of the fixed latents.
        every: write a grid every ``every`` epochs (the last epoch always gets one).

    Example:
        >>> gan.fit(ds, epochs=10, callbacks=[SampleGrid("runs/samples", n=64)])
    """

    def __init__(self, directory, n=64, seed=0, every=1):
        super().__init__()
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"SampleGrid n must be a positive integer; got {n!r}.")
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"SampleGrid every must be a positive integer; got {every!r}.")
        self.directory = os.fspath(directory)
        self.n, self.seed, self.every = n, seed, every
        self._z = None
        self.paths = []

    def on_train_begin(self, logs=None):
        os.makedirs(self.directory, exist_ok=True)
        self._z = self.model.latents(self.n, seed=self.seed)
        self._last_epoch = self.params.get("epochs") if self.params else None

    def on_epoch_end(self, epoch, logs=None):
        number = epoch + 1
        if number % self.every and number != self._last_epoch:
            return
        path = os.path.join(self.directory, f"epoch_{number:04d}.png")
        save_grid(self.model.generate(z=self._z), path)
        self.paths.append(path)
