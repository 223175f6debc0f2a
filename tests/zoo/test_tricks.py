"""The training tricks as GAN options: clipping, smoothing, feature matching, history, unrolling, packing."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import GAN
from zoo.errors import ConfigError
from zoo.mixtures import mode_metrics, sample
from zoo.networks import mlp_discriminator, mlp_generator
from zoo.steps import Step


def small_gan(pack=1, g_norm="batch", minibatch=0, seed=0, lr=1e-3, betas=(0.5, 0.999), **options):
    keras.utils.set_random_seed(seed)
    g = mlp_generator(latent_dim=2, hidden=32, depth=2, norm=g_norm, reference_size=8)
    d = mlp_discriminator(hidden=16, depth=2, maxout_pieces=2, pack=pack, minibatch_kernels=minibatch)
    gan = GAN(g, d, seed=seed, pack=pack, **options)
    gan.compile(d_optimizer=keras.optimizers.Adam(lr, beta_1=betas[0], beta_2=betas[1]),
                g_optimizer=keras.optimizers.Adam(lr, beta_1=betas[0], beta_2=betas[1]))
    return gan


POINTS = sample("ring", 512, seed=0)


def test_weight_clipping_keeps_every_discriminator_weight_in_range():
    gan = small_gan(loss="wasserstein", clip_value=0.01, d_steps=5, lr=0.05)
    gan.fit(POINTS, batch_size=64, epochs=1, verbose=0)
    for v in gan.discriminator.trainable_variables:
        assert np.abs(v.numpy()).max() <= 0.01 + 1e-7, v.path
    assert any(np.abs(v.numpy()).max() > 0.009 for v in gan.discriminator.trainable_variables)


def test_g_steps_updates_the_generator_that_many_times_per_step():
    gan = small_gan(g_steps=2, d_steps=3)
    gan.fit(POINTS[:128], batch_size=64, epochs=1, verbose=0)  # 2 training steps
    assert int(gan.d_optimizer.iterations) == 6 and int(gan.g_optimizer.iterations) == 4
    assert gan.get_config()["g_steps"] == 2 and GAN.from_config(gan.get_config()).g_steps == 2
    d_opt, g_opt = zoo.linear_decay_optimizers(keras.optimizers.SGD, 1e-3, 1e-3, 10, d_steps=3, g_steps=2)
    assert (d_opt._learning_rate.total_steps, g_opt._learning_rate.total_steps) == (30, 20)
    with pytest.raises(ConfigError, match="g_steps"):
        small_gan(g_steps=0)


def test_simultaneous_updates_take_g_s_gradient_from_d_s_weights_before_its_update():
    def g_after_one_step(simultaneous, d_lr):
        keras.utils.set_random_seed(0)
        g = mlp_generator(latent_dim=2, hidden=16, depth=2, norm=None)
        d = mlp_discriminator(hidden=16, depth=2, maxout_pieces=1)
        gan = GAN(g, d, seed=0, loss="minimax", simultaneous=simultaneous)
        gan.compile(d_optimizer=keras.optimizers.SGD(d_lr), g_optimizer=keras.optimizers.SGD(0.1))
        gan.fit(POINTS[:64], batch_size=64, epochs=1, verbose=0, shuffle=False)
        assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 1
        return [v.numpy() for v in gan.generator.trainable_variables]

    # Simultaneous: how far D moves in this step cannot change G's update; alternating: it does.
    for still, moved in zip(g_after_one_step(True, 0.0), g_after_one_step(True, 5.0)):
        np.testing.assert_allclose(still, moved, rtol=1e-6, atol=1e-7)
    assert any(not np.allclose(a, b) for a, b in zip(g_after_one_step(False, 0.0), g_after_one_step(False, 5.0)))
    gan = small_gan(simultaneous=True)
    assert gan.get_config()["simultaneous"] is True and GAN.from_config(gan.get_config()).simultaneous
    with pytest.raises(ConfigError, match="simultaneous=True .* d_steps=5, g_steps=1: set both to 1"):
        small_gan(simultaneous=True, d_steps=5)
    with pytest.raises(ConfigError, match="simultaneous must be True or False"):
        small_gan(simultaneous="yes")


def test_penalty_and_history_terms_are_reported_and_weighted():
    gan = small_gan(penalty="wgan_gp", penalty_weight=10.0, historical_averaging=0.5)
    assert gan.d_loss_names == ("d_loss", "penalty", "d_history")
    assert gan.g_loss_names == ("g_loss", "g_history")
    history = gan.fit(POINTS, batch_size=64, epochs=2, verbose=0).history
    assert set(history) == {"d_loss", "penalty", "d_history", "g_loss", "g_history", "loss"}
    assert history["penalty"][-1] > 0 and history["d_history"][-1] > 0


def test_historical_average_tracks_the_mean_of_past_parameters():
    gan = small_gan(historical_averaging=1.0)
    avg = gan._history["d"]
    seen = []
    real = tf.constant(POINTS[:64])
    for _ in range(3):
        gan.d_step(real, None)
        seen.append([v.numpy() for v in gan.discriminator.trainable_variables])
    for i, a in enumerate(avg.variables[:-1]):
        np.testing.assert_allclose(a.numpy(), np.mean([s[i] for s in seen], axis=0), atol=1e-6)
    expected = sum(np.sum((v.numpy() - a.numpy()) ** 2) for v, a in zip(avg.targets, avg.variables))
    assert float(avg.penalty()) == pytest.approx(expected, rel=1e-5)


def test_feature_matching_term_matches_hand_computation():
    gan = small_gan(feature_matching=2.0)
    real = tf.constant(POINTS[:64])
    fake = gan.generator(gan.latents(64, seed=0), training=False)
    terms = gan.g_loss_terms(Step(real, fake, None, None, tf.zeros((64, 1))))
    features = keras.Model(gan.discriminator.inputs, gan.discriminator.get_layer("logits").input)
    expected = 2.0 * np.sum((features(real, training=True).numpy().mean(0)
                             - features(fake, training=True).numpy().mean(0)) ** 2)
    assert float(terms["feature_matching"]) == pytest.approx(expected, rel=1e-4)


def test_label_smoothing_only_for_cross_entropy_losses():
    small_gan(label_smoothing=0.1)
    with pytest.raises(ConfigError, match="label_smoothing applies to the cross-entropy losses"):
        small_gan(loss="hinge", label_smoothing=0.1)


@pytest.mark.parametrize("kwargs, message", [
    (dict(label_smoothing=1.0), r"label_smoothing must be a number in \[0.0, 1.0\)"),
    (dict(pack=0), "pack must be an integer >= 1"),
    (dict(unrolled_steps=1.5), "unrolled_steps must be an integer"),
    (dict(clip_value=0), "clip_value must be > 0"),
    (dict(penalty="gp"), "Unknown penalty 'gp'"),
    (dict(feature_matching=-1), "feature_matching must be a number >= 0"),
])
def test_bad_trick_values(kwargs, message):
    g, d = mlp_generator(hidden=8, depth=1), mlp_discriminator(hidden=8, depth=1)
    with pytest.raises(ConfigError, match=message):
        GAN(g, d, **kwargs)


def _g_gradients(gan, critic_weights=None, stop=False):
    real = tf.constant(POINTS[:64])
    z = tf.constant(gan.latents(64, seed=5))
    gan.seed_generator.state.assign([7, 0])
    with tf.GradientTape() as tape:
        if stop:
            weights = gan._unrolled_weights(real, None)
            weights = ([tf.stop_gradient(w) for w in weights[0]], weights[1])
            critic = lambda x: gan.discriminate(x, None, update_state=False, weights=weights)  # noqa: E731
        else:
            critic = gan.discriminator_for_g(real, None)
        loss = gan.adversarial_loss.g_loss(None, critic(gan.generator(z, training=True)))
    return [g.numpy() for g in tape.gradient(loss, gan.generator.trainable_variables)]


def test_unrolling_changes_the_generator_gradient_and_differentiates_through_the_steps():
    plain, unrolled = small_gan(), small_gan(unrolled_steps=3)
    unrolled.set_weights(plain.get_weights())
    before = [v.numpy() for v in unrolled.discriminator.variables]
    g0, g3 = _g_gradients(plain), _g_gradients(unrolled)
    g3_stopped = _g_gradients(unrolled, stop=True)
    assert all(np.all(np.isfinite(g)) for g in g3)
    assert not all(np.allclose(a, b, atol=1e-7) for a, b in zip(g0, g3)), "k=3 must differ from k=0"
    assert not all(np.allclose(a, b, atol=1e-9) for a, b in zip(g3, g3_stopped)), \
        "the gradient must flow through the unrolled updates"
    for b, v in zip(before, unrolled.discriminator.variables):
        np.testing.assert_array_equal(b, v.numpy())  # unrolling is functional: D is untouched
    assert int(unrolled.d_optimizer.iterations) == 0
    history = unrolled.fit(POINTS, batch_size=64, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][0])


def test_packing_concatenates_consecutive_samples():
    gan = small_gan(pack=2)
    x = tf.reshape(tf.range(12, dtype=tf.float32), (6, 2))
    np.testing.assert_array_equal(gan.pack_samples(x).numpy(), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]])
    images = tf.reshape(tf.range(2 * 2 * 2 * 3, dtype=tf.float32), (2, 2, 2, 3))
    packed = gan.pack_samples(images).numpy()
    assert packed.shape == (1, 2, 2, 6)
    np.testing.assert_array_equal(packed[0, ..., :3], images[0])
    np.testing.assert_array_equal(packed[0, ..., 3:], images[1])


def test_packed_discriminator_sees_m_times_wider_inputs():
    gan = small_gan(pack=4)
    assert gan.discriminator.inputs[0].shape[1:] == (8,)
    assert gan.discriminate(tf.constant(POINTS[:64]), None).shape == (16, 1)
    history = gan.fit(POINTS, batch_size=64, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][0])
    with pytest.raises(ConfigError, match=r"packed 2 at a time \(pack=2\), so D must take \(4,\)"):
        GAN(mlp_generator(hidden=8, depth=1), mlp_discriminator(hidden=8, depth=1), pack=2)
    with pytest.raises(ConfigError, match="multiple of 4; got 6"):
        gan.pack_samples(tf.zeros((6, 2)))


def test_virtual_batch_norm_and_minibatch_discrimination_train():
    gan = small_gan(g_norm="virtual", minibatch=4)
    history = gan.fit(POINTS, batch_size=64, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][0])
    # A VBN generator's outputs do not depend on the rest of the batch.
    z = gan.latents(10, seed=0)
    np.testing.assert_allclose(gan.generate(z=z[:3]), gan.generate(z=z)[:3], atol=1e-5)


FOUR = (np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.0], [0.0, -2.0]]), 0.2)


@pytest.mark.parametrize("options", [
    dict(loss="minimax"), dict(loss="non_saturating"), dict(loss="least_squares", lr=5e-4), dict(loss="hinge"),
    dict(loss="wasserstein", penalty="wgan_gp", d_steps=2, betas=(0.0, 0.9), lr=2e-3),
    dict(loss="wasserstein", clip_value=0.1, d_steps=3, lr=2e-3),
    dict(loss="relativistic"), dict(loss="relativistic_average"), dict(penalty="dragan", penalty_weight=1.0), dict(penalty="r1", penalty_weight=1.0),
], ids=lambda o: "+".join(f"{k}={v}" for k, v in o.items()))
def test_each_loss_learns_more_than_one_mode_of_a_2d_mixture(options):
    """A 960-step run of a tiny GAN depends on its initial weights, and those on what ran before in the
    process (Keras's global seed generator), so each loss gets two seeds and one must learn the mixture."""
    data = sample(FOUR, 2048, seed=1)
    tries = []
    for seed in (0, 1):
        gan = small_gan(**{"lr": 1e-3, "seed": seed, **options})
        gan.fit(data, batch_size=64, epochs=30, verbose=0, shuffle=False)  # order-independent of other tests
        metrics = mode_metrics(gan.generate(1000, seed=2), FOUR)
        tries.append(metrics)
        if metrics["modes"] >= 2 and metrics["high_quality"] > 0.15:
            return
    pytest.fail(f"no seed learned two modes with more than 15% high-quality samples: {tries}")


@pytest.mark.parametrize("options", [
    dict(pack=2), dict(penalty="wgan_gp", loss="wasserstein"), dict(penalty="dragan"), dict(penalty="r1"),
    dict(loss="wasserstein", clip_value=0.05, d_steps=2), dict(historical_averaging=1e-3),
    dict(feature_matching=1.0), dict(unrolled_steps=2), dict(label_smoothing=0.1),
    dict(loss="relativistic_average"), dict(g_norm="virtual", minibatch=3),
], ids=lambda o: "+".join(f"{k}={v}" for k, v in o.items()))
def test_every_trick_trains_under_a_mirrored_strategy(options, mirrored):
    with mirrored.scope():
        gan = small_gan(**options)
    history = gan.fit(POINTS[:128], batch_size=32, epochs=1, verbose=0).history
    assert all(np.isfinite(v[0]) for v in history.values()), history


@pytest.mark.parametrize("options", [dict(unrolled_steps=3), dict(loss="wasserstein", penalty="wgan_gp"),
                                     dict(pack=2, feature_matching=1.0)],
                         ids=lambda o: "+".join(f"{k}={v}" for k, v in o.items()))
def test_tricks_stay_finite_under_xla(options):
    # Regression: unrolled Adam under XLA gave NaN (d sqrt(v)/dv = inf where v == 0).
    gan = small_gan(**options)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5), jit_compile=True)
    history = gan.fit(POINTS, batch_size=64, epochs=2, verbose=0).history
    assert all(np.isfinite(v).all() for v in history.values()), history
