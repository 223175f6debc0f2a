import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import changed, snapshot, tiny_networks
from zoo import GAN
from zoo.errors import ConfigError, DataError


def make_gan(seed=0, compile=True, **kwargs):
    keras.utils.set_random_seed(seed)
    g, d = tiny_networks()
    gan = GAN(g, d, seed=seed, **kwargs)
    if compile:
        gan.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2))
    return gan


def test_d_step_changes_the_discriminator_and_only_it(real_batch):
    gan = make_gan()
    g_vars, d_train, d_bn = gan.generator.variables, gan.discriminator.trainable_variables, [
        v for v in gan.discriminator.non_trainable_variables]
    g_before, d_before, bn_before = snapshot(g_vars), snapshot(d_train), snapshot(d_bn)
    terms = gan.d_step(tf.constant(real_batch), None)
    assert set(terms) == {"d_loss"}
    assert not any(changed(g_before, g_vars)), "a D step must not touch G (weights or BN statistics)"
    assert all(changed(d_before, d_train)), "every D weight gets a gradient"
    assert all(changed(bn_before, d_bn)), "D's own batch-norm statistics update in its step"


def test_g_step_changes_the_generator_and_only_it(real_batch):
    gan = make_gan()
    d_vars, g_train, g_bn = gan.discriminator.variables, gan.generator.trainable_variables, list(
        gan.generator.non_trainable_variables)
    d_before, g_before, bn_before = snapshot(d_vars), snapshot(g_train), snapshot(g_bn)
    terms = gan.g_step(tf.constant(real_batch), None)
    assert set(terms) == {"g_loss"}
    assert not any(changed(d_before, d_vars)), "a G step must not touch D (weights or BN statistics)"
    assert all(changed(g_before, g_train))
    assert all(changed(bn_before, g_bn))


def test_train_step_runs_d_steps_discriminator_updates_per_generator_update(real_batch):
    gan = make_gan(d_steps=3)
    gan.fit(real_batch, batch_size=8, epochs=2, verbose=0)
    assert int(gan.d_optimizer.iterations) == 6
    assert int(gan.g_optimizer.iterations) == 2


def test_fit_accepts_datasets_with_labels(real_batch):
    gan = make_gan()
    ds = tf.data.Dataset.from_tensor_slices((real_batch, np.arange(8))).batch(4)
    history = gan.fit(ds, epochs=1, verbose=0)
    assert len(history.history["d_loss"]) == 1


def test_xla_compiled_training_step_runs(real_batch):
    gan = make_gan(compile=False)
    gan.compile(jit_compile=True)
    history = gan.fit(real_batch, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_generate_is_deterministic_for_a_seed_and_matches_the_generator():
    gan = make_gan()
    a, b = gan.generate(6, seed=3), gan.generate(6, seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, gan.generate(6, seed=4))
    z = gan.latents(6, seed=3)
    np.testing.assert_allclose(a, gan.generator(z, training=False).numpy(), atol=1e-6)
    np.testing.assert_allclose(gan.generate(z=z, batch_size=4), a, atol=1e-6)
    assert a.shape == (6, 4, 4, 1) and a.min() >= -1 and a.max() <= 1


def test_uniform_latents_stay_in_range():
    gan = make_gan(latent_distribution="uniform")
    z = gan.latents(1000, seed=0)
    assert z.min() >= -1 and z.max() <= 1 and abs(z.mean()) < 0.05


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(), "exactly one of n"),
        (dict(n=2, z=np.zeros((2, 4))), "exactly one of n"),
        (dict(n=0), "positive integer"),
        (dict(z=np.zeros((2, 5))), r"z must have shape \(n, 4\)"),
        (dict(z=np.full((2, 4), np.nan)), "finite"),
    ],
)
def test_generate_rejects_bad_requests(kwargs, message):
    with pytest.raises(DataError, match=message):
        make_gan(compile=False).generate(**kwargs)


def test_network_mismatch_is_caught_at_construction():
    g, _ = tiny_networks(image_shape=(4, 4, 1))
    _, d = tiny_networks(image_shape=(4, 4, 3))
    with pytest.raises(ConfigError, match=r"discriminator takes inputs of shape \(4, 4, 3\) but the generator makes \(4, 4, 1\)"):
        GAN(g, d)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(loss="wassersteinn"), "Unknown loss 'wassersteinn'"),
        (dict(d_steps=0), "d_steps must be an integer >= 1"),
        (dict(latent_distribution="cauchy"), "latent_distribution must be one of"),
    ],
)
def test_bad_options_are_rejected(kwargs, message):
    g, d = tiny_networks()
    with pytest.raises(ConfigError, match=message):
        GAN(g, d, **kwargs)


