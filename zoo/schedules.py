"""Learning-rate schedules for the zoo's optimizers.

``LinearDecay`` is CycleGAN's (Zhu et al., 2017, section 7): the learning rate
stays constant for the first part of training and then decays linearly to 0.
It is a ``keras.optimizers.schedules.LearningRateSchedule``, i.e. a function of
the optimizer's own iteration count: nothing lives in a callback, so a run
resumed by ``BackupAndRestore`` (which restores ``optimizer.iterations``) or
from saved weights continues on the same curve, and ``train_on_batch`` loops
follow it too. A GAN has two optimizers: give each its own ``LinearDecay`` (or
use ``linear_decay_optimizers``); each counts its own updates, so with
``d_steps > 1`` the D optimizer's ``total_steps`` is ``d_steps`` times the
training steps (and the G optimizer's ``g_steps`` times).

Example:
    >>> lr = LinearDecay(2e-4, total_steps=1000)        # 2e-4 for 500 steps, then down to 0
    >>> gan.compile(d_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
    ...             g_optimizer=keras.optimizers.Adam(LinearDecay(2e-4, 1000), beta_1=0.5))
"""

import keras
from keras import ops

from zoo.errors import ConfigError


def _check(name, value, integer=False, low=0.0, high=None, low_open=False):
    kinds = (int,) if integer else (int, float)
    bad = not isinstance(value, kinds) or isinstance(value, bool)
    if not bad:
        bad = value <= low if low_open else value < low
        bad = bad or (high is not None and value > high)
    if bad:
        bound = f"{'>' if low_open else '>='} {low:g}" + (f" and <= {high:g}" if high is not None else "")
        raise ConfigError(f"LinearDecay: {name} must be {'an integer' if integer else 'a number'} {bound}; "
                          f"got {value!r}.")
    return value


@keras.saving.register_keras_serializable(package="zoo")
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """``initial_learning_rate`` for ``decay_start * total_steps`` steps, then linearly to 0 at ``total_steps``.

    With ``start = round(decay_start * total_steps)`` the rate of the update at
    optimizer step ``t`` (0-based, ``optimizer.iterations`` before the update) is

        initial_learning_rate * (1 - clip((t - start) / (total_steps - start), 0, 1))

    so updates ``0 .. start`` use the full rate, each later one ``initial_learning_rate
    / (total_steps - start)`` less, the last of the run (``t = total_steps - 1``) that
    step size, and the rate is 0 from ``t = total_steps`` on.

    Args:
        initial_learning_rate: the constant rate of the first part (> 0).
        total_steps: optimizer updates of the whole run (>= 1).
        decay_start: fraction of ``total_steps`` before the decay starts, in [0, 1)
            (CycleGAN: 0.5, i.e. 100 constant epochs then 100 decaying ones).
        name: the schedule's name (in its config).
    """

    def __init__(self, initial_learning_rate, total_steps, decay_start=0.5, name="linear_decay"):
        self.initial_learning_rate = float(_check("initial_learning_rate", initial_learning_rate, low_open=True))
        self.total_steps = _check("total_steps", total_steps, integer=True, low=1)
        self.decay_start = float(_check("decay_start", decay_start, low=0.0, high=1.0))
        if self.decay_start == 1.0:
            raise ConfigError("LinearDecay: decay_start must be < 1 (at 1 the rate never decays; use a "
                              "constant learning rate instead).")
        self.name = name

    @property
    def start_step(self):
        """The last step at the full rate: ``round(decay_start * total_steps)`` (at most ``total_steps - 1``)."""
        return min(int(round(self.decay_start * self.total_steps)), self.total_steps - 1)

    def __call__(self, step):
        start = float(self.start_step)
        t = ops.cast(step, "float32")
        fraction = ops.clip((t - start) / (float(self.total_steps) - start), 0.0, 1.0)
        return ops.cast(self.initial_learning_rate, "float32") * (1.0 - fraction)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "total_steps": self.total_steps,
                "decay_start": self.decay_start, "name": self.name}


def linear_decay_optimizers(make, d_lr, g_lr, total_steps, d_steps=1, decay_start=0.5, g_steps=1):
    """``(d_optimizer, g_optimizer)``, each ``make(LinearDecay(...))`` over its own update count.

    ``make`` builds an optimizer from a learning rate (e.g.
    ``lambda lr: keras.optimizers.Adam(lr, beta_1=0.5)``); ``total_steps`` counts
    ``train_step`` calls (``d_steps`` D updates and ``g_steps`` G updates each).
    """
    _check("total_steps", total_steps, integer=True, low=1)
    _check("d_steps", d_steps, integer=True, low=1)
    _check("g_steps", g_steps, integer=True, low=1)
    return (make(LinearDecay(d_lr, total_steps * d_steps, decay_start, name="d_linear_decay")),
            make(LinearDecay(g_lr, total_steps * g_steps, decay_start, name="g_linear_decay")))
