"""ProGAN: progressive growing of GANs (Karras et al., 2018) inside one ``model.fit``.

Training starts at 4x4 and doubles the resolution up to the data's size. Each
new level is first faded in (its ``alpha`` rising linearly from 0 to 1 over
``fade_images`` images) and then stabilised (``phase_images`` images); the 4x4
level only has a stabilisation phase, and the last level keeps training after
its own. The schedule is a function of one non-trainable counter,
``images_seen``, so it survives ``.keras`` round trips, ``BackupAndRestore``
and several ``fit`` calls.

How it works with ``fit``:

* All layers are built up front (``zoo.networks.progan.ProGANNetworks``). The
  model's ``generator``/``discriminator`` are the full-resolution graphs that
  contain every level ("linear" structure): they are what is saved, sampled,
  cloned for the weight average and what the optimizers are built for.
* Inside a step the base class's hooks see the current level's networks
  (``step_networks``), so a 4x4 step computes only the 4x4 networks. The real batch (at
  the target size) is average-pooled to the current size and, during a
  fade-in, blended with the next-lower resolution (the paper's Figure 2 and
  official code).
* The level is a Python constant of the traced step. An internal callback
  (``training_callbacks``, added by ``fit``) reads ``images_seen`` before every batch; when the level
  changes it sets the fade-ins' alphas, optionally resets the optimizers'
  moments (the official code's ``reset_opt_for_new_lod``; a saved
  ``grown_level`` keeps a resumed run from resetting again) and rebuilds the
  train function (``make_train_function(force=True)``: Keras's fit loop calls
  ``self.train_function`` afresh every step). ``alpha`` is computed in the graph
  from ``images_seen``, so it changes every step without retracing.
* ``resolution`` and ``alpha`` are in the step's logs (the value of the last
  step of an epoch in ``History``).
* D's loss is WGAN-GP plus the drift term ``drift * mean(D(real)^2)`` (the
  paper's epsilon_drift = 0.001), a term of ``d_loss_terms`` named ``drift``.

During training, ``generate()`` and ``SampleGrid`` show the current level's
images, nearest-upsampled to the target size (mid fade-in: the blend). After
the schedule the full generator is the full-resolution generator;
``final_generator()`` gives it without the zero-weighted lower-resolution
branches, for export.
"""

import keras
import numpy as np
from keras import ops

from zoo.checks import check_number
from zoo.errors import ConfigError
from zoo.gan import GAN
from zoo.networks.progan import ProGANNetworks, check_progan_shape
from zoo.steps import Untracked