def test_non_model_networks_are_rejected():
    with pytest.raises(ConfigError, match="generator must be a built keras.Model"):
        GAN(lambda z: z, tiny_networks()[1])


def test_compile_rejects_keras_loss_and_shared_optimizer():
    gan = make_gan(compile=False)
    with pytest.raises(ConfigError, match="does not take 'loss'"):
        gan.compile(loss="mse")
    opt = keras.optimizers.Adam()
    with pytest.raises(ConfigError, match="two distinct optimizer objects"):
        gan.compile(d_optimizer=opt, g_optimizer=opt)


def test_fit_before_compile_is_an_error(real_batch):
    with pytest.raises(ConfigError, match="compile"):
        make_gan(compile=False).fit(real_batch, epochs=1, verbose=0)


@pytest.mark.parametrize(
    "data, message",
    [
        (np.zeros((8, 5, 5, 1), np.float32), r"images have shape \(5, 5, 1\).*makes images of shape \(4, 4, 1\)"),
        (np.zeros((8, 16), np.float32), "NHWC images"),
        (np.zeros((8, 4, 4, 1), np.uint8), "uint8; the GAN trains on floats in \\[-1, 1\\]"),
        (np.full((8, 4, 4, 1), np.nan, np.float32), "128 NaN/Inf values"),
        (np.full((8, 4, 4, 1), 200.0, np.float32), r"pixel values in \[200, 200\].*x / 127.5 - 1"),
        (tf.data.Dataset.from_tensor_slices(np.zeros((8, 6, 6, 1), np.float32)).batch(4), r"dataset yields images of shape \(6, 6, 1\)"),
        (tf.data.Dataset.from_tensor_slices(np.zeros((8, 4, 4, 1), np.float32)), "Call dataset.batch"),
        (tf.data.Dataset.from_tensor_slices(np.zeros((8, 4, 4, 1), np.uint8)).batch(4), "uint8 images"),
        (tf.data.Dataset.from_tensor_slices({"image": np.zeros((8, 4, 4, 1), np.float32)}).batch(4), "Map dict elements"),
    ],
)
def test_fit_rejects_data_that_does_not_fit_before_training(data, message):
    gan = make_gan()
    before = snapshot(gan.trainable_variables)
    with pytest.raises(DataError, match=message):
        gan.fit(data, epochs=1, verbose=0)
    assert not any(changed(before, gan.trainable_variables))


def test_replicas_draw_different_latents_and_train_mirrored(real_batch, mirrored):
    strategy = mirrored
    with strategy.scope():
        gan = make_gan()
    z = strategy.run(tf.function(lambda: gan.sample_latents(4)))
    a, b = (t.numpy() for t in strategy.experimental_local_results(z))
    assert not np.allclose(a, b), "each replica must see different latents"
    history = gan.fit(real_batch, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_trains_with_float32_outputs_and_losses(policy, real_batch):
    from zoo import DCGAN

    keras.mixed_precision.set_global_policy(policy)
    try:
        gan = DCGAN(image_shape=(28, 28, 1), latent_dim=8, width=4, seed=0)
        gan.compile()
    finally:
        keras.mixed_precision.set_global_policy("float32")
    if policy == "mixed_float16":
        assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
        assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert gan.generator.output.dtype == "float32" and gan.discriminator.output.dtype == "float32"
    data = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    history = gan.fit(data, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert gan.generate(2, seed=0).dtype == np.float32


class _IgnoresTheDiscriminator(GAN):
    def d_loss_terms(self, step):
        return {"d_loss": tf.reduce_mean(step.real) * 0.0}


def test_a_loss_that_reaches_no_weights_is_reported(real_batch):
    g, d = tiny_networks()
    gan = _IgnoresTheDiscriminator(g, d)
    gan.compile()
    with pytest.raises(ConfigError, match="No gradient reaches .*d_dense"):
        gan.fit(real_batch, batch_size=8, epochs=1, verbose=0)


class _UndeclaredTerm(GAN):
    def d_loss_terms(self, step):
        terms = super().d_loss_terms(step)
        terms["gp"] = tf.constant(0.0)
        return terms


def test_an_undeclared_loss_term_is_reported(real_batch):
    g, d = tiny_networks()
    gan = _UndeclaredTerm(g, d)
    gan.compile()
    with pytest.raises(ConfigError, match=r"returned terms \['d_loss', 'gp'\].*d_loss_names"):
        gan.fit(real_batch, batch_size=8, epochs=1, verbose=0)
