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

from zoo.distribute import replica_mean
from zoo.errors import ConfigError, did_you_mean


@dataclasses.dataclass(frozen=True)
class AdversarialLoss:
    """A named pair of discriminator and generator objectives (both minimised)."""

    name: str
    d_loss: Callable
    g_loss: Callable
    g_uses_real: bool = False
    description: str = ""
    # What the pair is defined on: "logits" (raw D outputs, every loss but one) or "energies"
    # (per-sample auto-encoder reconstruction losses, BEGAN). zoo.GAN checks it against its D.
    inputs: str = "logits"


LOSSES: dict = {}


def register_loss(name, d_loss, g_loss, g_uses_real=False, description="", inputs="logits"):
    """Adds a loss pair to the registry; the name must be new."""
    if name in LOSSES:
        raise ConfigError(f"A loss named {name!r} is already registered.")
    LOSSES[name] = AdversarialLoss(name, d_loss, g_loss, g_uses_real, description, inputs)
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


def bce_d_loss(real_logits, fake_logits, label_smoothing=0.0):
    """-E[log D(x)] - E[log(1 - D(G(z)))]: D's side of both GAN objectives.

    ``label_smoothing=a`` is one-sided smoothing (Salimans et al., 2016): the
    real target becomes 1 - a, the fake target stays 0.
    """
    real_term = ops.softplus(-real_logits)
    if label_smoothing:
        real_term = (1.0 - label_smoothing) * real_term + label_smoothing * ops.softplus(real_logits)
    return _mean(real_term) + _mean(ops.softplus(fake_logits))


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


# -- Least squares (Mao et al., 2017), a=0 for fakes, b=c=1 ---------------------


def least_squares_d_loss(real_logits, fake_logits):
    """1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2] on the raw outputs."""
    return 0.5 * _mean(ops.square(real_logits - 1.0)) + 0.5 * _mean(ops.square(fake_logits))


def least_squares_g_loss(real_logits, fake_logits):
    """1/2 E[(D(G(z)) - 1)^2]."""
    del real_logits
    return 0.5 * _mean(ops.square(fake_logits - 1.0))


def least_squares_sigmoid_d_loss(real_logits, fake_logits):
    """1/2 E[(sigmoid(D(x)) - 1)^2] + 1/2 E[sigmoid(D(G(z)))^2]: LSGAN on D's probabilities.

    The form "Are GANs Created Equal?" trained (compare_gan squares the sigmoid
    of the logit); bounded, unlike ``least_squares`` on raw outputs.
    """
    return least_squares_d_loss(ops.sigmoid(real_logits), ops.sigmoid(fake_logits))


def least_squares_sigmoid_g_loss(real_logits, fake_logits):
    """1/2 E[(sigmoid(D(G(z))) - 1)^2]."""
    del real_logits
    return least_squares_g_loss(None, ops.sigmoid(fake_logits))


# -- Hinge (Lim & Ye 2017; Miyato et al. 2018) -----------------------------------


def hinge_d_loss(real_logits, fake_logits):
    """E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]."""
    return _mean(ops.relu(1.0 - real_logits)) + _mean(ops.relu(1.0 + fake_logits))


def wasserstein_g_loss(real_logits, fake_logits):
    """-E[D(G(z))]: the generator side of both the hinge and the Wasserstein game."""
    del real_logits
    return -_mean(fake_logits)


# -- Wasserstein (Arjovsky et al., 2017) -----------------------------------------


def wasserstein_d_loss(real_logits, fake_logits):
    """E[D(G(z))] - E[D(x)]: the critic maximises the gap (Lipschitz via clipping or a penalty)."""
    return _mean(fake_logits) - _mean(real_logits)


# -- Relativistic (Jolicoeur-Martineau, 2019) ------------------------------------


def relativistic_d_loss(real_logits, fake_logits):
    """RSGAN: -E[log sigmoid(C(x_r) - C(x_f))] over paired real/fake samples."""
    return _mean(ops.softplus(-(real_logits - fake_logits)))


def relativistic_g_loss(real_logits, fake_logits):
    """RSGAN: -E[log sigmoid(C(x_f) - C(x_r))]."""
    return _mean(ops.softplus(-(fake_logits - real_logits)))


def relativistic_average_d_loss(real_logits, fake_logits):
    """RaGAN: real should look more real than the average fake, and fake less real than the average real.

    The averages are over the global batch under a strategy (``replica_mean``).
    """
    real_rel = ops.cast(real_logits, "float32") - replica_mean(fake_logits)
    fake_rel = ops.cast(fake_logits, "float32") - replica_mean(real_logits)
    return _mean(ops.softplus(-real_rel)) + _mean(ops.softplus(fake_rel))


def relativistic_average_g_loss(real_logits, fake_logits):
    """RaGAN: the discriminator's objective with the roles of real and fake swapped."""
    return relativistic_average_d_loss(fake_logits, real_logits)


register_loss(
    "least_squares", least_squares_d_loss, least_squares_g_loss,
    description="LSGAN, Mao et al. 2017 (a=0, b=c=1).",
)
register_loss(
    "least_squares_sigmoid", least_squares_sigmoid_d_loss, least_squares_sigmoid_g_loss,
    description="LSGAN as compare_gan (Lucic et al. 2018) codes it: least squares on sigmoid(D).",
)
register_loss(
    "hinge", hinge_d_loss, wasserstein_g_loss,
    description="Hinge loss of SNGAN/SAGAN (Lim & Ye 2017, Miyato et al. 2018).",
)
register_loss(
    "wasserstein", wasserstein_d_loss, wasserstein_g_loss,
    description="WGAN critic (Arjovsky et al. 2017); needs clipping or a gradient penalty.",
)
register_loss(
    "relativistic", relativistic_d_loss, relativistic_g_loss, g_uses_real=True,
    description="RSGAN, Jolicoeur-Martineau 2019.",
)
register_loss(
    "relativistic_average", relativistic_average_d_loss, relativistic_average_g_loss,
    g_uses_real=True, description="RaGAN, Jolicoeur-Martineau 2019.",
)


# -- BEGAN (Berthelot et al., 2017) ----------------------------------------------
# D is an auto-encoder; what it returns per sample is its reconstruction loss
# L(v) = mean |v - D(v)| (the "energy"), not a logit. k is the equilibrium
# variable k_t in [0, 1], kept and updated by zoo.BEGAN.


def began_d_loss(real_energies, fake_energies, k=0.0):
    """L(x) - k_t L(G(z)): reconstruct real images well and, weighted by ``k``, fakes badly."""
    return _mean(real_energies) - ops.cast(k, "float32") * _mean(fake_energies)


def began_g_loss(real_energies, fake_energies):
    """L(G(z)): fakes the auto-encoder reconstructs well."""
    del real_energies
    return _mean(fake_energies)


register_loss(
    "began", began_d_loss, began_g_loss, inputs="energies",
    description="BEGAN, Berthelot et al. 2017: auto-encoder energies, k_t-weighted fake term (zoo.BEGAN).",
)
