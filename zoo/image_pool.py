"""A history buffer of generated images for the discriminator (Shrivastava et al., 2017; CycleGAN).

CycleGAN updates its discriminators on a pool of the last 50 generated images
rather than only on the newest ones. ``ImagePool.query(images, seed)`` walks
through the batch one image at a time, as the reference implementation does:

* while the pool holds fewer than ``capacity`` images, the image is stored and
  returned as is;
* once it is full, with probability 0.5 a uniformly chosen stored image is
  returned and replaced by the new one; otherwise the new image is returned and
  the pool is left alone.

The pool is state of the model, kept in TensorFlow variables (``images``:
``(capacity, H, W, C)``, ``count``: how many are filled), so the query works
inside a traced ``train_step`` and the pool is saved with the model
(``.keras``, ``save_weights``, ``BackupAndRestore``). Randomness comes from an
explicit stateless ``seed`` (the model's per-step, per-replica seed).

Under a ``tf.distribute`` strategy each replica keeps **its own pool** of
the images it generated (``synchronization="on_read"``): replicas see different
fakes, and keeping per-replica histories avoids any cross-replica traffic for
the pool. What is saved (and what a cross-replica read returns) is the first
replica's pool; restoring writes it to every replica. ``capacity=0`` turns the
pool off (``query`` returns its input).

Example:
    >>> pool = ImagePool(50, (32, 32, 1))
    >>> for_d = pool.query(fakes, seed=tf.constant([1, 2]))
"""

import keras
import numpy as np
import tensorflow as tf

from zoo.errors import ConfigError


@keras.saving.register_keras_serializable(package="zoo")
class ImagePool(keras.layers.Layer):
    """History buffer of up to ``capacity`` generated images of shape ``image_shape``.

    Args:
        capacity: images kept (the paper: 50); 0 disables the pool.
        image_shape: ``(H, W, C)`` of the images.
    """

    def __init__(self, capacity=50, image_shape=(32, 32, 1), **kwargs):
        super().__init__(**kwargs)
        if not isinstance(capacity, (int, np.integer)) or isinstance(capacity, bool) or capacity < 0:
            raise ConfigError(f"The image pool size must be an integer >= 0 (the paper: 50; 0: no pool); "
                              f"got {capacity!r}.")
        self.capacity = int(capacity)
        self.image_shape = tuple(int(d) for d in image_shape)
        # "on_read" + "only_first_replica": one pool per replica; saving reads the first replica's.
        self.images = keras.Variable(np.zeros((self.capacity, *self.image_shape), "float32"), trainable=False,
                                     name="images", synchronization="on_read", aggregation="only_first_replica")
        self.count = keras.Variable(0, dtype="int32", trainable=False, name="count", synchronization="on_read",
                                    aggregation="only_first_replica")
        self.built = True

    def query(self, images, seed):
        """The images D should see for this batch (see the module docstring); updates the pool.

        ``seed``: a stateless seed, shape (2,) int. The same seed and pool give the same answer.
        """
        images = tf.cast(tf.convert_to_tensor(images), tf.float32)
        if self.capacity == 0:
            return images
        n = tf.shape(images)[0]
        seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 2)
        coins = tf.random.stateless_uniform(tf.reshape(n, (1,)), seed=seeds[0])
        slots = tf.random.stateless_uniform(tf.reshape(n, (1,)), seed=seeds[1], minval=0, maxval=self.capacity,
                                            dtype=tf.int32)
        returned = tf.TensorArray(tf.float32, size=n, element_shape=self.image_shape)

        def body(i, pool, count, returned):
            image = images[i]
            filling = count < self.capacity
            swap = tf.logical_and(tf.logical_not(filling), coins[i] > 0.5)
            slot = tf.where(filling, count, slots[i])
            stored = pool[slot]
            returned = returned.write(i, tf.where(swap, stored, image))
            kept = tf.where(tf.logical_or(filling, swap), image, stored)
            pool = tf.tensor_scatter_nd_update(pool, tf.reshape(slot, (1, 1)), kept[None])
            return i + 1, pool, count + tf.cast(filling, tf.int32), returned

        _, pool, count, returned = tf.while_loop(
            lambda i, *_: i < n, body,
            (tf.constant(0), tf.convert_to_tensor(self.images.value), tf.convert_to_tensor(self.count.value),
             returned))
        self.images.assign(pool)
        self.count.assign(count)
        return tf.ensure_shape(returned.stack(), (None, *self.image_shape))

    def call(self, images, seed):
        return self.query(images, seed)

    def reset(self):
        """Empties the pool."""
        self.images.assign(tf.zeros_like(self.images.value))
        self.count.assign(0)

    def get_config(self):
        return {**super().get_config(), "capacity": self.capacity, "image_shape": list(self.image_shape)}
