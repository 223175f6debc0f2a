"""BEGAN (Berthelot, Schumm and Metz, 2017): Boundary Equilibrium GANs.

The discriminator is an auto-encoder; its per-sample *energy* is the L1
reconstruction loss ``L(v) = mean |v - D(v)|`` (over pixels and channels).
With ``k_0 = 0``:

    L_D     = L(x) - k_t * L(G(z_D))
    L_G     = L(G(z_G))
    k_{t+1} = clip(k_t + lambda_k * (gamma * L(x) - L(G(z))), 0, 1)
    M_global = L(x) + |gamma * L(x) - L(G(z))|

``gamma = E[L(G(z))] / E[L(x)]`` is the diversity ratio the equilibrium aims at
(lower: sharper, less diverse samples); ``k_t`` weighs how much D pushes fakes
away and settles where ``gamma * L(x) = L(G(z))``. ``M_global`` (logged as
``convergence``) falls as training converges; ``k_t`` is logged too. Both
are epoch means in ``History``; ``gan.k_t`` is the current value (a saved,
non-trainable variable).

How it maps onto the base model (only these hooks differ):

* ``discriminate`` returns the per-sample energies ``(batch, 1)`` instead of
  logits; the loss is ``"began"`` from ``zoo.losses`` (energy inputs), so
  ``L_D`` and ``L_G`` are the base model's ``d_loss`` / ``g_loss``.
* ``d_loss_kwargs`` passes ``k = k_t`` to the loss.
* ``after_d_step`` updates ``k_t`` from the D step's ``L(x)`` and ``L(G(z_D))``
  and returns ``k_t`` and ``convergence``. The paper updates D and G
  simultaneously and computes k from the same (pre-update) networks; here the
  D step runs first, so its energies, measured with the pre-update D on fakes of
  the not yet updated G, are exactly those quantities (``z_D`` and ``z_G`` are
  both fresh draws). With ``d_steps > 1``, k_t moves once per D update.

Under a ``tf.distribute`` strategy every replica all-reduces (means) L(x) and
L(G(z)) before the update, so all replicas compute the same k_{t+1} from the
global batch, as one replica would; ``k_t`` also has ``only_first_replica``
aggregation for its assignment in replica context.

``pack``, ``feature_matching`` and ``unrolled_steps`` are refused (the
auto-encoder reads single images; its "features" would be the decoder's; the
unrolled D loss would lack k_t). Penalties, ``d_steps``, ``clip_value``,
historical averaging and ``ema_decay`` apply as for every variant.
"""

import keras
from keras import ops

from zoo.distribute import replica_mean
from zoo.errors import ConfigError
from zoo.checks import check_number
from zoo.gan import GAN
from zoo.networks.began import began_discriminator, began_generator, check_sizes
from zoo.networks.dcgan import check_image_shape

def reconstruction_energy(images, reconstructions):
    """Per-sample L1 reconstruction loss ``mean |x - D(x)|`` over all but the batch axis, shape (batch, 1)."""
    diff = ops.abs(ops.cast(images, "float32") - ops.cast(reconstructions, "float32"))
    return ops.reshape(ops.mean(ops.reshape(diff, (ops.shape(diff)[0], -1)), axis=-1), (-1, 1))


