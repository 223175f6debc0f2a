"""The shared test harness: checks every variant and every layer runs through.

Like Keras's ``run_layer_test`` and KerasHub's preset tests: one function per kind of
object, called by a parametrised test file (``tests/zoo/test_variant_harness.py`` for
every registered variant, ``tests/layers/test_layer_harness.py`` for every public
layer), instead of a copy of the same checks in every per-variant test file. Those
files keep what is specific to their variant or layer (the math on fixed inputs, the
variant's own state, its errors).

Import it as the tests import ``conftest``: ``from harness import run_variant_test``.

``run_variant_test(variant, options, data=None, *, tmp_path, strategy=None, ...)``:

1. **builds** (``build_variant`` for a registered name, else the class) inside
   ``strategy.scope()`` when given, and compiles both players with Adam;
2. **one fit step** (one batch, ``shuffle=False``): every trainable weight of every
   player moves (except those named in ``may_stay``, with a reason; players are the
   networks the model declares in ``g_networks``/``d_networks``, else those named in
   ``PLAYERS``, and they must hold every trainable weight of the model),
   each optimizer counts its updates (``d_steps`` and 1), and the logged names are
   exactly ``d_loss_names + g_loss_names + ("loss",) + metric_names`` plus the
   ``extra_logs`` a variant documents, all finite, with ``loss`` the sum of the loss
   terms (``metric_names`` stay out of it);
3. **config**: ``get_config()`` names every constructor option of the class (but the
   ``config_omits`` a variant fixes), keeps the values passed in ``options``, and
   ``from_config(config).get_config()`` gives it back (through JSON: the ``.keras`` load);
4. **``.keras`` round trip** (``keras.saving.save_model`` / ``load_model`` in safe mode):
   the same class and config; every weight, both optimizers' variables and the latent
   RNG state identical; ``generate(n, seed=...)`` (``translate(...)`` for translators)
   and every player network's outputs identical; the loaded model trains on (one eager
   ``train_step``: both optimizers continue from their counts);
5. **the saved generator** (``zoo.pretrained.saved_generator``, what the train CLI
   writes as ``generator.keras``) round-trips in safe mode and samples what the GAN
   samples (``generate(n, seed)``: latents, labels, codes, noise; or the translation).

``run_layer_test(layer_cls, init_kwargs, input_shape, *, tmp_path, ...)``:

1. **build and call**: the layer builds on a batch, its output shape matches
   ``compute_output_shape`` (eagerly and on symbolic ``keras.Input``s), calls in
   training and inference give finite outputs, inference is deterministic and changes
   no weight;
2. **config**: ``from_config(get_config())`` gives the same (JSON) config, and
   ``keras.layers.serialize``/``deserialize`` finds the registered class;
3. **serialisation in a functional model**: with non-trivial weights (every float weight
   redrawn, state then advanced by a training call) a model around the layer round-trips
   through ``.keras`` in safe mode with identical weights and outputs;
4. **dtype policy ``mixed_bfloat16``**: built with ``dtype="mixed_bfloat16"`` (a wrapper's
   inner layer too) under the float32 global policy, the layer computes in bfloat16 in
   inference and training, keeps float32 variables (also after a training call that
   updates state), and with the float32 layer's weights its outputs are close to the
   float32 ones.
"""

import contextlib
import copy
import inspect
import json
import os

import keras
import numpy as np
import tensorflow as tf

from zoo.gan import GAN
from zoo.pretrained import saved_generator
from zoo.registry import VARIANTS, build_variant
from zoo.sampling import class_count

# The networks of each player, by attribute (CycleGAN has two generators and two discriminators).
PLAYERS = {"generator": ("generator", "generator_b2a"), "discriminator": ("discriminator", "discriminator_a")}


# ================================================================== variants


def variant_class(variant):
    """The class of a registered name, or ``variant`` itself when it is a class."""
    return VARIANTS[variant] if isinstance(variant, str) else variant


