"""Pix2Pix: U-Net / PatchGAN shapes, the conditioning, the loss terms on fixed inputs, no latents,
translate() (deterministic and the paper's stochastic mode), fit (plain, EMA), bad input and an export
with parity. Training under a MirroredStrategy and the config and .keras round trips are the shared
harness's (tests/zoo/test_variant_harness.py)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import exports
import zoo
from exports.generator import describe_generator
from zoo import Pix2Pix, build_variant
from zoo.errors import ConfigError, DataError
from zoo.networks.image_to_image import patch_size, patchgan_discriminator, unet_depth, unet_generator
from zoo.steps import Step

SHAPE = (16, 16, 1)


def tiny(compile=True, **kwargs):
    keras.utils.set_random_seed(0)
    gan = Pix2Pix(**{**dict(image_shape=SHAPE, width=4, d_layers=1, seed=0), **kwargs})
    if compile:
        gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    return gan


def pairs(n=8, shape=SHAPE, seed=0):
    """Inputs and targets in [-1, 1]; the target is the inverted input (a learnable mapping)."""
    x = np.random.default_rng(seed).uniform(-1, 1, (n, *shape)).astype("float32")
    return x, -x


def snapshot(variables):
    return [np.array(v.numpy()) for v in variables]


def spread(model, seed=0):
    """He-scaled kernels: outputs use [-1, 1] (so parity and noise checks are not trivially met)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
            k = layer.kernel
            fan_in = k.shape[0] * k.shape[1] * (k.shape[3] if isinstance(layer, keras.layers.Conv2DTranspose)
                                                else k.shape[2])
            k.assign(rng.normal(0, np.sqrt(2.0 / fan_in), k.shape).astype("float32"))


def unchanged(before, variables):
    return all(np.array_equal(b, v.numpy()) for b, v in zip(before, variables))


# ------------------------------------------------------------------ networks


def test_unet_depth_and_shapes():
    assert unet_depth((256, 256, 3)) == 8 and unet_depth((32, 32, 1)) == 5 and unet_depth((28, 28, 1)) == 2
    with pytest.raises(ConfigError, match="divisible by 2\\*\\*3 = 8"):
        unet_depth((28, 28, 1), 3)
    g = unet_generator((32, 32, 3), output_channels=1, width=4)
    assert [t.name for t in g.inputs] == ["image"] and g.output.shape == (None, 32, 32, 1)
    assert g.get_layer("images").get_config()["activation"] == "tanh"
    # Dropout (the noise) in the three innermost decoder blocks only; a skip per encoder stage but the bottleneck.
    dropouts = [l.name for l in g.layers if isinstance(l, keras.layers.Dropout)]
    assert dropouts == ["up0_dropout", "up1_dropout", "up2_dropout"]
    skips = [l for l in g.layers if isinstance(l, keras.layers.Concatenate)]
    assert len(skips) == 4
    assert skips[0].input[1].shape[1:3] == (2, 2) and skips[-1].input[1].shape[1:3] == (16, 16)
    assert not [l for l in unet_generator((32, 32, 1), width=4, dropout=0.0).layers
                if isinstance(l, keras.layers.Dropout)]


def test_patchgan_is_conditioned_on_the_input_image():
    assert (patch_size(1), patch_size(2), patch_size(3)) == (16, 34, 70)  # 3 layers: the paper's 70x70
    d = patchgan_discriminator((32, 32, 1), condition_channels=3, width=4, layers=2)
    assert [t.name for t in d.inputs] == ["condition", "images"]
    assert d.output.shape == (None, 8, 8, 1)
    first = d.get_layer("c0")
    assert first.kernel.shape[2] == 4, "D's first convolution sees concat(input image, target) = 3 + 1 channels"
    gan = tiny(compile=False)
    x, y = pairs(2)
    base = gan.discriminate(tf.constant(y), tf.constant(x), update_state=False)
    other = gan.discriminate(tf.constant(y), tf.constant(-x), update_state=False)
    assert base.shape == (2, 8, 8, 1) and not np.allclose(base, other), "D's output depends on the condition"


# ------------------------------------------------------------------ losses


def test_loss_terms_on_fixed_inputs():
    gan = tiny(compile=False)
    real = tf.zeros((2, *SHAPE))
    fake = tf.fill((2, *SHAPE), 0.5)
    fake_logits = tf.zeros((2, 8, 8, 1))  # D undecided on every patch
    g = gan.g_loss_terms(Step(real, fake, None, None, fake_logits))
    assert set(g) == {"g_loss", "l1"}
    assert float(g["g_loss"]) == pytest.approx(np.log(2.0), rel=1e-6)  # softplus(-0): the non-saturating loss
    assert float(g["l1"]) == pytest.approx(100 * 0.5, rel=1e-6)  # lambda = 100 times mean |y - G(x)|
    real_logits = tf.fill((2, 8, 8, 1), 2.0)
    d = gan.d_loss_terms(Step(real, fake, None, real_logits, fake_logits))
    assert float(d["d_loss"]) == pytest.approx(np.log1p(np.exp(-2.0)) + np.log(2.0), rel=1e-6)
    assert float(tiny(compile=False, l1_weight=10.0).g_loss_terms(Step(real, fake, None, None, fake_logits))["l1"]) == \
        pytest.approx(5.0)


