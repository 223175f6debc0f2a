"""CycleGAN (Zhu et al., 2017): unpaired translation between domains A and B.

Two translators, ``generator`` (A -> B, also ``generator_a2b``) and
``generator_b2a`` (B -> A), ResNet-block networks with instance norm; two
PatchGAN discriminators, ``discriminator`` (D_B: real B vs translated A, also
``discriminator_b``) and ``discriminator_a``. Losses (the paper's eq. 3 and
section 5.2, as in its reference code):

* D_B: the least-squares loss on real B vs pooled fakes G_A2B(a); D_A likewise.
  The zoo's ``least_squares`` D loss, 1/2 E[(D(b) - 1)^2] + 1/2 E[D(fake)^2], is the
  reference code's (it halves D's loss too).
* G: ``g_loss_a2b`` = E[(D_B(G_A2B(a)) - 1)^2] and ``g_loss_b2a`` likewise.
  ``adversarial_weight`` multiplies the loss's ``g_loss``; its default (``None``)
  is 2 for ``least_squares`` because the zoo's LSGAN G loss is 1/2 E[(D - 1)^2]
  (Mao et al.) while CycleGAN weighs E[(D - 1)^2] 1 : 10 against the cycle terms,
  and 1 for every other loss.
* ``cycle_a`` = lambda * |G_B2A(G_A2B(a)) - a|_1 and ``cycle_b`` likewise (lambda = ``cycle_weight``, 10).
* ``identity_a2b`` = lambda * ``identity_weight`` * |G_A2B(b) - b|_1 and ``identity_b2a`` likewise
  (the paper: 0.5 * lambda; ``identity_weight=0`` drops both terms).

The discriminators are updated on images drawn from a history pool of the last
``pool_size`` (50) translations per domain (``zoo.image_pool.ImagePool``:
tf variables, saved with the model, one pool per replica under a strategy).

The base loop runs it through its hooks: a step's real sample is the pair
``(images_a, images_b)``, ``run_generator`` translates both ways (through the
pools for D's step), ``discriminate`` applies D_A and D_B to a pair, and the
loss-term hooks write the terms above. One D optimizer updates both
discriminators and one G optimizer both generators (as the reference code's
``itertools.chain``): ``d_networks`` and ``g_networks`` name both of each.

Base-GAN options it does not apply (penalties, clipping, label smoothing,
feature matching, historical averaging, unrolling, packing, augmentation) and
the generator EMA (it would need one average per generator) are refused.
"""

import keras
import tensorflow as tf
from keras import ops

from zoo.errors import ConfigError, DataError
from zoo.checks import check_number
from zoo.gan import GAN
from zoo.image_pool import ImagePool
from zoo.networks.image_to_image import IMAGE_INPUT, check_shape, patchgan_discriminator, resnet_translator
from zoo.pix2pix import Translator, l1_distance
from zoo.steps import forward

DIRECTIONS = ("a2b", "b2a")


