"""StyleGAN: mapping network, noise inputs, style mixing, w_avg and truncation, exports."""

import math
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import exports
from layers import EqualizedDense, NoiseInjection, PixelNorm
from zoo import StyleGAN, build_variant
from zoo.errors import ConfigError, DataError
from zoo.networks.stylegan import StyleMapping, block_channels, stylegan_plan, with_truncation
from zoo.registry import variant_options
from zoo.sampling import Sampler
from zoo.steps import Step

TINY = dict(image_shape=(16, 16, 1), latent_dim=8, w_dim=8, mapping_layers=2, width=8, seed=0)
MNIST = os.path.join(os.path.dirname(__file__), "..", "..", "recipes", "data", "mnist_embedded.npz")


def tiny(**kwargs):
    keras.utils.set_random_seed(0)
    return StyleGAN(**{**TINY, **kwargs})


def adam():
    return keras.optimizers.Adam(2e-3, beta_1=0.0, beta_2=0.99)


def digits(n, size=16):
    """``n`` real MNIST digits resized to ``size`` x ``size``, in [-1, 1]."""
    with np.load(MNIST) as data:
        x = data["x_train"][:n].astype("float32")[..., None]
    return np.clip(tf.image.resize(x, (size, size), antialias=True).numpy() / 127.5 - 1.0, -1.0, 1.0)


STEPS, BATCH = 256, 4


@pytest.fixture(scope="module")
def trained():
    """A tiny StyleGAN (style mixing 0.9, no R1) after 256 steps on 16x16 MNIST digits,
    so its weights, noise scales and ``w_avg`` are what training makes them, not the initialisation."""
    gan = tiny(penalty=None)  # R1 triples the step time; the mirrored test below trains with it
    gan.compile(d_optimizer=adam(), g_optimizer=adam())
    gan.fit(digits(STEPS * BATCH), batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    return gan


def corr(a, b):
    """Mean over images of the Pearson correlation of ``a[i]`` and ``b[i]`` (brightness/contrast-free)."""
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    a, b = a - a.mean(1, keepdims=True), b - b.mean(1, keepdims=True)
    return float(np.mean((a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1) + 1e-12)))


