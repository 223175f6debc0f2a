"""A client for exported generators served by TF Serving: REST and gRPC requests and responses.

    >>> from exports import serving
    >>> sig = serving.read_signature("exported/generator/1")           # names, dtypes, shapes
    >>> body = serving.rest_request(sig, {"z": z})                      # POST to serving.rest_url(...)
    >>> images = serving.decode_rest_response(sig, response.json())["images"]
    >>> request = serving.grpc_request(sig, {"z": z}, model_name="generator")  # PredictionService.Predict
    >>> images = serving.decode_grpc_response(response)["images"]

Requests are checked against the exported signature before they are sent: every
input present under its name, no unknown names, each input's shape (after the
batch dimension) and dtype as exported, the same batch size for all inputs.
``read_signature`` reads ``saved_model.pb`` as a protobuf (it does not load the
model's graph or variables). gRPC needs ``tensorflow-serving-api``.
"""

import dataclasses
import os

import numpy as np

from exports.errors import ExportError

_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 9: np.int64, 19: np.float16}


@dataclasses.dataclass(frozen=True)
class Signature:
    """One SavedModel signature: ``{name: (dtype, shape)}`` for inputs and outputs (None = any size)."""

    name: str
    inputs: dict
    outputs: dict


def read_signature(saved_model_dir, signature_name="serving_default"):
    """The named signature of the SavedModel in ``saved_model_dir`` (a TF Serving version folder)."""
    from tensorflow.core.protobuf import saved_model_pb2

    path = os.path.join(os.fspath(saved_model_dir), "saved_model.pb")
    if not os.path.isfile(path):
        raise ExportError(f"{saved_model_dir} holds no saved_model.pb: point at a version folder such as "
                          "exported/generator/1.")
    proto = saved_model_pb2.SavedModel()
    with open(path, "rb") as f:
        proto.ParseFromString(f.read())
    signatures = proto.meta_graphs[0].signature_def
    if signature_name not in signatures:
        raise ExportError(f"The SavedModel has no signature {signature_name!r}; it has "
                          f"{', '.join(sorted(k for k in signatures if not k.startswith('__')))}.")
    sig = signatures[signature_name]

    def table(infos):
        out = {}
        for name, info in infos.items():
            dims = None if info.tensor_shape.unknown_rank else tuple(
                None if d.size < 0 else int(d.size) for d in info.tensor_shape.dim)
            out[name] = (np.dtype(_DTYPES.get(info.dtype, np.float32)), dims)
        return out

    return Signature(signature_name, table(sig.inputs), table(sig.outputs))


def check_inputs(signature, inputs):
    """``inputs`` as arrays of the signature's dtypes, or an ``ExportError`` that says what is wrong."""
    if not isinstance(inputs, dict):
        raise ExportError(f"inputs must be a dict {{name: array}} with names {sorted(signature.inputs)}.")
    missing = sorted(set(signature.inputs) - set(inputs))
    unknown = sorted(set(inputs) - set(signature.inputs))
    if missing or unknown:
        raise ExportError(
            f"The signature {signature.name!r} takes inputs {sorted(signature.inputs)}; "
            f"missing {missing}, unknown {unknown}."
        )
    out, batches = {}, set()
    for name, (dtype, shape) in signature.inputs.items():
        value = np.asarray(inputs[name])
        if shape is not None:
            if value.ndim != len(shape) or any(w is not None and w != g for w, g in zip(shape[1:], value.shape[1:])):
                want = ("batch",) + tuple("any" if d is None else d for d in shape[1:])
                raise ExportError(f"Input {name!r} must have shape {want}; got {value.shape}.")
        if np.issubdtype(dtype, np.integer) and not np.issubdtype(value.dtype, np.integer):
            if not np.all(value == np.round(value)):
                raise ExportError(f"Input {name!r} takes integers ({dtype}); got non-integer values.")
        if np.issubdtype(value.dtype, np.floating) and not np.all(np.isfinite(value)):
            raise ExportError(f"Input {name!r} holds NaN or Inf.")
        out[name] = value.astype(dtype)
        batches.add(value.shape[0] if value.ndim else None)
    if len(batches) > 1:
        raise ExportError(f"All inputs must have the same batch size; got {sorted(batches, key=str)}.")
    return out


def rest_url(model_name, host="localhost", port=8501, version=None):
    """The REST predict URL of ``model_name`` (a pinned ``version`` or the latest)."""
    version_part = f"/versions/{int(version)}" if version is not None else ""
    return f"http://{host}:{port}/v1/models/{model_name}{version_part}:predict"


def rest_request(signature, inputs, columnar=False):
    """The JSON body of a REST predict request (row ``instances`` or columnar ``inputs`` format)."""
    arrays = check_inputs(signature, inputs)
    body = {"signature_name": signature.name}
    if columnar:
        body["inputs"] = {name: value.tolist() for name, value in arrays.items()}
    else:
        n = len(next(iter(arrays.values())))
        body["instances"] = [{name: value[i].tolist() for name, value in arrays.items()} for i in range(n)]
    return body


def decode_rest_response(signature, response):
    """``{output name: array}`` from a REST predict response (``predictions`` or ``outputs``)."""
    names = sorted(signature.outputs)
    if "error" in response:
        raise ExportError(f"TF Serving answered with an error: {response['error']}")
    if "predictions" in response:
        rows = response["predictions"]
        if len(names) == 1 and (not rows or not isinstance(rows[0], dict)):
            columns = {names[0]: rows}
        else:
            columns = {name: [row[name] for row in rows] for name in names}
    elif "outputs" in response:
        outputs = response["outputs"]
        columns = outputs if isinstance(outputs, dict) else {names[0]: outputs}
    else:
        raise ExportError(f"Not a predict response (no 'predictions' or 'outputs'): keys {sorted(response)}.")
    return {name: np.asarray(columns[name], dtype=signature.outputs[name][0]) for name in names}


def grpc_request(signature, inputs, model_name, version=None):
    """A ``tensorflow_serving.apis.predict_pb2.PredictRequest`` for ``PredictionService.Predict``."""
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    arrays = check_inputs(signature, inputs)
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model_name
    request.model_spec.signature_name = signature.name
    if version is not None:
        request.model_spec.version.value = int(version)
    for name, value in arrays.items():
        request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
    return request


def decode_grpc_response(response):
    """``{output name: array}`` from a ``PredictResponse``."""
    import tensorflow as tf

    return {name: tf.make_ndarray(proto) for name, proto in response.outputs.items()}