def test_the_g_step_minimises_the_adversarial_loss_plus_l1_of_the_translation():
    gan = tiny(l1_weight=100.0)
    x, y = (tf.constant(a) for a in pairs(4))
    before = snapshot(gan.generator.weights)
    # Expected terms from the networks at their current weights (G in training mode: dropout draws
    # random masks, so compare the L1 term over a dropout-free copy instead).
    nodrop = tiny(compile=False, dropout=0.0)
    nodrop.compile(d_optimizer=keras.optimizers.SGD(0.0), g_optimizer=keras.optimizers.SGD(0.0))
    fake = nodrop.generator(x, training=True)
    logits = nodrop.discriminator([x, fake], training=True)
    terms = nodrop.g_step(y, x)
    assert float(terms["l1"]) == pytest.approx(100 * float(np.mean(np.abs(y - fake))), rel=1e-5)
    assert float(terms["g_loss"]) == pytest.approx(float(np.mean(np.log1p(np.exp(-logits.numpy())))), rel=1e-5)
    gan.g_step(y, x)
    assert not unchanged(before, gan.generator.trainable_weights)


def test_each_step_changes_only_its_own_player_and_draws_no_latents():
    gan = tiny()
    x, y = (tf.constant(a) for a in pairs(4))
    g_before, d_before = snapshot(gan.generator.weights), snapshot(gan.discriminator.weights)
    seed_before = gan.seed_generator.state.numpy().copy()
    gan.d_step(y, x)
    assert unchanged(g_before, gan.generator.weights), "a D step changes no G variable (BN statistics included)"
    assert not unchanged(d_before, gan.discriminator.trainable_weights)
    d_before = snapshot(gan.discriminator.weights)
    gan.g_step(y, x)
    assert unchanged(d_before, gan.discriminator.weights), "a G step changes no D variable"
    np.testing.assert_array_equal(gan.seed_generator.state.numpy(), seed_before)  # no z was sampled
    assert gan.sample_latents(4) is None and gan.latent_dim is None


# ------------------------------------------------------------------ fit, translate


def test_fit_learns_a_paired_mapping_and_reports_each_term():
    gan = tiny(compile=False)
    gan.compile(d_optimizer=keras.optimizers.Adam(3e-3), g_optimizer=keras.optimizers.Adam(3e-3))
    low = np.random.default_rng(0).uniform(-1, 1, (16, 4, 4, 1)).astype("float32")
    x = tf.image.resize(low, SHAPE[:2]).numpy()  # smooth images: their inversion is learnt in a few steps
    y = -x
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8).repeat()
    history = gan.fit(ds, epochs=3, steps_per_epoch=8, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "l1", "loss"}
    assert history["l1"][-1] < 0.6 * history["l1"][0], history["l1"]
    ds = tf.data.Dataset.from_tensor_slices(pairs(8)).batch(4)
    assert np.isfinite(gan.fit(ds, epochs=1, verbose=0).history["loss"][0])


def test_translate_is_deterministic_and_the_stochastic_mode_updates_nothing():
    gan = tiny()
    x, y = pairs(8)
    gan.train_step((tf.constant(x), tf.constant(y)))  # BN moving statistics away from their start
    spread(gan.generator)
    out = gan.translate(x, batch_size=3)
    assert out.shape == (8, *SHAPE) and out.dtype == np.float32 and np.abs(out).max() <= 1
    assert np.abs(out).max() > 0.5
    np.testing.assert_allclose(out, gan.generator(x, training=False).numpy(), atol=1e-4)
    np.testing.assert_allclose(out, gan.translate(x), atol=1e-4)
    np.testing.assert_allclose(gan(x), out, atol=1e-4)  # gan(images) is the translation too
    state = snapshot(gan.generator.non_trainable_weights)
    noisy1, noisy2 = gan.translate(x, stochastic=True), gan.translate(x, stochastic=True)
    assert np.abs(noisy1 - out).max() > 0.05 and np.abs(noisy1 - noisy2).max() > 0.05, "dropout: the paper's mode"
    assert all(np.array_equal(b, v.numpy()) for b, v in zip(state, gan.generator.non_trainable_weights))
    uint8 = np.round((x + 1) * 127.5).astype("uint8")
    np.testing.assert_allclose(gan.translate(uint8), gan.translate(uint8.astype("float32") / 127.5 - 1.0), atol=1e-4)


