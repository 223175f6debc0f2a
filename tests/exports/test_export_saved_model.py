"""SavedModel export: TF Serving layout, signatures, a process that imports only TensorFlow,
and the graph walker that refuses Python-bound ops."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

import exports
import exports_testlib as lib
from exports.graph import to_uint8

# Loads each SavedModel in a fresh process that imports only TensorFlow, runs both
# signatures on the given batches and reports what it saw.
_TF_ONLY_SCRIPT = """
import json, sys
import numpy as np
import tensorflow as tf

jobs = json.loads(sys.argv[1])
report = {}
for job in jobs:
    loaded = tf.saved_model.load(job["dir"])
    feeds = np.load(job["feeds"])
    batches = sorted({k.split("/")[0] for k in feeds.files})
    seen = {"signatures": sorted(loaded.signatures)}
    outputs = {}
    for sig in ("serving_default", "images_uint8"):
        fn = loaded.signatures[sig]
        _, kwargs = fn.structured_input_signature
        seen[sig] = {
            "inputs": {k: [s.shape.as_list(), s.dtype.name] for k, s in kwargs.items()},
            "outputs": {k: [s.shape.as_list(), s.dtype.name] for k, s in fn.structured_outputs.items()},
        }
        for b in batches:
            feed = {k.split("/")[1]: tf.constant(feeds[k]) for k in feeds.files if k.startswith(b + "/")}
            outputs[f"{sig}/{b}"] = fn(**feed)["images"].numpy()
    np.savez(job["out"], **outputs)
    report[job["dir"]] = seen
top = {m.split(".")[0] for m in sys.modules}
report["ours_imported"] = sorted(top & {"zoo", "exports", "recipes", "layers"})
print(json.dumps(report))
"""


def _write_feeds(path, batches):
    np.savez(path, **{f"b{i}/{k}": v for i, feed in enumerate(batches) for k, v in feed.items()})


@pytest.fixture(scope="module")
def tf_only_run(tmp_path_factory):
    """Runs both test exports' SavedModels in one TensorFlow-only process."""
    feeds = lib.parity_feeds()
    scratch = tmp_path_factory.mktemp("tf_only")
    jobs, models = [], {}
    for key, (out, manifest), model in (
        ("dcgan", lib.dcgan_export(tmp_path_factory), lib.dcgan_generator()),
        ("cond", lib.cond_export(tmp_path_factory), lib.cond_generator()),
    ):
        feed_path = scratch / f"{key}.npz"
        _write_feeds(feed_path, feeds[key])
        job = {"dir": str(out / manifest["artifacts"]["saved_model"]["path"]),
               "feeds": str(feed_path), "out": str(scratch / f"{key}-out.npz")}
        jobs.append(job)
        models[key] = (job, model, feeds[key])
    report = lib.last_json_line(lib.run_python(_TF_ONLY_SCRIPT, json.dumps(jobs)))
    return report, models


def test_tf_serving_layout_and_models_config(tmp_path_factory):
    out, manifest = lib.dcgan_export(tmp_path_factory)
    version_dir = out / "generator" / "1"
    assert (version_dir / "saved_model.pb").is_file()
    assert (version_dir / "variables" / "variables.index").is_file()
    assert manifest["artifacts"]["saved_model"]["path"] == "generator/1"
    config = (out / "models.config").read_text()
    assert config == (
        "model_config_list {\n  config {\n    name: \"generator\"\n"
        "    base_path: \"/models/generator\"\n    model_platform: \"tensorflow\"\n  }\n}\n"
    )


def test_models_config_is_valid_tf_serving_text_format(tmp_path_factory):
    # TF Serving parses models.config as a ModelServerConfig text proto; its model_config_list
    # is a list of {name, base_path, model_platform}.
    # TF Serving's own proto is not installed here: parse against a structurally identical
    # message (same field names, numbers and types) built on the fly.
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format

    out, _ = lib.cond_export(tmp_path_factory)
    text = (out / "models.config").read_text()

    file = descriptor_pb2.FileDescriptorProto(name="mc.proto", package="t")
    config = file.message_type.add(name="ModelConfig")
    for i, field in enumerate(("name", "base_path", "model_platform"), 1):
        config.field.add(name=field, number=i, type=9, label=1)
    lst = file.message_type.add(name="ModelConfigList")
    lst.field.add(name="config", number=1, type=11, label=3, type_name=".t.ModelConfig")
    top = file.message_type.add(name="ModelServerConfig")
    top.field.add(name="model_config_list", number=1, type=11, label=1, type_name=".t.ModelConfigList")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("t.ModelServerConfig"))
    parsed = text_format.Parse(text, cls())
    (entry,) = parsed.model_config_list.config
    assert (entry.name, entry.base_path, entry.model_platform) == ("cond", "/models/cond", "tensorflow")


def test_signatures_named_like_keras_inputs_with_dynamic_batch(tf_only_run):
    report, models = tf_only_run
    for key, (job, model, _) in models.items():
        seen = report[job["dir"]]
        assert seen["signatures"] == ["images_uint8", "serving_default"]
        expected_inputs = {t.name: [None] + list(t.shape[1:]) for t in model.inputs}
        for sig, dtype in (("serving_default", "float32"), ("images_uint8", "uint8")):
            assert {k: v[0] for k, v in seen[sig]["inputs"].items()} == expected_inputs
            assert seen[sig]["outputs"] == {"images": [[None] + list(model.output.shape[1:]), dtype]}
        if key == "cond":
            assert seen["serving_default"]["inputs"]["labels"][1] == "int32"


