"""The GAN base model: one class owns the adversarial loop, variants override hooks.

``GAN`` is a ``keras.Model`` whose ``train_step`` plays the game, so training is
plain ``model.fit(...)`` with any Keras callback. One ``train_step`` is
``d_steps`` discriminator updates followed by ``g_steps`` (default 1) generator
updates, each on the same real batch with freshly sampled latents; with
``simultaneous=True`` both players' gradients come from the same weights and the
two updates are applied together.

Hooks a variant overrides (the table in WORKSPACE.md is tested against ``HOOKS``):

* ``unpack_batch(data) -> (real, condition)``: what a dataset element holds.
* ``sample_latents(batch_size)`` / ``generator_inputs(z, condition)``: what the
  generator is fed (conditional variants add labels or codes).
* ``run_generator(real, condition, player)``: the fakes of a step, for D
  (``player="d"``) or for G (``"g"``); CycleGAN translates both ways.
* ``discriminate(samples, condition, update_state)``: how D is applied
  (conditional D, packing several samples, ...); ``adversarial_logits(outputs)``
  picks the real/fake logits out of it when D has more heads (ACGAN).
* ``d_loss_terms(step)`` / ``g_loss_terms(step)``: a dict of named scalar terms
  whose sum each player minimises, from one ``zoo.steps.Step`` record (real and
  fake batches, condition, D's outputs). Declare the names in ``d_loss_names`` /
  ``g_loss_names`` so they get a metric.
* ``d_loss_kwargs()``: extra keyword arguments of the adversarial ``d_loss``
  (``label_smoothing``; BEGAN's ``k``).
* ``discriminator_for_g(real, condition)``: the critic the G step differentiates
  through (the unrolled D when ``unrolled_steps > 0``).
* ``after_d_step(step, terms)`` / ``after_g_step(step, terms)``: run after each
  update (weight clipping, the weight averages, BEGAN's k_t, ProGAN's image
  count); they return values to log that are not loss terms, named in
  ``metric_names`` (averaged over the epoch) or ``state_names`` (the latest).
* ``step_networks(player)``: the networks a player trains at this step (ProGAN:
  the current level's); ``d_networks`` / ``g_networks`` name the attributes
  holding every network each optimizer trains (CycleGAN: two of each).
* ``training_callbacks()``: callbacks ``fit`` adds (standing statistics; ProGAN's growth).
* ``check_networks()`` / ``check_training_data(x, y)``: checks at construction and in ``fit``.

Options a variant cannot apply are declared in ``unsupported`` (``{option: why}``)
and refused in one place. ``get_config`` is read off the constructor's signature:
a variant stores each argument under its own name and writes no config code.

Rules the loop follows:

* Both networks always run with ``training=True`` inside ``train_step``.
* A player's step updates only that player's state (``zoo.steps.forward``): the
  other network runs in training mode but its running statistics (batch-norm
  moving averages, spectral-norm power iterations) are left alone. RNG state always advances.
* Loss terms are means over the per-replica batch; the base class divides the
  sum by the number of replicas before differentiating, because the optimizer
  sums gradients across replicas. A variant never scales by hand.
* Under a ``tf.distribute`` strategy each replica draws different latents.
"""

import inspect

import numpy as np
import tensorflow as tf
import keras
from keras import ops

from zoo import losses as losses_lib
from zoo import penalties as penalties_lib
from zoo.augment import augment as augment_images
from zoo.augment import check_policy
from zoo.callbacks import adapt_callbacks
from zoo.checks import check_number, check_pair, check_replica_batches, check_training_images, check_unsupported
from zoo.distribute import logs_for_strategy, per_replica_loss, replica_average, replica_mean
from zoo.ema import RunningAverage, StandingStatistics, average_into, batch_norm_layers, frozen_copy
from zoo.errors import ConfigError
from zoo.pretrained import load_gan
from zoo.sampling import Sampler, check_latent_distribution, check_seed
from zoo.steps import Step, Untracked, apply_gradients, feature_model, forward
from zoo.unrolling import functional_update

# The hooks a variant may override (WORKSPACE.md's table is checked against this).
HOOKS = ("unpack_batch", "sample_latents", "generator_inputs", "run_generator", "discriminate",
         "adversarial_logits", "d_loss_terms", "g_loss_terms", "d_loss_kwargs", "discriminator_for_g",
         "after_d_step", "after_g_step", "step_networks", "training_callbacks", "check_networks",
         "check_training_data")


def _is_keras_model(obj):
    return isinstance(obj, keras.Model) and obj.built


