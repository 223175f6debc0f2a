"""ACGAN: the two-headed discriminator, the auxiliary loss against a hand computation, the
tricks that use D's logits (penalties, unrolling), fit (plain and mirrored); the .keras round trip is the shared harness's (tests/zoo/test_variant_harness.py)."""

import numpy as np
import pytest
import tensorflow as tf

from zoo import ACGAN
from zoo.errors import ConfigError
from zoo.networks import acgan_discriminator

from conftest import CONDITIONAL_TINY as TINY  # noqa: E402
from conftest import labelled_digits as digits  # noqa: E402
from conftest import tiny_conditional  # noqa: E402
from zoo.steps import Step


def tiny_acgan(compile=True, **kwargs):
    return tiny_conditional(ACGAN, compile, **kwargs)


def _cross_entropy(labels, logits):
    logits = np.asarray(logits, np.float64)
    log_p = logits - logits.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    return -np.mean(log_p[np.arange(len(labels)), labels])


def _softplus(t):
    return np.log1p(np.exp(t))


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3)])
def test_discriminator_has_a_logit_and_a_class_head_on_one_trunk(shape):
    d = acgan_discriminator(shape, num_classes=7, width=4)
    assert [t.name for t in d.inputs] == ["images"]
    x = np.zeros((3, *shape), "float32")
    logits, class_logits = d(x)
    assert logits.shape == (3, 1) and class_logits.shape == (3, 7)
    assert d.get_layer("score").input is d.get_layer("classes").input  # the same features


def test_aux_terms_equal_the_hand_computed_cross_entropies():
    gan = tiny_acgan(compile=False, aux_weight=0.5)
    assert gan.d_loss_names == ("d_loss", "d_aux") and gan.g_loss_names == ("g_loss", "g_aux")
    rng = np.random.default_rng(0)
    labels = np.array([0, 3, 9, 3], "int32")
    real = (tf.constant(rng.normal(size=(4, 1)), tf.float32), tf.constant(rng.normal(size=(4, 10)), tf.float32))
    fake = (tf.constant(rng.normal(size=(4, 1)), tf.float32), tf.constant(rng.normal(size=(4, 10)), tf.float32))
    d = gan.d_loss_terms(Step(None, None, tf.constant(labels), real, fake))
    g = gan.g_loss_terms(Step(None, None, tf.constant(labels), None, fake))
    r_adv, f_adv = real[0].numpy()[:, 0], fake[0].numpy()[:, 0]
    assert float(d["d_loss"]) == pytest.approx(np.mean(_softplus(-r_adv)) + np.mean(_softplus(f_adv)), rel=1e-5)
    assert float(d["d_aux"]) == pytest.approx(
        0.5 * (_cross_entropy(labels, real[1]) + _cross_entropy(labels, fake[1])), rel=1e-5)
    assert float(g["g_loss"]) == pytest.approx(np.mean(_softplus(-f_adv)), rel=1e-5)
    assert float(g["g_aux"]) == pytest.approx(0.5 * _cross_entropy(labels, fake[1]), rel=1e-5)
    # d_aux_fake=False: D's classifier learns from the real images only; G's term is unchanged.
    real_only = tiny_acgan(compile=False, aux_weight=0.5, d_aux_fake=False)
    d = real_only.d_loss_terms(Step(None, None, tf.constant(labels), real, fake))
    assert float(d["d_aux"]) == pytest.approx(0.5 * _cross_entropy(labels, real[1]), rel=1e-5)
    g = real_only.g_loss_terms(Step(None, None, tf.constant(labels), None, fake))
    assert float(g["g_aux"]) == pytest.approx(0.5 * _cross_entropy(labels, fake[1]), rel=1e-5)


def test_discriminate_returns_both_heads_and_ignores_the_label():
    gan = tiny_acgan(compile=False)
    x, y = digits(4)
    logits, class_logits = gan.discriminate(tf.constant(x), tf.constant(y), update_state=False)
    same = gan.discriminate(tf.constant(x), tf.constant((y + 1) % 10), update_state=False)
    np.testing.assert_array_equal(logits.numpy(), same[0].numpy())
    assert gan.adversarial_logits((logits, class_logits)) is logits and class_logits.shape == (4, 10)


def test_fit_reports_the_aux_terms_and_teaches_d_the_classes():
    gan = tiny_acgan()
    x, y = digits(32)
    before = gan.discriminator(x, training=False)[1].numpy()
    history = gan.fit(x, y, batch_size=8, epochs=3, verbose=0).history
    assert set(history) == {"d_loss", "d_aux", "g_loss", "g_aux", "loss"}
    assert all(np.isfinite(v).all() for v in history.values())
    after = gan.discriminator(x, training=False)[1].numpy()
    assert _cross_entropy(y, after) < _cross_entropy(y, before)


@pytest.mark.parametrize("options", [
    dict(d_norm="layer", loss="wasserstein", penalty="wgan_gp"),
    dict(unrolled_steps=1, feature_matching=1.0, d_steps=2),
], ids=lambda o: "+".join(f"{k}={v}" for k, v in o.items()))
def test_acgan_trains_under_a_mirrored_strategy_with_tricks(options, mirrored):
    with mirrored.scope():
        gan = tiny_acgan(**options)
    x, y = digits(16)
    history = gan.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(8), epochs=1, verbose=0).history
    assert {"d_aux", "g_aux"} <= set(history) and all(np.isfinite(v[0]) for v in history.values()), history


@pytest.mark.parametrize("options, message", [
    (dict(aux_weight=-1.0), "aux_weight must be a number >= 0"),
    (dict(aux_weight="1"), "aux_weight must be a number >= 0"),
    (dict(d_aux_fake="no"), "d_aux_fake must be True or False"),
    (dict(pack=2), "does not support pack=2"),
    (dict(num_classes=1), "at least 2 classes"),
])
def test_bad_options_are_rejected(options, message):
    with pytest.raises(ConfigError, match=message):
        ACGAN(**{**TINY, **options})
