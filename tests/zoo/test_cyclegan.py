"""CycleGAN: the LSGAN / cycle / identity terms on fixed inputs and through the steps; which player each
step changes; fit and its pools; translate in both directions; bad input; the lr schedule through
BackupAndRestore and saving; export with parity. The image pool's own rules are in test_image_pool.py;
training under a MirroredStrategy (per-replica pools) and the .keras round trip are the shared harness's
(tests/zoo/test_variant_harness.py)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import exports
from zoo import CycleGAN, LinearDecay, linear_decay_optimizers
from zoo.callbacks import AtomicBackupAndRestore
from zoo.errors import ConfigError, DataError
from zoo.steps import Step

SHAPE = (16, 16, 1)


def tiny(compile=True, **kwargs):
    keras.utils.set_random_seed(0)
    gan = CycleGAN(**{**dict(image_shape=SHAPE, width=4, blocks=1, d_layers=1, seed=0), **kwargs})
    if compile:
        gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    return gan


def domains(n=8, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 0, (n, *SHAPE)).astype("float32")
    return a, rng.uniform(0, 1, (n, *SHAPE)).astype("float32")


def snapshot(variables):
    return [np.array(v.numpy()) for v in variables]


def unchanged(before, variables):
    return all(np.array_equal(b, v.numpy()) for b, v in zip(before, variables))


# ------------------------------------------------------------------ losses


def test_loss_terms_on_fixed_inputs():
    gan = tiny(compile=False)
    full = lambda v: tf.fill((2, *SHAPE), v)  # noqa: E731
    outputs = (tf.fill((2, 8, 8, 1), 1.0), tf.fill((2, 8, 8, 1), 0.5))  # (D_A, D_B) on the translations
    real, fake = (full(0.0), full(0.5)), (full(0.2), full(0.1))  # (a, b) and (G_B2A(b), G_A2B(a))
    terms = gan.g_loss_terms(Step(real, fake, None, None, outputs))
    g_ab, g_ba = gan.generator_a2b, gan.generator_b2a

    def l1(x, y):
        return float(np.mean(np.abs(x.numpy() - y.numpy())))

    expected = {
        "g_loss_b2a": (1.0 - 1.0) ** 2,  # E[(D_A(G_B2A(b)) - 1)^2], the reference's MSE
        "g_loss_a2b": (0.5 - 1.0) ** 2,
        "cycle_a": 10 * l1(g_ba(fake[1], training=True), real[0]),  # lambda * |G_B2A(G_A2B(a)) - a|
        "cycle_b": 10 * l1(g_ab(fake[0], training=True), real[1]),
        "identity_a2b": 10 * 0.5 * l1(g_ab(real[1], training=True), real[1]),  # 0.5 * lambda * |G_A2B(b) - b|
        "identity_b2a": 10 * 0.5 * l1(g_ba(real[0], training=True), real[0]),
    }
    assert {k: pytest.approx(float(v), abs=1e-5) for k, v in terms.items()} == \
        {k: pytest.approx(v, abs=1e-5) for k, v in expected.items()}
    d = gan.d_loss_terms(Step(real, fake, None, outputs, outputs))
    assert set(d) == {"d_loss_a", "d_loss_b"}
    # D's least-squares loss: 1/2 E[(D(real) - 1)^2] + 1/2 E[D(fake)^2] (the reference halves it too).
    assert float(gan.adversarial_loss.d_loss(tf.fill((4,), 0.5), tf.fill((4,), 0.25))) == \
        pytest.approx(0.5 * 0.25 + 0.5 * 0.0625)
    half = tiny(compile=False, adversarial_weight=1.0, identity_weight=0.0)
    terms = half.g_loss_terms(Step(real, fake, None, None, outputs))
    assert set(terms) == {"g_loss_a2b", "g_loss_b2a", "cycle_a", "cycle_b"}
    assert float(terms["g_loss_a2b"]) == pytest.approx(0.5 * 0.25)  # the zoo's LSGAN G loss has 1/2
    assert half.g_loss_names == ("g_loss_a2b", "g_loss_b2a", "cycle_a", "cycle_b")


def test_the_steps_compute_their_terms_from_the_right_networks():
    gan = tiny(compile=False, pool_size=0)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.0), g_optimizer=keras.optimizers.SGD(0.0))
    a, b = (tf.constant(x) for x in domains(4))
    g_ab, g_ba, d_a, d_b = gan.generator_a2b, gan.generator_b2a, gan.discriminator_a, gan.discriminator_b

    def mse(x, target):
        return float(np.mean((x.numpy() - target) ** 2))

    fake_b, fake_a = g_ab(a, training=True), g_ba(b, training=True)
    want_d = {"d_loss_a": 0.5 * mse(d_a(a), 1) + 0.5 * mse(d_a(fake_a), 0),
              "d_loss_b": 0.5 * mse(d_b(b), 1) + 0.5 * mse(d_b(fake_b), 0)}
    got_d = {k: float(v) for k, v in gan.d_step((a, b), None).items()}
    assert got_d == pytest.approx(want_d, rel=1e-5)
    want_g = {
        "g_loss_a2b": mse(d_b(fake_b), 1), "g_loss_b2a": mse(d_a(fake_a), 1),
        "cycle_a": 10 * float(np.mean(np.abs(g_ba(fake_b, training=True) - a))),
        "cycle_b": 10 * float(np.mean(np.abs(g_ab(fake_a, training=True) - b))),
        "identity_a2b": 5 * float(np.mean(np.abs(g_ab(b, training=True) - b))),
        "identity_b2a": 5 * float(np.mean(np.abs(g_ba(a, training=True) - a))),
    }
    got_g = {k: float(v) for k, v in gan.g_step((a, b), None).items()}
    assert got_g == pytest.approx(want_g, rel=1e-5)


def test_each_step_changes_only_its_own_players_both_networks():
    gan = tiny()
    a, b = (tf.constant(x) for x in domains(4))
    gens = gan.generator.weights + gan.generator_b2a.weights
    g_before = snapshot(gens)
    d_before = [snapshot(gan.discriminator_a.trainable_weights), snapshot(gan.discriminator_b.trainable_weights)]
    gan.d_step((a, b), None)
    assert unchanged(g_before, gens)
    assert not unchanged(d_before[0], gan.discriminator_a.trainable_weights)
    assert not unchanged(d_before[1], gan.discriminator_b.trainable_weights), "one D optimizer, both Ds"
    discs = gan.discriminator_a.weights + gan.discriminator_b.weights
    d_now = snapshot(discs)
    gan.g_step((a, b), None)
    assert unchanged(d_now, discs)
    assert not unchanged(g_before[:len(gan.generator.weights)], gan.generator.weights)
    assert not unchanged(g_before[len(gan.generator.weights):], gan.generator_b2a.weights), "both Gs"
    assert int(gan.pool_a.count.numpy()) == int(gan.pool_b.count.numpy()) == 4


# ------------------------------------------------------------------ fit, translate


def test_fit_reports_each_term_and_fills_the_pools():
    gan = tiny()
    a, b = domains(16)
    history = gan.fit(a, b, batch_size=8, epochs=3, verbose=0).history
    assert set(history) == {"d_loss_a", "d_loss_b", "g_loss_a2b", "g_loss_b2a", "cycle_a", "cycle_b",
                            "identity_a2b", "identity_b2a", "loss"}
    assert all(np.isfinite(v[-1]) for v in history.values())
    assert int(gan.pool_a.count.numpy()) == int(gan.pool_b.count.numpy()) == 48
    gan.train_step((tf.constant(a[:8]), tf.constant(b[:8])))
    assert int(gan.pool_a.count.numpy()) == int(gan.pool_b.count.numpy()) == 50, "at most the capacity"


def test_translate_in_both_directions_and_generate_points_to_translate():
    gan = tiny(compile=False)
    a, b = domains(3)
    np.testing.assert_allclose(gan.translate(a), gan.generator_a2b(a, training=False).numpy(), atol=1e-5)
    np.testing.assert_allclose(gan.translate(b, "b2a"), gan.generator_b2a(b, training=False).numpy(), atol=1e-5)
    np.testing.assert_allclose(gan.cycle(a), gan.translate(gan.translate(a), "b2a"), atol=1e-6)
    with pytest.raises(ConfigError, match="direction must be one of"):
        gan.translate(a, direction="a2a")
    with pytest.raises(ConfigError, match=r'translate\(images\) \(direction="a2b" or "b2a"\)'):
        gan.generate(4)


@pytest.mark.parametrize("data, message", [
    (lambda: (domains(8)[0], np.zeros((8, 8, 8, 1), "float32")), r"domain B images have shape \(8, 8, 1\)"),
    (lambda: (domains(8)[0], None), "but no domain B images"),
    (lambda: (tf.data.Dataset.from_tensor_slices(domains(8)[0]).batch(4), None), r"\(domain A images, domain B"),
    (lambda: (domains(8)[0], domains(4)[1]), "8 domain A images but 4 domain B images"),
])
def test_bad_training_data_is_rejected(data, message):
    gan = tiny()
    x, y = data()
    with pytest.raises(DataError, match=message):
        gan.fit(x, y, epochs=1, verbose=0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(penalty="r1"), "does not support penalty"),
    (dict(loss="non_saturating", label_smoothing=0.1), "does not support label_smoothing"),
    (dict(ema_decay=0.999), "does not support ema_decay"),
    (dict(pool_size=-2), "pool size"),
    (dict(cycle_weight=-1.0), "cycle_weight must be"),
    (dict(image_shape=(18, 18, 1)), "divisible by 4"),
])
def test_bad_options_are_rejected(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        tiny(compile=False, **kwargs)


# ------------------------------------------------------------------ saving, export


class _RecordRates(keras.callbacks.Callback):
    """(D iterations, D lr, G iterations, G lr) before every batch: the rates the batch's updates use."""

    def __init__(self):
        super().__init__()
        self.rows = []

    def on_train_batch_begin(self, batch, logs=None):
        d, g = self.model.d_optimizer, self.model.g_optimizer
        self.rows.append((int(d.iterations), float(d.learning_rate), int(g.iterations), float(g.learning_rate)))