def players(gan):
    """``{"generator": [(attr, model)], "discriminator": [...]}``: every network of each player, by the
    attributes the model declares (``g_networks`` / ``d_networks``) or else those in ``PLAYERS``."""
    out = {}
    for player, attrs in PLAYERS.items():
        declared = getattr(gan, f"{player[0]}_networks", None)
        names = tuple(declared) if declared else attrs
        out[player] = [(a, getattr(gan, a)) for a in names if isinstance(getattr(gan, a, None), keras.Model)]
    return out


def constructor_options(cls):
    """The keyword arguments ``cls`` accepts: its constructor's own and the base GAN's options."""
    own = list(cls._init_parameters())
    return own + [n for n in GAN._init_parameters() if n not in own]


def variant_data(gan, n=8, seed=0):
    """``(x, y)`` for one batch of ``n`` that fits ``gan``: images in [-1, 1]; ``y`` the class labels of a
    conditional variant, the second image of each pair for a translator, else ``None``."""
    rng = np.random.default_rng(seed)
    if getattr(gan, "translation", None):
        first, second = gan.pair_shapes()
        return (rng.uniform(-1, 1, (n, *first)).astype("float32"),
                rng.uniform(-1, 1, (n, *second)).astype("float32"))
    x = rng.uniform(-1, 1, (n, *gan.image_shape)).astype("float32")
    if getattr(gan, "needs_labels", False):
        return x, (np.arange(n) % gan.num_classes).astype("int32")
    return x, None


def network_inputs(model, n=4, seed=3):
    """Random inputs for every input of ``model``: class indices for integer inputs (below the class count
    the network reads from its Embedding/CategoryEncoding), U(-1, 1) floats for the others."""
    rng = np.random.default_rng(seed)
    feeds = []
    for t in model.inputs:
        shape = (n, *t.shape[1:])
        if "int" in str(t.dtype):
            feeds.append(rng.integers(0, class_count(model, t.name) or 2, shape).astype(str(t.dtype)))
        else:
            feeds.append(rng.uniform(-1, 1, shape).astype("float32"))
    return feeds[0] if len(feeds) == 1 else feeds


def _numpy(v):
    return np.array(keras.ops.convert_to_numpy(v))


def _snapshot(variables):
    return [_numpy(v) for v in variables]


def _json(value):
    return json.loads(json.dumps(value))


def _samples(gan, x, n=4, seed=1):
    """What the model samples: ``generate(n, seed)``, or the translation of ``x[:n]`` (both directions for
    CycleGAN)."""
    if gan.latent_dim:
        return {"generate": gan.generate(n, seed=seed)}
    out = {"translate": gan.translate(x[:n])}
    if "direction" in inspect.signature(gan.translate).parameters:
        out["translate_b2a"] = gan.translate(x[:n], direction="b2a")
    return out


def _optimizer_state(gan):
    return {name: _snapshot(getattr(gan, name).variables) for name in ("d_optimizer", "g_optimizer")}


def _train_batch(x, y):
    return (tf.constant(x),) if y is None else (tf.constant(x), tf.constant(y))