def _plain(value):
    """A config value as JSON keeps it (tuples become lists), so a config round trip compares equal."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


@keras.saving.register_keras_serializable(package="zoo")
class GAN(Sampler, keras.Model):
    """A generator and a discriminator trained against each other with ``fit``.

    Args:
        generator: a built ``keras.Model`` mapping latents ``z`` of shape
            ``(batch, latent_dim)`` to NHWC images in [-1, 1].
        discriminator: a built ``keras.Model`` mapping images to one raw logit
            (or score) per sample, shape ``(batch, 1)``.
        loss: a name in ``zoo.losses.LOSSES`` or an ``AdversarialLoss``.
        d_steps: discriminator updates per training step (before the generator's).
        g_steps: generator updates per training step, after D's, on the same real
            batch and fresh latents (DCGAN-tensorflow and the PacGAN/VEEGAN Stacked
            MNIST protocol use 2, so D does not win too early).
        simultaneous: compute G's gradient before D's update is applied (both from the
            same weights, as in the Unrolled GAN authors' notebook, which optimises the
            saddle point in one step) instead of after it; needs ``d_steps=1`` and
            ``g_steps=1``.
        latent_distribution: ``"normal"`` (N(0, 1)) or ``"uniform"`` (U(-1, 1)).
        seed: seed of the latent sampler used in training (``None``: random).
        penalty: ``None`` or a gradient penalty on D added to its loss as the
            ``penalty`` term: ``"wgan_gp"`` (Gulrajani et al.: unit gradient norm
            between real and fake), ``"dragan"`` (around perturbed real samples)
            or ``"r1"`` (zero gradient on real samples). Use it with a
            discriminator without batch norm.
        penalty_weight: the penalty's weight (lambda): 10 for WGAN-GP and
            DRAGAN; R1 typically 0.1 to 10.
        clip_value: ``None`` or ``c > 0``: after every D update, every D weight
            is clipped to ``[-c, c]`` (the original WGAN; 0.01 in its paper).
        label_smoothing: one-sided label smoothing in [0, 1): D's target for
            real samples becomes ``1 - label_smoothing`` (cross-entropy losses
            only; Salimans et al. use 0.1).
        feature_matching: weight (>= 0) of a G loss term that matches the mean
            of D's last hidden features on real and generated batches
            (Salimans et al.); 0 turns it off.
        historical_averaging: weight (>= 0) of a term pulling each player's
            weights towards their running average (``d_history``/``g_history``);
            0 turns it off.
        unrolled_steps: ``k >= 0``: the generator's loss is taken through a copy
            of D advanced ``k`` extra optimizer steps (Unrolled GAN, Metz et
            al.); 0 turns it off. Costs about ``k`` extra D steps per G step.
        pack: ``m >= 1`` (PacGAN, Lin et al.): D judges ``m`` samples at once,
            stacked on the channel axis, so its input has ``m`` times the
            channels; the per-replica batch must be a multiple of ``m``.
        ema_decay: ``None`` (off) or a number in [0, 1), e.g. 0.999: after every
            generator update, ``ema_generator`` (a copy of G with frozen weights)
            moves its weights to ``ema_decay * average + (1 - ema_decay) * weights``;
            non-trainable state (batch-norm statistics) is copied. ``generate``,
            ``SampleGrid``/``SampleQuality`` and ``gan(z)`` then use the average
            (``sampling_generator``); ``generator`` stays the live one.
        ema_start: the first ``ema_start`` generator updates copy the weights
            instead of averaging them (the average then starts from trained weights).
        ema_standing_statistics: batches (>= 0) over which the average's
            batch-norm statistics are re-estimated from its own activations at
            the end of every ``fit`` epoch (``zoo.ema``: the copied statistics
            describe the live weights, not the averaged ones, and make its samples
            worse); 0 keeps the copies. No effect without batch norm in G, nor
            for translators (Pix2Pix: the statistics would need input images).
        augment: ``None`` or a DiffAugment policy (``"translation,cutout"``, with
            ``"color"``): random differentiable transformations of every image D
            sees in training, real and generated alike (``zoo.augment``); for small
            data sets, where D would otherwise memorise the training images.

    Example:
        >>> gan = GAN(generator, discriminator, loss="non_saturating")
        >>> gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        ...             g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
        >>> gan.fit(dataset, epochs=5)
        >>> images = gan.generate(16, seed=0)
    """

    # Names of the terms d_loss_terms / g_loss_terms return; variants extend these.
    d_loss_names = ("d_loss",)
    g_loss_names = ("g_loss",)
    # Values after_d_step / after_g_step return that are not loss terms (not summed into ``loss``):
    # metric_names are averaged over the epoch like the losses, state_names report the latest value.
    metric_names = ()
    state_names = ()
    # What ``discriminate`` returns per sample, matched against the loss's ``inputs`` ("energies": BEGAN).
    discriminator_outputs = "logits"
    # Attributes holding the networks each optimizer trains, in the optimizer's order.
    d_networks = ("discriminator",)
    g_networks = ("generator",)
    # Base options this class cannot apply: {option: why}; refused at construction.
    unsupported = {}

    def __init__(
        self,
        generator,
        discriminator,
        loss="non_saturating",
        d_steps=1,
        g_steps=1,
        simultaneous=False,
        latent_distribution="normal",
        seed=None,
        penalty=None,
        penalty_weight=10.0,
        clip_value=None,
        label_smoothing=0.0,
        feature_matching=0.0,
        historical_averaging=0.0,
        unrolled_steps=0,
        pack=1,
        ema_decay=None,
        ema_start=0,
        ema_standing_statistics=32,
        augment=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for role, network in (("generator", generator), ("discriminator", discriminator)):
            if not _is_keras_model(network):
                raise ConfigError(
                    f"{role} must be a built keras.Model (e.g. a functional model "
                    f"from zoo.networks); got {type(network).__name__}."
                )
        check_latent_distribution(latent_distribution)
        self.generator = generator
        self.discriminator = discriminator
        self.adversarial_loss = losses_lib.get_loss(loss)
        self._check_loss_inputs()
        self.latent_distribution = latent_distribution
        self.seed = check_seed(seed, ConfigError)
        self.seed_generator = keras.random.SeedGenerator(seed, name="latent_seed")
        self._set_tricks(d_steps, g_steps, penalty, penalty_weight, clip_value, label_smoothing,
                         feature_matching, historical_averaging, unrolled_steps, pack, simultaneous)
        self.augment = ",".join(check_policy(augment)) or None
        check_unsupported(self, {**self._options_config(), "ema_decay": ema_decay, "ema_start": ema_start})
        self.check_networks()
        self._set_ema(ema_decay, ema_start, ema_standing_statistics)
        self.d_loss_names = tuple(self.d_loss_names) + tuple(self._extra_d_terms)
        self.g_loss_names = tuple(self.g_loss_names) + tuple(self._extra_g_terms)
        names = self.d_loss_names + self.g_loss_names + ("loss",) + tuple(self.metric_names)
        self._trackers = {n: keras.metrics.Mean(name=n) for n in names}
        self.d_optimizer = None
        self.g_optimizer = None
        self.built = True

    # ------------------------------------------------------------------ options

    def _check_loss_inputs(self):
        inputs, outputs = self.adversarial_loss.inputs, self.discriminator_outputs
        if inputs != outputs:
            fitting = sorted(n for n, l in losses_lib.LOSSES.items() if l.inputs == outputs)
            raise ConfigError(
                f"Loss {self.adversarial_loss.name!r} is defined on discriminator {inputs}, but "
                f"{type(self).__name__}'s discriminator returns {outputs}"
                + (" (the auto-encoder energies are zoo.BEGAN's)" if inputs == "energies" else "")
                + f": choose one of {', '.join(fitting)}."
            )

    def _set_tricks(self, d_steps, g_steps, penalty, penalty_weight, clip_value, label_smoothing,
                    feature_matching, historical_averaging, unrolled_steps, pack, simultaneous=False):
        """Validates and stores the training tricks; decides the extra loss terms."""
        number = check_number
        self.d_steps = number("d_steps", d_steps, 1, integer=True)
        self.g_steps = number("g_steps", g_steps, 1, integer=True)
        if not isinstance(simultaneous, (bool, np.bool_)):
            raise ConfigError(f"simultaneous must be True or False; got {simultaneous!r}.")
        if simultaneous and (self.d_steps, self.g_steps) != (1, 1):
            raise ConfigError(
                f"simultaneous=True updates each player once per step from the same weights; it cannot "
                f"be combined with d_steps={self.d_steps}, g_steps={self.g_steps}: set both to 1."
            )
        self.simultaneous = bool(simultaneous)
        self.penalty = penalty
        self._penalty_fn = None if penalty is None else penalties_lib.get_penalty(penalty)
        self.penalty_weight = number("penalty_weight", penalty_weight)
        self.clip_value = None if clip_value is None else number("clip_value", clip_value)
        if self.clip_value == 0.0:
            raise ConfigError("clip_value must be > 0 (or None for no weight clipping).")
        self.label_smoothing = number("label_smoothing", label_smoothing, 0.0, 1.0)
        if self.label_smoothing and "label_smoothing" not in inspect.signature(
                self.adversarial_loss.d_loss).parameters:
            smoothable = [n for n, l in losses_lib.LOSSES.items()
                          if "label_smoothing" in inspect.signature(l.d_loss).parameters]
            raise ConfigError(
                f"label_smoothing applies to the cross-entropy losses ({', '.join(smoothable)}), "
                f"not to {self.adversarial_loss.name!r}."
            )
        self.feature_matching = number("feature_matching", feature_matching)
        self.historical_averaging = number("historical_averaging", historical_averaging)
        self.unrolled_steps = number("unrolled_steps", unrolled_steps, integer=True)
        self.pack = number("pack", pack, 1, integer=True)
        self._extra_d_terms = [n for n, on in (("penalty", self.penalty), ("d_history", self.historical_averaging)) if on]
        self._extra_g_terms = [n for n, on in (("feature_matching", self.feature_matching),
                                               ("g_history", self.historical_averaging)) if on]
        self._features = Untracked(model=feature_model(self.discriminator)) if self.feature_matching else None
        if self.historical_averaging:
            self._history = {
                "d": RunningAverage(self.discriminator.trainable_variables, "d_history"),
                "g": RunningAverage(self.generator.trainable_variables, "g_history"),
            }
            # Tracked attributes so the averages are saved and restored with the model.
            self.d_history_averages = self._history["d"].variables
            self.g_history_averages = self._history["g"].variables

    def _set_ema(self, ema_decay, ema_start, standing=0):
        """Validates the EMA options and builds ``ema_generator`` (a frozen copy of G) when on."""
        self.ema_standing_statistics = check_number("ema_standing_statistics", standing, 0, integer=True)
        if ema_decay is not None:
            ok = isinstance(ema_decay, (int, float, np.integer, np.floating)) and not isinstance(ema_decay, bool)
            if not ok or not 0.0 <= ema_decay < 1.0:
                raise ConfigError(
                    "ema_decay must be None (no weight averaging) or a number in [0, 1), typically "
                    f"0.99 to 0.9999 (closer to 1 averages over more steps); got {ema_decay!r}."
                )
            ema_decay = float(ema_decay)
        self.ema_decay = ema_decay
        self.ema_start = check_number("ema_start", ema_start, 0, integer=True)
        if ema_decay is None:
            if self.ema_start:
                raise ConfigError(
                    f"ema_start={ema_start!r} only applies to the weight average: set ema_decay "
                    "(e.g. 0.999) too, or leave ema_start at 0."
                )
            self.ema_generator = None
            return
        self.ema_generator = frozen_copy(self.generator)
        # How many generator updates the average has seen (decides ema_start). "only_first_replica":
        # assignments in replica context take the first replica's value (all replicas agree anyway).
        self.ema_updates = keras.Variable(0, dtype="int64", trainable=False, name="ema_updates",
                                          aggregation="only_first_replica")

    @property
    def sampling_generator(self):
        """The generator that samples: ``ema_generator`` when ``ema_decay`` is set, else ``generator``."""
        return self.generator if self.ema_generator is None else self.ema_generator

    def update_ema(self):
        """One averaging step of ``ema_generator`` (``after_g_step`` calls it after every generator update);
        the first ``ema_start`` steps copy. Works in a replica context (``zoo.ema.average_into``)."""
        if self.ema_generator is None:
            raise ConfigError("update_ema() needs ema_decay: build the GAN with ema_decay=0.999 (say).")
        self.ema_updates.assign_add(1)
        averaging = ops.greater(ops.convert_to_tensor(self.ema_updates), self.ema_start)
        average_into(self.ema_generator, self.generator, ops.where(averaging, self.ema_decay, 0.0))

    def reset_ema(self):
        """Restarts the average at the generator's current weights (e.g. after loading G's weights)."""
        if self.ema_generator is None:
            raise ConfigError("reset_ema() needs ema_decay: build the GAN with ema_decay=0.999 (say).")
        average_into(self.ema_generator, self.generator, 0.0)
        self.ema_updates.assign(0)

    @property
    def image_shape(self):
        return self.sample_shape

    def check_networks(self):
        """Checks the networks at construction: G's images fit D's input (``zoo.checks.check_pair``);
        variants with other inputs or outputs extend or replace it."""
        check_pair(self.generator, self.discriminator, self.adversarial_loss, self.pack)

    # ------------------------------------------------------------------ compile

    def compile(
        self,
        d_optimizer=None,
        g_optimizer=None,
        jit_compile=False,
        steps_per_execution=1,
        run_eagerly=False,
        **kwargs,
    ):
        """Configures the two optimizers (default: Adam(2e-4, beta_1=0.5), the DCGAN setting).

        ``loss``/``metrics`` are not accepted: the adversarial loss is a
        constructor argument and the loss terms are reported as metrics.
        ``jit_compile`` defaults to ``False`` (never ``"auto"``: XLA is opt-in).
        Both optimizers are built here, over every network in ``d_networks`` /
        ``g_networks``, inside the model's distribution strategy scope, which
        ``fit`` under ``tf.distribute`` requires.
        """
        for key in ("loss", "metrics", "optimizer", "loss_weights", "weighted_metrics"):
            if key in kwargs:
                raise ConfigError(
                    f"GAN.compile() does not take {key!r}: pass loss=... to the model "
                    "constructor and d_optimizer=/g_optimizer= here."
                )
        d_opt = self._make_optimizer(d_optimizer, "d_optimizer")
        g_opt = self._make_optimizer(g_optimizer, "g_optimizer")
        if d_opt is g_opt:
            raise ConfigError(
                "d_optimizer and g_optimizer must be two distinct optimizer objects "
                "(each keeps its own moment estimates)."
            )
        if self.dtype_policy.name == "mixed_float16":
            d_opt = self._loss_scaled(d_opt)
            g_opt = self._loss_scaled(g_opt)
        super().compile(
            optimizer=None,
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
            run_eagerly=run_eagerly,
            **kwargs,
        )
        with self.distribute_strategy.scope():
            d_opt.build(self._variables_of(self.d_networks))
            g_opt.build(self._variables_of(self.g_networks))
        self.d_optimizer = d_opt
        self.g_optimizer = g_opt
        self._zoo_compile_config = {
            "d_optimizer": keras.optimizers.serialize(d_opt),
            "g_optimizer": keras.optimizers.serialize(g_opt),
            "jit_compile": jit_compile,
            "steps_per_execution": steps_per_execution,
        }

    def _variables_of(self, names):
        return [v for name in names for v in getattr(self, name).trainable_variables]

    @staticmethod
    def _make_optimizer(opt, name):
        if opt is None:
            return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5, name=name)
        try:
            return keras.optimizers.get(opt)
        except (ValueError, TypeError) as e:
            raise ConfigError(f"{name}={opt!r} is not a Keras optimizer: {e}") from None

    @staticmethod
    def _loss_scaled(opt):
        if isinstance(opt, keras.optimizers.LossScaleOptimizer):
            return opt
        return keras.optimizers.LossScaleOptimizer(opt)

    def get_compile_config(self):
        return getattr(self, "_zoo_compile_config", None)

    def compile_from_config(self, config):
        config = dict(config)
        for key in ("d_optimizer", "g_optimizer"):
            if config.get(key) is not None:
                config[key] = keras.optimizers.deserialize(config[key])
        self.compile(**config)

    # ------------------------------------------------------------------ hooks

    def unpack_batch(self, data):
        """Splits a dataset element into (real samples, condition).

        Accepts ``images``, ``(images,)`` or ``(images, labels[, ...])``; the base
        (unconditional) model ignores the labels.
        """
        if isinstance(data, (tuple, list)):
            return data[0], (data[1] if len(data) > 1 else None)
        return data, None

    def step_seed(self):
        """A fresh stateless seed for this step, different on every replica."""
        seed = self.seed_generator.next()
        ctx = tf.distribute.get_replica_context()
        if ctx is not None and ctx.num_replicas_in_sync > 1:
            seed = tf.random.experimental.stateless_fold_in(ops.cast(seed, "int64"), ctx.replica_id_in_sync_group)
        return seed

    def sample_latents(self, batch_size):
        """Latents for one step, decorrelated across replicas of a strategy."""
        seed = self.step_seed()
        shape = (batch_size, self.latent_dim)
        if self.latent_distribution == "uniform":
            return tf.random.stateless_uniform(shape, seed=seed, minval=-1.0, maxval=1.0)
        return tf.random.stateless_normal(shape, seed=seed)

    def generator_inputs(self, z, condition):
        """What the generator is called on; conditional variants add the labels."""
        del condition
        return z

    def step_networks(self, player):
        """The networks ``player`` ("g" or "d") trains at this step, the one that plays first.

        Default: the networks named in ``g_networks`` / ``d_networks``. ProGAN returns the current
        level's. The step takes gradients for exactly these networks' trainable variables.
        """
        return [getattr(self, name) for name in (self.g_networks if player == "g" else self.d_networks)]

    def run_generator(self, real, condition, player):
        """The generated batch of a step, as large as ``real``.

        ``player="d"``: the fakes D learns from (G's state is not updated; the D step stops their
        gradient); ``"g"``: the fakes G learns through (G runs in training mode and updates its state).
        """
        z = self.sample_latents(ops.shape(real)[0])
        generator = self.step_networks("g")[0]
        return forward(generator, self.generator_inputs(z, condition), update_state=player == "g")

    def discriminate(self, samples, condition, update_state=True, weights=None):
        """D's logits on ``samples`` (packed ``pack`` at a time).

        ``update_state=False`` freezes D's statistics; ``weights`` (trainable,
        non-trainable value lists) evaluates D at other weights (unrolling).
        """
        del condition
        return forward(self.step_networks("d")[0], self.pack_samples(samples), update_state, weights)

    def augmented(self, samples):
        """``samples`` as D sees them in a training step: with the ``augment`` policy applied (DiffAugment,
        fresh random transformations per call), else unchanged."""
        if not self.augment:
            return samples
        return augment_images(samples, self.augment, self.step_seed())

    def adversarial_logits(self, outputs):
        """The real/fake logits within what ``discriminate`` returns.

        The base D returns just those; a D with more heads (ACGAN's class logits)
        returns a tuple and overrides this, so penalties and unrolling see the logits.
        """
        return outputs

    def pack_samples(self, samples):
        """PacGAN: (B, ..., C) -> (B / pack, ..., pack * C), concatenating consecutive samples."""
        if self.pack == 1:
            return samples
        m, rank = self.pack, len(samples.shape)
        batch = samples.shape[0]
        if batch is not None and batch % m:
            raise ConfigError(
                f"pack={m} needs a per-replica batch that is a multiple of {m}; got {batch}."
            )
        grouped = ops.reshape(samples, (-1, m, *samples.shape[1:]))
        if rank > 2:  # move the pack axis next to the channels
            grouped = ops.transpose(grouped, (0, *range(2, rank), 1, rank))
        return ops.reshape(grouped, (-1, *samples.shape[1:-1], m * samples.shape[-1]))

    def discriminator_for_g(self, real, condition):
        """The critic the generator step differentiates through: D now, or D after k unrolled steps."""
        if self.unrolled_steps:
            weights = self._unrolled_weights(real, condition)
            return lambda x: self.discriminate(x, condition, update_state=False, weights=weights)
        return lambda x: self.discriminate(x, condition, update_state=False)

    def d_loss_terms(self, step):
        """Named terms of the discriminator's objective (summed, then minimised), from the ``Step`` record.

        The adversarial loss sees the ``adversarial_logits`` of ``step.real_outputs`` and
        ``step.fake_outputs``, so a variant with more D heads only adds its own terms.
        """
        terms = {"d_loss": self.adversarial_loss.d_loss(
            self.adversarial_logits(step.real_outputs), self.adversarial_logits(step.fake_outputs),
            **self.d_loss_kwargs())}
        if self.penalty:
            def critic(x):
                return self.adversarial_logits(self.discriminate(x, step.condition, update_state=False))

            terms["penalty"] = self.penalty_weight * self._penalty_fn(critic, step.real, step.fake,
                                                                      self.step_seed())
        if self.historical_averaging:
            terms["d_history"] = self.historical_averaging * self._history["d"].penalty()
        return terms

    def d_loss_kwargs(self):
        """Extra keyword arguments of the adversarial ``d_loss`` (one-sided label smoothing; BEGAN's k_t)."""
        return {"label_smoothing": self.label_smoothing} if self.label_smoothing else {}

    def after_d_step(self, step, terms):
        """Runs after each discriminator update with the step's record (D's outputs from before the update)
        and loss terms: clips D's weights (``clip_value``) and moves its historical average.

        A variant updates its own state here (BEGAN's k_t; call ``super()`` first) and returns a dict of
        values to log that are not loss terms, named in ``metric_names`` or ``state_names``. Under a
        strategy the values are per replica: all-reduce them (``tf.distribute.get_replica_context()``)
        where every replica must agree.
        """
        del step, terms
        if self.clip_value:
            for v in self._step_variables("d"):
                v.assign(ops.clip(v, -self.clip_value, self.clip_value))
        if self.historical_averaging:
            self._history["d"].update()
        return {}

    def g_loss_terms(self, step):
        """Named terms of the generator's objective (summed, then minimised); see ``d_loss_terms``.
        ``step.real_outputs`` is ``None`` unless the loss uses real samples in G's step."""
        real_adv = None if step.real_outputs is None else self.adversarial_logits(step.real_outputs)
        terms = {"g_loss": self.adversarial_loss.g_loss(real_adv, self.adversarial_logits(step.fake_outputs))}
        if self.feature_matching:
            features = self._features.model
            real_f = replica_mean(forward(features, self.pack_samples(step.real), False), axis=0)
            fake_f = replica_mean(forward(features, self.pack_samples(step.fake), False), axis=0)
            terms["feature_matching"] = self.feature_matching * ops.sum(ops.square(real_f - fake_f))
        if self.historical_averaging:
            terms["g_history"] = self.historical_averaging * self._history["g"].penalty()
        return terms

    def after_g_step(self, step, terms):
        """Runs after each generator update: moves G's historical average and weight average
        (``update_ema``). Returns values to log, as ``after_d_step``."""
        del step, terms
        if self.historical_averaging:
            self._history["g"].update()
        if self.ema_generator is not None:
            self.update_ema()
        return {}

    def training_callbacks(self):
        """Callbacks ``fit`` puts before the user's: standing statistics for a weight-averaged generator
        with batch norm (``ema_standing_statistics``); variants add their own (ProGAN's growth)."""
        if (self.ema_generator is None or not self.ema_standing_statistics or self.latent_dim is None
                or not batch_norm_layers(self.ema_generator)):
            return []  # translators (no latents) keep the copied statistics
        return [StandingStatistics(self.ema_standing_statistics, seed=self.seed or 0)]

    # ------------------------------------------------------------------ the loop

    def call(self, inputs, training=False):
        """The generator: ``gan(z)`` returns images (so ``predict(z)`` works too); outside
        training that is ``sampling_generator`` (the weight average when ``ema_decay`` is set)."""
        return (self.generator if training else self.sampling_generator)(inputs, training=training)

    def train_step(self, data):
        real, condition = self.unpack_batch(data)
        if self.simultaneous:
            d_logs, g_logs = self.simultaneous_step(real, condition)
        else:
            for _ in range(self.d_steps):
                d_logs = self.d_step(real, condition)
            for _ in range(self.g_steps):
                g_logs = self.g_step(real, condition)
        extras = (set(d_logs) - set(self.d_loss_names)) | (set(g_logs) - set(self.g_loss_names))
        declared = set(self.metric_names) | set(self.state_names)
        if extras != declared:
            raise ConfigError(
                f"{type(self).__name__}.after_d_step/after_g_step returned {sorted(extras)} but the class "
                f"declares metric_names and state_names {sorted(declared)}: return exactly those."
            )
        return logs_for_strategy(self._record({**d_logs, **g_logs}))

    def d_step(self, real, condition):
        """One discriminator update; returns its loss terms and ``after_d_step``'s values."""
        step, terms, gradients, variables = self._d_gradients(real, condition)
        apply_gradients(self.d_optimizer, gradients, variables)
        return {**terms, **self.after_d_step(step, terms)}

    def g_step(self, real, condition):
        """One generator update; returns its loss terms and ``after_g_step``'s values."""
        step, terms, gradients, variables = self._g_gradients(real, condition)
        apply_gradients(self.g_optimizer, gradients, variables)
        return {**terms, **self.after_g_step(step, terms)}

    def simultaneous_step(self, real, condition):
        """Both players' gradients from the current weights, then both updates (``simultaneous=True``).

        In a traced step the variable reads of the G gradient come before D's update in program
        order, so TensorFlow's automatic control dependencies keep them reading the old weights.
        """
        d_step, d_terms, d_gradients, d_variables = self._d_gradients(real, condition)
        g_step, g_terms, g_gradients, g_variables = self._g_gradients(real, condition)
        apply_gradients(self.d_optimizer, d_gradients, d_variables)
        apply_gradients(self.g_optimizer, g_gradients, g_variables)
        return ({**d_terms, **self.after_d_step(d_step, d_terms)},
                {**g_terms, **self.after_g_step(g_step, g_terms)})

    def _d_gradients(self, real, condition):
        """D's step record, loss terms, gradients and variables (nothing applied)."""
        if self.d_optimizer is None:
            raise ConfigError("Call compile() before training the GAN.")
        fake = keras.tree.map_structure(ops.stop_gradient, self.run_generator(real, condition, "d"))
        real, fake = self.augmented(real), self.augmented(fake)  # what D sees, penalties included
        variables = self._step_variables("d")
        with tf.GradientTape() as tape:
            step = Step(real, fake, condition, self.discriminate(real, condition),
                        self.discriminate(fake, condition))
            terms = self.d_loss_terms(step)
            total = self._total(terms, self.d_loss_names, "d_loss_terms")
            scaled = self.d_optimizer.scale_loss(per_replica_loss(total))
        return step, terms, tape.gradient(scaled, variables), variables

    def _g_gradients(self, real, condition):
        """G's step record, loss terms, gradients and variables (nothing applied)."""
        variables = self._step_variables("g")
        with tf.GradientTape() as tape:
            fake = self.run_generator(real, condition, "g")
            critic = self.discriminator_for_g(real, condition)
            fake_outputs = critic(self.augmented(fake))  # G learns through the (differentiable) augmentation
            real_outputs = critic(self.augmented(real)) if self.adversarial_loss.g_uses_real else None
            step = Step(real, fake, condition, real_outputs, fake_outputs)
            terms = self.g_loss_terms(step)
            total = self._total(terms, self.g_loss_names, "g_loss_terms")
            scaled = self.g_optimizer.scale_loss(per_replica_loss(total))
        return step, terms, tape.gradient(scaled, variables), variables

    def _step_variables(self, player):
        return [v for network in self.step_networks(player) for v in network.trainable_variables]

    def _unrolled_weights(self, real, condition):
        """D's weights after ``unrolled_steps`` functional updates (Metz et al., 2017).

        Each unrolled step follows the D optimizer's rule from its current state
        (``zoo.unrolling.functional_update``) on fresh fakes. Everything stays differentiable,
        so the generator's gradient flows through the unrolled updates.
        """
        discriminator = self.step_networks("d")[0]
        trainable = [v.value for v in discriminator.trainable_variables]
        non_trainable = [v.value for v in discriminator.non_trainable_variables]
        update = functional_update(self.d_optimizer, discriminator.trainable_variables)
        for step in range(self.unrolled_steps):
            fake = self.run_generator(real, condition, "d")
            with tf.GradientTape() as inner:
                inner.watch(trainable)
                weights = (trainable, non_trainable)
                real_logits = self.discriminate(real, condition, update_state=False, weights=weights)
                fake_logits = self.discriminate(fake, condition, update_state=False, weights=weights)
                loss = self.adversarial_loss.d_loss(self.adversarial_logits(real_logits),
                                                    self.adversarial_logits(fake_logits))
            # Dense gradients for the functional update: Embedding gradients come as IndexedSlices,
            # and weights the adversarial loss does not reach (ACGAN's class head) get zeros.
            # Averaged over replicas, as the optimizer would: the unrolled D is the one the global batch makes.
            grads = replica_average([ops.zeros_like(w) if g is None else tf.convert_to_tensor(g)
                                     for w, g in zip(trainable, inner.gradient(loss, trainable))])
            trainable = update(step, trainable, grads)
        return trainable, non_trainable

    def _total(self, terms, declared, hook):
        if set(terms) != set(declared):
            raise ConfigError(
                f"{type(self).__name__}.{hook} returned terms {sorted(terms)} but the "
                f"class declares {sorted(declared)}: list every term in "
                f"{'d' if hook.startswith('d') else 'g'}_loss_names so it gets a metric."
            )
        return sum(ops.cast(v, "float32") for v in terms.values())

    def _record(self, logs):
        total = 0.0
        state = {}
        for name, value in logs.items():
            if name in self.state_names:
                state[name] = value
                continue
            self._trackers[name].update_state(value)
            if name not in self.metric_names:
                total = total + value
        self._trackers["loss"].update_state(total)
        return {**{name: t.result() for name, t in self._trackers.items()}, **state}

    @property
    def metrics(self):
        return list(self._trackers.values())

    # ------------------------------------------------------------------ fit

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Under a tf.distribute strategy, Keras's fit builds the model from one batch of a new distributed
        # iterator, then drops that iterator while its prefetch threads still run, which can crash
        # TensorFlow (a segmentation fault in EpochIterator.reset, seen under load). A GAN is built at
        # construction, so it needs no batch: the iterator is only used when a layer is still unbuilt.
        built = all(layer.built for layer in self._flatten_layers())
        return super()._maybe_symbolic_build(iterator=None if built else iterator, data_batch=data_batch)

    def fit(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.fit`` after checking that the data fits this GAN.

        ``x`` is a ``tf.data.Dataset`` of images (or ``(images, labels)``
        tuples) in [-1, 1], or a float array of images in [-1, 1] (then ``y``
        may carry labels). Use ``recipes.load_dataset`` to get such a dataset
        from MNIST, TFDS, image folders or arrays.
        """
        if self.d_optimizer is None:
            raise ConfigError("Call compile() before fit().")
        bound = inspect.signature(keras.Model.fit).bind(self, x, y, *args, **kwargs)  # callbacks may be positional
        for name, low in (("batch_size", 1), ("epochs", 1), ("steps_per_epoch", 1), ("initial_epoch", 0)):
            value = bound.arguments.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                                      or value < low):
                raise ConfigError(f"fit() {name} must be None or an integer >= {low}; got {value!r}.")
        self.check_training_data(x, y)
        check_replica_batches(self.distribute_strategy, x, bound.arguments.get("batch_size"))
        adversarial = set(self.d_loss_names + self.g_loss_names + ("loss",))
        bound.arguments["callbacks"] = adapt_callbacks(self, bound.arguments.get("callbacks"), adversarial)
        if isinstance(x, tf.data.Dataset):
            bound.arguments.setdefault("shuffle", False)  # a dataset shuffles itself
        return super().fit(*bound.args[1:], **bound.kwargs)

    # The latent RNG is saved with the weights (save_weights, .keras, BackupAndRestore), so a
    # resumed run continues the random stream instead of redrawing the first steps' latents.
    _SEED_STATE_KEY = "latent_seed_state"

    def save_own_variables(self, store):
        super().save_own_variables(store)
        store[self._SEED_STATE_KEY] = ops.convert_to_numpy(self.seed_generator.state.value)

    def load_own_variables(self, store):
        keys = list(store.keys())
        if self._SEED_STATE_KEY in keys:  # files written before the state was saved lack it
            self.seed_generator.state.assign(store[self._SEED_STATE_KEY])
        super().load_own_variables({k: store[k] for k in keys if k != self._SEED_STATE_KEY})

    def check_training_data(self, x, y=None):
        """Raises ``DataError`` when ``x`` (and ``y``) cannot train this model; cheap, before any step.

        The base checks the images (``zoo.checks.check_training_images``); labels in ``y`` are checked
        by the conditional variants, and paired variants (pix2pix, CycleGAN) check ``x`` and ``y``.
        """
        del y
        check_training_images(x, self.image_shape)

    # ------------------------------------------------------------------ config

    @classmethod
    def _init_parameters(cls):
        return [p.name for p in inspect.signature(cls.__init__).parameters.values()
                if p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]

    def get_config(self):
        """The constructor's arguments: the training options, and either the two networks (a ``GAN`` of
        given networks) or the variant's own arguments, read from attributes of the same names."""
        config = {**super().get_config(), **self._options_config()}
        for name in self._init_parameters():
            if name in ("generator", "discriminator"):
                config[name] = keras.saving.serialize_keras_object(getattr(self, name))
            elif name not in config:
                config[name] = _plain(getattr(self, name))
        return config

    def _options_config(self):
        """The training options every variant shares (not the networks)."""
        return {
            "loss": self.adversarial_loss.name,
            "d_steps": self.d_steps,
            "g_steps": self.g_steps,
            "simultaneous": self.simultaneous,
            "latent_distribution": self.latent_distribution,
            "seed": self.seed,
            "penalty": self.penalty,
            "penalty_weight": self.penalty_weight,
            "clip_value": self.clip_value,
            "label_smoothing": self.label_smoothing,
            "feature_matching": self.feature_matching,
            "historical_averaging": self.historical_averaging,
            "unrolled_steps": self.unrolled_steps,
            "pack": self.pack,
            "ema_decay": getattr(self, "ema_decay", None),
            "ema_start": getattr(self, "ema_start", 0),
            "ema_standing_statistics": getattr(self, "ema_standing_statistics", 32),
            "augment": self.augment,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            if key in config:
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    @classmethod
    def from_preset(cls, preset, **kwargs):
        """A trained model from a catalogue name (``zoo.list_pretrained()``) or a preset folder.

        A preset that ships a discriminator gives this class (or the subclass it was saved from),
        uncompiled, with its trained weights: ``compile`` it and ``fit`` to fine-tune. ``kwargs``
        replace training options of its config (``ema_decay=0.999``, ``augment="translation"``), not
        its architecture. A preset without a discriminator gives its ``zoo.PretrainedGenerator``
        (a ``keras.Model`` to sample from). Files are checksum-verified and loaded in safe mode.

        Example:
            >>> gan = zoo.GAN.from_preset("study_ns_fashion_mnist")
            >>> gan.compile()
            >>> gan.fit(images, epochs=1)
            >>> g = zoo.DCGAN.from_preset("dcgan_mnist")    # generator only: g.generate(16, seed=0)
        """
        return load_gan(cls, preset, **kwargs)
