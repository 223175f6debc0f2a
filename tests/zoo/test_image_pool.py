"""zoo.image_pool.ImagePool: pass-through while filling, swaps with probability 1/2 once full, capacity,
reproducibility from a seed, pool size 0, saving with the model, one pool per replica.

(The first four tests moved here from test_cyclegan.py; CycleGAN's use of two pools in training, per
replica under a MirroredStrategy, is checked by the shared harness, tests/zoo/test_variant_harness.py.)
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo import ImagePool
from zoo.errors import ConfigError


def constant_images(values, shape=(2, 2, 1)):
    return np.stack([np.full(shape, v, "float32") for v in values])


def ids(images):
    """The constant value of each image (images made by constant_images)."""
    return [float(np.asarray(x).flat[0]) for x in images]


def test_the_pool_fills_first_then_swaps_with_probability_one_half():
    pool = ImagePool(4, (2, 2, 1))
    out = pool.query(constant_images([1, 2, 3]), seed=[0, 1])
    assert ids(out) == [1, 2, 3] and int(pool.count.numpy()) == 3, "while filling, images pass through"
    assert ids(pool.images.numpy()[:3]) == [1, 2, 3]
    out = pool.query(constant_images([4, 5]), seed=[0, 2])
    assert int(pool.count.numpy()) == 4 and ids(pool.images.numpy())[3] == 4 and ids(out)[0] == 4
    # Full: each new image either passes through (pool unchanged) or swaps with a stored one.
    swaps, trials = 0, 400
    for t in range(trials):
        before = ids(pool.images.numpy())
        new = 100.0 + t
        got = ids(pool.query(constant_images([new]), seed=[7, t]))[0]
        after = ids(pool.images.numpy())
        if got == new:
            assert after == before
        else:
            swaps += 1
            assert got in before and got not in after and new in after
            assert [i for i, (b, a) in enumerate(zip(before, after)) if b != a] == [before.index(got)]
    assert 0.42 < swaps / trials < 0.58, swaps
    assert int(pool.count.numpy()) == 4


def test_the_pool_holds_at_most_its_capacity_and_is_reproducible():
    pool = ImagePool(50, (2, 2, 1))
    assert pool.capacity == 50
    first = constant_images(np.arange(32))
    tf.function(pool.query)(first, tf.constant([1, 1]))  # traced, as inside train_step
    assert int(pool.count.numpy()) == 32
    out = pool.query(constant_images(np.arange(32, 64)), seed=[1, 2])
    assert int(pool.count.numpy()) == 50 and pool.images.shape == (50, 2, 2, 1)
    assert ids(out)[:18] == list(range(32, 50)), "the first 18 fill the pool and pass through"
    stored = ids(pool.images.numpy())
    assert stored[:32] == list(range(32)) or len(set(stored)) == 50
    assert set(stored) <= set(range(64)) and len(set(stored)) == 50
    state = (pool.images.numpy().copy(), int(pool.count.numpy()))
    again = pool.query(constant_images([200, 201, 202]), seed=[3, 3])
    pool.images.assign(state[0])
    pool.count.assign(state[1])
    np.testing.assert_array_equal(pool.query(constant_images([200, 201, 202]), seed=[3, 3]), again)


def test_a_pool_of_size_zero_passes_images_through():
    pool = ImagePool(0, (2, 2, 1))
    x = constant_images([1, 2])
    np.testing.assert_array_equal(pool.query(x, seed=[0, 0]), x)
    with pytest.raises(ConfigError, match="pool size must be an integer >= 0"):
        ImagePool(-1, (2, 2, 1))


def test_each_replica_keeps_its_own_pool(mirrored):
    with mirrored.scope():
        pool = ImagePool(3, (2, 2, 1))

    @tf.function
    def step():
        def fn():
            rid = tf.cast(tf.distribute.get_replica_context().replica_id_in_sync_group, tf.float32)
            return pool.query(tf.fill((2, 2, 2, 1), 10.0 + rid), seed=tf.constant([0, 0]))
        return mirrored.run(fn)

    out = mirrored.experimental_local_results(step())
    assert ids(out[0]) == [10, 10] and ids(out[1]) == [11, 11]
    local = [v.numpy() for v in pool.images.value._values]  # the per-replica copies (SyncOnReadVariable)
    assert ids(local[0][:2]) == [10, 10] and ids(local[1][:2]) == [11, 11]
    stored = pool.images.numpy()  # what is saved: the first replica's pool
    assert ids(stored[:2]) == [10, 10] and int(pool.count.numpy()) == 2


@pytest.mark.parametrize("capacity, shape, message", [
    (2.5, (2, 2, 1), "pool size must be an integer >= 0"),
    (True, (2, 2, 1), "pool size must be an integer >= 0"),
    ("50", (2, 2, 1), "pool size must be an integer >= 0"),
])
def test_bad_pool_sizes_are_config_errors(capacity, shape, message):
    with pytest.raises(ConfigError, match=message):
        ImagePool(capacity, shape)


def test_reset_empties_the_pool_and_it_fills_again():
    pool = ImagePool(2, (2, 2, 1))
    pool.query(constant_images([1, 2]), seed=[0, 0])
    pool.reset()
    assert int(pool.count.numpy()) == 0 and not pool.images.numpy().any()
    assert ids(pool.query(constant_images([5]), seed=[0, 1])) == [5.0]
    assert int(pool.count.numpy()) == 1 and ids(pool.images.numpy())[0] == 5.0


@keras.saving.register_keras_serializable(package="test_image_pool")
class _WithPool(keras.Model):
    """A model that owns a pool as an attribute, as CycleGAN does."""

    def __init__(self, capacity=3, image_shape=(2, 2, 1), **kwargs):
        super().__init__(**kwargs)
        self.pool = ImagePool(capacity, image_shape, name="pool")
        self.built = True

    def call(self, images):
        return images

    def get_config(self):
        return {**super().get_config(), "capacity": self.pool.capacity, "image_shape": list(self.pool.image_shape)}


def test_the_pool_is_saved_with_its_model(tmp_path):
    model = _WithPool(3)
    model.pool.query(constant_images([4, 5]), seed=[0, 0])
    assert ImagePool.from_config(model.pool.get_config()).get_config() == model.pool.get_config()
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    assert loaded.pool.capacity == 3 and loaded.pool.image_shape == (2, 2, 1)
    np.testing.assert_array_equal(loaded.pool.images.numpy(), model.pool.images.numpy())
    assert int(loaded.pool.count.numpy()) == 2
    # save_weights / load_weights (what checkpoints and BackupAndRestore write) restore it too.
    model.save_weights(tmp_path / "w.weights.h5")
    fresh = _WithPool(3)
    fresh.load_weights(tmp_path / "w.weights.h5")
    assert ids(fresh.pool.images.numpy()[:2]) == [4.0, 5.0] and int(fresh.pool.count.numpy()) == 2
    # The restored pool goes on filling from where it was: the next image takes the third slot.
    assert ids(fresh.pool.query(constant_images([6]), seed=[0, 1])) == [6.0]
    assert int(fresh.pool.count.numpy()) == 3 and ids(fresh.pool.images.numpy()) == [4.0, 5.0, 6.0]


def test_restoring_under_a_strategy_writes_the_saved_pool_to_every_replica(tmp_path, mirrored):
    model = _WithPool(3)
    model.pool.query(constant_images([7, 8]), seed=[0, 0])
    model.save_weights(tmp_path / "w.weights.h5")
    with mirrored.scope():
        replicated = _WithPool(3)
    replicated.load_weights(tmp_path / "w.weights.h5")
    for images, count in zip(replicated.pool.images.value._values, replicated.pool.count.value._values):
        assert ids(images.numpy()[:2]) == [7.0, 8.0] and int(count.numpy()) == 2
