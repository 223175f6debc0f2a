"""ProGAN: fade-in identities, growing inside one fit, schedule, drift, round trip, export, strategy."""

import keras
import numpy as np
import pytest

import exports
from layers import EqualizedConv2D, EqualizedDense, FadeIn, MinibatchStdDev, PixelNorm
from zoo import ProGAN, build_variant
from zoo.errors import ConfigError
from zoo.networks.progan import check_widths
from zoo.progan import GrowthSchedule
from zoo.steps import Step

# Target 16x16: levels 0, 1, 2 = 4x4, 8x8, 16x16. Phases of 8 images, fade-ins of 16, batches of 4:
# level 0 for 2 steps, 8x8 fades in over 4 steps (alpha 0, .25, .5, .75), is stable for 2, then 16x16 fades in.
TINY = dict(image_shape=(16, 16, 1), latent_dim=8, widths=(8, 8, 4), phase_images=8, fade_images=16, seed=0)
EPOCHS = 10  # one step each: ends half-way through the 16x16 fade-in (40 images seen)


def tiny(**kwargs):
    keras.utils.set_random_seed(0)
    gan = ProGAN(**{**TINY, **kwargs})
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99),
                g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99))
    return gan


def images(n=4, size=16, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 1)).astype("float32")


def upsample(x, factor):
    return np.repeat(np.repeat(x, factor, axis=1), factor, axis=2)


