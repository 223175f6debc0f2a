"""Class-conditional GANs: ``ConditionalGAN`` (any networks) and ``CGAN`` (DCGAN networks).

Both players see the class label (Mirza & Osindero, 2014): G maps
``[z, labels]`` to images and D scores ``[images, labels]``. Only the base
model's hooks change:

* ``unpack_batch``: a batch is ``(images, labels)``; the labels are the
  condition (int32, shape ``(batch,)``).
* ``generator_inputs(z, labels)``: ``[z, labels]`` in the generator's input order.
* ``discriminate(samples, labels)``: ``D([samples, labels])``.
* ``check_networks``: G takes ``z`` and ``labels``, D takes images and
  ``labels``, both for the same number of classes.

Labels of the fake samples: the D and G steps reuse the real batch's labels
(``condition``) for the fakes, rather than drawing new ones. Reasons: the
fake labels then follow the data's class frequencies exactly (a projection D
could otherwise tell real from fake by the label alone on unbalanced data);
the base loop needs no change (the same ``condition`` reaches G and D); the
interpolation penalties (WGAN-GP, DRAGAN) mix a real and a fake sample of the
*same* class under one label; and no extra randomness enters the step, so one
and two replicas still give the same update. Over an epoch every class is
drawn as often as it occurs in the data.

Options that group or compare samples without their labels are refused:
``pack`` (PacGAN concatenates samples of different classes) and
``feature_matching`` (the feature model takes images only).
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from zoo.errors import ConfigError, DataError
from zoo.gan import GAN
from zoo.networks.conditional import conditional_discriminator, conditional_generator
from zoo.networks.dcgan import check_image_shape
from zoo.sampling import LABELS, class_count
from zoo.steps import forward, inputs_by_name


@keras.saving.register_keras_serializable(package="zoo")
class ConditionalGAN(GAN):
    """A GAN whose generator and discriminator both take class labels.

    Args:
        generator: a built functional model with inputs ``z`` (float,
            ``(batch, latent_dim)``) and ``labels`` (int, ``(batch,)``) feeding an
            ``Embedding``/``CategoryEncoding`` layer (which records the class count).
        discriminator: a built model with an image input and an int ``labels``
            input, returning one logit per sample ``(batch, 1)``.
        **kwargs: the ``GAN`` options (loss, d_steps, penalty, ...).

    Train it on ``(images, labels)`` batches, e.g.
    ``recipes.load_dataset("mnist", with_labels=True)`` or ``fit(images, labels)``.
    """

    # The train CLI loads (images, labels) batches for variants that set this.
    needs_labels = True
    unsupported = {
        "pack": "PacGAN would concatenate samples of different classes under one label",
        "feature_matching": "its discriminator takes labels, the feature model only images",
    }

    # ------------------------------------------------------------------ hooks

    def unpack_batch(self, data):
        images, labels = super().unpack_batch(data)
        if labels is None:
            raise DataError(
                f"{type(self).__name__} trains on (images, labels) batches; got images only. Load the "
                "data with recipes.load_dataset(..., with_labels=True) or call fit(images, labels)."
            )
        return images, ops.cast(ops.reshape(labels, (-1,)), "int32")

    def generator_inputs(self, z, condition):
        return inputs_by_name(self.generator, {"z": z, LABELS: condition})

    def discriminate(self, samples, condition, update_state=True, weights=None):
        discriminator = self.step_networks("d")[0]
        inputs = inputs_by_name(discriminator, {self._d_image_input: samples, LABELS: condition})
        return forward(discriminator, inputs, update_state, weights)

    # ------------------------------------------------------------------ checks

    def check_networks(self):
        name = type(self).__name__
        g_names = [t.name for t in self.generator.inputs]
        if sorted(g_names) != sorted(["z", LABELS]):
            raise ConfigError(f"The {name} generator must take two inputs named 'z' and 'labels'; its "
                              f"inputs are {g_names}.")
        labels = self.generator.inputs[g_names.index(LABELS)]
        if not str(labels.dtype).startswith("int") or len(labels.shape) != 1:
            raise ConfigError(f"The generator's 'labels' input must be int32 of shape (batch,); it is "
                              f"{labels.dtype} of shape {tuple(labels.shape)}.")
        if not self.num_classes:
            raise ConfigError("The generator's 'labels' input must feed an Embedding or CategoryEncoding "
                              "layer (their size is the number of classes).")
        self._check_discriminator()

    def _check_discriminator(self):
        d_names = [t.name for t in self.discriminator.inputs]
        if len(d_names) != 2 or LABELS not in d_names:
            raise ConfigError("The discriminator must take two inputs: the images and int 'labels'; its "
                              f"inputs are {d_names}.")
        self._d_image_input = next(n for n in d_names if n != LABELS)
        image = self.discriminator.inputs[d_names.index(self._d_image_input)]
        g_out, d_in = self.image_shape, tuple(image.shape[1:])
        if d_in != g_out:
            raise ConfigError(f"The discriminator takes images of shape {d_in} but the generator makes "
                              f"{g_out}: build both for the same shape.")
        d_classes = class_count(self.discriminator)
        if d_classes is not None and d_classes != self.num_classes:
            raise ConfigError(f"The generator has {self.num_classes} classes but the discriminator "
                              f"{d_classes}: build both for the same number of classes.")

    # ------------------------------------------------------------------ fit

    def check_training_data(self, x, y=None):
        """``fit`` takes ``(images, labels)``: a dataset of such batches or ``fit(images, labels)``."""
        self.check_labels(x, y)
        super().check_training_data(x, y)

    def check_labels(self, x, y=None):
        """Raises ``DataError`` unless the data carries int class labels in [0, num_classes)."""
        k = self.num_classes
        hint = ("Load the data with recipes.load_dataset(..., with_labels=True) or call "
                "fit(images, labels).")
        if isinstance(x, tf.data.Dataset):
            spec = x.element_spec
            if not isinstance(spec, (tuple, list)) or len(spec) < 2:
                raise DataError(f"{type(self).__name__} trains on (images, labels) batches; the dataset "
                                f"yields {spec}. {hint}")
            labels = spec[1]
            rank_ok = labels.shape.rank == 1 or (labels.shape.rank == 2 and labels.shape[-1] == 1)
            if not labels.dtype.is_integer or not rank_ok:
                raise DataError(f"The labels must be integer class indices of shape (batch,); the dataset "
                                f"yields {labels.dtype.name} labels of shape {labels.shape}.")
            return
        if isinstance(x, (tuple, list)) and y is None and len(x) > 1:
            x, y = x[0], x[1]
        if y is None:
            if x is None or not hasattr(x, "shape"):
                return  # generators and other inputs: checked in the step
            raise DataError(f"{type(self).__name__} needs the class labels: {hint}")
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1 or len(y) != len(x):
            raise DataError(f"labels must hold one integer class per image ({len(x)}); got shape {y.shape}.")
        if not np.issubdtype(y.dtype, np.integer):
            raise DataError(f"labels must be integer class indices; got {y.dtype} values.")
        if len(y) and (y.min() < 0 or y.max() >= k):
            raise DataError(f"labels must lie in [0, {k - 1}] ({k} classes); got values in "
                            f"[{y.min()}, {y.max()}].")


@keras.saving.register_keras_serializable(package="zoo")
class CGAN(ConditionalGAN):
    """Conditional DCGAN: DCGAN's networks with the label fed to both players.

    Args:
        image_shape: ``(height, width, channels)`` of size ``s * 2**n`` (as DCGAN).
        latent_dim: size of ``z``.
        num_classes: number of classes (labels are 0 .. num_classes - 1).
        width: channels of the last hidden feature map (as DCGAN).
        d_norm: D's normalisation, "batch", "layer" or None (as DCGAN).
        conditioning: how the label enters G (and D unless ``projection``):
            "embedding" (learned: an ``embed_dim`` vector for G, an H x W input
            plane for D) or "one_hot" (a one-hot vector for G, one-hot input planes for D).
        embed_dim: size of G's label embedding (``conditioning="embedding"``).
        projection: use the projection discriminator (Miyato & Koyama, 2018),
            logit = psi(phi(x)) + <embed(y), phi(x)>, instead of input channels.
        **kwargs: the ``GAN`` options (``loss``, ``d_steps``, ``penalty``, ``seed``, ...).

    Example:
        >>> gan = CGAN(image_shape=(28, 28, 1), num_classes=10, projection=True)
        >>> gan.compile()
        >>> gan.fit(recipes.load_dataset("mnist", with_labels=True), epochs=5)
        >>> sevens = gan.generate(16, labels=7, seed=0)
    """

    def __init__(self, image_shape=(28, 28, 1), latent_dim=100, num_classes=10, width=64, d_norm="batch",
                 conditioning="embedding", embed_dim=32, projection=False, **kwargs):
        image_shape = check_image_shape(image_shape)
        if not isinstance(projection, bool):
            raise ConfigError(f"projection must be True or False; got {projection!r}.")
        self.width, self.d_norm = width, d_norm
        self.conditioning, self.embed_dim, self.projection = conditioning, embed_dim, projection
        super().__init__(
            generator=conditional_generator(latent_dim, num_classes, image_shape, width, conditioning,
                                            embed_dim),
            discriminator=conditional_discriminator(image_shape, num_classes, width, d_norm, conditioning,
                                                    projection),
            **kwargs,
        )