def lowpass(x, f=4):
    n, h, w, c = x.shape
    return x.reshape(n, h // f, f, w // f, f, c).mean(axis=(2, 4))


# ----------------------------------------------------------------------------- architecture


def test_generator_inputs_and_layer_plan():
    gan = tiny()
    assert [t.name for t in gan.generator.inputs] == ["z"] + [f"noise_{i}" for i in range(6)]
    assert gan.noise_inputs == [(f"noise_{i}", (s, s, 1)) for i, s in enumerate([4, 4, 8, 8, 16, 16])]
    assert gan.num_styles == 6 and gan.image_shape == (16, 16, 1)
    synthesis = gan.generator.get_layer("synthesis")
    kinds = [type(l).__name__ for l in synthesis.layers]
    assert kinds.count("NoiseInjection") == 6 and kinds.count("AdaIN") == 6
    assert kinds.count("EqualizedConv2D") == 5 + 1, "no conv on the constant; 2 per later block; toRGB"
    assert [l.interpolation for l in synthesis.layers if isinstance(l, keras.layers.UpSampling2D)] == ["nearest"] * 2
    to_rgb = synthesis.get_layer("to_rgb")
    assert to_rgb.kernel_size == 1 and to_rgb.gain == 1.0
    assert synthesis.get_layer("const").const.shape == (4, 4, 8)
    assert stylegan_plan((28, 28, 1)) == (7, 7, 3), "28x28 starts from a 7x7 constant"
    assert block_channels(64, 4) == [64, 64, 32, 16] and block_channels([8, 4, 4], 3) == [8, 4, 4]
    images = gan.generate(3, seed=0)
    assert images.shape == (3, 16, 16, 1) and images.min() >= -1 and images.max() <= 1
    assert gan.discriminator(images).shape == (3, 1)
    d_kinds = [type(l).__name__ for l in gan.discriminator.layers]
    assert "MinibatchStdDev" in d_kinds and d_kinds.count("AveragePooling2D") == 2


def test_mapping_is_8_equalized_dense_layers_with_lr_multiplier_001_after_pixel_norm():
    gan = StyleGAN(image_shape=(32, 32, 1), latent_dim=16, w_dim=16, width=4)
    mapping = gan.mapping
    assert isinstance(mapping.layers[0], PixelNorm)
    dense = mapping.layers[1:]
    assert len(dense) == 8 and all(isinstance(l, EqualizedDense) for l in dense)
    for layer in dense:
        assert layer.lr_multiplier == 0.01 and layer.units == 16 and layer.gain == pytest.approx(math.sqrt(2))
        assert float(layer.activation(tf.constant(-1.0))) == pytest.approx(-0.2), "leaky ReLU, slope 0.2"
        # Stored weights ~ N(0, 1 / 0.01): Adam's steps on them move the used weight 100x slower.
        assert 80 < float(np.std(layer.kernel.numpy())) < 120
        assert float(np.std(layer.scaled_kernel().numpy())) == pytest.approx(math.sqrt(2 / 16), rel=0.2)
    z = gan.latents(5, seed=0)
    np.testing.assert_allclose(mapping(3.0 * z), mapping(z), rtol=1e-5, atol=1e-6, err_msg="pixel norm on z first")
    assert len(tiny().mapping.layers) == 1 + 2, "mapping_layers is an option"


# ----------------------------------------------------------------------------- noise and sampling


def test_generate_with_a_seed_is_reproducible_noise_included(trained):
    gan = trained
    scales = [float(np.abs(l.scale.numpy()).max()) for l in gan.generator.get_layer("synthesis").layers
              if isinstance(l, NoiseInjection)]
    assert min(scales) > 1e-3, f"training gives the noise an effect (scales {scales})"
    a = gan.generate(4, seed=0)
    np.testing.assert_array_equal(gan.generate(4, seed=0), a)
    # Noise is drawn in full, then batched: the same inputs. Kernels may round differently at another batch
    # size (seen: 2.6e-6 with AVX2 kernels), so equal up to float32 rounding through the network.
    np.testing.assert_allclose(gan.generate(4, seed=0, batch_size=3), a, rtol=0, atol=1e-5)
    assert np.abs(gan.generate(4, seed=1) - a).max() > 1e-2
    z = gan.latents(4, seed=0)
    np.testing.assert_array_equal(gan.generate(z=z, seed=0), a)
    assert np.abs(gan.generate(z=z, seed=5) - a).max() > 1e-3, "the same z with other noise differs"
    zero = gan.generate(z=z, noise="zero")
    np.testing.assert_array_equal(gan.generate(z=z, seed=9, noise="zero"), zero)
    assert np.abs(zero - a).max() > 1e-3
    # A dict sets some inputs; the others are still drawn from the seed.
    drawn = gan.noise(4, seed=0)
    np.testing.assert_array_equal(gan.generate(z=z, seed=0, noise={"noise_5": drawn["noise_5"]}), a)
    np.testing.assert_array_equal(gan.generate(z=z, noise=drawn), a)
    changed = gan.generate(z=z, seed=0, noise={"noise_5": np.zeros((16, 16, 1))})  # one map for every sample
    assert 0 < np.abs(changed - a).max()
    # The sample grid uses fixed noise too, so successive grids differ only by training.
    feed, _ = gan.grid_feed(4, seed=0)
    np.testing.assert_array_equal(gan.generate(**feed), a)


@pytest.mark.parametrize("noise, message", [
    ({"noise_9": np.zeros((4, 4, 1))}, r"no input\(s\) \['noise_9'\].*noise_0"),
    ({"noise_0": np.zeros((2, 4, 4, 1))}, r"noise\['noise_0'\] must have shape \(3, 4, 4, 1\)"),
    ({"noise_0": np.full((4, 4, 1), np.nan)}, "finite"),
    ("gaussian", "noise must be 'random'"),
])
def test_bad_noise_is_a_data_error(noise, message):
    with pytest.raises(DataError, match=message):
        tiny().generate(3, seed=0, noise=noise)


class _Loaded(Sampler):
    """A bare generator behind the Sampler (what zoo.load returns for a catalogue entry)."""

    def __init__(self, model):
        self.generator = model


def test_the_sampler_draws_noise_for_any_generator_with_noise_inputs():
    z = keras.Input((3,), name="z")
    noise = keras.Input((2, 2, 1), name="noise_a")
    x = keras.layers.Reshape((2, 2, 1))(keras.layers.Dense(4)(z))
    model = keras.Model([z, noise], keras.layers.Activation("tanh", name="images")(
        keras.layers.Add()([x, noise])))
    sampler = _Loaded(model)
    images = sampler.generate(5, seed=0)
    np.testing.assert_array_equal(sampler.generate(5, seed=0), images)
    without = sampler.generate(5, seed=0, noise="zero")
    np.testing.assert_allclose(np.arctanh(images) - np.arctanh(without),
                               sampler.noise(5, seed=0)["noise_a"], atol=1e-4)
    plain = _Loaded(keras.Model(z, keras.layers.Dense(4)(z)))
    assert plain.noise_inputs == []
    with pytest.raises(DataError, match="no noise inputs"):
        plain.generate(2, noise="zero")


# ----------------------------------------------------------------------------- truncation and w_avg


def test_truncation_psi_0_gives_the_average_image_and_psi_1_the_generator(trained):
    gan = trained
    w_avg = gan.w_avg
    assert np.abs(w_avg).max() > 1e-2, "training moved w_avg"
    z = gan.latents(6, seed=3)
    one_noise = {name: np.asarray(v[0]) for name, v in gan.noise(1, seed=0).items()}  # same for all samples
    average = gan.generate(z=z, truncation_psi=0.0, noise=one_noise)
    np.testing.assert_allclose(average, np.repeat(average[:1], 6, axis=0), atol=1e-6)
    # ... and that image is the synthesis of w_avg itself.
    synthesis = gan.generator.get_layer("synthesis")
    ws = np.tile(w_avg[None, None], (1, gan.num_styles, 1))
    direct = synthesis([ws] + [one_noise[n][None] for n, _ in gan.noise_inputs])
    np.testing.assert_allclose(average[:1], direct, atol=1e-5)
    # psi = 1 is the untruncated generator (run as one Keras model); 0.5 lies between.
    np.testing.assert_allclose(gan.generate(z=z, seed=1, truncation_psi=1.0), gan.generate(z=z, seed=1), atol=1e-5)
    styles = gan.styles
    w = styles.map(z).numpy()
    np.testing.assert_allclose(styles.styles(z, 0.5).numpy()[:, 3], w_avg + 0.5 * (w - w_avg), atol=1e-6)
    spread = [gan.generate(z=gan.latents(32, 0), seed=1, truncation_psi=p).std(axis=0).mean() for p in (1.0, 0.5)]
    assert spread[1] < 0.8 * spread[0], f"truncation trades variety for typicality: {spread}"
    # A truncated copy (for exports) gives the same images as generate(truncation_psi=).
    np.testing.assert_allclose(gan.truncated_generator(0.5)(
        {"z": z, **gan.noise(6, seed=1)}, training=False), gan.generate(z=z, seed=1, truncation_psi=0.5), atol=1e-5)


def test_w_avg_update_rule_in_training_mode_only():
    gan = tiny(w_avg_decay=0.9)
    z = gan.latents(4, seed=0)
    inputs = {"z": z, **gan.noise(4, seed=0)}
    gan.generator(inputs, training=False)
    assert np.all(gan.w_avg == 0), "inference leaves w_avg alone"
    gan.generator(inputs, training=True)
    expected = 0.1 * gan.styles.map(z).numpy().mean(axis=0)
    np.testing.assert_allclose(gan.w_avg, expected, rtol=1e-5, atol=1e-7)
    gan.generator(inputs, training=True)
    np.testing.assert_allclose(gan.w_avg, 0.9 * expected + 0.1 * gan.styles.map(z).numpy().mean(axis=0), rtol=1e-5)


def test_w_avg_tracks_the_mapped_w_during_fit(trained):
    """After n generator steps from 0, an EMA with decay d of batch means holds (1 - d**n) E[w] (the
    mapping barely moves: lr multiplier 0.01), within a few standard errors of the EMA of batch means
    of BATCH samples. Updating in the discriminator steps as well would give (1 - d**(2n)) E[w]."""
    gan, d = trained, 0.995
    w = gan.styles.map(gan.latents(20000, seed=7)).numpy()
    mean_w, se = w.mean(axis=0), w.std(axis=0) / np.sqrt(BATCH) * np.sqrt((1 - d) / (1 + d))
    deviation = gan.w_avg - (1 - d**STEPS) * mean_w
    assert np.all(np.abs(deviation) < 4 * se + 0.02), (deviation, se)
    wrong = gan.w_avg - (1 - d ** (2 * STEPS)) * mean_w
    assert np.linalg.norm(wrong) > 2 * np.linalg.norm(deviation)


def test_fit_under_mirrored_strategy_keeps_the_exact_w_avg_ema(mirrored):
    """Two replicas and a mapping whose output is (nearly) constant c: after n train steps (a D and a
    G step each) w_avg = c * (1 - d**n), not c * (1 - d**(2n)) (the D step runs G without keeping its
    state), the same on both replicas (the update all-reduces the mean).
    8x8 images and no R1 keep the tracing of two replicas short (R1's double backprop triples it;
    test_r1_is_the_papers_gamma_over_2 checks the penalty on this D)."""
    keras.utils.set_random_seed(0)
    with mirrored.scope():
        gan = StyleGAN(**{**TINY, "image_shape": (8, 8, 1), "w_avg_decay": 0.8, "penalty": None})
        gan.compile(d_optimizer=adam(), g_optimizer=adam())
    for layer in gan.mapping.layers[1:]:
        layer.kernel.assign(np.zeros(layer.kernel.shape, "float32"))
        layer.bias.assign(np.linspace(-50, 100, layer.units).astype("float32"))
    c = gan.styles.map(gan.latents(2, seed=0)).numpy()[0]
    d_before = [v.numpy().copy() for v in gan.discriminator.trainable_variables]
    g_before = [v.numpy().copy() for v in gan.generator.trainable_variables]
    history = gan.fit(digits(24, size=8), batch_size=8, epochs=1, verbose=0, shuffle=False)
    assert all(np.isfinite(v[0]) for v in history.history.values())
    np.testing.assert_allclose(gan.w_avg, c * (1 - 0.8**3), rtol=1e-3, atol=1e-4)
    replicas = [v.numpy() for v in mirrored.experimental_local_results(gan.styles.w_avg.value)]
    assert len(replicas) == 2
    np.testing.assert_array_equal(replicas[0], replicas[1])
    assert all(np.any(b != v.numpy()) for b, v in zip(d_before, gan.discriminator.trainable_variables))
    assert sum(np.any(b != v.numpy()) for b, v in zip(g_before, gan.generator.trainable_variables)) > 0.9 * len(g_before)


def test_r1_is_the_papers_gamma_over_2_on_real_images():
    """The default penalty term is gamma/2 * E||grad D(x)||^2 on real x with gamma = 10."""
    gan = tiny()
    real, fake = digits(4), gan.generate(4, seed=0)
    x = tf.constant(real)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(gan.discriminator(x, training=True))
    expected = 10.0 / 2 * np.mean(np.sum(np.square(tape.gradient(total, x).numpy()), axis=(1, 2, 3)))
    logits = gan.discriminator(real), gan.discriminator(fake)
    terms = gan.d_loss_terms(Step(x, tf.constant(fake), None, *logits))
    assert set(terms) == {"d_loss", "penalty"} and expected > 0
    np.testing.assert_allclose(float(terms["penalty"]), expected, rtol=1e-4)


# ----------------------------------------------------------------------------- style mixing


def test_style_mixing_early_crossovers_change_the_layout_late_ones_fine_detail(trained):
    """Measured on the trained tiny generator with one fixed noise: w(z1) up to the crossover, w(z2)
    after it. (At initialisation the last layer's AdaIN alone changes images as much as an early
    crossover does - 0.50 vs 0.53 mean |change| - so this is learned, not built in.)"""
    gan = trained
    z1, z2, noise = gan.latents(64, seed=1), gan.latents(64, seed=2), gan.noise(64, seed=3)
    base = gan.generate(z=z1, noise=noise)
    np.testing.assert_allclose(gan.mix_styles(z1, z2, gan.num_styles, noise=noise), base, atol=1e-5)
    np.testing.assert_allclose(gan.mix_styles(z1, z2, 0, noise=noise), gan.generate(z=z2, noise=noise), atol=1e-5)
    early, late = gan.mix_styles(z1, z2, 1, noise=noise), gan.mix_styles(z1, z2, gan.num_styles - 1, noise=noise)
    change = {k: float(np.abs(m - base).mean()) for k, m in (("early", early), ("late", late))}
    layout = {k: corr(lowpass(m), lowpass(base)) for k, m in (("early", early), ("late", late))}
    structure = {k: corr(m, base) for k, m in (("early", early), ("late", late))}
    assert change["early"] > 1.2 * change["late"], change
    assert layout["late"] > layout["early"] + 0.05 and layout["late"] > 0.75, layout
    assert structure["late"] > structure["early"] + 0.15 and structure["late"] > 0.6, structure
    # From an early crossover the layout (4x4 low-pass) follows z2 more than z1.
    assert corr(lowpass(early), lowpass(gan.generate(z=z2, noise=noise))) > layout["early"]


def test_training_mixes_styles_with_the_given_probability():
    gan = tiny(style_mixing=0.5, w_avg_decay=0.0)
    styles = gan.styles
    z = gan.latents(400, seed=0)
    ws = styles(z, training=True).numpy()
    w = styles.map(z).numpy()
    same = np.all(np.isclose(ws, w[:, None]), axis=2)  # (batch, layers): layer uses w(z)?
    assert np.all(same[:, 0]), "the first layer always takes w(z)"
    cut = same.argmin(axis=1)  # first layer that takes the second latent (0: none)
    mixed = ~same.all(axis=1)
    assert 0.4 < mixed.mean() < 0.6
    assert set(cut[mixed]) == set(range(1, 6)), "crossovers in [1, num_styles)"
    for row, c in zip(same[mixed], cut[mixed]):
        assert row[:c].all() and not row[c:].any(), "w(z) before the crossover, the other w after"
    unmixed = tiny(style_mixing=0.0).styles
    np.testing.assert_allclose(unmixed(z, training=True).numpy(), np.repeat(unmixed.map(z).numpy()[:, None], 6, 1),
                               atol=1e-6, err_msg="style_mixing=0: every layer takes w(z)")


def test_generator_ema_copies_w_avg_and_generate_uses_the_average():
    gan = tiny(ema_decay=0.5)
    assert isinstance(gan.ema_generator.get_layer("styles"), StyleMapping)
    gan.styles.w_avg.assign(np.ones(8, "float32"))
    kernel = gan.generator.get_layer("synthesis").get_layer("to_rgb").kernel
    old = kernel.numpy().copy()
    kernel.assign(old + 1.0)
    gan.update_ema()
    np.testing.assert_array_equal(gan.w_avg, np.ones(8))  # w_avg (already an average) is copied
    ema_kernel = gan.ema_generator.get_layer("synthesis").get_layer("to_rgb").kernel.numpy()
    np.testing.assert_allclose(ema_kernel, old + 0.5, rtol=1e-6)
    z, noise = gan.latents(3, seed=0), gan.noise(3, seed=0)
    from_average = gan.ema_generator({"z": z, **noise}, training=False)
    np.testing.assert_allclose(gan.generate(z=z, noise=noise), from_average, atol=1e-6)
    np.testing.assert_allclose(gan.generate(z=z, noise=noise, truncation_psi=1.0), from_average, atol=1e-5)
    np.testing.assert_allclose(gan.truncated_generator(1.0)({"z": z, **noise}), from_average, atol=1e-6)
    assert np.abs(gan.generator({"z": z, **noise}) - from_average).max() > 1e-3


# ----------------------------------------------------------------------------- saving and exports


def test_keras_round_trip_keeps_w_avg(trained, tmp_path):
    gan = trained
    gan.save(tmp_path / "stylegan.keras")
    loaded = keras.models.load_model(tmp_path / "stylegan.keras", safe_mode=True)
    assert isinstance(loaded, StyleGAN) and loaded.get_config() == gan.get_config()
    np.testing.assert_array_equal(loaded.w_avg, gan.w_avg)
    for psi in (None, 0.7):
        np.testing.assert_allclose(loaded.generate(4, seed=2, truncation_psi=psi),
                                   gan.generate(4, seed=2, truncation_psi=psi), atol=1e-6)
    gan.truncated_generator(0.7).save(tmp_path / "generator.keras")
    generator = keras.models.load_model(tmp_path / "generator.keras", safe_mode=True)
    np.testing.assert_allclose(_Loaded(generator).generate(4, seed=2), gan.generate(4, seed=2, truncation_psi=0.7),
                               atol=1e-6)


def test_truncated_generator_exports_to_saved_model_and_onnx_with_parity(trained, tmp_path):
    gan = trained
    generator = gan.truncated_generator(0.7)
    manifest = exports.export_generator(generator, str(tmp_path / "out"), formats=("saved_model", "onnx"))
    errors = manifest["parity"]["max_abs_error"]
    assert errors["saved_model"] <= 1e-5 and errors["onnx"] <= 1e-4, errors
    assert [t["name"] for t in manifest["inputs"]] == ["z"] + [f"noise_{i}" for i in range(6)]
    # Given the same z and noise, the SavedModel and ONNX Runtime reproduce generate(truncation_psi=0.7).
    z, noise = gan.latents(3, seed=4), gan.noise(3, seed=4)
    expected = gan.generate(z=z, noise=noise, truncation_psi=0.7)
    served = tf.saved_model.load(str(tmp_path / "out" / "generator" / "1")).signatures["serving_default"]
    got = served(z=tf.constant(z), **{k: tf.constant(v) for k, v in noise.items()})["images"].numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)
    import onnxruntime

    session = onnxruntime.InferenceSession(str(tmp_path / "out" / "generator-v1.onnx"))
    np.testing.assert_allclose(session.run(["images"], {"z": z, **noise})[0], expected, atol=1e-4)