@keras.saving.register_keras_serializable(package="zoo")
class CycleGAN(Translator, GAN):
    """Two ResNet translators and two PatchGANs with least-squares, cycle and identity losses.

    Args:
        image_shape: ``(H, W, C)`` of the images of both domains (H, W divisible by 4 and by
            ``2**d_layers``).
        width: channels of the generators' first layer (the paper: 64).
        blocks: residual blocks per generator (the paper: 9 at 256x256, 6 at 128x128).
        g_norm: the generators' normalisation: "instance" (the paper), "batch" or None.
        d_width: channels of the discriminators' first layer (default: ``width``).
        d_layers: stride-2 stages of each PatchGAN (3: 70x70 patches).
        d_norm: the discriminators' normalisation ("instance", the paper's).
        cycle_weight: lambda of the cycle-consistency terms (the paper: 10).
        identity_weight: the identity terms' weight as a fraction of lambda (the paper: 0.5).
        pool_size: images in each history pool (the paper: 50; 0: no pool).
        adversarial_weight: multiplies G's adversarial terms; ``None``: 2 for ``least_squares``
            (the reference's E[(D - 1)^2]), 1 otherwise.
        **kwargs: ``GAN`` options: ``loss`` (default "least_squares"), ``d_steps``, ``seed``.

    Example:
        >>> gan = CycleGAN(image_shape=(32, 32, 1), width=16, blocks=3, d_layers=2)
        >>> gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        ...             g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
        >>> gan.fit(recipes.translation.load_translation("mnist2inverted_mnist").dataset, epochs=2)
        >>> zebras = gan.translate(horses, direction="a2b")
    """

    translation = "unpaired"
    pair_names = ("domain A images", "domain B images")
    d_loss_names = ("d_loss_a", "d_loss_b")
    g_loss_names = ("g_loss_a2b", "g_loss_b2a", "cycle_a", "cycle_b", "identity_a2b", "identity_b2a")
    _translate_hint = ' (direction="a2b" or "b2a")'
    d_networks = ("discriminator_a", "discriminator")
    g_networks = ("generator", "generator_b2a")
    unsupported = {
        **Translator.unsupported,
        **{key: "its two generator/discriminator pairs would each need it; it is not implemented"
           for key in ("clip_value", "label_smoothing", "historical_averaging")},
        "ema_decay": "the weight average covers one generator and CycleGAN has two",
        "ema_start": "the weight average covers one generator and CycleGAN has two",
    }

    def __init__(self, image_shape=(32, 32, 1), width=64, blocks=9, g_norm="instance", d_width=None, d_layers=3,
                 d_norm="instance", cycle_weight=10.0, identity_weight=0.5, pool_size=50, adversarial_weight=None,
                 loss="least_squares", **kwargs):
        image_shape = check_shape(image_shape)
        self.cycle_weight = check_number("cycle_weight", cycle_weight)
        self.identity_weight = check_number("identity_weight", identity_weight)
        if adversarial_weight is not None:
            check_number("adversarial_weight", adversarial_weight)
        self.adversarial_weight = adversarial_weight
        self.width, self.blocks, self.g_norm = width, blocks, g_norm
        self.d_width, self.d_layers, self.d_norm, self.pool_size = d_width, d_layers, d_norm, pool_size
        if not self.identity_weight:
            self.g_loss_names = tuple(n for n in type(self).g_loss_names if not n.startswith("identity"))
        networks = dict(
            g=lambda name: resnet_translator(image_shape, None, width, blocks, g_norm, name=name),
            d=lambda name: patchgan_discriminator(image_shape, None, d_width or width, d_layers, d_norm, name=name),
        )
        super().__init__(generator=networks["g"]("generator_a2b"), discriminator=networks["d"]("discriminator_b"),
                         loss=loss, **kwargs)
        self.generator_b2a = networks["g"]("generator_b2a")
        self.discriminator_a = networks["d"]("discriminator_a")
        self.pool_a = ImagePool(pool_size, image_shape, name="pool_a")  # translations into A, for D_A
        self.pool_b = ImagePool(pool_size, image_shape, name="pool_b")  # translations into B, for D_B

    @property
    def generator_a2b(self):
        return self.generator

    @property
    def discriminator_b(self):
        return self.discriminator

    @property
    def g_adversarial_weight(self):
        """The weight actually applied to G's adversarial terms (``adversarial_weight`` resolved)."""
        if self.adversarial_weight is not None:
            return self.adversarial_weight
        return 2.0 if self.adversarial_loss.name == "least_squares" else 1.0

    # ------------------------------------------------------------------ hooks

    def unpack_batch(self, data):
        """``(images_a, images_b)``: the step's real sample is the pair of domain batches (no condition)."""
        if not isinstance(data, (tuple, list)) or len(data) < 2 or data[1] is None:
            raise DataError("CycleGAN trains on (domain A images, domain B images) batches; got a single batch. "
                            "Use recipes.translation.load_translation(...) or fit(images_a, images_b).")
        return (data[0], data[1]), None

    def run_generator(self, real, condition, player):
        """The translations ``(G_B2A(b), G_A2B(a))`` into each domain. For D's step they come from the
        history pools (each batch's images swap in and, with probability 1/2, older ones out)."""
        del condition
        real_a, real_b = real
        update = player == "g"
        fake_b = forward(self.generator, real_a, update_state=update)
        fake_a = forward(self.generator_b2a, real_b, update_state=update)
        if player == "d":
            seed = ops.cast(self.step_seed(), "int64")
            fold = tf.random.experimental.stateless_fold_in
            fake_a = self.pool_a.query(fake_a, fold(seed, 1))  # the D step stops the fakes' gradient
            fake_b = self.pool_b.query(fake_b, fold(seed, 2))
        return fake_a, fake_b

    def discriminate(self, samples, condition, update_state=True, weights=None):
        """``(D_A(images_a), D_B(images_b))`` for a pair of batches ``samples = (images_a, images_b)``."""
        del condition, weights  # unrolling is not supported
        images_a, images_b = samples
        return (forward(self.discriminator_a, images_a, update_state),
                forward(self.discriminator, images_b, update_state))

    def d_loss_terms(self, step):
        """``{"d_loss_a", "d_loss_b"}``: each D's adversarial loss on its domain's real and pooled images."""
        d_loss = self.adversarial_loss.d_loss
        return {"d_loss_a": d_loss(step.real_outputs[0], step.fake_outputs[0]),
                "d_loss_b": d_loss(step.real_outputs[1], step.fake_outputs[1])}

    def g_loss_terms(self, step):
        """The generators' adversarial terms (``step.fake_outputs``: D_A and D_B on the translations into
        each domain), the cycle terms and, with ``identity_weight``, the identity terms."""
        (real_a, real_b), (fake_a, fake_b) = step.real, step.fake
        g_ab, g_ba = self.generator, self.generator_b2a
        cycled_a = g_ba(fake_b, training=True)
        cycled_b = g_ab(fake_a, training=True)
        real_outputs = step.real_outputs or (None, None)
        g_loss, w, lam = self.adversarial_loss.g_loss, self.g_adversarial_weight, self.cycle_weight
        terms = {
            "g_loss_a2b": w * g_loss(real_outputs[1], step.fake_outputs[1]),
            "g_loss_b2a": w * g_loss(real_outputs[0], step.fake_outputs[0]),
            "cycle_a": lam * l1_distance(real_a, cycled_a),
            "cycle_b": lam * l1_distance(real_b, cycled_b),
        }
        if self.identity_weight:
            same_a = g_ba(real_a, training=True)
            same_b = g_ab(real_b, training=True)
            terms["identity_a2b"] = lam * self.identity_weight * l1_distance(real_b, same_b)
            terms["identity_b2a"] = lam * self.identity_weight * l1_distance(real_a, same_a)
        return terms

    # ------------------------------------------------------------------ inference

    def pair_shapes(self):
        return (self.image_shape, self.image_shape)

    def translate(self, images, direction="a2b", batch_size=256):
        """Images of one domain ``(n, H, W, C)`` (floats in [-1, 1] or uint8) -> the other domain.

        ``direction``: "a2b" (``generator``) or "b2a" (``generator_b2a``). Deterministic
        (``training=False``; instance norm has no moving statistics).
        """
        return self._run(self._translator(direction), images, f"images ({direction})", batch_size)

    def cycle(self, images, direction="a2b", batch_size=256):
        """``images`` translated to the other domain and back (for the cycle-consistency error)."""
        back = "b2a" if self._check_direction(direction) == "a2b" else "a2b"
        return self.translate(self.translate(images, direction, batch_size), back, batch_size)

    def _check_direction(self, direction):
        if direction not in DIRECTIONS:
            raise ConfigError(f"direction must be one of {DIRECTIONS} (A -> B or B -> A); got {direction!r}.")
        return direction

    def _translator(self, direction):
        return self.generator if self._check_direction(direction) == "a2b" else self.generator_b2a

    # ------------------------------------------------------------------ checks

    def check_networks(self):
        g_in = [t.name for t in self.generator.inputs]
        if g_in != [IMAGE_INPUT] or tuple(self.generator.inputs[0].shape[1:]) != self.image_shape:
            raise ConfigError(f"CycleGAN's generators map images {IMAGE_INPUT!r} to images of the same shape; "
                              f"the A -> B generator takes {g_in}.")
        d_in = [tuple(t.shape[1:]) for t in self.discriminator.inputs]
        if d_in != [self.image_shape]:
            raise ConfigError(f"CycleGAN's discriminators take one image input of shape {self.image_shape}; "
                              f"got {d_in}.")
