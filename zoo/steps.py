"""What a training step is made of: running a network under the state rules, applying gradients, the
record the loss-term hooks read.

The state rules (``forward``): both networks always run in training mode inside a step; a player's step
updates only that player's state, so the other network's running statistics (batch-norm moving averages,
spectral-norm power iterations) are left alone, while random layers' RNG state always advances.
"""

import dataclasses
from typing import Any

import keras

from zoo.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Step:
    """What a loss-term hook sees of one player's step.

    Attributes:
        real: the real batch (in a D step as D sees it: augmented when the GAN augments).
        fake: the generated batch (likewise; in a G step before augmentation, G's own output).
        condition: what ``unpack_batch`` returned beside the real batch (labels, codes, input
            images) or ``None``.
        real_outputs: what ``discriminate`` returned for ``real`` (logits; BEGAN's energies; ACGAN's
            ``(logits, class logits)``), or ``None`` in a G step whose loss does not use real samples.
        fake_outputs: what ``discriminate`` returned for ``fake``.
    """

    real: Any
    fake: Any
    condition: Any
    real_outputs: Any
    fake_outputs: Any


class Untracked:
    """Holds objects as attributes without Keras tracking them (so shared weights are not saved twice).

        >>> holder = Untracked(model=feature_model(discriminator))
        >>> holder.model
    """

    def __init__(self, **attributes):
        self.__dict__.update(attributes)


def inputs_by_name(model, tensors):
    """``tensors`` (a dict by input name) as the list ``model`` takes, in its input order."""
    names = [t.name for t in model.inputs]
    missing = sorted(set(names) - set(tensors))
    if missing:
        raise ConfigError(f"Model {model.name!r} takes inputs {names}; inputs {missing} cannot be fed.")
    return [tensors[n] for n in names]


def seed_states(model):
    """The ids of the RNG state variables inside ``model`` (dropout, noise layers, ...)."""
    states = set()
    for layer in model._flatten_layers(include_self=True):
        for gen in getattr(layer, "_seed_generators", ()):
            states.add(id(gen.state))
    return states


def forward(model, inputs, update_state, weights=None):
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
    seeds = seed_states(model)
    if seeds:
        for var, value in zip(non_trainable, new_values):
            if id(var) in seeds:
                var.assign(value)
    return outputs


def apply_gradients(optimizer, grads, variables):
    """Applies ``grads`` to ``variables``; a variable without a gradient means the graph is broken."""
    missing = [v.path for g, v in zip(grads, variables) if g is None]
    if missing:
        raise ConfigError(
            f"No gradient reaches {missing[:3]}{'...' if len(missing) > 3 else ''}: the loss "
            "does not depend on them. Check that the hook uses the network's outputs."
        )
    optimizer.apply_gradients(zip(grads, variables))


def feature_model(discriminator):
    """D's features for feature matching: the input of its last layer that has weights."""
    last = [layer for layer in discriminator.layers if layer.weights][-1]
    return keras.Model(discriminator.inputs, last.input, name="discriminator_features")
