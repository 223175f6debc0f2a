"""BEGAN: auto-encoder discriminator, L1 energies, the k_t equilibrium controller, M_global."""

import json
import os

import keras
import numpy as np
import pytest

import zoo
from zoo import BEGAN, DCGAN, build_variant, losses
from zoo.errors import ConfigError
from zoo.networks import began_discriminator, began_generator

TINY = dict(image_shape=(8, 8, 1), latent_dim=4, hidden=8, width=4, seed=0)


def real_images(n=8, shape=(8, 8, 1), seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, *shape)).astype("float32")


def tiny_began(strategy=None, lr=0.05, **kwargs):
    """A tiny BEGAN whose generator ignores z (zero projection kernel, random bias): its fakes are one
    fixed image, so D's energies on them can be computed by hand whatever latents the step draws."""
    keras.utils.set_random_seed(0)
    gan = BEGAN(**{**TINY, **kwargs})
    kernel, bias = gan.generator.get_layer("project").get_weights()
    rng = np.random.default_rng(1)
    gan.generator.get_layer("project").set_weights([np.zeros_like(kernel), rng.normal(0, 1, bias.shape)])
    gan.compile(d_optimizer=keras.optimizers.SGD(lr), g_optimizer=keras.optimizers.SGD(lr))
    return gan


def energies(gan, images):
    """mean |x - D(x)| per sample, in NumPy, from D's current weights."""
    recon = gan.discriminator(images, training=True).numpy()
    return np.abs(images - recon).reshape(len(images), -1).mean(axis=1)


def fixed_fake(gan, n):
    fake = gan.generator(gan.latents(n, seed=5), training=True).numpy()
    np.testing.assert_allclose(fake, gan.generator(gan.latents(n, seed=6), training=True).numpy(), atol=1e-7)
    return fake


# ---------------------------------------------------------------- networks


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3), (16, 16, 1)])
def test_shapes_and_the_auto_encoder(shape):
    gan = BEGAN(image_shape=shape, latent_dim=8, hidden=6, width=4, seed=0)
    images = gan.generate(3, seed=0)
    assert images.shape == (3, *shape) and np.abs(images).max() <= 1
    assert gan.discriminator(images).shape == (3, *shape), "D reconstructs its input"
    assert gan.discriminator.get_layer("embedding").units == 6
    assert gan.latent_distribution == "uniform", "the paper's U(-1, 1) latents"


def test_the_papers_architecture():
    g, d = began_generator(64, (28, 28, 1), 8), began_discriminator((28, 28, 1), 8, hidden=16)
    convs = [l for l in d.layers if isinstance(l, keras.layers.Conv2D)]
    assert all(l.kernel_size == (3, 3) for l in convs + [l for l in g.layers if isinstance(l, keras.layers.Conv2D)])
    assert all(l.get_config()["activation"] == "elu" for l in convs if l.name not in ("d_to_image",))
    encoder = [l for l in convs if l.name.startswith("enc")]
    assert [l.filters for l in encoder] == [8, 8, 8, 8, 16, 16, 16, 24, 24], "filters grow n, 2n, 3n"
    assert [l.strides for l in encoder if l.strides != (1, 1)] == [(2, 2), (2, 2)], "sub-sampling by stride 2"
    ups = [l for l in d.layers + g.layers if isinstance(l, keras.layers.UpSampling2D)]
    assert len(ups) == 4 and all(l.interpolation == "nearest" for l in ups)
    # The decoder half of D has the generator's architecture (not its weights).
    g_dec = [(type(l).__name__, tuple(l.output.shape)) for l in g.layers[1:]]
    d_dec = [(type(l).__name__, tuple(l.output.shape)) for l in d.layers[d.layers.index(d.get_layer("d_project")):]]
    assert g_dec == d_dec
    assert g.get_layer("images").get_config()["activation"] == "tanh"
    assert d.get_layer("reconstruction").get_config()["activation"] == "linear", "the paper's linear output"


def test_the_reconstruction_does_not_saturate():
    """D's L1 gradient must not vanish on the data's saturated pixels. With a tanh reconstruction D pushed
    MNIST's background (exactly -1) towards pre-activations of -inf; once there (here: bias -10) the strokes'
    gradient was ~1e-8 and the auto-encoder reconstructed every image as black."""
    import tensorflow as tf

    d = began_discriminator((8, 8, 1), width=4, hidden=8)
    layer = d.get_layer("d_to_image")
    kernel, bias = layer.get_weights()
    layer.set_weights([kernel, np.full_like(bias, -10.0)])
    images = -np.ones((4, 8, 8, 1), np.float32)
    images[:, 2:6, 3:5] = 1.0  # a white stroke on the -1 background
    with tf.GradientTape() as tape:
        energy = tf.reduce_mean(tf.abs(images - d(images, training=True)))
    grad = float(tape.gradient(energy, layer.bias)[0])
    assert grad < -0.5, f"d energy / d bias = {grad}: the reconstruction saturates"
    assert float(tf.reduce_min(d(images))) < -5, "D's reconstruction is not squashed into [-1, 1]"


