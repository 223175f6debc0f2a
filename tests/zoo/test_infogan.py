"""InfoGAN: the networks and their code split, the info term against a hand computation, the codes
each step draws, generate(codes=/categorical=/continuous=) and its errors, sweep grids, fit (plain
and mirrored, with tricks that use D's logits) and the export inputs; the .keras round trip is the shared harness's (tests/zoo/test_variant_harness.py)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from conftest import tiny_conditional
from zoo import InfoGAN
from zoo.errors import ConfigError, DataError
from zoo.networks import infogan_discriminator, infogan_generator
from zoo.sampling import code_split, sweep_codes
from zoo.steps import Step

TINY = dict(latent_dim=8, width=4, q_units=8, seed=0)


def tiny_infogan(compile=True, **kwargs):
    return tiny_conditional(InfoGAN, compile=compile, **{**TINY, **kwargs})


def images(n=16, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 28, 28, 1)).astype("float32")


def _softplus(t):
    return np.log1p(np.exp(t))


def test_networks_take_z_and_codes_and_q_shares_the_trunk():
    g = infogan_generator(latent_dim=5, categorical=4, continuous=3, width=4)
    assert [t.name for t in g.inputs] == ["z", "codes"] and g.inputs[1].shape == (None, 7)
    assert str(g.inputs[1].dtype) == "float32" and code_split(g) == (4, 3)
    out = g([np.zeros((2, 5), "float32"), np.zeros((2, 7), "float32")])
    assert out.shape == (2, 28, 28, 1)
    d = infogan_discriminator((28, 28, 1), categorical=4, continuous=3, width=4, q_units=8)
    logits, q_cat, q_cont = d(out)
    assert logits.shape == (2, 1) and q_cat.shape == (2, 4) and q_cont.shape == (2, 3)
    assert d.get_layer("score").input is d.get_layer("q_hidden").input  # the same trunk


def test_fc_units_builds_the_papers_fully_connected_layers():
    """The paper's MNIST nets: G = FC-BN-ReLU before the projection; D = a shared FC-BN-lReLU on the
    flattened trunk read by the logit and by Q, whose hidden layer has batch norm too."""
    g = infogan_generator(latent_dim=5, categorical=4, continuous=3, width=4, fc_units=16)
    assert g.get_layer("fc").units == 16 and g.get_layer("project_reshape").input is g.get_layer("fc_relu").output
    assert g([np.zeros((2, 5), "float32"), np.zeros((2, 7), "float32")]).shape == (2, 28, 28, 1)
    d = infogan_discriminator((28, 28, 1), categorical=4, continuous=3, width=4, q_units=8, fc_units=16)
    shared = d.get_layer("fc_lrelu").output
    assert d.get_layer("score").input is shared and d.get_layer("q_hidden").input is shared
    assert isinstance(d.get_layer("fc_norm"), keras.layers.BatchNormalization)
    assert isinstance(d.get_layer("q_norm"), keras.layers.BatchNormalization)
    assert [tuple(t.shape[1:]) for t in d(np.zeros((2, 28, 28, 1), "float32"))] == [(1,), (4,), (3,)]
    layer_d = infogan_discriminator((28, 28, 1), width=4, q_units=8, norm="layer", fc_units=16)
    assert isinstance(layer_d.get_layer("q_norm"), keras.layers.LayerNormalization)
    gan = tiny_infogan(fc_units=16)
    assert gan.get_config()["fc_units"] == 16
    assert InfoGAN.from_config(gan.get_config()).discriminator.get_layer("fc").units == 16
    assert "fc" not in [layer.name for layer in tiny_infogan(compile=False).generator.layers]  # default: none


def test_info_terms_equal_the_hand_computation():
    gan = tiny_infogan(compile=False, categorical_weight=1.0, continuous_weight=0.5)
    assert gan.d_loss_names == ("d_loss", "d_info") and gan.g_loss_names == ("g_loss", "g_info")
    rng = np.random.default_rng(0)
    cat = np.array([0, 3, 9, 3])
    cont = rng.uniform(-1, 1, (4, 2)).astype("float32")
    codes = np.concatenate([np.eye(10, dtype="float32")[cat], cont], axis=1)
    q_cat, q_cont = rng.normal(size=(4, 10)), rng.normal(size=(4, 2))
    fake = (tf.constant(rng.normal(size=(4, 1)), tf.float32),
            (tf.constant(q_cat, tf.float32), tf.constant(q_cont, tf.float32)))
    real = (tf.constant(rng.normal(size=(4, 1)), tf.float32), fake[1])
    log_p = q_cat - np.log(np.exp(q_cat).sum(1, keepdims=True))
    ce = -np.mean(log_p[np.arange(4), cat])
    nll = np.mean(np.sum(0.5 * (cont - q_cont) ** 2, axis=1))
    want = 1.0 * ce + 0.5 * nll
    d = gan.d_loss_terms(Step(None, None, tf.constant(codes), real, fake))
    g = gan.g_loss_terms(Step(None, None, tf.constant(codes), None, fake))
    assert float(d["d_info"]) == pytest.approx(want, rel=1e-5)
    assert float(g["g_info"]) == pytest.approx(want, rel=1e-5)
    r_adv, f_adv = real[0].numpy()[:, 0], fake[0].numpy()[:, 0]
    assert float(d["d_loss"]) == pytest.approx(np.mean(_softplus(-r_adv)) + np.mean(_softplus(f_adv)), rel=1e-5)
    assert float(g["g_loss"]) == pytest.approx(np.mean(_softplus(-f_adv)), rel=1e-5)


def test_each_step_draws_one_hot_categorical_and_uniform_continuous_codes_ignoring_labels():
    gan = tiny_infogan(compile=False)
    x, codes = gan.unpack_batch((tf.constant(images(512)), tf.zeros((512,), "int32")))
    codes = codes.numpy()
    assert x.shape == (512, 28, 28, 1) and codes.shape == (512, 12) and codes.dtype == np.float32
    np.testing.assert_array_equal(codes[:, :10].sum(1), 1.0)
    assert set(np.unique(codes[:, :10])) == {0.0, 1.0}
    counts = np.bincount(codes[:, :10].argmax(1), minlength=10)
    assert counts.min() >= 30 and counts.max() <= 75, counts  # uniform: 51.2 each, sd ~6.8
    assert codes[:, 10:].min() >= -1 and codes[:, 10:].max() <= 1 and codes[:, 10:].std() > 0.5
    assert not np.array_equal(gan.unpack_batch(x)[1].numpy(), codes)  # fresh codes every step
    logits, (q_cat, q_cont) = gan.discriminate(x[:4], None, update_state=False)
    assert gan.adversarial_logits((logits, (q_cat, q_cont))) is logits
    assert q_cat.shape == (4, 10) and q_cont.shape == (4, 2)


def test_generate_with_codes_categorical_and_continuous():
    gan = tiny_infogan(compile=False)
    assert gan.has_codes and gan.code_split == (10, 2) and not gan.conditional
    z = gan.latents(4, seed=1)
    codes = np.zeros((4, 12), "float32")
    codes[np.arange(4), [1, 2, 3, 4]] = 1
    codes[:, 10] = [-2, -1, 1, 2]
    by_codes = gan.generate(z=z, codes=codes)
    by_parts = gan.generate(z=z, categorical=[1, 2, 3, 4], continuous=codes[:, 10:])
    np.testing.assert_allclose(by_codes, by_parts, atol=1e-6)
    direct = gan.generator([z, codes], training=False).numpy()
    np.testing.assert_allclose(by_codes, direct, atol=1e-6)
    # Random codes come from the seed (reproducible); a fixed categorical keeps z and continuous codes.
    np.testing.assert_array_equal(gan.generate(3, seed=5), gan.generate(3, seed=5))
    a = gan.generate(3, seed=5, categorical=2, continuous=[0.5, -0.5])
    assert a.shape == (3, 28, 28, 1) and not np.allclose(a, gan.generate(3, seed=5, categorical=7,
                                                                             continuous=[0.5, -0.5]))


@pytest.mark.parametrize("kwargs, message", [
    (dict(codes=np.zeros((2, 12))), r"codes must have shape \(3, 12\)"),
    (dict(codes=np.zeros((3, 12))), "must be one-hot"),
    (dict(codes=np.full((3, 12), np.nan)), "finite"),
    (dict(codes=np.eye(3, 12), categorical=1), "either codes= .* or categorical="),
    (dict(categorical=10), r"categorical must lie in \[0, 9\]"),
    (dict(categorical=[1, 2]), "one integer or 3 integers"),
    (dict(categorical=1.5), "categorical must be integer code values"),
    (dict(continuous=[1.0, 2.0, 3.0]), r"continuous must have shape \(2,\)"),
    (dict(continuous=[np.inf, 0.0]), "finite"),
    (dict(labels=1), "not conditional"),
])
def test_bad_codes_are_data_errors(kwargs, message):
    gan = tiny_infogan(compile=False)
    with pytest.raises(DataError, match=message):
        gan.generate(3, seed=0, **kwargs)


def test_codes_on_a_generator_without_codes_or_without_a_recorded_split():
    dcgan = zoo.DCGAN(latent_dim=8, width=4)
    with pytest.raises(DataError, match="no 'codes' input"):
        dcgan.generate(2, categorical=1)
    with pytest.raises(DataError, match="no 'codes' input"):
        dcgan.sweep_inputs()
    # A hand-built generator with a 'codes' input but no recorded split: only full codes= arrays.
    z, c = keras.Input((3,), name="z"), keras.Input((4,), name="codes")
    x = keras.layers.Dense(28 * 28)(keras.layers.Concatenate()([z, c]))
    g = keras.Model([z, c], keras.layers.Reshape((28, 28, 1), name="images")(x))
    from zoo.sampling import Sampler

    class Loaded(Sampler):
        generator = g

    s = Loaded()
    assert s.has_codes and s.code_split is None
    assert s.generate(z=np.zeros((2, 3)), codes=np.full((2, 4), 0.3)).shape == (2, 28, 28, 1)
    with pytest.raises(DataError, match="does not record its categorical/continuous split"):
        s.generate(2, categorical=1)


def test_sweep_grid_rows_are_categorical_values_and_columns_sweep_one_code(tmp_path):
    codes = sweep_codes(3, 2, index=1, cols=5)
    assert codes.shape == (15, 5)
    grid = codes.reshape(3, 5, 5)
    np.testing.assert_array_equal(grid[:, :, :3].argmax(-1), np.repeat(np.arange(3)[:, None], 5, 1))
    np.testing.assert_allclose(grid[0, :, 4], np.linspace(-2, 2, 5))
    np.testing.assert_array_equal(grid[:, :, 3], 0.0)
    with pytest.raises(DataError, match="index must be a continuous code"):
        sweep_codes(3, 2, index=2)
    gan = tiny_infogan(compile=False)
    z, codes, cols = gan.sweep_inputs(index=0, cols=4, seed=0)
    assert z.shape == (40, 8) and codes.shape == (40, 12) and cols == 4
    assert np.all(z == z[0])  # one z for the whole grid
    assert gan.generate(z=z, codes=codes).shape == (40, 28, 28, 1)
    # SampleGrid (and the train CLI) give an InfoGAN one row per categorical value.
    feed, cols = gan.grid_feed(20, seed=0)
    assert cols == 2 and list(feed["categorical"]) == list(np.repeat(np.arange(10), 2))
    grid = zoo.SampleGrid(tmp_path, n=20, seed=0)
    gan.compile()
    gan.fit(images(8), batch_size=8, epochs=1, verbose=0, callbacks=[grid])
    assert len(grid.paths) == 1


def test_fit_reports_the_info_terms_and_the_info_gradient_reaches_q_and_g():
    gan = tiny_infogan()
    q_kernel = gan.discriminator.get_layer("q_categorical").kernel
    q_before = q_kernel.numpy().copy()
    history = gan.fit(images(16), batch_size=8, epochs=1, verbose=0).history
    assert set(history) == {"d_loss", "d_info", "g_loss", "g_info", "loss"}
    assert all(np.isfinite(v).all() for v in history.values())
    assert not np.allclose(q_kernel.numpy(), q_before)  # only d_info reaches Q's heads
    # g_info alone moves every generator weight that sees the codes.
    x = tf.constant(images(8))
    _, codes = gan.unpack_batch(x)
    with tf.GradientTape() as tape:
        fake = gan.generator(gan.generator_inputs(gan.sample_latents(8), codes), training=True)
        info = gan.info(codes, gan.discriminate(fake, codes, update_state=False))
    grads = tape.gradient(info, gan.generator.trainable_variables)
    assert all(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in grads)


def test_infogan_trains_under_a_mirrored_strategy_with_a_penalty(mirrored):
    with mirrored.scope():
        gan = tiny_infogan(d_norm="layer", loss="wasserstein", penalty="wgan_gp")
    ds = tf.data.Dataset.from_tensor_slices((images(16), np.zeros(16, "int32"))).batch(8)  # labels ignored
    history = gan.fit(ds, epochs=1, verbose=0).history
    assert {"d_info", "g_info", "penalty"} <= set(history)
    assert all(np.isfinite(v[0]) for v in history.values()), history


def test_infogan_trains_with_an_unrolled_discriminator():
    gan = tiny_infogan(unrolled_steps=1)  # Q's weights get zero gradient inside the unrolled steps
    history = gan.fit(images(8), batch_size=8, epochs=1, verbose=0).history
    assert all(np.isfinite(v[0]) for v in history.values()), history


@pytest.mark.parametrize("options, message", [
    (dict(categorical=1), "categorical must be an integer >= 2"),
    (dict(continuous=0), "continuous must be an integer >= 1"),
    (dict(continuous_weight=-1.0), "continuous_weight must be a number >= 0"),
    (dict(categorical_weight="1"), "categorical_weight must be a number >= 0"),
    (dict(fc_units=0), "fc_units must be None .* or a positive integer"),
    (dict(fc_units=1024.0), "fc_units must be None"),
    (dict(pack=2), "does not support pack=2"),
    (dict(feature_matching=1.0), "does not support feature_matching"),
])
def test_bad_options_are_rejected(options, message):
    with pytest.raises(ConfigError, match=message):
        InfoGAN(**{**TINY, **options})


def test_registry_and_recipe():
    from recipes.registry import make_config

    assert zoo.VARIANTS["infogan"] is InfoGAN
    config = make_config("infogan_mnist", {"continuous_weight": 0.5})
    assert config.variant == "infogan" and config.dataset == "mnist"
    assert config.model["categorical"] == 10 and config.model["continuous_weight"] == 0.5
    assert config.model["fc_units"] == 1024 and (config.d_lr, config.g_lr) == (2e-4, 1e-3)  # the paper's nets, lrs
    gan = zoo.build_variant("infogan", latent_dim=4, width=4, q_units=4, categorical=3, continuous=1)
    assert gan.code_split == (3, 1)


def test_export_describes_inputs_z_and_codes(tmp_path):
    import exports
    from exports.generator import describe_generator, sample_inputs

    gan = tiny_infogan(compile=False)
    spec = describe_generator(gan.generator)
    assert spec.input_names == ("z", "codes")
    assert [t.to_dict() for t in spec.inputs] == [
        {"name": "z", "shape": [None, 8], "dtype": "float32"},
        {"name": "codes", "shape": [None, 12], "dtype": "float32"},
    ]
    feeds = sample_inputs(spec)
    assert feeds["b0/codes"].shape == (5, 12) and feeds["b0/codes"].dtype == np.float32
    manifest = exports.export_generator(gan, tmp_path / "out", formats="onnx")  # parity-checked in a subprocess
    assert [t["name"] for t in manifest["inputs"]] == ["z", "codes"]
