"""ACGAN (Odena, Olah and Shlens, 2017): D also predicts the class of what it sees.

The generator is CGAN's (``[z, labels] -> images``); the discriminator sees
images only and has two heads on one trunk: the real/fake logit and
``num_classes`` class logits. Both players add the auxiliary classification
loss (sparse softmax cross-entropy, mean over the batch, times
``aux_weight``) to their adversarial loss:

* D: ``d_aux = aux_weight * (CE(class_logits(x_real), y_real) + CE(class_logits(G(z, y)), y))``
* G: ``g_aux = aux_weight * CE(class_logits(G(z, y)), y)``

which is the paper's L_C on real and fake samples (D maximises L_S + L_C, G
maximises L_C - L_S). With ``d_aux_fake=False`` D's classifier learns from
real images only (its fake term is dropped): then G and D cannot agree on
class cues that real digits do not have, which the MNIST recipe needs (see
``recipes/registry.py``). As in ``CGAN``, the fakes of a step reuse the real
batch's labels ``y``. Hooks overridden beyond ``ConditionalGAN``'s:
``discriminate`` (returns ``(logits, class_logits)``), ``adversarial_logits``
(picks the logits for penalties and unrolling), ``d_loss_terms`` /
``g_loss_terms`` (the aux terms) and ``check_networks`` (D's two outputs).
Unrolled D steps (``unrolled_steps``) follow the adversarial loss only.
"""

import keras
from keras import ops

from zoo.cgan import ConditionalGAN
from zoo.errors import ConfigError
from zoo.checks import check_number
from zoo.networks.conditional import acgan_discriminator, conditional_generator
from zoo.networks.dcgan import check_image_shape
from zoo.steps import forward


def class_cross_entropy(labels, class_logits):
    """Mean sparse softmax cross-entropy of int ``labels`` (batch,) under ``class_logits`` (batch, K)."""
    return ops.mean(keras.losses.sparse_categorical_crossentropy(
        labels, ops.cast(class_logits, "float32"), from_logits=True))


@keras.saving.register_keras_serializable(package="zoo")
class ACGAN(ConditionalGAN):
    """Auxiliary-classifier GAN with DCGAN networks.

    Args:
        image_shape, latent_dim, num_classes, width, d_norm, conditioning, embed_dim:
            as ``CGAN`` (``conditioning``/``embed_dim`` shape G's label code; D
            does not take the label).
        aux_weight: weight of the auxiliary classification terms (both players).
        d_aux_fake: whether D's auxiliary term includes the fake samples (the
            paper: True) or only the real ones.
        **kwargs: the ``GAN`` options (``loss``, ``d_steps``, ``penalty``, ``seed``, ...).

    Example:
        >>> gan = ACGAN(image_shape=(28, 28, 1), num_classes=10)
        >>> gan.compile()
        >>> gan.fit(recipes.load_dataset("mnist", with_labels=True), epochs=5)
        >>> gan.history.history["d_aux"]  # the auxiliary terms are metrics
    """

    d_loss_names = ("d_loss", "d_aux")
    g_loss_names = ("g_loss", "g_aux")
    # D sees the images only, so its features can be matched (CGAN's D also takes the labels).
    unsupported = {k: v for k, v in ConditionalGAN.unsupported.items() if k != "feature_matching"}

    def __init__(self, image_shape=(28, 28, 1), latent_dim=100, num_classes=10, width=64, d_norm="batch",
                 conditioning="embedding", embed_dim=32, aux_weight=1.0, d_aux_fake=True, **kwargs):
        image_shape = check_image_shape(image_shape)
        aux_weight = check_number("aux_weight", aux_weight)
        if not isinstance(d_aux_fake, bool):
            raise ConfigError(f"d_aux_fake must be True or False; got {d_aux_fake!r}.")
        self.d_aux_fake = d_aux_fake
        self.width, self.d_norm = width, d_norm
        self.conditioning, self.embed_dim, self.aux_weight = conditioning, embed_dim, float(aux_weight)
        super().__init__(
            generator=conditional_generator(latent_dim, num_classes, image_shape, width, conditioning,
                                            embed_dim),
            discriminator=acgan_discriminator(image_shape, num_classes, width, d_norm),
            **kwargs,
        )

    # ------------------------------------------------------------------ hooks

    def discriminate(self, samples, condition, update_state=True, weights=None):
        """``(logits (batch, 1), class_logits (batch, K))``; D does not see the label."""
        del condition
        logits, class_logits = forward(self.step_networks("d")[0], samples, update_state, weights)
        return logits, class_logits

    def adversarial_logits(self, outputs):
        return outputs[0]

    def d_loss_terms(self, step):
        terms = super().d_loss_terms(step)
        aux = class_cross_entropy(step.condition, step.real_outputs[1])
        if self.d_aux_fake:
            aux = aux + class_cross_entropy(step.condition, step.fake_outputs[1])
        terms["d_aux"] = self.aux_weight * aux
        return terms

    def g_loss_terms(self, step):
        terms = super().g_loss_terms(step)
        terms["g_aux"] = self.aux_weight * class_cross_entropy(step.condition, step.fake_outputs[1])
        return terms

    def _check_discriminator(self):
        outputs = self.discriminator.outputs
        d_in = tuple(self.discriminator.inputs[0].shape[1:]) if len(self.discriminator.inputs) == 1 else None
        if d_in != self.image_shape:
            raise ConfigError(f"The ACGAN discriminator must take images of shape {self.image_shape} (and "
                              f"nothing else); its inputs are {[tuple(t.shape) for t in self.discriminator.inputs]}.")
        shapes = [tuple(t.shape[1:]) for t in outputs]
        if shapes != [(1,), (self.num_classes,)]:
            raise ConfigError(f"The ACGAN discriminator must return [logits (batch, 1), class_logits (batch, "
                              f"{self.num_classes})]; it returns shapes {shapes}.")