# ----------------------------------------------------------------------------- options


def test_config_round_trip_and_registry():
    gan = build_variant("stylegan", **{**TINY, "width": [8, 4, 4], "style_mixing": 0.5, "w_avg_decay": 0.99})
    config = gan.get_config()
    assert config["width"] == [8, 4, 4] and config["style_mixing"] == 0.5 and config["w_avg_decay"] == 0.99
    assert config["penalty"] == "r1" and config["penalty_weight"] == 10.0 and config["loss"] == "non_saturating"
    assert "generator" not in config, "StyleGAN rebuilds its networks from its options"
    assert StyleGAN.from_config(config).get_config() == config
    assert {"w_dim", "mapping_layers", "style_mixing", "w_avg_decay", "ema_decay"} <= set(variant_options("stylegan"))


@pytest.mark.parametrize("kwargs, message", [
    (dict(image_shape=(17, 17, 1)), "StyleGAN cannot build images of shape"),
    (dict(image_shape=(16, 16)), r"image_shape must be \(height, width, channels\)"),
    (dict(latent_dim=0), "latent_dim must be a positive integer"),
    (dict(w_dim=2.5), "w_dim must be a positive integer"),
    (dict(mapping_layers=0), "mapping_layers must be a positive integer"),
    (dict(mapping_lr_multiplier=0), "mapping_lr_multiplier must be a number"),
    (dict(width=[8, 8]), "one channel count per resolution block"),
    (dict(width=0), "width must be a positive integer"),
    (dict(style_mixing=1.5), "style_mixing must be a number in"),
    (dict(w_avg_decay=1.0), "w_avg_decay must be a number in"),
    (dict(penalty="r2"), "Unknown penalty"),
])
def test_bad_options_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        StyleGAN(**{**TINY, **kwargs})


def test_bad_truncation_and_crossover():
    gan = tiny()
    for psi in ("0.7", float("nan"), True):
        with pytest.raises(ConfigError, match="truncation_psi must be a finite number"):
            gan.generate(2, seed=0, truncation_psi=psi)
    with pytest.raises(ConfigError, match="truncation_psi"):
        gan.truncated_generator(float("inf"))
    with pytest.raises(ConfigError, match="no StyleMapping layer"):
        with_truncation(keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)]), 0.5)
    z = gan.latents(2, seed=0)
    with pytest.raises(DataError, match=r"crossover must be an integer layer index in \[0, 6\]"):
        gan.mix_styles(z, z, 7)
    with pytest.raises(DataError, match="StyleMapping|unconditional"):
        gan.generate(2, seed=0, truncation_psi=0.5, labels=1)
    assert isinstance(gan.styles, StyleMapping)
