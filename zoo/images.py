"""Image helpers: tile samples into a grid and write PNGs atomically."""

import math

import numpy as np
import tensorflow as tf

from zoo.io import write_atomic


def to_uint8(images):
    """[-1, 1] floats -> uint8 [0, 255] (values outside are clipped)."""
    images = np.asarray(images, dtype=np.float32)
    return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def make_grid(images, cols=None, pad=1):
    """Tiles (n, H, W, C) images in [-1, 1] into one uint8 (rows*H, cols*W, C) image."""
    images = to_uint8(images)
    n, h, w, c = images.shape
    cols = cols or int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    grid = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, c), np.uint8)
    for i in range(n):
        r, k = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + k * (w + pad)
        grid[y : y + h, x : x + w] = images[i]
    return grid


def save_grid(images, path, cols=None):
    """Writes a PNG grid of ``images`` (in [-1, 1]) to ``path``; returns the grid."""
    grid = make_grid(images, cols)
    write_atomic(path, tf.io.encode_png(grid).numpy())
    return grid
