"""MLP generator and discriminator for low-dimensional data (the 2D mixture benchmark).

The defaults are the PacGAN paper's synthetic-data networks (Lin et al., 2018,
from its public code): G has 4 hidden layers of 400 ReLU units with batch
norm and no bias, input a 2D Gaussian; D has 3 LinearMaxout layers of 200
units with 5 pieces and a linear output; weights from N(0, 0.02).

The Unrolled GAN authors' small networks (2 x 128 tanh, orthogonal init with
gain 1.4, 256-d latents):

    >>> init = keras.initializers.Orthogonal(1.4)
    >>> g = mlp_generator(latent_dim=256, hidden=128, depth=2, norm=None, activation="tanh",
    ...                   kernel_initializer=init)
    >>> d = mlp_discriminator(hidden=128, depth=2, maxout_pieces=1, activation="tanh",
    ...                       kernel_initializer=init)
"""

import keras

import layers as zoo_layers
from zoo.errors import ConfigError

NORMS = ("batch", "virtual", None)


def _initializer(kernel_initializer):
    """A fresh initializer per layer: N(0, 0.02) by default, else any Keras identifier or instance."""
    if kernel_initializer is None:
        return keras.initializers.RandomNormal(0.0, 0.02)
    try:
        initializer = keras.initializers.get(kernel_initializer)
    except ValueError as e:
        raise ConfigError(f"kernel_initializer {kernel_initializer!r} is not a Keras initializer ({e}).") from None
    # a fresh copy per layer: an unseeded instance draws its seed when made, so reusing one object
    # would give every layer of one shape the same weights
    return initializer.__class__.from_config(initializer.get_config())


def _activation(activation):
    try:
        keras.activations.get(activation)
    except ValueError:
        raise ConfigError(f"activation {activation!r} is not a Keras activation; try 'relu', 'tanh' or "
                          "'leaky_relu'.") from None
    if activation == "leaky_relu":
        return lambda name: keras.layers.LeakyReLU(0.2, name=name)
    return lambda name: keras.layers.Activation(activation, name=name)


def _positive(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name} must be a positive integer; got {value!r}.")


def mlp_generator(latent_dim=2, out_dim=2, hidden=400, depth=4, norm="batch", reference_size=64,
                  activation="relu", kernel_initializer=None, name="generator"):
    """z (batch, latent_dim) -> samples (batch, out_dim), linear output.

    ``norm``: "batch" (batch norm), "virtual" (virtual batch norm with a fixed
    reference batch of ``reference_size`` latents) or None (then the hidden
    layers have biases). ``activation``: of the hidden layers. ``kernel_initializer``:
    ``None`` for N(0, 0.02), else any Keras initializer (identifier or instance).
    """
    for key, value in (("latent_dim", latent_dim), ("out_dim", out_dim), ("hidden", hidden), ("depth", depth)):
        _positive(key, value)
    if norm not in NORMS:
        raise ConfigError(f"norm must be one of {NORMS}; got {norm!r}.")
    act = _activation(activation)
    z = keras.Input((latent_dim,), name="z")
    x = zoo_layers.ReferenceBatch(reference_size, name="reference_batch")(z) if norm == "virtual" else z
    for i in range(depth):
        x = keras.layers.Dense(hidden, use_bias=norm is None, kernel_initializer=_initializer(kernel_initializer),
                               name=f"dense{i}")(x)
        if norm == "batch":
            x = keras.layers.BatchNormalization(momentum=0.95, name=f"bn{i}")(x)
        elif norm == "virtual":
            x = zoo_layers.VirtualBatchNormalization(reference_size, name=f"vbn{i}")(x)
        x = act(f"{activation}{i}")(x)
    x = keras.layers.Dense(out_dim, kernel_initializer=_initializer(kernel_initializer), name="out")(x)
    if norm == "virtual":
        x = zoo_layers.DropReference(reference_size, name="drop_reference")(x)
    samples = keras.layers.Activation("linear", dtype="float32", name="samples")(x)
    return keras.Model(z, samples, name=name)


def mlp_discriminator(in_dim=2, hidden=200, depth=3, maxout_pieces=5, pack=1, minibatch_kernels=0,
                      activation="leaky_relu", kernel_initializer=None, name="discriminator"):
    """Samples (batch / pack, in_dim * pack) -> one logit per (packed) sample.

    ``maxout_pieces=1`` gives plain layers with ``activation`` (LeakyReLU(0.2) by
    default) instead of maxout; ``minibatch_kernels > 0`` adds a minibatch-discrimination
    layer before the output. ``kernel_initializer`` as for ``mlp_generator``.
    """
    for key, value in (("in_dim", in_dim), ("hidden", hidden), ("depth", depth),
                       ("maxout_pieces", maxout_pieces), ("pack", pack)):
        _positive(key, value)
    act = _activation(activation)
    x = inputs = keras.Input((in_dim * pack,), name="samples")
    for i in range(depth):
        x = keras.layers.Dense(hidden * maxout_pieces, kernel_initializer=_initializer(kernel_initializer),
                               name=f"dense{i}")(x)
        if maxout_pieces > 1:
            x = zoo_layers.Maxout(maxout_pieces, name=f"maxout{i}")(x)
        else:
            x = act(f"{activation}{i}")(x)
    if minibatch_kernels:
        x = zoo_layers.MinibatchDiscrimination(minibatch_kernels, 5, name="minibatch_discrimination")(x)
    logits = keras.layers.Dense(1, kernel_initializer=_initializer(kernel_initializer), dtype="float32",
                                name="logits")(x)
    return keras.Model(inputs, logits, name=name)