# ---------------------------------------------------------------- loss and k_t math


def test_the_began_loss_pair():
    real, fake = np.array([[0.2], [0.4]], np.float32), np.array([[0.1], [0.5], [0.3]], np.float32)
    pair = losses.get_loss("began")
    assert pair.inputs == "energies" and not pair.g_uses_real
    assert float(pair.d_loss(real, fake, k=0.25)) == pytest.approx(0.3 - 0.25 * 0.3, rel=1e-6)
    assert float(pair.d_loss(real, fake)) == pytest.approx(0.3, rel=1e-6), "k_0 = 0"
    assert float(pair.g_loss(None, fake)) == pytest.approx(0.3, rel=1e-6)


def test_energy_losses_and_logit_losses_do_not_mix():
    with pytest.raises(ConfigError, match=r"Loss 'began' is defined on discriminator energies.*zoo.BEGAN"
                                          r".*choose one of .*hinge"):
        DCGAN(image_shape=(28, 28, 1), latent_dim=8, width=4, loss="began")
    with pytest.raises(ConfigError, match="BEGAN's objective is fixed.*got loss='hinge'"):
        BEGAN(**TINY, loss="hinge")


def test_d_and_g_steps_equal_hand_computed_values():
    import tensorflow as tf

    gan = tiny_began(gamma=0.7, lambda_k=0.1)
    gan.k_t.assign(0.3)
    real = real_images()
    fake = fixed_fake(gan, 8)
    lx, lg = energies(gan, real).mean(), energies(gan, fake).mean()
    terms = gan.d_step(tf.constant(real), None)
    assert set(terms) == {"d_loss", "k_t", "convergence"}
    assert float(terms["d_loss"]) == pytest.approx(lx - 0.3 * lg, rel=1e-5)
    k1 = float(np.clip(0.3 + 0.1 * (0.7 * lx - lg), 0, 1))
    assert float(gan.k_t) == pytest.approx(k1, rel=1e-5) and float(terms["k_t"]) == pytest.approx(k1, rel=1e-5)
    assert float(terms["convergence"]) == pytest.approx(lx + abs(0.7 * lx - lg), rel=1e-5)
    # G's step measures its fakes with the freshly updated D.
    lg_after = energies(gan, fake).mean()
    assert abs(lg_after - lg) > 1e-6, "D changed in its step"
    g_terms = gan.g_step(tf.constant(real), None)
    assert set(g_terms) == {"g_loss"}
    assert float(g_terms["g_loss"]) == pytest.approx(lg_after, rel=1e-5)


def test_one_fit_step_k1_from_the_recorded_losses():
    gan = tiny_began(gamma=0.8, lambda_k=0.05)
    real = real_images()
    lx_hand, lg = energies(gan, real).mean(), energies(gan, fixed_fake(gan, 8)).mean()
    history = gan.fit(real, batch_size=8, epochs=1, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "loss", "k_t", "convergence"}
    lx = history["d_loss"][0]  # k_0 = 0, so L_D = L(x)
    assert lx == pytest.approx(lx_hand, rel=1e-5)
    k1 = float(np.clip(0.05 * (0.8 * lx - lg), 0, 1))
    assert k1 > 0
    assert float(gan.k_t) == pytest.approx(k1, rel=1e-4) and history["k_t"][0] == pytest.approx(k1, rel=1e-4)
    assert history["convergence"][0] == pytest.approx(lx + abs(0.8 * lx - lg), rel=1e-5)
    assert history["loss"][0] == pytest.approx(history["d_loss"][0] + history["g_loss"][0], rel=1e-5), \
        "k_t and convergence are not loss terms"


