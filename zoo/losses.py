"""Adversarial losses as pure functions with one signature.

Every loss is a pair of functions ``d_loss(real_logits, fake_logits) -> scalar``
and ``g_loss(real_logits, fake_logits) -> scalar`` operating on the raw
(pre-sigmoid) discriminator outputs, gathered under a name in ``LOSSES``.
The scalars are means over the batch the caller passes in; scaling for
distribution strategies is the caller's job (see ``zoo.gan.GAN``).

A ``g_loss`` that does not need the real logits (``g_uses_real=False``) is
called with ``real_logits=None``, which lets the base model skip a
discriminator pass on real data during the generator step.

Example:
    >>> from zoo import losses
    >>> pair = losses.get_loss("non_saturating")
    >>> d = pair.d_loss(real_logits, fake_logits)
"""

import dataclasses
from typing import Callable

from keras import ops

from zoo.errors import ConfigError, did_you_mean


@dataclasses.dataclass(frozen=True)
class AdversarialLoss:
    """A named pair of discriminator and generator objectives (both minimised)."""

    name: str
    d_loss: Callable
    g_loss: Callable
    g_uses_real: bool = False
    description: str = ""


LOSSES: dict = {}


def register_loss(name, d_loss, g_loss, g_uses_real=False, description=""):
    """Adds a loss pair to the registry; the name must be new."""
    if name in LOSSES:
        raise ConfigError(f"A loss named {name!r} is already registered.")
    LOSSES[name] = AdversarialLoss(name, d_loss, g_loss, g_uses_real, description)
    return LOSSES[name]


def get_loss(name_or_loss):
    """Returns the ``AdversarialLoss`` registered under ``name_or_loss``."""
    if isinstance(name_or_loss, AdversarialLoss):
        return name_or_loss
    if not isinstance(name_or_loss, str) or name_or_loss not in LOSSES:
        raise ConfigError(
            f"Unknown loss {name_or_loss!r}." + did_you_mean(name_or_loss, LOSSES)
        )
    return LOSSES[name_or_loss]


def _mean(x):
    return ops.mean(ops.cast(x, "float32"))


# -- The original GAN game (Goodfellow et al., 2014) -------------------------
# D(x) = sigmoid(logit). With softplus(x) = log(1 + e^x):
#   -log D(x)      = softplus(-logit)
#   -log(1 - D(x)) = softplus(logit)


def bce_d_loss(real_logits, fake_logits):
    """-E[log D(x)] - E[log(1 - D(G(z)))]: D's side of both GAN objectives."""
    return _mean(ops.softplus(-real_logits)) + _mean(ops.softplus(fake_logits))


def minimax_g_loss(real_logits, fake_logits):
    """E[log(1 - D(G(z)))]: the generator minimises the discriminator's objective.

    Saturates: when D confidently rejects fakes (logits << 0) the gradient
    vanishes, which is why the non-saturating form exists.
    """
    del real_logits
    return -_mean(ops.softplus(fake_logits))


def non_saturating_g_loss(real_logits, fake_logits):
    """-E[log D(G(z))]: same fixed point, strong gradient early in training."""
    del real_logits
    return _mean(ops.softplus(-fake_logits))


register_loss(
    "minimax", bce_d_loss, minimax_g_loss,
    description="Goodfellow et al. 2014, G minimises log(1 - D(G(z))).",
)
register_loss(
    "non_saturating", bce_d_loss, non_saturating_g_loss,
    description="Goodfellow et al. 2014, G maximises log D(G(z)).",
)