def _count(name, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(
            f"{name} must be a positive integer number of images{' (or None)' if allow_none else ''}; "
            f"got {value!r}. The paper uses 800,000 per phase; tiny runs use a few thousand."
        )
    return int(value)


class GrowthSchedule:
    """Level and fade-in ``alpha`` as functions of the number of images seen.

    Level 0 (4x4) trains for ``phase_images``; level ``l >= 1`` starts at
    ``fade_start(l) = phase_images + (l - 1) * (fade_images + phase_images)``,
    fades in over ``fade_images`` (``alpha`` from 0 to 1, linearly) and is then
    stable for ``phase_images``. The last level stays after its phase.

    Example:
        >>> s = GrowthSchedule(levels=4, phase_images=1000)
        >>> s.level(2500), s.alpha(2500)   # 8x8, half-way through its fade-in
        (1, 0.5)
    """

    def __init__(self, levels, phase_images, fade_images=None):
        self.levels = levels
        self.phase_images = _count("phase_images", phase_images)
        self.fade_images = _count("fade_images", fade_images, allow_none=True) or self.phase_images

    def fade_start(self, level):
        """Images seen when level ``level`` (>= 1) starts fading in."""
        return self.phase_images + (level - 1) * (self.fade_images + self.phase_images)

    @property
    def total_images(self):
        """Images until the last level has finished its stabilisation phase."""
        return self.fade_start(self.levels - 1) + self.fade_images + self.phase_images

    def level(self, seen):
        if seen < self.phase_images:
            return 0
        return min(self.levels - 1, 1 + (int(seen) - self.phase_images) // (self.fade_images + self.phase_images))

    def alpha(self, seen, level=None):
        """The fade-in weight of ``level`` (default: the level at ``seen``) after ``seen`` images."""
        level = self.level(seen) if level is None else level
        if level == 0:
            return 1.0
        return float(np.clip((seen - self.fade_start(level)) / self.fade_images, 0.0, 1.0))

    def alpha_tensor(self, seen, level):
        """``alpha`` in the graph: ``seen`` an int64 tensor, ``level`` a Python int."""
        if level == 0:
            return ops.convert_to_tensor(1.0, "float32")
        done = ops.cast(seen - self.fade_start(level), "float32")
        return ops.clip(done / float(self.fade_images), 0.0, 1.0)


class _Growth(keras.callbacks.Callback):
    """Added by ``ProGAN.fit``: follows the schedule before every batch (see ``ProGAN.follow_schedule``)."""

    def on_train_batch_begin(self, batch, logs=None):
        self.model.follow_schedule()

    def on_train_end(self, logs=None):
        self.model.follow_schedule(retrace=False)  # networks at the state the next step will use


@keras.saving.register_keras_serializable(package="zoo")
class ProGAN(GAN):
    """Progressive growing of GANs (Karras et al., 2018) with the paper's WGAN-GP + drift loss.

    Args:
        image_shape: the target ``(s, s, channels)``, ``s = 4 * 2**k`` with ``k >= 1``
            (e.g. (32, 32, 1) for 28x28 data resized with ``image_size=32``).
        latent_dim: size of ``z`` (the paper: 512).
        widths: channels per resolution level from 4x4 up (e.g. ``(64, 64, 32, 16)`` for
            4, 8, 16, 32), one int for all, or ``None``: the paper's rule (512 up to 32x32, then
            halving per resolution) divided by 4, i.e. 128 up to 32x32, 64 at 64x64, ...
        phase_images: images per stabilisation phase, and per fade-in phase unless
            ``fade_images`` is given (the paper: 800,000 each).
        fade_images: images per fade-in phase (``None``: ``phase_images``).
        drift: epsilon_drift of the drift term ``drift * mean(D(real)^2)`` in D's loss (0.001).
        reset_optimizers: zero both optimizers' moments and step counts when a new level starts
            (the official code does; new layers otherwise get oversized first Adam steps).
        **kwargs: the ``GAN`` options. Defaults here: ``loss="wasserstein"``, ``penalty="wgan_gp"``,
            ``penalty_weight=10``. ``pack`` and ``feature_matching`` are not supported.

    Example:
        >>> gan = ProGAN(image_shape=(32, 32, 1), latent_dim=128, widths=(64, 64, 32, 16),
        ...              phase_images=16_000, ema_decay=0.99)   # the paper: 800k images, EMA 0.999
        >>> gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99),
        ...             g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99))
        >>> steps = gan.schedule.total_images // 32
        >>> gan.fit(dataset_of_32x32_batches_of_32, epochs=1, steps_per_epoch=steps)
        >>> gan.history.history["resolution"]
    """

    d_loss_names = ("d_loss", "drift")
    state_names = ("resolution", "alpha")
    unsupported = {
        "pack": "its discriminators take single images",
        "feature_matching": "D's features change with the level",
    }

    def __init__(self, image_shape=(32, 32, 1), latent_dim=128, widths=None, phase_images=800_000,
                 fade_images=None, drift=0.001, reset_optimizers=True, loss="wasserstein", penalty="wgan_gp",
                 penalty_weight=10.0, **kwargs):
        levels = check_progan_shape(image_shape)[0]
        nets = ProGANNetworks(latent_dim, image_shape, widths)
        self.schedule = GrowthSchedule(levels, phase_images, fade_images)
        self.drift = check_number("drift", drift)
        if not isinstance(reset_optimizers, bool):
            raise ConfigError(f"reset_optimizers must be True or False; got {reset_optimizers!r}.")
        self.reset_optimizers = reset_optimizers
        # The full graphs first (they own the layers' first call), then one pair per level.
        full = (nets.full_generator(), nets.full_discriminator())
        self._nets = Untracked(nets=nets, full=full, final={},
                               levels=[(nets.generator_at(l), nets.discriminator_at(l)) for l in range(levels)])
        self._traced_level = 0  # the level the train function is traced for (a Python constant of the step)
        self._set_alphas(0, 1.0, ema=False)  # before the weight average copies G
        super().__init__(generator=full[0], discriminator=full[1], loss=loss, penalty=penalty,
                         penalty_weight=penalty_weight, **kwargs)
        # "only_first_replica": assign_add in a replica context counts the first replica's value once.
        self.images_seen = keras.Variable(0, dtype="int64", trainable=False, name="images_seen",
                                          aggregation="only_first_replica")
        self.grown_level = keras.Variable(0, dtype="int64", trainable=False, name="grown_level",
                                          aggregation="only_first_replica")

    # ------------------------------------------------------------------ networks by phase

    @property
    def phase_images(self):
        return self.schedule.phase_images

    @property
    def fade_images(self):
        return self.schedule.fade_images

    def generator_at(self, level):
        """The generator trained at ``level`` (images of ``4 * 2**level`` pixels, its fade-in)."""
        return self._nets.levels[self._check_level(level)][0]

    def discriminator_at(self, level):
        """The discriminator trained at ``level`` (images of ``4 * 2**level`` pixels, its fade-in)."""
        return self._nets.levels[self._check_level(level)][1]

    def final_generator(self):
        """The full-resolution generator without the fade-in branches (what to export after training).

        It shares its weights with ``sampling_generator`` (the weight average when ``ema_decay``
        is set), so it shows the newest weights; mid-schedule it ignores the current level and shows
        the untrained top levels.
        """
        source = self.sampling_generator
        cache = self._nets.final
        if id(source) not in cache:
            cache[id(source)] = self._nets.nets.final_generator(source)
        return cache[id(source)]

    def _check_level(self, level):
        if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or not 0 <= level < self.levels:
            raise ConfigError(f"level must be an integer in [0, {self.levels - 1}]; got {level!r}.")
        return int(level)

    @property
    def levels(self):
        return self.schedule.levels

    @property
    def widths(self):
        return self._nets.nets.widths

    # ------------------------------------------------------------------ schedule state

    @property
    def level(self):
        """The current level (from ``images_seen``)."""
        return self.schedule.level(int(ops.convert_to_numpy(self.images_seen)))

    @property
    def resolution(self):
        """The current training resolution (``4 * 2**level``)."""
        return 4 * 2**self.level

    @property
    def alpha(self):
        """The current level's fade-in weight (1 when stable)."""
        return self.schedule.alpha(int(ops.convert_to_numpy(self.images_seen)))

    def _fade_layers(self, ema=True):
        fades = self._nets.nets.fades()
        ema_g = self.ema_generator if ema and getattr(self, "ema_generator", None) is not None else None
        for level, (g, d) in enumerate(fades):
            if g is None:
                continue
            out = [g, d]
            if ema_g is not None:
                out.append(ema_g.get_layer(g.name))
            yield level, out

    def _set_alphas(self, level, alpha, ema=True):
        """Every fade-in of the full networks: 1 below ``level``, ``alpha`` at it, 0 above (eager)."""
        for lvl, fades in self._fade_layers(ema):
            value = 1.0 if lvl < level else (alpha if lvl == level else 0.0)
            for fade in fades:
                fade.alpha.assign(value)

    def follow_schedule(self, retrace=True):
        """Brings the networks to the level and alpha that ``images_seen`` says (``fit`` calls it
        before every batch and at the end). Returns the level.

        Sets every fade-in's alpha (eagerly) when the level differs from the one the train function
        was traced for, or when ``retrace`` is False. When the level is above ``grown_level`` (the
        level the optimizers' state belongs to, saved with the model, so resuming from a checkpoint
        does not count as growing) and ``reset_optimizers`` is set, zeros both optimizers' moments and
        step counts. With ``retrace``, a changed level rebuilds the train function.
        """
        seen = int(ops.convert_to_numpy(self.images_seen))
        level = self.schedule.level(seen)
        if level == self._traced_level and retrace:
            return level
        self._set_alphas(level, self.schedule.alpha(seen, level))
        if level > int(ops.convert_to_numpy(self.grown_level)):
            if self.reset_optimizers and self.d_optimizer is not None:
                for opt in (self.d_optimizer, self.g_optimizer):
                    _reset_optimizer(opt)
            self.grown_level.assign(level)
        if retrace and level != self._traced_level:
            self._traced_level = level
            self.make_train_function(force=True)
        return level

    # ------------------------------------------------------------------ hooks

    def step_networks(self, player):
        """The current level's generator or discriminator (the level the train function was traced for)."""
        generator, discriminator = self._nets.levels[self._traced_level]
        return [generator if player == "g" else discriminator]

    def unpack_batch(self, data):
        """The real batch at the current level's size (faded with the lower one during a fade-in); sets the
        level's fade-in layers to the step's ``alpha``."""
        real, condition = super().unpack_batch(data)
        level = self._traced_level
        alpha = self.schedule.alpha_tensor(ops.convert_to_tensor(self.images_seen), level)
        for fade in (self._nets.nets.fades()[level] if level else ()):
            fade.alpha.assign(alpha)
        return self.real_at(real, level, alpha), condition

    def real_at(self, images, level, alpha=1.0):
        """Target-size ``images`` -> level ``level``: average-pooled, and for ``alpha`` < 1 blended
        with the next-lower resolution upsampled, ``alpha * x + (1 - alpha) * up(pool(x))``."""
        factor = 2 ** (self.levels - 1 - level)
        x = ops.average_pool(images, factor, factor, padding="valid") if factor > 1 else images
        if level == 0:
            return x
        lower = ops.average_pool(x, 2, 2, padding="valid")
        lower = ops.repeat(ops.repeat(lower, 2, axis=1), 2, axis=2)
        alpha = ops.cast(alpha, x.dtype)
        return lower + alpha * (x - lower)

    def d_loss_terms(self, step):
        """The base terms (WGAN loss, gradient penalty) plus ``drift = drift * mean(D(real)^2)``."""
        terms = super().d_loss_terms(step)
        logits = ops.cast(self.adversarial_logits(step.real_outputs), "float32")
        terms["drift"] = self.drift * ops.mean(ops.square(logits))
        return terms

    def after_g_step(self, step, terms):
        """Counts the step's images (over all replicas); logs the level's ``resolution`` and ``alpha``."""
        logs = super().after_g_step(step, terms)
        level = self._traced_level
        alpha = self.schedule.alpha_tensor(ops.convert_to_tensor(self.images_seen), level)
        replicas = self.distribute_strategy.num_replicas_in_sync
        self.images_seen.assign_add(ops.cast(ops.shape(step.real)[0], "int64") * replicas)
        return {**logs, "resolution": ops.convert_to_tensor(float(4 * 2**level)), "alpha": alpha}

    def training_callbacks(self):
        """The base's callbacks and the growth callback, which follows the schedule before every batch."""
        return super().training_callbacks() + [_Growth()]


def _reset_optimizer(optimizer):
    """Zeros an optimizer's moments and step count (not its learning rate)."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    for v in inner.variables:
        if v.name != "learning_rate":
            v.assign(ops.zeros(v.shape, v.dtype))