def avg_pool(x, factor):
    n, h, w, c = x.shape
    return x.reshape(n, h // factor, factor, w // factor, factor, c).mean(axis=(2, 4))


def kernel(gan, name):
    net = gan.generator if name.startswith(("g", "to_rgb")) else gan.discriminator
    return np.array(net.get_layer(name).kernel.numpy())


class _Watch(keras.callbacks.Callback):
    """Records, per epoch, whether the 16x16 block's weights are still at their initial values."""

    def on_train_begin(self, logs=None):
        self.initial = {n: kernel(self.model, n) for n in ("g16_conv0", "to_rgb_16", "d16_conv0", "from_rgb_16")}
        self.untouched = []

    def on_epoch_end(self, epoch, logs=None):
        self.untouched.append(all(np.array_equal(v, kernel(self.model, n)) for n, v in self.initial.items()))


@pytest.fixture(scope="module")
def grown():
    """A tiny ProGAN after one fit of EPOCHS single-step epochs (shared; tests must not train it)."""
    gan = tiny()
    watch = _Watch()
    history = gan.fit(images(), batch_size=4, epochs=EPOCHS, verbose=0, callbacks=[watch])
    return gan, history.history, watch.untouched


# ---------------------------------------------------------------- (1) fade-in identities


def test_generator_fade_in_at_alpha_zero_is_the_upsampled_lower_resolution_output():
    gan = tiny()
    z = gan.latents(4, seed=1)
    fades = {f.name: f for f in gan.generator.layers if isinstance(f, FadeIn)}
    for level in (1, 2):
        res = 4 * 2**level
        if level == 2:
            fades["g8_fade"].alpha.assign(1.0)
        fade = fades[f"g{res}_fade"]
        lower = gan.generator_at(level - 1)(z).numpy()
        outputs = {}
        for a in (0.0, 0.5, 1.0):
            fade.alpha.assign(a)
            outputs[a] = gan.generator_at(level)(z).numpy()
        assert outputs[0.0].shape == (4, res, res, 1)
        np.testing.assert_allclose(outputs[0.0], upsample(lower, 2), atol=1e-6)
        assert np.abs(outputs[1.0] - outputs[0.0]).max() > 1e-3, "the new block must matter at alpha=1"
        # The blend is linear before tanh: atanh(G(0.5)) is the mean of atanh(G(0)) and atanh(G(1)).
        np.testing.assert_allclose(np.arctanh(outputs[0.5]),
                                   (np.arctanh(outputs[0.0]) + np.arctanh(outputs[1.0])) / 2, atol=1e-5)


def test_discriminator_fade_in_at_alpha_zero_is_the_downsampled_path():
    gan = tiny()
    fades = {f.name: f for f in gan.discriminator.layers if isinstance(f, FadeIn)}
    for level in (1, 2):
        res = 4 * 2**level
        x = images(4, res, seed=level)
        if level == 2:
            fades["d8_fade"].alpha.assign(1.0)
        fades[f"d{res}_fade"].alpha.assign(0.0)
        at_zero = gan.discriminator_at(level)(x).numpy()
        np.testing.assert_allclose(at_zero, gan.discriminator_at(level - 1)(avg_pool(x, 2)).numpy(), atol=1e-5)
        fades[f"d{res}_fade"].alpha.assign(1.0)
        assert np.abs(gan.discriminator_at(level)(x).numpy() - at_zero).max() > 1e-4


def test_full_networks_show_the_current_level_and_end_as_the_final_generator():
    gan = tiny()
    z, x = gan.latents(4, seed=2), images(4, 16, seed=3)
    for level, alpha in ((0, 1.0), (1, 0.0), (1, 0.3), (2, 0.6)):
        gan._set_alphas(level, alpha)
        factor = 2 ** (2 - level)
        np.testing.assert_allclose(gan.generate(z=z), upsample(gan.generator_at(level)(z).numpy(), factor),
                                   atol=1e-6)
        np.testing.assert_allclose(gan.discriminator(x).numpy(),
                                   gan.discriminator_at(level)(avg_pool(x, factor)).numpy(), atol=1e-5)
    gan._set_alphas(2, 1.0)
    final = gan.final_generator()
    assert not any(isinstance(l, FadeIn) for l in final.layers)
    assert [t.name for t in final.inputs] == ["z"] and final.output_shape == (None, 16, 16, 1)
    np.testing.assert_allclose(final(z).numpy(), gan.generate(z=z), atol=1e-6)


def test_architecture_uses_the_papers_layers():
    gan = tiny()
    g, d = gan.generator_at(2), gan.discriminator_at(2)
    weighted = [l for net in (g, d) for l in net.layers if l.weights and not isinstance(l, FadeIn)]
    assert weighted and all(isinstance(l, (EqualizedConv2D, EqualizedDense)) for l in weighted)
    g_layers = [l.name for l in g.layers]
    assert g_layers[1] == "g_norm_z" and sum(isinstance(l, PixelNorm) for l in g.layers) == 1 + 2 * 3
    assert {"to_rgb_8", "to_rgb_16"} <= set(g_layers) and "to_rgb_4" not in g_layers
    assert g.get_layer("to_rgb_16").kernel_size == 1 and g.get_layer("to_rgb_16").gain == 1.0
    mbstd = [l for l in d.layers if isinstance(l, MinibatchStdDev)]
    assert len(mbstd) == 1 and d.layers.index(mbstd[0]) > d.layers.index(d.get_layer("d8_pool"))
    assert d.get_layer("from_rgb_16").kernel_size == 1 and d.get_layer("from_rgb_8").kernel_size == 1
    assert g.get_layer("g16_conv0").filters == 4 and g.get_layer("g4_conv").filters == 8


# ---------------------------------------------------------------- (2), (3) growing in one fit


def test_one_fit_grows_through_three_resolutions_on_schedule(grown):
    gan, history, untouched = grown
    assert history["resolution"] == [4, 4, 8, 8, 8, 8, 8, 8, 16, 16]
    np.testing.assert_allclose(history["alpha"], [1, 1, 0, 0.25, 0.5, 0.75, 1, 1, 0, 0.25])
    assert int(gan.images_seen.numpy()) == 4 * EPOCHS
    assert (gan.level, gan.resolution, gan.alpha) == (2, 16, 0.5)
    # The 16x16 layers get no update before their level starts (the steps run the smaller networks),
    # nor in its first step, at alpha 0 (the new block's output has weight 0: zero gradients).
    assert untouched == [True] * 9 + [False]
    for key in ("d_loss", "g_loss", "penalty", "drift"):
        assert np.all(np.isfinite(history[key])), key
    # The optimizers were reset when 16x16 started (reset_optimizers): 2 steps since, not 10.
    assert int(gan.grown_level.numpy()) == 2
    assert int(gan.d_optimizer.iterations.numpy()) == int(gan.g_optimizer.iterations.numpy()) == 2


def test_alpha_is_linear_in_images_seen_within_a_fade_phase(grown):
    schedule = GrowthSchedule(levels=3, phase_images=8, fade_images=16)
    assert [schedule.level(s) for s in (0, 7, 8, 31, 32, 55, 56, 10**6)] == [0, 0, 1, 1, 2, 2, 2, 2]
    assert schedule.fade_start(1) == 8 and schedule.fade_start(2) == 32 and schedule.total_images == 56
    seen = np.arange(8, 24)
    np.testing.assert_allclose([schedule.alpha(s) for s in seen], (seen - 8) / 16)
    assert schedule.alpha(24) == schedule.alpha(31) == 1.0 and schedule.alpha(3) == 1.0
    # In training: each step of 4 images raises alpha by 4 / 16 during a fade-in.
    alphas = grown[1]["alpha"]
    np.testing.assert_allclose(np.diff(alphas[2:6]), 0.25)
    # After fit the full networks are set for the next step: 8x8 done, 16x16 at alpha 0.5.
    fades = {f.name: float(f.alpha.numpy()) for f in grown[0].generator.layers if isinstance(f, FadeIn)}
    assert fades == {"g8_fade": 1.0, "g16_fade": 0.5}


# ---------------------------------------------------------------- (4) drift


def test_drift_term_is_epsilon_times_the_mean_squared_real_score():
    gan = tiny(drift=0.001)  # before training: the hooks see level 0's networks (4x4)
    real, fake = images(4, 4, seed=4), images(4, 4, seed=5)
    real_logits, fake_logits = gan.discriminator_at(0)(real), gan.discriminator_at(0)(fake)
    terms = gan.d_loss_terms(Step(real, fake, None, real_logits, fake_logits))
    assert set(terms) == {"d_loss", "penalty", "drift"} and set(gan.d_loss_names) == set(terms)
    expected = 0.001 * np.mean(np.square(real_logits.numpy()))
    assert expected > 0
    np.testing.assert_allclose(float(terms["drift"]), expected, rtol=1e-5)
    np.testing.assert_allclose(float(terms["d_loss"]), np.mean(fake_logits) - np.mean(real_logits), rtol=1e-5)
    assert float(tiny(drift=0.0).d_loss_terms(Step(real, fake, None, real_logits, fake_logits))["drift"]) == 0.0


def test_real_images_are_pooled_and_faded_like_the_generator():
    gan = tiny()
    x = images(2, 16, seed=6)
    np.testing.assert_allclose(gan.real_at(x, 2, 1.0), x, atol=1e-6)
    np.testing.assert_allclose(gan.real_at(x, 1, 1.0), avg_pool(x, 2), atol=1e-6)
    np.testing.assert_allclose(gan.real_at(x, 1, 0.0), upsample(avg_pool(x, 4), 2), atol=1e-6)
    np.testing.assert_allclose(gan.real_at(x, 2, 0.25), 0.25 * x + 0.75 * upsample(avg_pool(x, 2), 2), atol=1e-6)


# ---------------------------------------------------------------- (5) round trip


def test_keras_round_trip_mid_schedule_restores_and_continues_the_schedule(grown, tmp_path):
    gan = grown[0]
    gan.save(tmp_path / "progan.keras")
    loaded = keras.models.load_model(tmp_path / "progan.keras")
    assert isinstance(loaded, ProGAN) and loaded.get_config() == gan.get_config()
    assert int(loaded.images_seen.numpy()) == 40 and (loaded.level, loaded.alpha) == (2, 0.5)
    fades = {f.name: float(f.alpha.numpy()) for f in loaded.generator.layers if isinstance(f, FadeIn)}
    assert fades == {"g8_fade": 1.0, "g16_fade": 0.5}
    z = gan.latents(3, seed=7)
    np.testing.assert_allclose(loaded.generate(z=z), gan.generate(z=z), atol=1e-6)
    assert int(loaded.grown_level.numpy()) == 2
    assert int(loaded.g_optimizer.iterations.numpy()) == int(gan.g_optimizer.iterations.numpy()) == 2
    history = loaded.fit(images(), batch_size=4, epochs=1, verbose=0).history
    assert history["resolution"] == [16] and history["alpha"] == [0.5]
    assert int(loaded.images_seen.numpy()) == 44
    assert int(loaded.g_optimizer.iterations.numpy()) == 3, "resuming is not growing: no optimizer reset"


# ---------------------------------------------------------------- (6) export


def test_the_final_generator_exports_with_parity(grown, tmp_path):
    generator = grown[0].final_generator()
    manifest = exports.export_generator(generator, str(tmp_path / "out"), formats=("saved_model", "onnx"))
    errors = manifest["parity"]["max_abs_error"]
    assert errors["saved_model"] <= 1e-5 and errors["onnx"] <= 1e-4, errors


# ---------------------------------------------------------------- (7) configuration


@pytest.mark.parametrize("kwargs, message", [
    (dict(image_shape=(28, 28, 1)), r"s = 4 \* 2\*\*k"),
    (dict(image_shape=(16, 8, 1)), r"square images"),
    (dict(image_shape=(4, 4, 1)), r"k >= 1"),
    (dict(widths=(8, 8)), r"3 positive ints, the channels at resolutions 4, 8, 16"),
    (dict(widths=0), r"widths must be"),
    (dict(latent_dim=0), r"latent_dim must be a positive integer"),
    (dict(phase_images=0), r"phase_images must be a positive integer number of images"),
    (dict(phase_images=1.5), r"phase_images must be"),
    (dict(phase_images=True), r"phase_images must be"),
    (dict(fade_images=-4), r"fade_images must be a positive integer"),
    (dict(drift=-0.1), r"drift must be a number >= 0"),
    (dict(pack=2), r"does not support pack"),
    (dict(feature_matching=1.0), r"does not support feature_matching"),
    (dict(reset_optimizers="yes"), r"reset_optimizers must be True or False"),
    (dict(loss="nope"), r"Unknown loss"),
])
def test_bad_options_raise_config_error(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        ProGAN(**{**TINY, **kwargs})


def test_registry_and_config_round_trip():
    gan = build_variant("progan", **{**TINY, "widths": 4, "ema_decay": 0.9})
    config = gan.get_config()
    assert config["widths"] == [4, 4, 4] and config["phase_images"] == 8 and config["fade_images"] == 16
    assert config["loss"] == "wasserstein" and config["penalty"] == "wgan_gp" and "generator" not in config
    assert ProGAN.from_config(config).get_config() == config
    assert check_widths(None, 6) == (128, 128, 128, 128, 64, 32) and check_widths(8, 2) == (8, 8)
    with pytest.raises(ConfigError, match=r"no option\(s\) \['phase'\]"):
        build_variant("progan", phase=3)


# ---------------------------------------------------------------- (8) distribution, EMA


def test_fit_under_mirrored_strategy_counts_global_images_and_grows(mirrored):
    # 8x8 (two levels) and no gradient penalty keep the two traces cheap; the penalty under a
    # strategy is the base class's (tests/zoo/test_tricks.py).
    keras.utils.set_random_seed(0)
    with mirrored.scope():
        gan = ProGAN(**{**TINY, "image_shape": (8, 8, 1), "widths": (8, 4), "fade_images": 8, "penalty": None,
                        "ema_decay": 0.9})
        gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99),
                    g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99))
    before = kernel(gan, "g4_conv")
    # Global batches of 8 (4 per replica): level 0, then the 8x8 fade-in (alpha 0), then alpha 1.
    history = gan.fit(images(8, 8), batch_size=8, epochs=3, verbose=0).history
    assert history["resolution"] == [4, 8, 8] and history["alpha"] == [1, 0, 1]
    assert int(gan.images_seen.numpy()) == 24 and int(gan.grown_level.numpy()) == 1
    assert not np.array_equal(before, kernel(gan, "g4_conv"))
    assert all(np.all(np.isfinite(v)) for v in history.values())
    # The weight average covers every level's layers and follows the fade-ins.
    ema = gan.sampling_generator
    assert ema is gan.ema_generator and float(ema.get_layer("g8_fade").alpha.numpy()) == 1.0
    assert gan.generate(2, seed=0).shape == (2, 8, 8, 1)


# ---------------------------------------------------------------- the recipe through the train CLI's API


def test_recipe_runs_through_the_train_api_and_grows(tmp_path):
    from recipes.registry import make_config
    from recipes.train import run

    config = make_config("progan_fashion_mnist", {
        "dataset": "mnist_embedded", "image_size": 16, "latent_dim": 8, "widths": 4, "phase_images": 16,
        "batch_size": 8, "steps": 3, "samples": 4})
    summary = run(config, str(tmp_path / "run"), verbose=0)
    assert summary["dataset"]["image_shape"] == [16, 16, 1]
    final = summary["final_metrics"]
    assert (final["resolution"], final["alpha"]) == (8.0, 0.0) and np.isfinite(final["drift"])
    generator = keras.models.load_model(tmp_path / "run" / "generator.keras")
    assert generator(np.zeros((2, 8), np.float32)).shape == (2, 16, 16, 1)
