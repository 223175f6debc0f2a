"""ONNX export with tf2onnx: named inputs/outputs, a chosen opset, a dynamic batch dimension."""

import contextlib
import logging

from exports.errors import ExportError
from exports.generator import OUTPUT_NAME
from exports.graph import positional_function, tensor_specs

DEFAULT_OPSET = 17
BATCH_DIM = "batch"


def supported_opsets():
    """The opsets tf2onnx can target, from 13 (dynamic shapes everywhere) to its newest."""
    from tf2onnx import constants

    return tuple(o for o in sorted(constants.OPSET_TO_IR_VERSION) if o >= 13)


def check_opset(opset):
    if not isinstance(opset, int) or isinstance(opset, bool):
        raise ExportError(f"opset must be an integer, e.g. {DEFAULT_OPSET}; got {opset!r}.")
    opsets = supported_opsets()
    if opset not in opsets:
        raise ExportError(
            f"ONNX opset {opset} is not supported here: use one from {opsets[0]} to {opsets[-1]} "
            f"(default {DEFAULT_OPSET})."
        )
    return opset


@contextlib.contextmanager
def _quiet_tf2onnx():
    logger = logging.getLogger("tf2onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _rename(graph, old, new):
    """Renames tensor ``old`` to ``new`` everywhere in an ONNX graph."""
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new
        for i, name in enumerate(node.output):
            if name == old:
                node.output[i] = new
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        if value.name == old:
            value.name = new


def write_onnx(model, spec, path, opset=DEFAULT_OPSET):
    """Converts ``model`` to ONNX at ``path``; returns the opset used."""
    import onnx
    import tf2onnx

    fn = positional_function(model, spec)
    try:
        with _quiet_tf2onnx():
            proto, _ = tf2onnx.convert.from_function(fn, input_signature=tensor_specs(spec), opset=opset)
    except Exception as e:
        raise ExportError(
            f"tf2onnx could not convert the generator to ONNX opset {opset} ({type(e).__name__}: "
            f"{str(e).strip().splitlines()[0] if str(e).strip() else ''}). Try another --opset or "
            "leave out the onnx format."
        ) from None
    graph = proto.graph
    if len(graph.input) != len(spec.inputs) or len(graph.output) != 1:
        raise ExportError(
            f"tf2onnx produced {len(graph.input)} inputs and {len(graph.output)} outputs; expected "
            f"{len(spec.inputs)} and 1."
        )
    # tf2onnx names tensors after the TF placeholders; make the names exactly the Keras ones.
    for value, t in zip(list(graph.input), spec.inputs):
        if value.name != t.name:
            _rename(graph, value.name, t.name)
    if graph.output[0].name != OUTPUT_NAME:
        _rename(graph, graph.output[0].name, OUTPUT_NAME)
    for value in list(graph.input) + list(graph.output):
        dim = value.type.tensor_type.shape.dim[0]
        dim.Clear()
        dim.dim_param = BATCH_DIM
    proto.producer_name = "keras-gan-zoo exports (tf2onnx)"
    onnx.checker.check_model(proto, full_check=True)
    with open(path, "wb") as f:
        f.write(proto.SerializeToString())
    return opset