def test_generate_points_to_translate(tmp_path):
    gan = tiny(compile=False)
    for call in (lambda: gan.generate(4), lambda: gan.latents(2), lambda: gan.grid_feed(4)):
        with pytest.raises(ConfigError, match=r"no latent input z.*translate\(images\).*\(n, 16, 16, 1\)"):
            call()
    gan.compile()
    with pytest.raises(ConfigError, match=r"grid_feed\(\) \(zoo.SampleGrid; use recipes.translation.TranslationGrid"):
        gan.fit(*pairs(8), epochs=1, verbose=0, callbacks=[zoo.SampleGrid(tmp_path, n=4)])


@pytest.mark.parametrize("data, message", [
    (lambda: (pairs(8)[0], pairs(8, shape=(8, 8, 1))[1]), r"target images have shape \(8, 8, 1\)"),
    (lambda: (pairs(8, shape=(16, 16, 3))[0], pairs(8)[1]), r"input images have shape \(16, 16, 3\)"),
    (lambda: (pairs(8)[0], None), "but no target images"),
    (lambda: (pairs(8)[0], pairs(6)[1]), "8 input images but 6 target images"),
    (lambda: (pairs(8)[0], (pairs(8)[1] * 127).astype("int32")), "are int32"),
    (lambda: (pairs(8)[0], pairs(8)[1] * 3), r"\[-1, 1\]"),
    (lambda: (tf.data.Dataset.from_tensor_slices(pairs(8)[0]).batch(4), None), "pairs"),
    (lambda: (tf.data.Dataset.from_tensor_slices(pairs(8)), None), "Call dataset.batch"),
    (lambda: (tf.data.Dataset.from_tensor_slices((pairs(8)[0], pairs(8, shape=(8, 8, 1))[1])).batch(4), None),
     r"target images have shape \(8, 8, 1\)"),
])
def test_bad_training_data_is_rejected_before_any_step(data, message):
    gan = tiny()
    x, y = data()
    with pytest.raises(DataError, match=message):
        gan.fit(x, y, epochs=1, verbose=0)


def test_bad_translate_inputs_and_options():
    gan = tiny(compile=False)
    with pytest.raises(DataError, match=r"one image of shape \(16, 16, 1\): pass images\[None\]"):
        gan.translate(pairs(1)[0][0])
    with pytest.raises(DataError, match=r"must have shape \(n, 16, 16, 1\)"):
        gan.translate(np.zeros((2, 8, 8, 1), "float32"))
    with pytest.raises(DataError, match=r"\[-1, 1\]"):
        gan.translate(np.full((2, *SHAPE), 5.0, "float32"))
    with pytest.raises(ConfigError, match="does not support penalty"):
        tiny(compile=False, penalty="r1")
    with pytest.raises(ConfigError, match="does not support pack"):
        tiny(compile=False, pack=2)
    with pytest.raises(ConfigError, match="l1_weight must be a number >= 0"):
        tiny(compile=False, l1_weight=-1)
    with pytest.raises(ConfigError, match="divisible by"):
        Pix2Pix(image_shape=(20, 20, 1), width=4, depth=3)
    with pytest.raises(ConfigError, match=r"no option\(s\) \['latent_dim'\]"):
        build_variant("pix2pix", latent_dim=8)


def test_ema_generator_translates():
    gan = tiny(ema_decay=0.5, depth=2)
    x, y = pairs(8)
    for i in (0, 4):  # eager steps: the base g_step updates the average
        gan.train_step((tf.constant(x[i:i + 4]), tf.constant(y[i:i + 4])))
    assert not np.allclose(gan.ema_generator.get_weights()[0], gan.generator.get_weights()[0])
    np.testing.assert_allclose(gan.translate(x), gan.ema_generator(x, training=False).numpy(), atol=1e-6)


# ------------------------------------------------------------------ saving, export


def test_export_with_parity_and_no_dropout_in_the_graph(tmp_path):
    gan = tiny(compile=False)
    spread(gan.generator)
    spec = describe_generator(gan.generator)
    assert spec.input_names == ("image",) and spec.output.shape == (None, *SHAPE)
    manifest = exports.export_generator(gan.generator, str(tmp_path / "out"), formats=("saved_model", "onnx"))
    errors = manifest["parity"]["max_abs_error"]
    assert errors["saved_model"] <= 1e-5 and errors["onnx"] <= 1e-4, errors
    # The exported graph is the deterministic translate() (dropout off): same outputs as Keras in test mode.
    served = tf.saved_model.load(str(tmp_path / "out" / "generator" / "1")).signatures["serving_default"]
    x = pairs(3)[0]
    out = served(image=tf.constant(x))["images"].numpy()
    np.testing.assert_allclose(out, gan.translate(x), atol=1e-5)
    assert np.abs(out).max() > 0.5
