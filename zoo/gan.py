"""The GAN base model: one class owns the adversarial loop, variants override hooks.

``GAN`` is a ``keras.Model`` whose ``train_step`` plays the game, so training is
plain ``model.fit(...)`` with any Keras callback. One ``train_step`` is
``d_steps`` discriminator updates followed by one generator update, each on
the same real batch with freshly sampled latents.

Hooks a variant overrides (and nothing else):

* ``unpack_batch(data) -> (images, condition)``: what a dataset element holds.
* ``sample_latents(batch_size)`` / ``generator_inputs(z, condition)``: what the
  generator is fed (conditional variants add labels or codes).
* ``discriminate(images, condition, update_state)``: how D is applied
  (conditional D, packing several samples, ...); ``adversarial_logits(outputs)``
  picks the real/fake logits out of it when D has more heads (ACGAN).
* ``d_loss_terms(...)`` / ``g_loss_terms(...)``: a dict of named scalar terms
  whose sum each player minimises. Penalties are extra terms; declare their
  names in ``d_loss_names`` / ``g_loss_names`` so they get a metric.
* ``discriminator_for_g(real, condition)``: the critic the G step differentiates
  through (the unrolled D when ``unrolled_steps > 0``).
* ``d_loss_kwargs()``: extra keyword arguments of the adversarial ``d_loss``
  (``label_smoothing``; BEGAN's ``k``).
* ``after_d_step(real_logits, fake_logits, terms)``: runs after each D update;
  updates a variant's own state (BEGAN's k_t) and returns values to log that are
  not loss terms, named in ``metric_names``.

Tricks are constructor options, not classes: ``d_steps`` (n_critic),
``penalty`` ("wgan_gp", "dragan", "r1") with ``penalty_weight``, ``clip_value``
(WGAN weight clipping), ``label_smoothing`` (one-sided), ``feature_matching``,
``historical_averaging``, ``unrolled_steps`` and ``pack`` (PacGAN). ``ema_decay``
keeps an exponential moving average of the generator's weights (``ema_generator``),
which ``generate``, the sample callbacks and the train CLI's ``generator.keras`` use.

Rules the loop follows (see DESIGN.md for why):

* Both networks always run with ``training=True`` inside ``train_step``.
* A player's step updates only that player's state: the other network runs in
  training mode but its running statistics (batch-norm moving averages,
  spectral-norm power iterations) are left alone. RNG state always advances.
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
from zoo.augment import augment as augment_images
from zoo.augment import check_policy
from zoo.callbacks import adapt_callbacks
from zoo import penalties as penalties_lib
from zoo.distribute import replica_average, replica_mean
from zoo.errors import ConfigError, DataError
from zoo.pretrained import load_gan
from zoo.sampling import Sampler, check_latent_distribution, check_seed



def _is_keras_model(obj):
    return isinstance(obj, keras.Model) and obj.built


@keras.saving.register_keras_serializable(package="zoo")
class GAN(Sampler, keras.Model):
    """A generator and a discriminator trained against each other with ``fit``.

    Args:
        generator: a built ``keras.Model`` mapping latents ``z`` of shape
            ``(batch, latent_dim)`` to NHWC images in [-1, 1].
        discriminator: a built ``keras.Model`` mapping images to one raw logit
            (or score) per sample, shape ``(batch, 1)``.
        loss: a name in ``zoo.losses.LOSSES`` or an ``AdversarialLoss``.
        d_steps: discriminator updates per generator update.
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
    # Values logged every step that are not loss terms (not summed into ``loss``); after_d_step returns them.
    metric_names = ()
    # What ``discriminate`` returns per sample, matched against the loss's ``inputs`` ("energies": BEGAN).
    discriminator_outputs = "logits"

    def __init__(
        self,
        generator,
        discriminator,
        loss="non_saturating",
        d_steps=1,
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
        if not _is_keras_model(generator):
            raise ConfigError(
                "generator must be a built keras.Model (e.g. a functional model "
                f"from zoo.networks); got {type(generator).__name__}."
            )
        if not _is_keras_model(discriminator):
            raise ConfigError(
                "discriminator must be a built keras.Model (e.g. a functional "
                f"model from zoo.networks); got {type(discriminator).__name__}."
            )
        check_latent_distribution(latent_distribution)
        self.generator = generator
        self.discriminator = discriminator
        self.adversarial_loss = losses_lib.get_loss(loss)
        self._check_loss_inputs()
        self.latent_distribution = latent_distribution
        self.seed = check_seed(seed, ConfigError)
        self.seed_generator = keras.random.SeedGenerator(seed, name="latent_seed")
        self._set_tricks(d_steps, penalty, penalty_weight, clip_value, label_smoothing, feature_matching,
                         historical_averaging, unrolled_steps, pack)
        self.augment = ",".join(check_policy(augment)) or None
        self._check_networks()
        self._set_ema(ema_decay, ema_start, ema_standing_statistics)
        self.d_loss_names = tuple(self.d_loss_names) + tuple(self._extra_d_terms)
        self.g_loss_names = tuple(self.g_loss_names) + tuple(self._extra_g_terms)
        names = self.d_loss_names + self.g_loss_names + ("loss",) + tuple(self.metric_names)
        self._trackers = {n: keras.metrics.Mean(name=n) for n in names}
        self.d_optimizer = None
        self.g_optimizer = None
        self.built = True

    # ------------------------------------------------------------------ shapes

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

    def _set_tricks(self, d_steps, penalty, penalty_weight, clip_value, label_smoothing, feature_matching,
                    historical_averaging, unrolled_steps, pack):
        """Validates and stores the training tricks; decides the extra loss terms."""
        number = check_number
        self.d_steps = number("d_steps", d_steps, 1, integer=True)
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
        self._features = _Untracked(_feature_model(self.discriminator)) if self.feature_matching else None
        if self.historical_averaging:
            self._history = {
                "d": _RunningAverage(self.discriminator.trainable_variables, "d_history"),
                "g": _RunningAverage(self.generator.trainable_variables, "g_history"),
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
        self.ema_generator = _frozen_copy(self.generator)
        # How many generator updates the average has seen (decides ema_start). "only_first_replica":
        # assignments in replica context take the first replica's value (all replicas agree anyway).
        self.ema_updates = keras.Variable(0, dtype="int64", trainable=False, name="ema_updates",
                                          aggregation="only_first_replica")

    @property
    def sampling_generator(self):
        """The generator that samples: ``ema_generator`` when ``ema_decay`` is set, else ``generator``."""
        return self.generator if self.ema_generator is None else self.ema_generator

    def _ema_pairs(self):
        """(average variable, live variable, trainable?) for every weight of the generator."""
        trainable = {id(v) for v in self.generator.trainable_weights}
        return [(avg, live, id(live) in trainable)
                for avg, live in zip(self.ema_generator.weights, self.generator.weights)]

    def update_ema(self):
        """One averaging step (``g_step`` calls it after every generator update).

        Works in a replica context of a ``tf.distribute`` strategy: the copy's
        weights have Keras's default aggregation ("none"), so each replica writes
        its own copy, from the live weights of that replica. The optimizer keeps
        the live trainable weights identical on every replica, so the averages
        stay identical too; per-replica state such as non-synchronised batch-norm
        statistics is copied replica by replica, like the live generator keeps it.
        """
        if self.ema_generator is None:
            raise ConfigError("update_ema() needs ema_decay: build the GAN with ema_decay=0.999 (say).")
        self.ema_updates.assign_add(1)
        averaging = ops.greater(ops.convert_to_tensor(self.ema_updates), self.ema_start)
        decay = ops.where(averaging, self.ema_decay, 0.0)
        for avg, live, trainable in self._ema_pairs():
            if trainable:
                d = ops.cast(decay, avg.dtype)
                avg.assign(d * avg + (1.0 - d) * ops.cast(live, avg.dtype))
            else:
                avg.assign(live)

    def reset_ema(self):
        """Restarts the average at the generator's current weights (e.g. after loading G's weights)."""
        if self.ema_generator is None:
            raise ConfigError("reset_ema() needs ema_decay: build the GAN with ema_decay=0.999 (say).")
        for avg, live, _ in self._ema_pairs():
            avg.assign(live)
        self.ema_updates.assign(0)

    @property
    def image_shape(self):
        return self.sample_shape

    def _check_networks(self):
        """Checks that G's output fits D's input; variants with extra inputs extend it."""
        g_out = tuple(self.generator.outputs[0].shape[1:])
        if len(g_out) not in (1, 3):
            raise ConfigError(
                "The generator must output NHWC images or flat vectors; its output shape is "
                f"{(None, *g_out)}."
            )
        g_act = output_activation(self.generator)
        if len(g_out) == 3 and g_act == "sigmoid":
            raise ConfigError(
                "The generator ends in a sigmoid, so its images lie in [0, 1], but the zoo's images (and the "
                "data it feeds D) lie in [-1, 1]: end the generator in tanh instead."
            )
        if len(g_out) == 3 and g_act in _UNBOUNDED:
            raise ConfigError(
                f"The generator's output layer has a {g_act!r} activation, so its images are unbounded, but "
                "the zoo's images lie in [-1, 1]: end the generator in tanh (e.g. keras.layers.Activation("
                "'tanh', name='images'))."
            )
        d_act = output_activation(self.discriminator)
        if self.adversarial_loss.inputs == "logits" and d_act in ("sigmoid", "softmax"):
            raise ConfigError(
                f"The discriminator ends in a {d_act}, but loss {self.adversarial_loss.name!r} is defined on raw "
                "scores (logits): remove the final activation (e.g. Dense(1) with no activation); the "
                "cross-entropy losses apply the sigmoid themselves, stably."
            )
        want = g_out[:-1] + (g_out[-1] * self.pack,)
        d_in = tuple(self.discriminator.inputs[0].shape[1:])
        if d_in != want:
            packed = f" packed {self.pack} at a time (pack={self.pack})" if self.pack > 1 else ""
            raise ConfigError(
                f"The discriminator takes inputs of shape {d_in} but the generator makes "
                f"{g_out}{packed}, so D must take {want}: build both for the same shape."
            )

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
        ``jit_compile`` defaults to ``False`` (never ``"auto"``, see DESIGN.md).
        Both optimizers are built here, inside the model's distribution
        strategy scope, which ``fit`` under ``tf.distribute`` requires.
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
            d_opt.build(self.discriminator.trainable_variables)
            g_opt.build(self.generator.trainable_variables)
        self.d_optimizer = d_opt
        self.g_optimizer = g_opt
        self._zoo_compile_config = {
            "d_optimizer": keras.optimizers.serialize(d_opt),
            "g_optimizer": keras.optimizers.serialize(g_opt),
            "jit_compile": jit_compile,
            "steps_per_execution": steps_per_execution,
        }

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

    def discriminate(self, samples, condition, update_state=True, weights=None):
        """D's logits on ``samples`` (packed ``pack`` at a time).

        ``update_state=False`` freezes D's statistics; ``weights`` (trainable,
        non-trainable value lists) evaluates D at other weights (unrolling).
        """
        del condition
        return _forward(self.discriminator, self.pack_samples(samples), update_state, weights)

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

    def d_loss_terms(self, real, fake, condition, real_logits, fake_logits):
        """Named terms of the discriminator's objective (summed, then minimised).

        ``real_logits``/``fake_logits`` are what ``discriminate`` returned; the
        adversarial loss sees their ``adversarial_logits``, so a variant with more
        D heads only adds its own terms.
        """
        terms = {"d_loss": self.adversarial_loss.d_loss(
            self.adversarial_logits(real_logits), self.adversarial_logits(fake_logits), **self.d_loss_kwargs())}
        if self.penalty:
            def critic(x):
                return self.adversarial_logits(self.discriminate(x, condition, update_state=False))

            terms["penalty"] = self.penalty_weight * self._penalty_fn(critic, real, fake, self.step_seed())
        if self.historical_averaging:
            terms["d_history"] = self.historical_averaging * self._history["d"].penalty()
        return terms

    def d_loss_kwargs(self):
        """Extra keyword arguments of the adversarial ``d_loss`` (one-sided label smoothing; BEGAN's k_t)."""
        return {"label_smoothing": self.label_smoothing} if self.label_smoothing else {}

    def after_d_step(self, real_logits, fake_logits, terms):
        """Runs after each discriminator update, with what ``discriminate`` returned for the
        real and fake batch (before the update) and the step's loss terms.

        A variant updates its own state here (BEGAN's k_t) and returns a dict of
        values to log that are not loss terms; declare their names in
        ``metric_names`` (each gets a metric, averaged over the epoch like the
        losses, and is left out of ``loss``). Under a strategy the values are
        per replica: all-reduce them (``tf.distribute.get_replica_context()``)
        where every replica must agree. Default: nothing.
        """
        del real_logits, fake_logits, terms
        return {}

    def g_loss_terms(self, real, fake, condition, real_logits, fake_logits):
        """Named terms of the generator's objective (summed, then minimised); see ``d_loss_terms``."""
        real_adv = None if real_logits is None else self.adversarial_logits(real_logits)
        terms = {"g_loss": self.adversarial_loss.g_loss(real_adv, self.adversarial_logits(fake_logits))}
        if self.feature_matching:
            features = self._features.value
            real_f = replica_mean(_forward(features, self.pack_samples(real), False), axis=0)
            fake_f = replica_mean(_forward(features, self.pack_samples(fake), False), axis=0)
            terms["feature_matching"] = self.feature_matching * ops.sum(ops.square(real_f - fake_f))
        if self.historical_averaging:
            terms["g_history"] = self.historical_averaging * self._history["g"].penalty()
        return terms

    # ------------------------------------------------------------------ the loop

    def call(self, inputs, training=False):
        """The generator: ``gan(z)`` returns images (so ``predict(z)`` works too); outside
        training that is ``sampling_generator`` (the weight average when ``ema_decay`` is set)."""
        return (self.generator if training else self.sampling_generator)(inputs, training=training)

    def train_step(self, data):
        real, condition = self.unpack_batch(data)
        for _ in range(self.d_steps):
            d_terms = self.d_step(real, condition)
        g_terms = self.g_step(real, condition)
        return logs_for_strategy(self._record(d_terms, g_terms))

    def d_step(self, real, condition):
        """One discriminator update; returns its named loss terms and ``after_d_step``'s values."""
        if self.d_optimizer is None:
            raise ConfigError("Call compile() before training the GAN.")
        z = self.sample_latents(ops.shape(real)[0])
        fake = _forward(self.generator, self.generator_inputs(z, condition), update_state=False)
        fake = ops.stop_gradient(fake)
        real, fake = self.augmented(real), self.augmented(fake)  # what D sees, penalties included
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            real_logits = self.discriminate(real, condition)
            fake_logits = self.discriminate(fake, condition)
            terms = self.d_loss_terms(real, fake, condition, real_logits, fake_logits)
            total = self._total(terms, self.d_loss_names, "d_loss_terms")
            scaled = self.d_optimizer.scale_loss(_per_replica(total))
        _apply(self.d_optimizer, tape.gradient(scaled, variables), variables)
        if self.clip_value:
            for v in variables:
                v.assign(ops.clip(v, -self.clip_value, self.clip_value))
        if self.historical_averaging:
            self._history["d"].update()
        extras = self.after_d_step(real_logits, fake_logits, terms)
        if set(extras) != set(self.metric_names):
            raise ConfigError(
                f"{type(self).__name__}.after_d_step returned {sorted(extras)} but the class declares "
                f"metric_names {sorted(self.metric_names)}: return exactly those."
            )
        return {**terms, **extras}

    def g_step(self, real, condition):
        """One generator update; returns its named loss terms."""
        z = self.sample_latents(ops.shape(real)[0])
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            critic = self.discriminator_for_g(real, condition)
            fake = self.generator(self.generator_inputs(z, condition), training=True)
            fake_logits = critic(self.augmented(fake))  # G learns through the (differentiable) augmentation
            real_logits = critic(self.augmented(real)) if self.adversarial_loss.g_uses_real else None
            terms = self.g_loss_terms(real, fake, condition, real_logits, fake_logits)
            total = self._total(terms, self.g_loss_names, "g_loss_terms")
            scaled = self.g_optimizer.scale_loss(_per_replica(total))
        _apply(self.g_optimizer, tape.gradient(scaled, variables), variables)
        if self.historical_averaging:
            self._history["g"].update()
        if self.ema_generator is not None:
            self.update_ema()
        return terms

    def _unrolled_weights(self, real, condition):
        """D's weights after ``unrolled_steps`` functional updates (Metz et al., 2017).

        Each unrolled step follows the D optimizer's rule from its current state
        (Adam's moments and step count; any other optimizer: plain gradient steps
        at its learning rate) on fresh fakes. Everything stays differentiable, so
        the generator's gradient flows through the unrolled updates.
        """
        trainable = [v.value for v in self.discriminator.trainable_variables]
        non_trainable = [v.value for v in self.discriminator.non_trainable_variables]
        update = _functional_update(self.d_optimizer, self.discriminator.trainable_variables)
        for step in range(self.unrolled_steps):
            z = self.sample_latents(ops.shape(real)[0])
            fake = _forward(self.generator, self.generator_inputs(z, condition), update_state=False)
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

    def _record(self, d_terms, g_terms):
        total = 0.0
        for name, value in {**d_terms, **g_terms}.items():
            self._trackers[name].update_state(value)
            if name not in self.metric_names:
                total = total + value
        self._trackers["loss"].update_state(total)
        return {name: t.result() for name, t in self._trackers.items()}

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
        self._check_replica_batches(x, bound.arguments.get("batch_size"))
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

    def _check_replica_batches(self, x, batch_size):
        """Under a strategy with R replicas a global batch must split into R equal parts.

        Checked where the sizes are known: arrays (``batch_size`` and the last partial
        batch) and datasets with a static batch size (``drop_remainder=True``). A dataset
        of unknown batch size is let through (its batches usually split); an uneven last
        batch then fails inside the step.
        """
        replicas = self.distribute_strategy.num_replicas_in_sync
        if replicas == 1:
            return
        if isinstance(x, tf.data.Dataset):
            spec = x.element_spec[0] if isinstance(x.element_spec, (tuple, list)) else x.element_spec
            sizes = [spec.shape[0]] if spec.shape.rank else []
            fix = "batch the dataset with dataset.batch(n, drop_remainder=True), n a multiple of the replicas"
        else:
            n = len(x[0] if isinstance(x, (tuple, list)) else x)
            batch = 32 if batch_size is None else int(batch_size)
            sizes = [batch] + ([n % batch] if n % batch else [])
            fix = "pass a batch_size that is a multiple of the replicas and drop the last partial batch"
        bad = [s for s in sizes if s is not None and s % replicas]
        if bad:
            raise DataError(
                f"fit() under {type(self.distribute_strategy).__name__} with {replicas} replicas got a batch "
                f"of {bad[0]}, which does not split evenly across the {replicas} replicas: {fix} "
                "(recipes.load_dataset does this)."
            )

    def check_training_data(self, x, y=None):
        """Raises ``DataError`` when ``x`` (and ``y``) cannot train this model; cheap, before any step.

        The base checks the images; labels in ``y`` are checked by ``unpack_batch`` of the
        conditional variants, and paired variants (pix2pix, CycleGAN) check ``x`` and ``y``.
        """
        del y
        want = self.image_shape
        fix = (
            f"This model makes images of shape {want}; build it for your data's "
            "shape or resize the data (recipes.load_dataset(..., image_size=, channels=))."
        )
        if isinstance(x, tf.data.Dataset):
            spec = x.element_spec
            if isinstance(spec, (tuple, list)):
                spec = spec[0]
            if isinstance(spec, dict) or not hasattr(spec, "shape"):
                raise DataError(
                    "fit() expects a dataset of images or (images, labels) tuples; got "
                    f"elements of {x.element_spec}. Map dict elements to tuples first."
                )
            if spec.shape.rank != len(want) + 1:
                raise DataError(
                    f"fit() expects batches of samples of shape {want}; the dataset yields shape "
                    f"{spec.shape}. Call dataset.batch(batch_size) first."
                )
            if tuple(spec.shape[1:]) != want:
                raise DataError(f"The dataset yields images of shape {tuple(spec.shape[1:])}. {fix}")
            if not spec.dtype.is_floating:
                raise DataError(
                    f"The dataset yields {spec.dtype.name} images; the GAN trains on "
                    "floats in [-1, 1]. Scale them with x / 127.5 - 1 (recipes.load_dataset does)."
                )
            first = next(iter(x.take(1)), None)  # its values, checked as strictly as an array's
            if first is None:
                raise DataError("The dataset is empty: there is nothing to train on.")
            arr = (first[0] if isinstance(first, (tuple, list)) else first).numpy()
            name = "The dataset's first batch"
        else:
            if x is None:
                raise DataError("fit() needs training images: pass x=dataset or an array.")
            if isinstance(x, (tuple, list)):
                x = x[0]
            arr = _as_array(x)
            if arr.ndim != len(want) + 1:
                kind = "NHWC images (rank 4)" if len(want) == 3 else f"samples of shape {want}"
                raise DataError(f"fit() expects {kind}; got an array of shape {arr.shape}.")
            if len(arr) == 0:
                raise DataError("fit() got an empty array of images: there is nothing to train on.")
            if tuple(arr.shape[1:]) != want:
                raise DataError(f"The images have shape {tuple(arr.shape[1:])}. {fix}")
            if not np.issubdtype(arr.dtype, np.floating):
                raise DataError(
                    f"The images are {arr.dtype}; the GAN trains on floats in [-1, 1]. "
                    "Scale them with x / 127.5 - 1."
                )
            name = "x"
        _check_pixels(arr, name, images=len(want) == 3)
        if len(want) == 3:
            _check_signed_range(arr, name)

    # ------------------------------------------------------------------ config

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator),
                **self._options_config(),
            }
        )
        return config

    def _options_config(self):
        """The training options every variant shares (not the networks)."""
        return {
            "loss": self.adversarial_loss.name,
            "d_steps": self.d_steps,
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
            "ema_decay": self.ema_decay,
            "ema_start": self.ema_start,
            "ema_standing_statistics": self.ema_standing_statistics,
            "augment": self.augment,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
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


def check_number(name, value, low=0.0, high=None, integer=False):
    """``value`` as a float (or int) in [low, high); otherwise a ``ConfigError`` that gives the range."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    # NaN fails no comparison below: every value must be finite as the float32 the graph uses.
    ok = ok and is_finite_float32(value)
    if integer:
        ok = ok and float(value).is_integer()
    if not ok or value < low or (high is not None and value >= high):
        span = f"in [{low}, {high})" if high is not None else f">= {low}"
        finite = "" if integer else " (NaN and Inf are not)"
        raise ConfigError(f"{name} must be {'an integer' if integer else 'a number'} {span}{finite}; got {value!r}.")
    return int(value) if integer else float(value)


_UNBOUNDED = ("linear", "relu", "elu", "selu", "leaky_relu", "softplus", "gelu", "silu", "swish", "exponential",
              "relu6", "mish")


def output_activation(model, depth=3):
    """The name of the activation the model's (first) output passes through last, or ``None`` when that
    cannot be read off a layer (a Lambda, a custom layer, a subclassed model)."""
    tensor = model.outputs[0] if getattr(model, "outputs", None) else None
    for _ in range(16):  # back through layers that only move values around
        history = getattr(tensor, "_keras_history", None)
        op = getattr(history, "operation", None)
        if not isinstance(op, _SHAPE_ONLY) or len(op._inbound_nodes) <= history.node_index:
            break
        inputs = op._inbound_nodes[history.node_index].input_tensors
        if len(inputs) != 1:
            break
        tensor = inputs[0]
    if isinstance(op, keras.Model) and depth > 0:  # a nested functional model (StyleGAN's synthesis)
        return output_activation(op, depth - 1)
    activation = getattr(op, "activation", None)
    return getattr(activation, "__name__", None) if callable(activation) else None


_SHAPE_ONLY = (keras.layers.Reshape, keras.layers.Flatten, keras.layers.Permute, keras.layers.Identity,
               keras.layers.Dropout)


def is_finite_float32(value):
    """Whether the real number ``value`` is finite once cast to float32 (NaN, Inf and |x| > 3.4e38 are not)."""
    try:
        with np.errstate(over="ignore"):
            return bool(np.isfinite(np.float32(float(value))))
    except (OverflowError, TypeError, ValueError):
        return False


def logs_for_strategy(logs):
    """``train_step``'s logs in the shape Keras can reduce under the current strategy.

    Keras 3 reduces a multi-worker run's logs with ``strategy.reduce("MEAN", v, axis=0)``,
    which fails on scalars (tensorflow/tensorflow#72388); there each value goes out
    with shape (1,) and comes back a scalar. Elsewhere the logs are unchanged.
    """
    strategy = tf.distribute.get_strategy()
    if not (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.extended._in_multi_worker_mode()):
        return logs
    return {name: ops.reshape(value, (1,)) for name, value in logs.items()}


def _frozen_copy(generator):
    """A copy of ``generator`` (same architecture and weights) whose weights are not trainable."""
    try:
        copy = keras.models.clone_model(generator)
    except Exception as e:  # subclassed models without get_config/from_config
        raise ConfigError(
            f"ema_decay needs a copy of the generator, but keras.models.clone_model cannot clone "
            f"{generator.name!r} ({e}). Use a functional or Sequential generator, or give a "
            "subclassed one get_config/from_config."
        ) from None
    if [tuple(v.shape) for v in copy.weights] != [tuple(v.shape) for v in generator.weights]:
        raise ConfigError(
            f"The clone of generator {generator.name!r} has different weights from the original "
            "(is it unbuilt?), so it cannot hold the weight average: build the generator first."
        )
    copy.set_weights(generator.get_weights())
    copy.trainable = False
    return copy


def _apply(optimizer, grads, variables):
    """Applies ``grads``; a variable without a gradient means the graph is broken."""
    missing = [v.path for g, v in zip(grads, variables) if g is None]
    if missing:
        raise ConfigError(
            f"No gradient reaches {missing[:3]}{'...' if len(missing) > 3 else ''}: the loss "
            "does not depend on them. Check that the hook uses the network's outputs."
        )
    optimizer.apply_gradients(zip(grads, variables))


def _per_replica(loss):
    """Divides a per-replica mean by the replica count (gradients are summed)."""
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss if replicas == 1 else loss / replicas


def _seed_states(model):
    """The RNG state variables inside ``model`` (dropout, noise layers, ...)."""
    states = set()
    for layer in model._flatten_layers(include_self=True):
        for gen in getattr(layer, "_seed_generators", ()):
            states.add(id(gen.state))
    return states


def _forward(model, inputs, update_state, weights=None):
    """Runs ``model`` in training mode, keeping or dropping its state updates.

    With ``update_state=False`` batch statistics are still used, but moving
    averages and other non-trainable state stay as they were; RNG state still
    advances so that random layers do not repeat themselves. ``weights`` =
    (trainable values, non-trainable values) evaluates the model at those values.
    """
    if update_state and weights is None:
        return model(inputs, training=True)
    non_trainable = model.non_trainable_variables
    if weights is None:
        weights = ([v.value for v in model.trainable_variables], [v.value for v in non_trainable])
    outputs, new_values = model.stateless_call(weights[0], weights[1], inputs, training=True)
    seeds = _seed_states(model)
    if seeds:
        for var, value in zip(non_trainable, new_values):
            if id(var) in seeds:
                var.assign(value)
    return outputs


def _functional_update(optimizer, variables):
    """``update(step, weights, grads) -> new weights`` following ``optimizer`` without touching it.

    Adam continues from its current moments and step count (its moments evolve
    inside the unrolling); other optimizers get plain gradient steps at their
    current learning rate.
    """
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    lr = ops.cast(inner.learning_rate, "float32")
    if not isinstance(inner, keras.optimizers.Adam):
        return lambda step, weights, grads: [w - lr * g for w, g in zip(weights, grads)]
    index = {id(v): inner._get_variable_index(v) for v in variables}
    m = [inner._momentums[index[id(v)]].value for v in variables]
    u = [inner._velocities[index[id(v)]].value for v in variables]
    b1, b2, eps = inner.beta_1, inner.beta_2, inner.epsilon
    start = ops.cast(inner.iterations, "float32")

    def update(step, weights, grads):
        t = start + step + 1.0
        out = []
        for i, (w, g) in enumerate(zip(weights, grads)):
            m[i] = b1 * m[i] + (1.0 - b1) * g
            u[i] = b2 * u[i] + (1.0 - b2) * ops.square(g)
            m_hat, u_hat = m[i] / (1.0 - b1**t), u[i] / (1.0 - b2**t)
            # max(., tiny) keeps the second-order gradient finite where a weight's
            # gradient (so its second moment) is exactly 0: d sqrt(u)/du is inf at 0.
            out.append(w - lr * m_hat / (ops.sqrt(ops.maximum(u_hat, 1e-30)) + eps))
        return out

    return update


class _Untracked:
    """Holds a Keras object without Keras tracking it (no double saving of shared weights)."""

    def __init__(self, value):
        self.value = value


def _feature_model(discriminator):
    """D's features for feature matching: the input of its last layer that has weights."""
    last = [layer for layer in discriminator.layers if layer.weights][-1]
    return keras.Model(discriminator.inputs, last.input, name="discriminator_features")


class _RunningAverage:
    """Historical averaging (Salimans et al., 2016): ||theta - mean of past thetas||^2."""

    def __init__(self, variables, name):
        self.targets = list(variables)
        self.variables = [
            keras.Variable(np.zeros(v.shape, "float32"), trainable=False, name=f"{name}_{i}",
                           aggregation="only_first_replica")
            for i, v in enumerate(self.targets)
        ]
        self.count = keras.Variable(0.0, trainable=False, name=f"{name}_count",
                                    aggregation="only_first_replica")
        self.variables.append(self.count)

    def penalty(self):
        # Before the first update the average is the current value: no penalty.
        started = ops.cast(self.count > 0, "float32")
        return started * sum(ops.sum(ops.square(ops.cast(t, "float32") - a))
                             for t, a in zip(self.targets, self.variables))

    def update(self):
        n = self.count + 1.0
        for t, a in zip(self.targets, self.variables):
            a.assign(a + (ops.cast(t, "float32") - a) / n)
        self.count.assign(n)


def _as_array(x):
    """``x`` (array-like or tensor) as a NumPy array; complex values are refused, not silently truncated."""
    arr = x.numpy() if tf.is_tensor(x) else np.asarray(x)
    if np.iscomplexobj(arr):
        raise DataError("The images are complex numbers; the GAN trains on real floats in [-1, 1].")
    if arr.dtype == object:
        raise DataError("The images are Python objects (a ragged or mixed array); pass one float array "
                        "of shape (n, height, width, channels).")
    return arr


def _check_signed_range(arr, name):
    """Refuses images that never go below 0 but do go above it: [0, 1] data (the most common mistake)."""
    lo, hi = float(np.min(arr)), float(np.max(arr))
    if lo >= 0.0 and 0.0 < hi <= 1.0 + 1e-3:
        raise DataError(
            f"{name} has pixel values in [{lo:.3g}, {hi:.3g}]: these look like images scaled to [0, 1], but "
            "the GAN trains on [-1, 1] (its generator ends in tanh). Scale them with 2 * x - 1 "
            "(recipes.load_dataset does it for you)."
        )


def _check_pixels(arr, name, images=True):
    """Rejects non-finite values, and for images values outside [-1, 1]."""
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise DataError(f"{name} contains {bad} NaN/Inf values; clean or drop those samples.")
    if not images:
        return
    lo, hi = float(np.min(arr)), float(np.max(arr))
    if lo < -1.0 - 1e-3 or hi > 1.0 + 1e-3:
        raise DataError(
            f"{name} has pixel values in [{lo:.3g}, {hi:.3g}] but the GAN trains on [-1, 1]. "
            "Scale uint8 images with x / 127.5 - 1 and [0, 1] images with 2 * x - 1."
        )
