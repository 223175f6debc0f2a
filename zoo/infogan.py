"""InfoGAN (Chen et al., 2016): unsupervised, interpretable latent codes.

G is fed ``[z, codes]``: noise ``z`` and codes ``c`` = a one-hot categorical
code (``categorical`` values, drawn uniformly) followed by ``continuous``
codes drawn from U(-1, 1). D has a second head Q on its trunk that predicts
the codes from an image: logits over the categorical values and the means of
the continuous codes. Both players also minimise the negated variational
lower bound of the mutual information I(c; G(z, c)) (the constant H(c) left out):

    info = categorical_weight * CE(c_cat, Q_cat(G(z, c)))
         + continuous_weight * mean_batch(sum_j 0.5 * (c_j - mu_j(G(z, c)))**2)

The continuous term is the Gaussian negative log-likelihood with a *fixed unit
variance* (its constant 0.5 log 2 pi dropped), i.e. a scaled squared error: Q
predicts means only. The paper fixes the variance too in most of its
experiments and notes that a learned variance brings little; fixing it keeps
the term bounded below and cannot blow up when Q gets confident. The
paper's weights are 1 for the categorical code and a smaller one for continuous
codes "so that L_I is on the scale of the GAN loss"; with the 0.5 factor and
U(-1, 1) codes the default ``continuous_weight=1`` starts at ~0.33 per code pair,
already on that scale. D minimises ``d_info`` (Q's weights and the shared trunk
learn it from the fakes); G minimises ``g_info`` (its fakes must carry the codes).
Two names rather than one shared ``info`` because every term gets its own metric.

Hooks overridden (nothing else):

* ``unpack_batch``: the labels of the data (if any) are ignored; the *condition*
  of a step is the codes of its fakes, drawn here once per ``train_step`` (per
  replica, decorrelated like the latents). As with CGAN's labels the D and G
  steps of one train step share the codes (``z`` is fresh in every step), so
  the base loop, penalties and unrolling need no change.
* ``generator_inputs(z, codes)``: ``[z, codes]`` by input name.
* ``discriminate``: ``(logits, (q_categorical, q_continuous))``;
  ``adversarial_logits`` picks the logits for penalties and unrolling.
* ``d_loss_terms`` / ``g_loss_terms``: add ``d_info`` / ``g_info``.

``pack`` and ``feature_matching`` are refused (Q reads single images; the
feature model would be Q's hidden layer). Unrolled D steps follow the
adversarial loss only (Q's weights get zero gradient there).
"""

import keras
import tensorflow as tf
from keras import ops

from zoo.checks import check_number
from zoo.errors import ConfigError
from zoo.gan import GAN
from zoo.networks.dcgan import check_image_shape
from zoo.networks.infogan import infogan_discriminator, infogan_generator
from zoo.sampling import CODES
from zoo.steps import forward, inputs_by_name


def info_loss(codes, q_categorical, q_continuous, categorical_weight=1.0, continuous_weight=1.0):
    """The negated MI lower bound (without H(c)) of ``codes`` (batch, K + M) under Q's outputs.

    ``codes[:, :K]`` is one-hot; ``q_categorical`` (batch, K) are logits, ``q_continuous``
    (batch, M) the means of unit-variance Gaussians.
    """
    k = int(q_categorical.shape[-1])
    codes = ops.cast(codes, "float32")
    cat = ops.argmax(codes[:, :k], axis=-1)
    ce = ops.mean(keras.losses.sparse_categorical_crossentropy(
        cat, ops.cast(q_categorical, "float32"), from_logits=True))
    nll = ops.mean(ops.sum(0.5 * ops.square(codes[:, k:] - ops.cast(q_continuous, "float32")), axis=-1))
    return categorical_weight * ce + continuous_weight * nll