def test_runs_in_a_tensorflow_only_process_and_matches_keras(tf_only_run):
    report, models = tf_only_run
    assert report["ours_imported"] == []
    for key, (job, model, batches) in models.items():
        got = np.load(job["out"])
        for i, feed in enumerate(batches):  # batch 5, then batch 1: the batch dimension is dynamic
            expected = lib.keras_outputs(model, feed)
            images = got[f"serving_default/b{i}"]
            assert images.shape == expected.shape == (len(feed["z"]),) + tuple(model.output.shape[1:])
            assert images.dtype == np.float32
            np.testing.assert_allclose(images, expected, atol=1e-5, rtol=0)
            assert np.abs(expected).max() > 0.3, "the test generator should use the output range"
            pixels = got[f"images_uint8/b{i}"]
            assert pixels.dtype == np.uint8
            reference = np.clip(np.round((expected + 1) * 127.5), 0, 255).astype(np.int16)
            assert np.abs(pixels.astype(np.int16) - reference).max() <= 1


def test_manifest_records_saved_model_parity(tmp_path_factory):
    _, manifest = lib.dcgan_export(tmp_path_factory)
    errors = manifest["parity"]["max_abs_error"]
    assert 0 <= errors["saved_model"] <= 1e-4
    assert errors["saved_model_uint8"] in (0, 1)
    sig = manifest["artifacts"]["saved_model"]["signatures"]["serving_default"]
    assert sig["inputs"] == [{"name": "z", "shape": [None, 8], "dtype": "float32"}]
    assert sig["outputs"] == [{"name": "images", "shape": [None, 28, 28, 1], "dtype": "float32"}]
    assert sig["parity_process"] == "tensorflow"


def test_to_uint8_rounds_and_clips():
    x = tf.constant([-1.5, -1.0, -0.999, 0.0, 0.5, 1.0, 2.0])
    assert to_uint8(x).numpy().tolist() == [0, 0, 0, 128, 191, 255, 255]
    # round((0 + 1) * 127.5) = round(127.5) -> 128 (half to even), as NumPy does
    assert np.round(127.5) == 128


# --------------------------------------------------------------------------- the graph walker


class _PyFuncModule(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec((None,), tf.float32)])
    def double(self, x):
        return self.inner(x)

    @tf.function
    def inner(self, x):  # nested: the op sits in the function library, not the top graph
        return tf.py_function(lambda t: t * 2, [x], tf.float32)


def test_walker_finds_py_function_in_a_saved_function_library(tmp_path):
    module = _PyFuncModule()
    path = str(tmp_path / "pyfunc")
    tf.saved_model.save(module, path, signatures={"serving_default": module.double.get_concrete_function()})
    found = exports.find_python_ops(path)
    assert found and {op for _, op in found} == {"EagerPyFunc"}
    assert all(not loc.startswith("graph/") for loc, _ in found)  # found inside library functions
    with pytest.raises(exports.UnsafeGraphError, match="EagerPyFunc"):
        exports.check_exportable_graph(path)


def test_walker_finds_numpy_function_and_random_ops_in_a_concrete_function():
    @tf.function(input_signature=[tf.TensorSpec((None,), tf.float32)])
    def f(x):
        y = tf.numpy_function(lambda t: t + 1, [x], tf.float32, stateful=False)
        return y + tf.random.normal(tf.shape(x))

    concrete = f.get_concrete_function()
    assert {op for _, op in exports.find_python_ops(concrete)} == {"PyFuncStateless"}
    assert {op for _, op in exports.find_random_ops(concrete.graph.as_graph_def())} == {"RandomStandardNormal"}


def test_exported_generators_have_no_python_or_random_ops(tmp_path_factory):
    for out, manifest in (lib.dcgan_export(tmp_path_factory), lib.cond_export(tmp_path_factory)):
        path = str(out / manifest["artifacts"]["saved_model"]["path"])
        ops = {op for _, op in exports.saved_model_ops(path)}
        assert "Conv2DBackpropInput" in ops or "MatMul" in ops  # the walker sees the real graph
        assert exports.find_python_ops(path) == []
        assert exports.find_random_ops(path) == []


def test_export_refuses_a_generator_that_draws_random_numbers(tmp_path):
    import keras

    class AlwaysNoisy(keras.layers.Layer):
        def call(self, x):
            return x + tf.random.normal(tf.shape(x))

    z = keras.Input((4,), name="z")
    x = keras.layers.Reshape((2, 2, 1))(keras.layers.Dense(4)(z))
    g = keras.Model(z, keras.layers.Activation("tanh", name="images")(AlwaysNoisy()(x)))
    with pytest.raises(exports.UnsafeGraphError, match="random"):
        exports.export_generator(g, tmp_path / "out", formats="saved_model")
    assert not (tmp_path / "out").exists()
    assert [p for p in os.listdir(tmp_path) if p.startswith(".")] == []
