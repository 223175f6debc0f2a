"""The networks of "Are GANs Created Equal?" (Lucic et al. 2018) and their variants."""

import keras
import numpy as np
import pytest

import zoo
from recipes.registry import RECIPES, STUDY_DATASETS, STUDY_LOSSES, make_config
from zoo.errors import ConfigError
from zoo.networks.study import study_autoencoder, study_discriminator, study_generator


def layer_summary(model):
    """(type, output shape) of every layer with weights or a shape change, in order."""
    return [(type(l).__name__, tuple(l.output.shape[1:])) for l in model.layers[1:]]


def test_the_generator_is_the_papers():
    g = study_generator(64, (28, 28, 1))
    assert layer_summary(g) == [
        ("Dense", (1024,)), ("BatchNormalization", (1024,)), ("LeakyReLU", (1024,)),
        ("Dense", (6272,)), ("BatchNormalization", (6272,)), ("LeakyReLU", (6272,)), ("Reshape", (7, 7, 128)),
        ("Conv2DTranspose", (14, 14, 64)), ("BatchNormalization", (14, 14, 64)), ("LeakyReLU", (14, 14, 64)),
        ("Conv2DTranspose", (28, 28, 1)), ("Activation", (28, 28, 1)),
    ]
    # FC 64->1024, FC 1024->6272, deconv 4x4 128->64, deconv 4x4 64->1, each with a bias; 3 BNs (4 numbers each).
    weights = (64 * 1024 + 1024) + (1024 * 6272 + 6272) + (16 * 128 * 64 + 64) + (16 * 64 + 1)
    assert g.count_params() == weights + 4 * (1024 + 6272 + 64) == 6_656_961
    assert g.get_layer("images").get_config()["activation"] == "tanh"
    for bn in (l for l in g.layers if isinstance(l, keras.layers.BatchNormalization)):
        assert (bn.momentum, bn.epsilon) == (0.999, 1e-3), "TF1 batch_norm(decay=0.999, epsilon=0.001)"
    lrelu = [l for l in g.layers if isinstance(l, keras.layers.LeakyReLU)]
    assert len(lrelu) == 3 and all(np.isclose(l.negative_slope, 0.2) for l in lrelu)


@pytest.mark.parametrize("batch_norm", [True, False])
def test_the_discriminator_is_the_papers_with_its_batch_norm_switch(batch_norm):
    d = study_discriminator((28, 28, 1), batch_norm=batch_norm)
    kinds = [k for k, _ in layer_summary(d)]
    assert kinds.count("BatchNormalization") == (2 if batch_norm else 0)
    convs = [l for l in d.layers if isinstance(l, keras.layers.Conv2D)]
    assert [(l.filters, l.kernel_size, l.strides) for l in convs] == [(64, (4, 4), (2, 2)), (128, (4, 4), (2, 2))]
    dense = [l.units for l in d.layers if isinstance(l, keras.layers.Dense)]
    assert dense == [1024, 1]
    weights = (16 * 64 + 64) + (16 * 64 * 128 + 128) + (6272 * 1024 + 1024) + (1024 + 1)
    assert d.count_params() == weights + (4 * (128 + 1024) if batch_norm else 0)
    assert d(np.zeros((3, 28, 28, 1), "float32")).shape == (3, 1)


def test_the_began_auto_encoder_is_the_studys():
    ae = study_autoencoder((28, 28, 1), batch_norm=False)
    dense = [l.units for l in ae.layers if isinstance(l, keras.layers.Dense)]
    assert dense == [64, 6272], "a 64-unit code, then the generator's FC 7x7x128"
    assert ae.count_params() == 1_073_601
    x = np.random.default_rng(0).uniform(-1, 1, (2, 28, 28, 1)).astype("float32")
    assert ae(x).shape == x.shape


def test_shapes_are_checked():
    with pytest.raises(ConfigError, match="divisible by 4"):
        zoo.StudyGAN(image_shape=(30, 30, 1))
    with pytest.raises(ConfigError, match="latent_dim"):
        study_generator(0)
    with pytest.raises(ConfigError, match="d_batch_norm must be True or False"):
        zoo.StudyGAN(d_batch_norm="yes")


