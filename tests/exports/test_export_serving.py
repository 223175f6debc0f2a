"""The TF Serving client: requests validated against the exported signature, checked with saved_model_cli."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2

from exports import serving
from exports.errors import ExportError
from exports_testlib import cond_export, cond_generator, dcgan_export, dcgan_generator, keras_outputs


@pytest.fixture(scope="module")
def dcgan_dir(tmp_path_factory):
    out, _ = dcgan_export(tmp_path_factory)
    return out / "generator" / "1"


@pytest.fixture(scope="module")
def cond_dir(tmp_path_factory):
    out, _ = cond_export(tmp_path_factory)
    return out / "cond" / "3"


def test_read_signature(dcgan_dir, cond_dir):
    sig = serving.read_signature(dcgan_dir)
    assert sig.inputs == {"z": (np.dtype("float32"), (None, 8))}
    assert sig.outputs == {"images": (np.dtype("float32"), (None, 28, 28, 1))}
    assert serving.read_signature(dcgan_dir, "images_uint8").outputs["images"][0] == np.uint8
    cond = serving.read_signature(cond_dir)
    assert cond.inputs["labels"][0] == np.int32 and set(cond.inputs) == {"z", "labels"}
    with pytest.raises(ExportError, match="no signature 'predict'; it has images_uint8, serving_default"):
        serving.read_signature(dcgan_dir, "predict")


def _saved_model_cli(model_dir, signature, feeds, tmp_path):
    """Runs the SavedModel with TensorFlow's own saved_model_cli in a subprocess; returns its outputs."""
    args = []
    for name, value in feeds.items():
        np.save(tmp_path / f"{name}.npy", value)
        args.append(f"{name}={tmp_path / f'{name}.npy'}")
    out = tmp_path / "cli_out"
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    proc = subprocess.run([cli, "run", "--dir", str(model_dir), "--tag_set", "serve", "--signature_def",
                           signature, "--inputs", ";".join(args), "--outdir", str(out)],
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {f[:-4]: np.load(out / f) for f in os.listdir(out)}


def _inputs_from_rest_body(body, signature):
    """What TF Serving does with a REST body: rebuild the input tensors."""
    if "instances" in body:
        return {n: np.asarray([row[n] for row in body["instances"]], dtype=signature.inputs[n][0])
                for n in signature.inputs}
    return {n: np.asarray(v, dtype=signature.inputs[n][0]) for n, v in body["inputs"].items()}


@pytest.mark.parametrize("columnar", [False, True])
def test_rest_request_runs_through_the_saved_model(dcgan_dir, tmp_path, columnar):
    sig = serving.read_signature(dcgan_dir)
    z = np.random.default_rng(0).standard_normal((3, 8)).astype("float32")
    body = json.loads(json.dumps(serving.rest_request(sig, {"z": z}, columnar=columnar)))
    assert body["signature_name"] == "serving_default"
    feeds = _inputs_from_rest_body(body, sig)
    outputs = _saved_model_cli(dcgan_dir, "serving_default", feeds, tmp_path)
    expected = keras_outputs(dcgan_generator(), {"z": z})
    np.testing.assert_allclose(outputs["images"], expected, atol=1e-5)
    # Decode the response TF Serving would send, in both formats.
    rows = {"predictions": outputs["images"].tolist()}
    cols = {"outputs": outputs["images"].tolist()}
    for response in (rows, cols):
        np.testing.assert_allclose(serving.decode_rest_response(sig, response)["images"], expected, atol=1e-5)


def test_grpc_request_for_a_conditional_generator(cond_dir, tmp_path):
    sig = serving.read_signature(cond_dir)
    feeds = {"z": np.random.default_rng(1).standard_normal((2, 8)).astype("float32"),
             "labels": np.array([3, 7])}
    request = serving.grpc_request(sig, feeds, model_name="cond", version=3)
    assert isinstance(request, predict_pb2.PredictRequest)
    assert (request.model_spec.name, request.model_spec.signature_name, request.model_spec.version.value) == (
        "cond", "serving_default", 3)
    sent = {name: tf.make_ndarray(proto) for name, proto in request.inputs.items()}
    assert sent["labels"].dtype == np.int32 and sent["labels"].tolist() == [3, 7]
    outputs = _saved_model_cli(cond_dir, "serving_default", sent, tmp_path)
    expected = keras_outputs(cond_generator(), {"z": feeds["z"], "labels": sent["labels"]})
    np.testing.assert_allclose(outputs["images"], expected, atol=1e-5)
    response = predict_pb2.PredictResponse()
    response.outputs["images"].CopyFrom(tf.make_tensor_proto(outputs["images"]))
    np.testing.assert_allclose(serving.decode_grpc_response(response)["images"], expected, atol=1e-5)


@pytest.mark.parametrize("inputs, message", [
    ({"latent": np.zeros((2, 8))}, r"takes inputs \['z'\]; missing \['z'\], unknown \['latent'\]"),
    ({"z": np.zeros((2, 9))}, r"Input 'z' must have shape \('batch', 8\); got \(2, 9\)"),
    ({"z": np.full((2, 8), np.nan)}, "holds NaN or Inf"),
    ([1, 2], "must be a dict"),
])
def test_bad_requests_are_refused_before_sending(dcgan_dir, inputs, message):
    sig = serving.read_signature(dcgan_dir)
    with pytest.raises(ExportError, match=message):
        serving.rest_request(sig, inputs)


def test_conditional_requests_check_labels_and_batch(cond_dir):
    sig = serving.read_signature(cond_dir)
    z = np.zeros((2, 8), np.float32)
    with pytest.raises(ExportError, match="takes integers"):
        serving.rest_request(sig, {"z": z, "labels": [0.5, 1.0]})
    with pytest.raises(ExportError, match="same batch size"):
        serving.rest_request(sig, {"z": z, "labels": [1, 2, 3]})
    body = serving.rest_request(sig, {"z": z, "labels": [1, 2]})
    assert [row["labels"] for row in body["instances"]] == [1, 2]


def test_rest_url_and_error_responses(dcgan_dir):
    assert serving.rest_url("generator") == "http://localhost:8501/v1/models/generator:predict"
    assert serving.rest_url("g", host="h", port=9, version=2) == "http://h:9/v1/models/g/versions/2:predict"
    with pytest.raises(ExportError, match="TF Serving answered with an error: boom"):
        serving.decode_rest_response(serving.read_signature(dcgan_dir), {"error": "boom"})
