"""Image helpers: tile samples into a grid, upscale it, and write PNGs atomically."""

import math

import numpy as np
import tensorflow as tf

from zoo.io import write_atomic

# The smallest tile side ``viewable_scale`` aims for: 28x28 digits are shown 3x, 32x32 images 2x.
VIEWABLE_PIXELS = 64


def to_uint8(images):
    """[-1, 1] floats -> uint8 [0, 255] (values outside are clipped)."""
    images = np.asarray(images, dtype=np.float32)
    return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def check_scale(scale):
    """``scale`` if it is a positive integer, else a ``ValueError`` that says so."""
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"The grid scale must be a positive integer; got {scale!r}.")
    return int(scale)


def viewable_scale(image_shape, pixels=VIEWABLE_PIXELS):
    """The smallest integer scale that shows an image of ``image_shape`` (H, W, ...) at least ``pixels``
    pixels high and wide (1 for images that large already)."""
    return max(1, math.ceil(pixels / max(1, min(int(image_shape[0]), int(image_shape[1])))))


def upscale(image, scale):
    """``image`` (H, W, C) enlarged ``scale`` times by nearest neighbour (each pixel a ``scale`` x ``scale`` block)."""
    scale = check_scale(scale)
    if scale == 1:
        return image
    return np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)


def make_grid(images, cols=None, pad=1, scale=1):
    """Tiles (n, H, W, C) images in [-1, 1] into one uint8 (rows*H, cols*W, C) image, then upscales the
    whole grid ``scale`` times (nearest neighbour: the padding grows with it)."""
    images = to_uint8(images)
    n, h, w, c = images.shape
    cols = cols or int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    grid = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, c), np.uint8)
    for i in range(n):
        r, k = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + k * (w + pad)
        grid[y : y + h, x : x + w] = images[i]
    return upscale(grid, scale)


def save_png(image, path):
    """Writes a uint8 (H, W, C) image to ``path`` as a PNG, atomically."""
    write_atomic(path, tf.io.encode_png(image).numpy())


def save_grid(images, path, cols=None, scale=1):
    """Writes a PNG grid of ``images`` (in [-1, 1]) to ``path``, ``scale`` times enlarged (nearest
    neighbour, e.g. ``scale=3`` for legible 28x28 digits); returns the grid written."""
    grid = make_grid(images, cols, scale=scale)
    save_png(grid, path)
    return grid