def run_variant_test(variant, options=None, data=None, *, tmp_path, strategy=None, extra_logs=(), may_stay=(),
                     config_omits=(), count_updates=True, seed=0):
    """Runs every harness check on ``variant`` (a registered name or a GAN class) built with ``options``
    (a dict, or a callable returning one, called inside the strategy scope after the random seed is set).

    ``data``: ``(x, y)`` for one batch (default: ``variant_data`` of the built model). ``extra_logs``: logged
    names beyond the declared ones. ``may_stay``: substrings of ``"<network attribute>/<weight path>"`` of
    weights one step may leave unchanged (give the reason where you pass it). ``config_omits``: constructor
    options the variant fixes and leaves out of its config. ``count_updates=False``: skip the optimizers'
    update counts after ``fit`` (ProGAN resets them when it grows). Returns the model."""
    cls = variant_class(variant)
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        keras.utils.set_random_seed(seed)
        given = dict(options() if callable(options) else (options or {}))
        gan = build_variant(variant, **given) if isinstance(variant, str) else cls(**given)
        gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    # --- builds
    assert type(gan) is cls and gan.built
    nets = players(gan)
    assert nets["generator"] and nets["discriminator"], nets
    owned = {id(v) for side in nets.values() for _, m in side for v in m.trainable_weights}
    unowned = [v.path for v in gan.trainable_weights if id(v) not in owned]
    assert not unowned, f"trainable weights outside the declared players (harness.PLAYERS): {unowned}"
    if strategy is not None:
        assert gan.distribute_strategy.num_replicas_in_sync == strategy.num_replicas_in_sync
    x, y = variant_data(gan) if data is None else data

    # --- one fit step
    before = {attr: _snapshot(m.trainable_weights) for side in nets.values() for attr, m in side}
    history = gan.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0).history
    for side in nets.values():
        still = []
        for attr, model in side:
            for b, v in zip(before[attr], model.trainable_weights):
                if np.array_equal(b, _numpy(v)) and not any(p in f"{attr}/{v.path}" for p in may_stay):
                    still.append(f"{attr}/{v.path}")
        assert not still, f"one fit step left these weights unchanged: {still}"
    if count_updates:
        assert int(_numpy(gan.d_optimizer.iterations)) == gan.d_steps
        assert int(_numpy(gan.g_optimizer.iterations)) == 1
    declared = tuple(gan.d_loss_names) + tuple(gan.g_loss_names) + ("loss",) + tuple(gan.metric_names)
    assert len(set(declared)) == len(declared), f"a name is declared twice: {declared}"
    assert set(history) == set(declared) | set(extra_logs), (sorted(history), sorted(declared), extra_logs)
    assert all(len(v) == 1 and np.isfinite(v[0]) for v in history.values()), history
    terms = tuple(gan.d_loss_names) + tuple(gan.g_loss_names)
    np.testing.assert_allclose(history["loss"][0], sum(history[t][0] for t in terms), rtol=1e-5, atol=1e-6)

    # --- config
    config = gan.get_config()
    missing = sorted(set(constructor_options(cls)) - {"generator", "discriminator", *config_omits} - set(config))
    assert not missing, f"get_config() leaves out the option(s) {missing}"
    for key, value in given.items():
        if not isinstance(value, keras.Model):
            assert config[key] == _json(value), f"option {key}={value!r} came back as {config[key]!r}"
    assert type(gan).from_config(copy.deepcopy(config)).get_config() == config  # (JSON: the .keras load below)

    # --- .keras round trip
    path = os.path.join(str(tmp_path), "gan.keras")
    keras.saving.save_model(gan, path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is cls and _json(loaded.get_config()) == _json(config)
    assert len(loaded.weights) == len(gan.weights)
    for a, b in zip(gan.weights, loaded.weights):
        assert tuple(a.shape) == tuple(b.shape), (a.path, b.path)
        np.testing.assert_array_equal(_numpy(b), _numpy(a), err_msg=a.path)
    state = _optimizer_state(gan)
    for name, values in _optimizer_state(loaded).items():
        assert len(values) == len(state[name]), name
        for a, b in zip(state[name], values):
            np.testing.assert_array_equal(b, a, err_msg=name)
    np.testing.assert_array_equal(_numpy(loaded.seed_generator.state), _numpy(gan.seed_generator.state))
    back_samples = _samples(loaded, x)
    for key, value in _samples(gan, x).items():
        np.testing.assert_array_equal(back_samples[key], value, err_msg=key)
    loaded_nets = players(loaded)
    for side, pairs in nets.items():
        assert [a for a, _ in loaded_nets[side]] == [a for a, _ in pairs]
        for (attr, model), (_, back) in zip(pairs, loaded_nets[side]):
            feed = network_inputs(model)
            outputs = zip(tf.nest.flatten(model(feed, training=False)), tf.nest.flatten(back(feed, training=False)))
            for a, b in outputs:
                np.testing.assert_array_equal(_numpy(b), _numpy(a), err_msg=attr)
    counts = [int(_numpy(o.iterations)) for o in (loaded.d_optimizer, loaded.g_optimizer)]
    logs = loaded.train_step(_train_batch(x, y))  # eager: no second trace
    assert all(np.isfinite(_numpy(v)).all() for v in logs.values()), logs
    assert [int(_numpy(o.iterations)) for o in (loaded.d_optimizer, loaded.g_optimizer)] == [
        counts[0] + gan.d_steps, counts[1] + 1], "the loaded optimizers do not continue"

    # --- the saved generator
    generator = saved_generator(gan)
    path = os.path.join(str(tmp_path), "generator.keras")
    keras.saving.save_model(generator, path)
    back = keras.saving.load_model(path, safe_mode=True)
    if gan.latent_dim:
        assert back.latent_distribution == gan.latent_distribution
        np.testing.assert_array_equal(back.generate(4, seed=1), gan.generate(4, seed=1))
    else:
        np.testing.assert_array_equal(_numpy(back(x[:4], training=False)), gan.translate(x[:4]))
    return gan


# ================================================================== layers


def _fresh_kwargs(init_kwargs, dtype=None):
    """``init_kwargs`` with every layer argument (a wrapper's ``layer``) re-created from its config, so each
    build gets its own inner layer; with ``dtype``, the inner layers take that dtype policy too."""
    out = {}
    for key, value in init_kwargs.items():
        if isinstance(value, keras.layers.Layer):
            config = {k: v for k, v in value.get_config().items() if k != "dtype"}
            value = type(value).from_config({**config, **({"dtype": dtype} if dtype else {})})
        out[key] = value
    return out


def _shapes(input_shape):
    """``[shape, ...]`` and whether the layer takes a list of inputs."""
    if isinstance(input_shape, list):
        return [tuple(s) for s in input_shape], True
    return [tuple(input_shape)], False


def layer_inputs(input_shape, batch_size=4, input_dtype="float32", seed=0):
    """Random N(0, 1) inputs (integers in [0, 10) for an integer ``input_dtype``) for ``input_shape``."""
    rng = np.random.default_rng(seed)
    shapes, many = _shapes(input_shape)
    dtypes = input_dtype if isinstance(input_dtype, list) else [input_dtype] * len(shapes)
    feeds = [rng.integers(0, 10, (batch_size, *s)).astype(d) if "int" in d
             else rng.normal(size=(batch_size, *s)).astype(d) for s, d in zip(shapes, dtypes)]
    return feeds if many else feeds[0]


def _output_shape(layer, shape):
    """``layer.compute_output_shape(shape)``, or ``None`` for a layer that leaves it to Keras's symbolic
    inference (the functional-model check still compares the symbolic and the eager shapes)."""
    try:
        return layer.compute_output_shape(shape)
    except NotImplementedError:
        return None


def _shape_matches(got, want):
    """Whether shape ``got`` is ``want``, where ``want`` may leave dimensions unknown (``None``)."""
    got, want = tuple(got), tuple(want)
    return len(got) == len(want) and all(w is None or g == w for g, w in zip(got, want))


def _randomize(layer, seed=0):
    """Values no initializer gives: trainable weights from N(0, 0.5) (gammas and noise scales start at 0,
    which would hide them), other float state (power-iteration vectors, blend weights, reference batches)
    from U(0.1, 0.9), so a round trip that drops it shows."""
    rng = np.random.default_rng(seed)
    trainable = {id(v) for v in layer.trainable_weights}
    for v in layer.weights:
        if "float" not in str(v.dtype):
            continue
        values = rng.normal(0.0, 0.5, v.shape) if id(v) in trainable else rng.uniform(0.1, 0.9, v.shape)
        v.assign(values.astype("float32"))


def _outputs(result):
    return [_numpy(t) for t in tf.nest.flatten(result)]


def run_layer_test(layer_cls, init_kwargs, input_shape, *, tmp_path, input_dtype="float32", batch_size=4,
                   input_data=None, bfloat16_tolerance=0.05):
    """Runs every harness check on ``layer_cls(**init_kwargs)`` called on inputs of ``input_shape`` (one shape
    without the batch axis, or a list of them for a layer on a list of inputs)."""
    data = layer_inputs(input_shape, batch_size, input_dtype) if input_data is None else input_data
    shapes, many = _shapes(input_shape)
    dtypes = input_dtype if isinstance(input_dtype, list) else [input_dtype] * len(shapes)

    # --- build and call
    layer = layer_cls(**_fresh_kwargs(init_kwargs))
    out = layer(data)
    assert layer.built
    _randomize(layer)
    batch_shapes = [(batch_size, *s) for s in shapes]
    want = _output_shape(layer, batch_shapes if many else batch_shapes[0])
    assert want is None or _shape_matches(out.shape, want), (out.shape, want)
    symbolic = [keras.Input(s, dtype=d) for s, d in zip(shapes, dtypes)]
    sym_out = layer_cls(**_fresh_kwargs(init_kwargs))(symbolic if many else symbolic[0])
    assert _shape_matches(out.shape, (None, *sym_out.shape[1:])), (out.shape, sym_out.shape)
    sym_want = _output_shape(layer_cls(**_fresh_kwargs(init_kwargs)),
                             [(None, *s) for s in shapes] if many else (None, *shapes[0]))
    assert sym_want is None or _shape_matches(sym_out.shape, sym_want), (sym_out.shape, sym_want)
    state = _snapshot(layer.weights)
    inference = _outputs(layer(data, training=False))
    for a, b in zip(inference, _outputs(layer(data, training=False))):
        np.testing.assert_array_equal(a, b, err_msg="inference is not deterministic")
    for a, b, v in zip(state, _snapshot(layer.weights), layer.weights):
        np.testing.assert_array_equal(a, b, err_msg=f"an inference call changed {v.path}")
    training = _outputs(layer(data, training=True))
    assert all(np.isfinite(o).all() for o in inference + training)

    # --- config
    config = layer.get_config()
    assert layer_cls.from_config(copy.deepcopy(config)).get_config() == config  # (Wrapper.from_config pops)
    assert _json(layer_cls.from_config(_json(config)).get_config()) == _json(config), "the config must survive JSON"
    again = keras.layers.deserialize(keras.layers.serialize(layer))
    assert type(again) is layer_cls and again.get_config() == config

    # --- serialisation in a functional model
    inputs = [keras.Input(s, dtype=d, name=f"input_{i}") for i, (s, d) in enumerate(zip(shapes, dtypes))]
    inner = layer_cls(**_fresh_kwargs(init_kwargs))
    model = keras.Model(inputs if many else inputs[0], inner(inputs if many else inputs[0]))
    _randomize(inner, seed=1)
    model(data, training=True)  # advances state (spectral norm's u), which must be saved
    expected = _outputs(model(data, training=False))
    path = os.path.join(str(tmp_path), "layer.keras")
    keras.saving.save_model(model, path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded.layers[-1]) is layer_cls
    assert _json(loaded.layers[-1].get_config()) == _json(inner.get_config())
    assert len(loaded.weights) == len(model.weights)
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(_numpy(b), _numpy(a), err_msg=a.path)
    for a, b in zip(expected, _outputs(loaded(data, training=False))):
        np.testing.assert_array_equal(b, a)

    # --- mixed_bfloat16
    mixed = layer_cls(**_fresh_kwargs(init_kwargs, dtype="mixed_bfloat16"), dtype="mixed_bfloat16")
    assert mixed.compute_dtype == "bfloat16" and mixed.variable_dtype == "float32", mixed.dtype_policy
    mixed(data)
    mixed.set_weights(layer.get_weights())
    ref = _outputs(layer(data, training=False))
    for train in (False, True):
        result = mixed(data, training=train)
        dtypes = [keras.backend.standardize_dtype(t.dtype) for t in tf.nest.flatten(result)]
        assert dtypes == ["bfloat16"] * len(dtypes), dtypes
        assert all(str(v.dtype) == "float32" for v in mixed.weights), [(v.path, v.dtype) for v in mixed.weights]
        if not train:
            for r, m in zip(ref, _outputs(result)):
                m = m.astype("float32")
                assert np.isfinite(m).all()
                scale = float(np.abs(r).max()) or 1.0
                np.testing.assert_allclose(m, r, rtol=0, atol=bfloat16_tolerance * scale)
    return layer
