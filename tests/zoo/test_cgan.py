"""CGAN / ConditionalGAN: conditional networks, the label hooks, generate(labels=...), fit (plain
and mirrored) and an export with named inputs; the .keras round trip is the shared harness's (tests/zoo/test_variant_harness.py)."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import CGAN, ConditionalGAN, build_variant
from zoo.errors import ConfigError, DataError
from zoo.networks import conditional_discriminator, conditional_generator
from zoo.pretrained import PretrainedEntry, PretrainedGenerator

from conftest import CONDITIONAL_TINY as TINY  # noqa: E402
from conftest import labelled_digits as digits  # noqa: E402
from conftest import tiny_conditional  # noqa: E402
from zoo.steps import Step


def tiny_cgan(compile=True, **kwargs):
    return tiny_conditional(CGAN, compile, **kwargs)


def spread(model, seed=0):
    """Weights large enough that outputs use [-1, 1] (so parity checks are not trivially met)."""
    rng = np.random.default_rng(seed)
    for v in model.weights:
        if v.path.endswith(("kernel", "embeddings")):
            shape = tuple(v.shape)
            fan_in = int(np.prod(shape[:-1])) if len(shape) != 4 else int(np.prod(shape[:2]) * shape[3])
            v.assign(rng.standard_normal(shape).astype("float32") * 1.5 / np.sqrt(max(fan_in, 1)))
    return model


# ------------------------------------------------------------------ networks


@pytest.mark.parametrize("conditioning, projection", [("embedding", False), ("one_hot", False),
                                                      ("embedding", True)])
@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3)])
def test_conditional_networks_follow_the_generator_contract(shape, conditioning, projection):
    g = conditional_generator(8, 7, shape, 4, conditioning, embed_dim=5)
    d = conditional_discriminator(shape, 7, 4, conditioning=conditioning, projection=projection)
    assert [t.name for t in g.inputs] == ["z", "labels"]
    assert g.inputs[1].dtype == "int32" and tuple(g.inputs[1].shape) == (None,)
    assert g.layers[-1].name == "images" and g.output.dtype == "float32"
    assert g.layers[-1].get_config()["activation"] == "tanh"
    assert zoo.sampling.class_count(g) == zoo.sampling.class_count(d) == 7
    z = np.random.default_rng(0).standard_normal((3, 8)).astype("float32")
    labels = np.array([0, 3, 6], "int32")
    images = g([z, labels]).numpy()
    assert images.shape == (3, *shape)
    assert d([images, labels]).shape == (3, 1) and d.output.dtype == "float32"


def test_the_label_changes_the_generated_image():
    gan = spread(tiny_cgan(compile=False).generator)
    z = np.tile(np.random.default_rng(0).standard_normal((1, 8)).astype("float32"), (10, 1))
    images = gan([z, np.arange(10, dtype="int32")]).numpy()
    assert min(np.abs(images[i] - images[j]).max() for i in range(10) for j in range(i)) > 1e-3


def test_projection_discriminator_is_psi_of_phi_plus_the_label_projection():
    d = spread(conditional_discriminator((28, 28, 1), 10, 4, norm=None, projection=True))
    parts = keras.Model(d.inputs, [d.get_layer("psi").output, d.get_layer("phi").output])
    x = np.random.default_rng(1).uniform(-1, 1, (5, 28, 28, 1)).astype("float32")
    y = np.array([0, 1, 9, 4, 4], "int32")
    psi, phi = (t.numpy() for t in parts([x, y]))
    embed = d.get_layer("projection_embedding").embeddings.numpy()
    expected = psi[:, 0] + np.sum(embed[y] * phi, axis=1)
    np.testing.assert_allclose(d([x, y]).numpy()[:, 0], expected, rtol=1e-5, atol=1e-5)
    assert phi.shape == (5, 7 * 7 * 8)  # the flattened last feature map (2 stages, width 4 -> 8 channels)


@pytest.mark.parametrize("conditioning", ["one_hot", "embedding"])
def test_the_concat_discriminator_sees_the_label_as_input_planes(conditioning):
    d = conditional_discriminator((28, 28, 1), 10, 4, conditioning=conditioning)
    planes = keras.Model(d.inputs, d.get_layer("label_planes").output)
    y = np.array([2, 7], "int32")
    out = planes([np.zeros((2, 28, 28, 1), "float32"), y]).numpy()
    if conditioning == "one_hot":
        assert out.shape == (2, 28, 28, 10)
        np.testing.assert_array_equal(out, np.broadcast_to(np.eye(10)[y][:, None, None, :], out.shape))
    else:
        table = d.get_layer("label_embedding").embeddings.numpy()
        np.testing.assert_allclose(out, table[y].reshape(2, 28, 28, 1))


# ------------------------------------------------------------------ hooks


class _Recording(CGAN):
    """Records the labels that reach G and D (the steps run eagerly here)."""

    def generator_inputs(self, z, condition):
        self.seen.append(("G", np.asarray(condition)))
        return super().generator_inputs(z, condition)

    def discriminate(self, samples, condition, update_state=True, weights=None):
        self.seen.append(("D", np.asarray(condition)))
        return super().discriminate(samples, condition, update_state, weights)


def test_fake_samples_reuse_the_real_batchs_labels_in_both_steps():
    keras.utils.set_random_seed(0)
    gan = _Recording(**TINY)
    gan.seen = []
    gan.compile()
    x, y = digits(8)
    real, labels = gan.unpack_batch((tf.constant(x), tf.constant(y[:, None])))  # (batch, 1) labels too
    assert labels.dtype == "int32" and labels.shape == (8,)
    gan.d_step(real, labels)
    gan.g_step(real, labels)
    assert [who for who, _ in gan.seen] == ["G", "D", "D", "G", "D"]
    for _, seen in gan.seen:
        np.testing.assert_array_equal(seen, y)


def test_discriminate_feeds_the_labels_and_the_loss_is_the_base_loss():
    gan = tiny_cgan(compile=False, projection=True)
    spread(gan.discriminator)
    x, y = digits(4)
    out = gan.discriminate(tf.constant(x), tf.constant(y), update_state=False)
    np.testing.assert_allclose(out.numpy(), gan.discriminator([x, y], training=True).numpy(), atol=1e-6)
    other = gan.discriminate(tf.constant(x), tf.constant((y + 1) % 10), update_state=False)
    assert not np.allclose(out.numpy(), other.numpy())
    real_logits, fake_logits = tf.constant([[2.0], [-1.0]]), tf.constant([[0.5], [-3.0]])
    terms = gan.d_loss_terms(Step(None, None, y[:2], real_logits, fake_logits))
    sp = lambda t: np.log1p(np.exp(t))  # noqa: E731  softplus
    expected = np.mean(sp(-np.array([2.0, -1.0]))) + np.mean(sp(np.array([0.5, -3.0])))
    assert set(terms) == {"d_loss"} and float(terms["d_loss"]) == pytest.approx(expected, rel=1e-5)


def test_batches_without_labels_are_refused():
    gan = tiny_cgan()
    with pytest.raises(DataError, match=r"trains on \(images, labels\) batches"):
        gan.unpack_batch(tf.zeros((2, 28, 28, 1)))
    x, y = digits(8)
    batched = lambda *parts: tf.data.Dataset.from_tensor_slices(parts).batch(4)  # noqa: E731
    for args, message in [
        ((batched(x),), r"\(images, labels\) batches"),
        ((batched(x, np.eye(10)[y]),), "integer class indices"),
        ((x,), "needs the class labels"),
        ((x, np.eye(10)[y]), r"one integer class per image \(8\)"),
        ((x, y + 5), r"lie in \[0, 9\]"),
        ((x, y.astype("float32")), "integer class indices"),
    ]:
        with pytest.raises(DataError, match=message):
            gan.fit(*args, epochs=1, verbose=0)


@pytest.mark.parametrize("options, message", [
    (dict(pack=2), "does not support pack=2"),
    (dict(feature_matching=1.0), "does not support feature_matching"),
    (dict(conditioning="concat"), "conditioning must be one of"),
    (dict(num_classes=1), "at least 2 classes"),
    (dict(num_classes=2.5), "num_classes must be a positive integer"),
    (dict(projection="yes"), "projection must be True or False"),
])
def test_bad_options_are_rejected(options, message):
    with pytest.raises(ConfigError, match=message):
        CGAN(**{**TINY, **options})


def test_mismatched_networks_are_rejected():
    g = conditional_generator(8, 10, (28, 28, 1), 4)
    with pytest.raises(ConfigError, match="10 classes but the discriminator 7"):
        ConditionalGAN(g, conditional_discriminator((28, 28, 1), 7, 4))
    with pytest.raises(ConfigError, match=r"takes images of shape \(32, 32, 1\)"):
        ConditionalGAN(g, conditional_discriminator((32, 32, 1), 10, 4))
    with pytest.raises(ConfigError, match="two inputs named 'z' and 'labels'"):
        ConditionalGAN(zoo.networks.dcgan_generator(8, (28, 28, 1), 4), conditional_discriminator((28, 28, 1), 10, 4))


# ------------------------------------------------------------------ generate(labels=...)


def test_generate_with_labels():
    gan = tiny_cgan(compile=False)
    spread(gan.generator)
    assert gan.conditional and gan.num_classes == 10 and gan.latent_dim == 8
    sevens = gan.generate(4, labels=7, seed=3)
    np.testing.assert_array_equal(sevens, gan.generate(4, labels=[7] * 4, seed=3))
    np.testing.assert_array_equal(sevens, gan.generate(z=gan.latents(4, seed=3), labels=np.full(4, 7.0)))
    np.testing.assert_allclose(sevens, gan.generator([gan.latents(4, seed=3), np.full(4, 7, "int32")]), atol=1e-6)
    cycled = gan.generate(12, seed=0)  # no labels: 0, 1, ..., 9, 0, 1
    np.testing.assert_array_equal(cycled, gan.generate(12, seed=0, labels=np.arange(12) % 10))
    assert not np.allclose(cycled[0], gan.generate(12, seed=0, labels=1)[0])
    # Batching does not change anything.
    np.testing.assert_allclose(gan.generate(5, labels=[0, 1, 2, 3, 4], seed=0, batch_size=2),
                               gan.generate(5, labels=[0, 1, 2, 3, 4], seed=0), atol=1e-6)


@pytest.mark.parametrize("labels, message", [
    (10, r"lie in \[0, 9\] \(this generator has 10 classes\); got \[10, 10, 10\]"),
    ([0, -1, 3], r"lie in \[0, 9\].*got \[-1\]"),
    ([1, 2], r"one integer or an array of 3 integers .*got shape \(2,\)"),
    ([[1, 2, 3]], r"got shape \(1, 3\)"),
    (2.5, "integer class indices"),
    ([1.0, np.nan, 2.0], "integer class indices"),
    ("seven", "integer class indices"),
    ([True, False, True], "integer class indices"),
])
def test_generate_rejects_bad_labels(labels, message):
    with pytest.raises(DataError, match=message):
        tiny_cgan(compile=False).generate(3, labels=labels, seed=0)


def test_unconditional_generators_take_no_labels():
    gan = zoo.DCGAN(image_shape=(28, 28, 1), **TINY)
    assert not gan.conditional and gan.num_classes is None
    with pytest.raises(DataError, match="not conditional"):
        gan.generate(2, labels=1)


def test_a_pretrained_conditional_generator_generates_by_label(tmp_path):
    gan = tiny_cgan(compile=False)
    path = str(tmp_path / "g.keras")
    gan.generator.save(path)
    entry = PretrainedEntry("t", "cgan", "mnist", (28, 28, 1), path, "", "", {})
    loaded = PretrainedGenerator(zoo.pretrained.load_generator_file(path), entry)
    assert loaded.num_classes == 10 and loaded.latent_dim == 8
    np.testing.assert_allclose(loaded.generate(3, labels=4, seed=0), gan.generate(3, labels=4, seed=0), atol=1e-6)
    with pytest.raises(DataError, match=r"lie in \[0, 9\]"):
        loaded.generate(3, labels=12)


def test_grid_inputs_give_one_row_per_class_with_shared_latents(tmp_path):
    gan = tiny_cgan(compile=False)
    z, labels, cols = gan.grid_inputs(64, seed=0)
    assert cols == 6 and z.shape == (60, 8)
    np.testing.assert_array_equal(labels, np.repeat(np.arange(10), 6))
    np.testing.assert_array_equal(z[:6], z[6:12])
    grid = zoo.SampleGrid(tmp_path, n=20, seed=0)
    grid.set_model(gan)
    grid.on_train_begin()
    grid.on_epoch_end(0)
    png = tf.io.decode_png(tf.io.read_file(grid.paths[0]))
    assert png.shape == (10 * 29 + 1, 2 * 29 + 1, 1)


# ------------------------------------------------------------------ training


def test_fit_on_the_data_layers_labelled_mnist_changes_both_players():
    from recipes.data import load_dataset

    gan = tiny_cgan(conditioning="one_hot")
    ds = load_dataset("mnist_embedded", batch_size=16, with_labels=True, seed=0).take(3)
    g_before = [v.numpy().copy() for v in gan.generator.trainable_variables]
    d_before = [v.numpy().copy() for v in gan.discriminator.trainable_variables]
    history = gan.fit(ds, epochs=1, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "loss"} and all(np.isfinite(v[0]) for v in history.values())
    assert all(not np.array_equal(b, v.numpy()) for b, v in zip(g_before, gan.generator.trainable_variables))
    assert all(not np.array_equal(b, v.numpy()) for b, v in zip(d_before, gan.discriminator.trainable_variables))


@pytest.mark.parametrize("options", [
    # The penalty differentiates the projection D (labels included) at interpolated images.
    dict(projection=True, d_norm="layer", loss="wasserstein", penalty="wgan_gp"),
    # Unrolling through D's label embedding (its gradient is sparse) plus other options.
    dict(loss="hinge", unrolled_steps=1, historical_averaging=1e-3, label_smoothing=0.0),
], ids=lambda o: "+".join(f"{k}={v}" for k, v in o.items()))
def test_cgan_trains_under_a_mirrored_strategy(options, mirrored):
    with mirrored.scope():
        gan = tiny_cgan(**options)
    x, y = digits(16)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    history = gan.fit(ds, epochs=1, verbose=0).history
    assert all(np.isfinite(v[0]) for v in history.values()), history


@pytest.mark.parametrize("options", [dict(projection=True), dict(conditioning="one_hot")])
def test_mixed_precision_trains_with_float32_outputs(options):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        gan = tiny_cgan(**options)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert gan.generator.output.dtype == gan.discriminator.output.dtype == "float32"
    x, y = digits(8)
    assert np.isfinite(gan.fit(x, y, batch_size=8, epochs=1, verbose=0).history["loss"][0])
    assert gan.generate(2, labels=3, seed=0).dtype == np.float32


class _ZeroLatents(ConditionalGAN):
    """z = 0, so 1 and 2 replicas see the same generator inputs (only the labels vary)."""

    def sample_latents(self, batch_size):
        return tf.zeros((batch_size, self.latent_dim))


def _tiny_conditional_nets():
    z, labels = keras.Input((4,), name="z"), keras.Input((), dtype="int32", name="labels")
    x = keras.layers.Concatenate()([z, keras.layers.Embedding(3, 3, name="g_embed")(labels)])
    x = keras.layers.Dense(16, activation="relu")(x)
    x = keras.layers.Reshape((4, 4, 1))(keras.layers.Dense(16)(x))
    g = keras.Model([z, labels], keras.layers.Activation("tanh", name="images")(x))
    img, d_labels = keras.Input((4, 4, 1), name="images"), keras.Input((), dtype="int32", name="labels")
    h = keras.layers.Dense(8, activation="relu")(keras.layers.Flatten()(img))
    proj = keras.layers.Dot(axes=1)([h, keras.layers.Embedding(3, 8, name="d_embed")(d_labels)])
    d = keras.Model([img, d_labels], keras.layers.Add()([keras.layers.Dense(1)(h), proj]))
    return g, d


def _replica_run(strategy, x, y):
    with strategy.scope():
        keras.utils.set_random_seed(7)
        gan = _ZeroLatents(*_tiny_conditional_nets(), seed=0, penalty="r1", penalty_weight=1.0)
        gan.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1))
    gan.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return [v.numpy() for v in gan.trainable_variables]


def test_two_replicas_give_the_same_conditional_update_as_one(mirrored):
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-1, 1, (16, 4, 4, 1)).astype("float32"), rng.integers(0, 3, 16).astype("int32")
    one = _replica_run(tf.distribute.OneDeviceStrategy("/cpu:0"), x, y)
    two = _replica_run(mirrored, x, y)
    for a, b in zip(one, two):
        np.testing.assert_allclose(a, b, atol=1e-5)


# ------------------------------------------------------------------ serialization and export


def test_registry_builds_the_conditional_variants():
    from zoo.registry import variant_options

    assert zoo.VARIANTS["cgan"] is CGAN and zoo.VARIANTS["acgan"] is zoo.ACGAN
    options = variant_options("cgan")
    assert {"num_classes", "conditioning", "embed_dim", "projection", "loss", "penalty"} <= set(options)
    assert "generator" not in options and "aux_weight" not in options
    gan = build_variant("cgan", num_classes=3, **TINY)
    assert gan.num_classes == 3
    with pytest.raises(ConfigError, match="has no option"):
        build_variant("cgan", aux_weight=1.0)


def test_export_has_named_z_and_labels_inputs_and_a_rest_request_asks_for_a_digit(tmp_path):
    import subprocess
    import sys
    import os

    import onnx

    import exports
    from exports import serving

    gan = tiny_cgan(compile=False)
    spread(gan.generator)
    manifest = exports.export_generator(gan, tmp_path / "out", formats=("saved_model", "onnx"), name="cgan")
    assert manifest["inputs"] == [{"name": "z", "shape": [None, 8], "dtype": "float32"},
                                  {"name": "labels", "shape": [None], "dtype": "int32", "num_classes": 10}]
    assert all(e < 1e-4 for e in manifest["parity"]["max_abs_error"].values())
    model = onnx.load(str(tmp_path / "out" / manifest["artifacts"]["onnx"]["path"]))
    assert [i.name for i in model.graph.input] == ["z", "labels"]
    assert [o.name for o in model.graph.output] == ["images"]
    # A REST request for three 7s, run through TensorFlow's saved_model_cli as TF Serving would.
    version_dir = tmp_path / "out" / "cgan" / "1"
    sig = serving.read_signature(version_dir)
    z = gan.latents(3, seed=0)
    body = json.loads(json.dumps(serving.rest_request(sig, {"z": z, "labels": [7, 7, 7]})))
    assert [row["labels"] for row in body["instances"]] == [7, 7, 7]
    with pytest.raises(exports.ExportError, match="takes integers"):
        serving.rest_request(sig, {"z": z, "labels": [7.5, 7, 7]})
    feeds = {n: np.asarray([row[n] for row in body["instances"]], dtype=sig.inputs[n][0]) for n in sig.inputs}
    args = []
    for name, value in feeds.items():
        np.save(tmp_path / f"{name}.npy", value)
        args.append(f"{name}={tmp_path / f'{name}.npy'}")
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    proc = subprocess.run([cli, "run", "--dir", str(version_dir), "--tag_set", "serve", "--signature_def",
                           "serving_default", "--inputs", ";".join(args), "--outdir", str(tmp_path / "cli")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    np.testing.assert_allclose(np.load(tmp_path / "cli" / "images.npy"), gan.generate(z=z, labels=7), atol=1e-5)


@pytest.mark.parametrize("name", ["cgan_mnist", "acgan_mnist"])
def test_the_shipped_conditional_generators_draw_the_requested_digit(name):
    from zoo.metrics.classifier import predict_labels

    g = zoo.load(name)
    assert g.conditional and g.num_classes == 10 and "num_classes=10" in repr(g)
    z = g.latents(40, seed=0)
    predicted = np.stack([predict_labels(g.generate(z=z, labels=k))[0] for k in range(10)])
    accuracy = (predicted == np.arange(10)[:, None]).mean(axis=1)
    assert accuracy.min() >= 0.8 and accuracy.mean() >= 0.9, accuracy  # measured: >= 0.91 on 1,000 each
    assert zoo.describe(name).metrics["min_accuracy"] >= 0.9