class _StopAtEpoch(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("simulated interruption")


def test_linear_lr_decay_drives_both_optimizers_and_survives_backup_and_restore_and_saving(tmp_path):
    """The paper's schedule (constant, then linear to 0) over 8 steps: the rate depends only on each
    optimizer's iteration count, so a run interrupted after epoch 0 and resumed by BackupAndRestore
    in a fresh model continues on the curve, and the .keras file keeps the schedules."""
    def compiled():
        gan = tiny()
        d_opt, g_opt = linear_decay_optimizers(lambda lr: keras.optimizers.Adam(lr, beta_1=0.5), d_lr=1e-3,
                                               g_lr=5e-4, total_steps=8)
        gan.compile(d_optimizer=d_opt, g_optimizer=g_opt)
        return gan

    a, b = domains(8)
    backup = str(tmp_path / "backup")
    first = compiled()
    with pytest.raises(RuntimeError, match="simulated interruption"):
        first.fit(a, b, batch_size=4, epochs=3, shuffle=False, verbose=0,
                  callbacks=[AtomicBackupAndRestore(backup), _StopAtEpoch(1)])
    gan, record = compiled(), _RecordRates()
    gan.fit(a, b, batch_size=4, epochs=3, shuffle=False, verbose=0, callbacks=[AtomicBackupAndRestore(backup), record])
    # start = round(0.5 * 8) = 4: steps 0-4 at the full rate, then 1/4 of it less per step.
    want = [(t, 1e-3 * f, t, 5e-4 * f) for t, f in ((2, 1.0), (3, 1.0), (4, 1.0), (5, 0.75))]
    np.testing.assert_allclose(record.rows, want, rtol=1e-6)
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 6
    gan.save(tmp_path / "cyclegan.keras")
    loaded = keras.models.load_model(tmp_path / "cyclegan.keras")
    for opt, lr in ((loaded.d_optimizer, 1e-3), (loaded.g_optimizer, 5e-4)):
        assert isinstance(opt._learning_rate, LinearDecay) and opt._learning_rate.total_steps == 8
        assert int(opt.iterations) == 6 and float(opt.learning_rate) == pytest.approx(lr * 0.5)


def test_the_cyclegan_recipes_decay_the_learning_rates_over_the_second_half():
    from recipes.registry import RECIPES, make_config

    names = [name for name, recipe in RECIPES.items() if recipe.get("variant") == "cyclegan"]
    assert len(names) == 3 and all(make_config(name).lr_decay == 0.5 for name in names)
    assert make_config(names[0], {"lr_decay": None}).lr_decay is None
    with pytest.raises(ConfigError, match=r"'lr_decay' must be None .* or in \[0, 1\)"):
        make_config(names[0], {"lr_decay": 1.0})


def test_translators_export_with_parity(tmp_path):
    gan = tiny(compile=False)
    g = gan.generator_b2a  # the B -> A translator; the A -> B one is gan.generator (what exports pick for a GAN)
    rng = np.random.default_rng(0)
    for layer in g.layers:  # kernels large enough that outputs use [-1, 1]
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
            k = layer.kernel
            k.assign(rng.normal(0, np.sqrt(2.0 / (k.shape[0] * k.shape[1] * k.shape[2])), k.shape).astype("float32"))
    x = domains(4)[1]
    assert np.abs(gan.translate(x, "b2a")).max() > 0.5
    manifest = exports.export_generator(g, str(tmp_path / "out"), formats=("saved_model", "onnx"))
    errors = manifest["parity"]["max_abs_error"]
    assert errors["saved_model"] <= 1e-5 and errors["onnx"] <= 1e-4, errors
    served = tf.saved_model.load(str(tmp_path / "out" / "generator" / "1")).signatures["serving_default"]
    np.testing.assert_allclose(served(image=tf.constant(x))["images"].numpy(), gan.translate(x, "b2a"), atol=1e-5)