@keras.saving.register_keras_serializable(package="zoo")
class InfoGAN(GAN):
    """InfoGAN with DCGAN-style networks and a Q head sharing D's trunk (``fc_units=1024``: the paper's
    MNIST networks, with its fully connected layers; the ``infogan_mnist`` recipe uses them).

    Args:
        image_shape: ``(height, width, channels)`` of size ``s * 2**n`` (as DCGAN).
        latent_dim: size of the noise ``z`` (the paper's MNIST: 62).
        categorical: values of the categorical code (MNIST: 10).
        continuous: number of continuous codes, U(-1, 1) in training (MNIST: 2).
        width, d_norm: as DCGAN.
        q_units: hidden units of the Q head.
        fc_units: ``None`` (all-convolutional networks) or the width of the paper's fully
            connected layers (MNIST: 1024; see ``zoo.networks.infogan``).
        categorical_weight, continuous_weight: lambda of the two parts of the info term.
        **kwargs: the ``GAN`` options (``loss``, ``d_steps``, ``penalty``, ``seed``, ...).

    Example:
        >>> gan = InfoGAN(image_shape=(28, 28, 1))
        >>> gan.compile()
        >>> gan.fit(recipes.load_dataset("mnist"), epochs=5)
        >>> gan.generate(8, categorical=3, continuous=[1.5, 0.0], seed=0)
        >>> z, codes, cols = gan.sweep_inputs(index=0)   # rows: categorical, columns: c1 from -2 to 2
    """

    d_loss_names = ("d_loss", "d_info")
    g_loss_names = ("g_loss", "g_info")
    unsupported = {
        "pack": "Q predicts the codes of single images",
        "feature_matching": "D's last hidden layer is Q's",
    }

    def __init__(self, image_shape=(28, 28, 1), latent_dim=62, categorical=10, continuous=2, width=64,
                 d_norm="batch", q_units=128, fc_units=None, categorical_weight=1.0, continuous_weight=1.0,
                 **kwargs):
        image_shape = check_image_shape(image_shape)
        self.categorical_weight = check_number("categorical_weight", categorical_weight)
        self.continuous_weight = check_number("continuous_weight", continuous_weight)
        self.categorical, self.continuous = categorical, continuous
        self.width, self.d_norm, self.q_units, self.fc_units = width, d_norm, q_units, fc_units
        super().__init__(
            generator=infogan_generator(latent_dim, categorical, continuous, image_shape, width, fc_units),
            discriminator=infogan_discriminator(image_shape, categorical, continuous, width, d_norm, q_units,
                                                fc_units),
            **kwargs,
        )

    # ------------------------------------------------------------------ hooks

    def sample_codes(self, batch_size):
        """Codes for one step: one-hot uniform categorical, then U(-1, 1) continuous (float32)."""
        cat = tf.random.stateless_uniform((batch_size,), seed=self.step_seed(), minval=0,
                                          maxval=self.categorical, dtype="int32")
        cont = tf.random.stateless_uniform((batch_size, self.continuous), seed=self.step_seed(),
                                           minval=-1.0, maxval=1.0)
        return ops.concatenate([ops.one_hot(cat, self.categorical, dtype="float32"), cont], axis=-1)

    def unpack_batch(self, data):
        images, _ = super().unpack_batch(data)  # InfoGAN is unsupervised: labels are ignored
        return images, self.sample_codes(ops.shape(images)[0])

    def generator_inputs(self, z, condition):
        return inputs_by_name(self.generator, {"z": z, CODES: condition})

    def discriminate(self, samples, condition, update_state=True, weights=None):
        """``(logits (batch, 1), (q_categorical logits, q_continuous means))``."""
        del condition
        logits, q_cat, q_cont = forward(self.step_networks("d")[0], samples, update_state, weights)
        return logits, (q_cat, q_cont)

    def adversarial_logits(self, outputs):
        return outputs[0]

    def info(self, codes, outputs):
        """The weighted info term of ``codes`` under D's ``outputs`` (from ``discriminate``)."""
        q_cat, q_cont = outputs[1]
        return info_loss(codes, q_cat, q_cont, self.categorical_weight, self.continuous_weight)

    def d_loss_terms(self, step):
        terms = super().d_loss_terms(step)
        terms["d_info"] = self.info(step.condition, step.fake_outputs)
        return terms

    def g_loss_terms(self, step):
        terms = super().g_loss_terms(step)
        terms["g_info"] = self.info(step.condition, step.fake_outputs)
        return terms

    def check_networks(self):
        g_names = [t.name for t in self.generator.inputs]
        if sorted(g_names) != ["codes", "z"]:
            raise ConfigError(f"The InfoGAN generator must take inputs named 'z' and 'codes'; its inputs are "
                              f"{g_names}.")
        width = int(self.generator.inputs[g_names.index(CODES)].shape[-1])
        if width != self.categorical + self.continuous:
            raise ConfigError(f"The generator's codes input has width {width}, not categorical + continuous "
                              f"= {self.categorical + self.continuous}.")
        d_in = [tuple(t.shape[1:]) for t in self.discriminator.inputs]
        if d_in != [self.image_shape]:
            raise ConfigError(f"The InfoGAN discriminator must take images of shape {self.image_shape} only; "
                              f"its inputs have shapes {d_in}.")
        shapes = [tuple(t.shape[1:]) for t in self.discriminator.outputs]
        want = [(1,), (self.categorical,), (self.continuous,)]
        if shapes != want:
            raise ConfigError(f"The InfoGAN discriminator must return [logits, q_categorical, q_continuous] of "
                              f"shapes {want}; it returns {shapes}.")
