"""DiffAugment (zoo.augment): each policy's effect on known images, its gradient, and the GAN option."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.augment import augment, check_policy
from zoo.errors import ConfigError

SEED = tf.constant([3, 4], tf.int64)


def dots(n=16, size=16):
    """Black images (-1) with one white pixel in the middle."""
    x = -np.ones((n, size, size, 1), np.float32)
    x[:, size // 2, size // 2, 0] = 1.0
    return tf.constant(x)


def test_translation_moves_each_image_by_at_most_an_eighth_and_fills_with_black():
    out = augment(dots(), "translation", SEED).numpy()
    for image in out:
        (rows, cols, _) = np.nonzero(image > 0)
        assert len(rows) == 1, "the dot moved, it was not blurred or duplicated"
        assert abs(rows[0] - 8) <= 2 and abs(cols[0] - 8) <= 2  # 16 / 8 = 2
        assert np.all((image == -1) | (image == 1))
    shifts = {tuple(np.argwhere(image > 0)[0][:2]) for image in out}
    assert len(shifts) > 3, "each image gets its own shift"
    np.testing.assert_array_equal(augment(dots(), "translation", SEED).numpy(), out)
    assert not np.array_equal(augment(dots(), "translation", tf.constant([5, 6], tf.int64)).numpy(), out)


def test_cutout_blanks_a_half_size_square():
    white = tf.ones((32, 16, 16, 1))
    out = augment(white, "cutout", SEED).numpy()
    for image in out:
        blank = image[..., 0] == -1
        rows, cols = np.nonzero(blank.any(axis=1))[0], np.nonzero(blank.any(axis=0))[0]
        assert blank.sum() == len(rows) * len(cols), "one axis-aligned rectangle"
        assert len(rows) <= 8 and len(cols) <= 8 and blank.sum() > 0  # 8 x 8, cut by the border
    assert (out == -1).mean() > 0.15


def test_color_shifts_brightness_and_contrast_per_image():
    x = tf.constant(np.random.default_rng(0).uniform(-0.5, 0.5, (64, 8, 8, 1)).astype("float32"))
    out = augment(x, "color", SEED).numpy()
    shift = out.mean(axis=(1, 2, 3)) - x.numpy().mean(axis=(1, 2, 3))
    assert np.all(np.abs(shift) <= 0.5 + 1e-6) and shift.std() > 0.1
    ratio = out.std(axis=(1, 2, 3)) / x.numpy().std(axis=(1, 2, 3))
    assert np.all((ratio >= 0.5 - 1e-5) & (ratio <= 1.5 + 1e-5)) and ratio.std() > 0.1
    rgb = augment(tf.constant(np.random.default_rng(1).uniform(-1, 1, (4, 8, 8, 3)).astype("float32")), "color",
                  SEED)
    assert rgb.shape == (4, 8, 8, 3)


def test_the_augmentation_is_differentiable():
    x = tf.Variable(dots(4).numpy())
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(augment(x, "color,translation,cutout", SEED))
    grad = tape.gradient(total, x).numpy()
    assert grad is not None and np.abs(grad).sum() > 0
    assert set(np.unique(np.round(grad, 4))) - {0.0} != set(), "pixels that survive pass gradient"


@pytest.mark.parametrize("policy, message", [
    ("translate", "augment must list each of color, translation, cutout at most once"),
    ("cutout,cutout", "at most once"), (3, "augment must be None or a comma-separated string"),
])
def test_bad_policies_are_refused(policy, message):
    with pytest.raises(ConfigError, match=message):
        check_policy(policy)
    with pytest.raises(ConfigError, match=message):
        zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=4, width=4, augment=policy)


def test_a_gan_with_augment_trains_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    gan = zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=4, width=4, seed=0, augment="translation, cutout")
    assert gan.augment == "translation,cutout"
    gan.compile()
    x = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    history = gan.fit(x, batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(history["d_loss"][0]) and np.isfinite(history["g_loss"][0])
    gan.save(tmp_path / "gan.keras")
    assert keras.models.load_model(tmp_path / "gan.keras").augment == "translation,cutout"
    with pytest.raises(ConfigError, match="Pix2Pix does not support augment"):
        zoo.Pix2Pix(image_shape=(16, 16, 1), width=4, d_layers=1, augment="translation")