@keras.saving.register_keras_serializable(package="zoo")
class BEGAN(GAN):
    """Boundary equilibrium GAN with the paper's auto-encoder discriminator.

    Args:
        image_shape: ``(height, width, channels)`` of size ``s * 2**n`` (as DCGAN), e.g. (28, 28, 1), (64, 64, 3).
        latent_dim: size of ``z`` (the paper: 64, drawn from U(-1, 1): ``latent_distribution="uniform"``
            is the default here).
        hidden: size ``h`` of the auto-encoder's embedding (the paper: 64).
        width: filters ``n`` of the convolutions (the paper: 64 or 128; 32 keeps CPU runs short).
        gamma: the diversity ratio in [0, 1] (the paper shows 0.3 to 0.7; 0.5 by default). On MNIST, where
            thin "1"s are the cheapest digits to reconstruct, 0.7 drew ~94% "1"s; the recipe uses 1.0.
        lambda_k: the proportional gain of the k_t update (the paper: 0.001), >= 0.
        **kwargs: the ``GAN`` options (``d_steps``, ``seed``, ``ema_decay``, ...); ``loss`` can only be
            ``"began"``.

    Example:
        >>> gan = BEGAN(image_shape=(28, 28, 1), gamma=1.0, lambda_k=0.01, ema_decay=0.99)  # the began_mnist recipe
        >>> gan.compile(d_optimizer=keras.optimizers.Adam(5e-4, beta_1=0.5),
        ...             g_optimizer=keras.optimizers.Adam(5e-4, beta_1=0.5))
        >>> history = gan.fit(recipes.load_dataset("mnist_embedded", batch_size=16), epochs=4)
        >>> history.history["convergence"], float(gan.k_t)
    """

    metric_names = ("k_t", "convergence")
    discriminator_outputs = "energies"
    unsupported = {
        "pack": "the auto-encoder reconstructs single images",
        "feature_matching": "the auto-encoder's features are its decoder's, not a critic's",
        "unrolled_steps": "the unrolled discriminator loss would not weigh fakes by k_t",
    }

    def __init__(self, image_shape=(28, 28, 1), latent_dim=64, hidden=64, width=32, gamma=0.5, lambda_k=0.001,
                 **kwargs):
        image_shape = check_image_shape(image_shape)
        check_sizes(latent_dim=latent_dim, hidden=hidden, width=width)
        ok = isinstance(gamma, (int, float)) and not isinstance(gamma, bool) and 0.0 <= gamma <= 1.0
        if not ok:
            raise ConfigError(
                f"gamma (the diversity ratio E[L(G(z))] / E[L(x)]) must be a number in [0, 1], e.g. 0.5 "
                f"(lower: sharper but less diverse samples); got {gamma!r}."
            )
        self.gamma = float(gamma)
        self.lambda_k = check_number("lambda_k", lambda_k)
        loss = kwargs.pop("loss", "began")
        if loss != "began":
            raise ConfigError(
                f"BEGAN's objective is fixed (the 'began' loss on auto-encoder energies); got loss={loss!r}. "
                "Drop the loss option, or use DCGAN for the logit losses."
            )
        kwargs.setdefault("latent_distribution", "uniform")
        self.hidden, self.width = hidden, width
        generator, discriminator = self.build_networks(image_shape, latent_dim)
        super().__init__(generator=generator, discriminator=discriminator, loss="began", **kwargs)
        # k_0 = 0. Every replica assigns the same value (see after_d_step); "only_first_replica" makes
        # the assignment legal in replica context and takes the first replica's.
        self.k_t = keras.Variable(0.0, dtype="float32", trainable=False, name="k_t",
                                  aggregation="only_first_replica")

    def build_networks(self, image_shape, latent_dim):
        """``(generator, auto-encoder discriminator)``: the paper's; a subclass may build others."""
        return (began_generator(latent_dim, image_shape, self.width),
                began_discriminator(image_shape, self.width, self.hidden))

    def check_networks(self):
        super().check_networks()
        out = tuple(self.discriminator.outputs[0].shape[1:])
        if out != self.image_shape:
            raise ConfigError(f"BEGAN's discriminator must reconstruct its input {self.image_shape}; it returns {out}.")

    # ------------------------------------------------------------------ hooks

    def discriminate(self, samples, condition, update_state=True, weights=None):
        """The per-sample energies ``mean |x - D(x)|``, shape (batch, 1)."""
        reconstructions = super().discriminate(samples, condition, update_state, weights)
        return reconstruction_energy(samples, reconstructions)

    def d_loss_kwargs(self):
        return {**super().d_loss_kwargs(), "k": ops.convert_to_tensor(self.k_t)}

    def after_d_step(self, step, terms):
        """k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1) from the global-batch means."""
        super().after_d_step(step, terms)
        real_loss, fake_loss = replica_mean(step.real_outputs), replica_mean(step.fake_outputs)
        balance = self.gamma * real_loss - fake_loss
        k = ops.clip(ops.convert_to_tensor(self.k_t) + self.lambda_k * balance, 0.0, 1.0)
        self.k_t.assign(k)
        return {"k_t": k, "convergence": real_loss + ops.abs(balance)}