def test_the_variants_default_to_the_studys_latents_and_settings():
    """(Their config and .keras round trips are the shared harness's: tests/zoo/test_variant_harness.py.)"""
    gan = zoo.StudyGAN(image_shape=(8, 8, 1), latent_dim=4, seed=0)
    assert gan.latent_distribution == "uniform"
    began = zoo.StudyBEGAN(image_shape=(8, 8, 1), latent_dim=4, seed=0)
    assert began.latent_distribution == "uniform"
    assert began.gamma == 0.75 and began.lambda_k == 1e-3 and "hidden" not in began.get_config()


def test_least_squares_sigmoid_is_least_squares_on_probabilities():
    loss = zoo.losses.get_loss("least_squares_sigmoid")
    real, fake = np.array([[0.5], [-2.0]], "float32"), np.array([[1.0], [0.0]], "float32")
    p_real, p_fake = 1 / (1 + np.exp(-real)), 1 / (1 + np.exp(-fake))
    expected_d = 0.5 * np.mean((p_real - 1) ** 2) + 0.5 * np.mean(p_fake ** 2)
    np.testing.assert_allclose(float(loss.d_loss(real, fake)), expected_d, rtol=1e-6)
    np.testing.assert_allclose(float(loss.g_loss(real, fake)), 0.5 * np.mean((p_fake - 1) ** 2), rtol=1e-6)


AUTHOR_DEFAULTS = {  # compare_gan v1 params.py: (beta1, lr, D steps, BN in D)
    "mm": (0.0, 5e-5, 1, True), "ns": (0.0, 5e-5, 1, True), "lsgan": (0.5, 2e-4, 1, True),
    "wgan": (0.5, 5e-5, 5, True), "wgan_gp": (0.5, 1e-4, 5, False), "dragan": (0.5, 1e-4, 1, True),
    "began": (0.5, 1e-4, 5, False),
}


@pytest.mark.parametrize("dataset", STUDY_DATASETS)
@pytest.mark.parametrize("loss", sorted(STUDY_LOSSES))
def test_each_study_recipe_holds_the_authors_defaults(loss, dataset):
    config = make_config(f"study_{loss}_{dataset}")
    beta1, lr, d_steps, bn = AUTHOR_DEFAULTS[loss]
    gan = zoo.build_variant(config.variant, **config.model)
    assert (config.beta_1, config.g_lr, config.d_lr, gan.d_steps, gan.d_batch_norm) == (beta1, lr, lr, d_steps, bn)
    assert (config.batch_size, gan.latent_dim, gan.latent_distribution) == (64, 64, "uniform")
    assert config.dataset == dataset and config.keep_generators
    # 15,625 discriminator updates in 4 checkpointed epochs (3,906 or 781 train steps each).
    assert config.epochs == 4 and config.steps_per_epoch * d_steps * 4 in (15_624, 15_620)


@pytest.mark.parametrize("loss", sorted(STUDY_LOSSES))
def test_each_study_recipe_builds_and_takes_a_step(loss):
    """One train step of every loss on the full-size networks (batch 8): both players change."""
    config = make_config(f"study_{loss}_mnist")
    keras.utils.set_random_seed(0)
    gan = zoo.build_variant(config.variant, seed=0, **config.model)
    gan.compile(d_optimizer=keras.optimizers.Adam(config.d_lr, beta_1=config.beta_1),
                g_optimizer=keras.optimizers.Adam(config.g_lr, beta_1=config.beta_1))
    g0 = [w.numpy().copy() for w in gan.generator.trainable_weights]
    d0 = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
    x = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    logs = gan.train_on_batch(x, return_dict=True)
    assert all(np.isfinite(v) for v in logs.values())
    assert any(not np.array_equal(a, w.numpy()) for a, w in zip(g0, gan.generator.trainable_weights))
    assert any(not np.array_equal(a, w.numpy()) for a, w in zip(d0, gan.discriminator.trainable_weights))
    if config.model.get("clip_value"):
        assert max(float(np.abs(w.numpy()).max()) for w in gan.discriminator.trainable_weights) <= 0.01 + 1e-7


def test_every_study_recipe_is_listed():
    assert {n for n in RECIPES if n.startswith("study_")} == {
        f"study_{loss}_{dataset}" for loss in STUDY_LOSSES for dataset in STUDY_DATASETS}