class KRecorder(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.values = []

    def on_train_batch_end(self, batch, logs=None):
        self.values.append(float(self.model.k_t))


@pytest.mark.parametrize("gamma, bound", [(1.0, 1.0), (0.0, 0.0)])
def test_k_t_stays_in_the_unit_interval(gamma, bound):
    gan = tiny_began(gamma=gamma, lambda_k=50.0)
    recorder = KRecorder()
    gan.fit(real_images(16), batch_size=8, epochs=3, verbose=0, callbacks=[recorder])
    assert all(0.0 <= k <= 1.0 for k in recorder.values)
    assert bound in recorder.values, recorder.values


def test_history_reports_convergence_and_k_t_every_epoch():
    gan = tiny_began(lr=0.01)
    history = gan.fit(real_images(16), batch_size=4, epochs=3, verbose=0).history
    assert len(history["convergence"]) == 3 and len(history["k_t"]) == 3
    assert all(np.isfinite(history["convergence"])) and all(0 <= k <= 1 for k in history["k_t"])


def test_k_t_update_under_mirrored_strategy_uses_the_global_batch(mirrored):
    with mirrored.scope():
        gan = tiny_began(gamma=0.8, lambda_k=0.1)
    real = real_images(8)
    lx, lg = energies(gan, real).mean(), energies(gan, fixed_fake(gan, 8)).mean()
    gan.fit(real, batch_size=8, epochs=1, verbose=0, shuffle=False)
    k1 = float(np.clip(0.1 * (0.8 * lx - lg), 0, 1))
    assert k1 > 0
    parts = [float(p.numpy()) for p in mirrored.experimental_local_results(gan.k_t.value)]
    assert len(parts) == 2 and parts[0] == parts[1], "every replica holds the same k_t"
    assert parts[0] == pytest.approx(k1, rel=1e-4), "k_1 from the means over both replicas' halves"


# ---------------------------------------------------------------- saving, config, export, options


def test_keras_round_trip_keeps_k_t(tmp_path):
    gan = tiny_began(lr=0.01)
    gan.fit(real_images(16), batch_size=8, epochs=1, verbose=0)
    gan.k_t.assign(0.42)
    gan.save(tmp_path / "began.keras")
    loaded = keras.models.load_model(tmp_path / "began.keras")
    assert isinstance(loaded, BEGAN)
    assert float(loaded.k_t) == pytest.approx(0.42)
    assert loaded.get_config() == gan.get_config()
    z = gan.latents(3, seed=1)
    np.testing.assert_allclose(loaded.generate(z=z), gan.generate(z=z), atol=1e-6)
    assert int(loaded.d_optimizer.iterations) == 2
    gan.save_weights(tmp_path / "w.weights.h5")  # what BackupAndRestore / ModelCheckpoint write
    fresh = tiny_began()
    fresh.load_weights(tmp_path / "w.weights.h5")
    assert float(fresh.k_t) == pytest.approx(0.42)


def test_config_round_trip_and_registry():
    gan = build_variant("began", image_shape=(16, 16, 3), latent_dim=8, hidden=8, width=4, gamma=0.3,
                        lambda_k=0.002, ema_decay=0.99)
    config = gan.get_config()
    assert config["gamma"] == 0.3 and config["lambda_k"] == 0.002 and config["hidden"] == 8
    assert config["loss"] == "began" and "generator" not in config
    assert BEGAN.from_config(config).get_config() == config
    assert zoo.VARIANTS["began"] is BEGAN


def test_generator_exports_to_saved_model_and_onnx_with_parity(tmp_path):
    import exports

    gan = BEGAN(**TINY)
    manifest = exports.export_generator(gan.generator, str(tmp_path / "out"), formats=("saved_model", "onnx"))
    errors = manifest["parity"]["max_abs_error"]
    assert errors["saved_model"] <= 1e-6 and errors["onnx"] <= 1e-4, errors


@pytest.mark.parametrize("kwargs, message", [
    (dict(gamma=1.5), r"gamma .* must be a number in \[0, 1\], e.g. 0.5"),
    (dict(gamma=-0.1), r"gamma .* must be a number in \[0, 1\]"),
    (dict(gamma="0.5"), r"gamma .* must be a number in \[0, 1\]"),
    (dict(lambda_k=-1e-3), r"lambda_k must be a number >= 0"),
    (dict(hidden=0), r"hidden must be a positive integer"),
    (dict(width=2.5), r"width must be a positive integer"),
    (dict(latent_dim=-3), r"latent_dim must be a positive integer"),
    (dict(image_shape=(27, 27, 1)), r"BEGAN cannot build images of shape \(27, 27, 1\)"),
    (dict(pack=2), r"BEGAN does not support pack=2: .* Leave it at 1"),
    (dict(feature_matching=1.0), r"BEGAN does not support feature_matching=1.0"),
    (dict(unrolled_steps=3), r"BEGAN does not support unrolled_steps=3"),
    (dict(label_smoothing=0.1), r"label_smoothing applies to the cross-entropy losses"),
])
def test_bad_options_are_rejected(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        BEGAN(**{**TINY, **kwargs})


def test_the_recipe_trains_and_logs_the_equilibrium(tmp_path):
    from recipes.registry import make_config
    from recipes.train import run

    config = make_config("began_mnist", {"steps": 2, "batch_size": 4, "samples": 4, "width": 4, "hidden": 8,
                                         "latent_dim": 8})
    assert config.g_lr == config.d_lr == 5e-4 and config.model["gamma"] == 1.0 and config.model["lambda_k"] == 0.01
    assert config.model["ema_decay"] == 0.99
    summary = run(config, str(tmp_path / "run"), verbose=0)
    assert {"k_t", "convergence", "d_loss", "g_loss"} <= set(summary["final_metrics"])
    with open(tmp_path / "run" / "summary.json") as f:
        assert json.load(f)["recipe_config"]["variant"] == "began"
    assert os.path.isfile(tmp_path / "run" / "generator.keras")
