"""StyleGAN: the base GAN with the style-based generator, R1 and the paper's defaults."""

import numpy as np
import tensorflow as tf
import keras
from keras import ops

from zoo.errors import DataError
from zoo.checks import packed_shape
from zoo.gan import GAN
from zoo.networks.dcgan import check_image_shape
from zoo.networks.stylegan import (check_psi, styles_layer, stylegan_discriminator, stylegan_generator,
                                   synthesis_model, with_truncation)


@keras.saving.register_keras_serializable(package="zoo")
class StyleGAN(GAN):
    """Style-based generator (Karras, Laine and Aila, 2019) with a ProGAN-style discriminator.

    The generator maps ``z`` to an intermediate latent ``w`` (8 equalized dense
    layers, learning-rate multiplier 0.01), feeds one style per layer to AdaIN
    over a learned constant, adds per-layer noise, and its inputs are ``z`` and
    ``noise_0 ... noise_{L-1}`` (two per resolution block, ``(batch, H, W, 1)``).
    ``generate`` draws the noise from its seed (``noise="zero"`` or a dict to set it).

    Training: the non-saturating logistic loss with R1 on real data, ``gamma/2 *
    E||grad D(x)||^2`` (``penalty="r1"``, ``penalty_weight=gamma=10``); style
    mixing with probability ``style_mixing``; ``w_avg`` tracks the mapped w (EMA,
    ``w_avg_decay``). The noise for each step is drawn from the step seed in
    ``generator_inputs``; the style-mixing draw happens inside the generator, in
    training mode only (``zoo.networks.stylegan.StyleMapping``).

    Truncation: ``generate(..., truncation_psi=0.7)``; for exports and saved files
    ``truncated_generator(0.7)`` bakes psi into a copy of the generator with the
    same inputs. The plain ``generator`` (and ``generator.keras``) is untruncated.

    Args:
        image_shape: ``(height, width, channels)``, ``s * 2**n`` with ``s`` in 3..7
            (32x32, 64x64 start from the paper's 4x4 constant; 28x28 from a 7x7 one).
        latent_dim: size of ``z`` (the paper: 512).
        w_dim: size of ``w`` (the paper: 512).
        mapping_layers: dense layers of the mapping network (the paper: 8).
        mapping_lr_multiplier: their learning-rate multiplier (the paper: 0.01).
        width: channels of the first two blocks, halved per later block (or a list, one per
            block, coarse to fine); D mirrors them.
        style_mixing: probability of mixing two latents in a training sample (the paper: 0.9).
        w_avg_decay: decay of the tracked average w (the paper: 0.995).
        **kwargs: the ``GAN`` options; ``loss`` defaults to ``"non_saturating"``, ``penalty`` to
            ``"r1"`` with ``penalty_weight=10``. The paper trains with Adam(1e-3, 0, 0.99) and a
            generator EMA (``ema_decay``).

    Example:
        >>> gan = StyleGAN(image_shape=(32, 32, 1), latent_dim=64, w_dim=64, width=32)
        >>> gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, 0.0, 0.99),
        ...             g_optimizer=keras.optimizers.Adam(1e-3, 0.0, 0.99))
        >>> images = gan.generate(16, seed=0, truncation_psi=0.7)
    """

    def __init__(self, image_shape=(32, 32, 3), latent_dim=128, w_dim=128, mapping_layers=8,
                 mapping_lr_multiplier=0.01, width=64, style_mixing=0.9, w_avg_decay=0.995,
                 loss="non_saturating", penalty="r1", penalty_weight=10.0, **kwargs):
        image_shape = check_image_shape(image_shape)
        generator = stylegan_generator(
            latent_dim, image_shape, w_dim, mapping_layers, mapping_lr_multiplier, width, style_mixing,
            w_avg_decay, latent_distribution=kwargs.get("latent_distribution", "normal"),
            seed=kwargs.get("seed"))
        self.w_dim, self.mapping_layers = w_dim, mapping_layers
        self.width = tuple(width) if isinstance(width, (list, tuple)) else width
        styles = styles_layer(generator)
        self.mapping_lr_multiplier, self.style_mixing = styles.lr_multiplier, styles.style_mixing
        self.w_avg_decay = styles.w_avg_decay
        discriminator = stylegan_discriminator(packed_shape(image_shape, kwargs.get("pack", 1)), width)
        super().__init__(generator=generator, discriminator=discriminator,
                         loss=loss, penalty=penalty, penalty_weight=penalty_weight, **kwargs)

    # ------------------------------------------------------------------ parts

    @property
    def styles(self):
        """The live generator's ``StyleMapping`` layer (mapping network, ``w_avg``, style mixing)."""
        return styles_layer(self.generator)

    @property
    def mapping(self):
        """The mapping network z -> w (PixelNorm + ``mapping_layers`` equalized dense layers)."""
        return self.styles.mapping

    @property
    def w_avg(self):
        """The tracked average w as a NumPy array (the sampling generator's: the EMA copy's when kept)."""
        return ops.convert_to_numpy(styles_layer(self.sampling_generator).w_avg)

    @property
    def num_styles(self):
        """Synthesis layers that take a style (two per resolution block)."""
        return self.styles.num_styles

    # ------------------------------------------------------------------ hooks

    def generator_inputs(self, z, condition):
        """``z`` and fresh N(0, 1) noise for every noise input, from the step seed."""
        del condition
        seed = self.step_seed()
        batch = ops.shape(z)[0]
        inputs = {"z": z}
        for i, (name, shape) in enumerate(self.noise_inputs):
            inputs[name] = tf.random.stateless_normal(
                (batch, *shape), seed=tf.random.experimental.stateless_fold_in(ops.cast(seed, "int64"), i),
                dtype=z.dtype)
        return inputs

    # ------------------------------------------------------------------ sampling

    def generate(self, n=None, z=None, seed=None, batch_size=256, truncation_psi=None, noise=None, **kwargs):
        """``Sampler.generate`` plus ``truncation_psi``: ``w' = w_avg + psi * (w - w_avg)``.

        ``truncation_psi=None`` runs the generator as it is (no truncation); a number runs
        the mapping, truncation and synthesis step by step (1.0 gives the same images as
        ``None``; 0 gives the average image for every ``z``).
        """
        if truncation_psi is None:
            return super().generate(n, z, seed=seed, batch_size=batch_size, noise=noise, **kwargs)
        psi = check_psi(truncation_psi)
        given = sorted(k for k, v in kwargs.items() if v is not None)
        if given:
            raise DataError(f"StyleGAN.generate() takes no {given} (the generator is unconditional).")
        z = self._check_latents(n, z, seed)
        noise = self._check_noise(noise, len(z), seed)
        styles = styles_layer(self.sampling_generator)
        ws = [styles.styles(z[i : i + batch_size], psi) for i in range(0, len(z), batch_size)]
        return self._synthesize(ops.convert_to_numpy(ops.concatenate(ws, axis=0)), noise, batch_size)

    def mix_styles(self, z1, z2, crossover, noise=None, seed=None, truncation_psi=1.0, batch_size=256):
        """Style mixing (the paper's Figure 3): layers ``< crossover`` take w(z1), the rest w(z2).

        ``crossover`` in ``[0, num_styles]`` (0: all from ``z2``; ``num_styles``: all from
        ``z1``); ``noise`` and ``seed`` as in ``generate``. Both w are truncated by ``truncation_psi``.
        """
        z1, z2 = self._check_latents(None, z1, None), self._check_latents(None, z2, None)
        if z1.shape != z2.shape:
            raise DataError(f"z1 and z2 must have the same shape; got {z1.shape} and {z2.shape}.")
        if isinstance(crossover, bool) or not isinstance(crossover, (int, np.integer)) or \
                not 0 <= crossover <= self.num_styles:
            raise DataError(f"crossover must be an integer layer index in [0, {self.num_styles}]; got {crossover!r}.")
        styles = styles_layer(self.sampling_generator)
        ws1 = ops.convert_to_numpy(styles.styles(z1, truncation_psi))
        ws2 = ops.convert_to_numpy(styles.styles(z2, truncation_psi))
        ws = np.concatenate([ws1[:, :crossover], ws2[:, crossover:]], axis=1)
        return self._synthesize(ws, self._check_noise(noise, len(z1), seed), batch_size)

    def _synthesize(self, ws, noise, batch_size):
        synthesis = synthesis_model(self.sampling_generator)
        names = [t.name for t in synthesis.inputs]
        out = []
        for i in range(0, len(ws), batch_size):
            feed = {"ws": ws[i : i + batch_size], **{k: v[i : i + batch_size] for k, v in noise.items()}}
            out.append(ops.convert_to_numpy(synthesis([feed[name] for name in names], training=False)))
        return np.concatenate(out, axis=0)

    def truncated_generator(self, truncation_psi=0.7):
        """A copy of the sampling generator with ``truncation_psi`` baked in (for exports).

        Same inputs (``z``, ``noise_*``) and weights (``w_avg`` included) as now; later
        training does not reach the copy. ``exports.export_generator(gan.truncated_generator(0.7), out)``.
        """
        return with_truncation(self.sampling_generator, truncation_psi)
