"""The TensorFlow functions that exports are made of, and checks on the saved graph.

``serving_functions`` wraps a Keras generator in ``tf.function`` s whose inputs
are named like the Keras inputs and whose output is named ``images``:

* ``serving_default``: float32 images in [-1, 1];
* ``images_uint8``: the same images as uint8, ``round((x + 1) * 127.5)`` clipped to [0, 255].

``find_python_ops`` / ``find_random_ops`` walk a saved graph, its function
library included, for ops an exported generator must not contain: ops that call
back into Python (they cannot run in TF Serving or any process without the
original Python code) and random ops (the contract says a generator is a pure
function of its inputs; ONNX Runtime rejects TF's random ops).
"""

import os
import re

from exports.errors import UnsafeGraphError
from exports.generator import OUTPUT_NAME

SERVING_DEFAULT = "serving_default"
UINT8_SIGNATURE = "images_uint8"
PYTHON_OPS = frozenset({"PyFunc", "PyFuncStateless", "EagerPyFunc"})
_RANDOM_OP_RE = re.compile(
    r"Random|Multinomial|TruncatedNormal|^Stateful(Uniform|StandardNormal)|^Rng(Skip|ReadAndSkip)"
)


def tensor_specs(spec):
    """``tf.TensorSpec`` s of the generator inputs, batch dimension dynamic."""
    import tensorflow as tf

    return [tf.TensorSpec(t.shape, tf.as_dtype(t.dtype), name=t.name) for t in spec.inputs]


def model_inputs(model, tensors):
    """What to call ``model`` with for ``tensors`` given in ``model.inputs`` order.

    Several inputs go by name (a dict), which Keras matches whether the model was built
    from a list or a dict of inputs.
    """
    tensors = list(tensors)
    if len(tensors) == 1:
        return tensors[0]
    return {t.name: x for t, x in zip(model.inputs, tensors)}


def _generate(model, tensors):
    import tensorflow as tf

    images = model(model_inputs(model, tensors), training=False)
    return tf.cast(images, tf.float32)


def to_uint8(images):
    """float images in [-1, 1] -> uint8 in [0, 255]: ``round((x + 1) * 127.5)``, clipped."""
    import tensorflow as tf

    scaled = tf.round((images + 1.0) * 127.5)
    return tf.cast(tf.clip_by_value(scaled, 0.0, 255.0), tf.uint8)


def serving_functions(model, spec):
    """``{signature name: concrete function}`` taking the inputs by keyword."""
    import tensorflow as tf

    names = spec.input_names

    @tf.function
    def serve(**inputs):
        return {OUTPUT_NAME: _generate(model, [inputs[n] for n in names])}

    @tf.function
    def serve_uint8(**inputs):
        return {OUTPUT_NAME: to_uint8(_generate(model, [inputs[n] for n in names]))}

    specs = {s.name: s for s in tensor_specs(spec)}
    return {
        SERVING_DEFAULT: serve.get_concrete_function(**specs),
        UINT8_SIGNATURE: serve_uint8.get_concrete_function(**specs),
    }


def positional_function(model, spec):
    """A ``tf.function`` taking the inputs positionally (in ``spec.inputs`` order), for tf2onnx."""
    import tensorflow as tf

    @tf.function(input_signature=tensor_specs(spec))
    def serve(*inputs):
        return {OUTPUT_NAME: _generate(model, inputs)}

    return serve


# ----------------------------------------------------------------------- graph walking


def graph_def_ops(graph_def):
    """``[(location, op type)]`` for every node of ``graph_def`` and of its function library."""
    found = [(f"graph/{n.name}", n.op) for n in graph_def.node]
    for function in graph_def.library.function:
        found.extend((f"{function.signature.name}/{n.name}", n.op) for n in function.node_def)
    return found


def saved_model_ops(path):
    """``[(location, op type)]`` for every graph (and function) of a SavedModel directory."""
    from tensorflow.core.protobuf import saved_model_pb2

    pb = os.path.join(path, "saved_model.pb") if os.path.isdir(path) else path
    saved_model = saved_model_pb2.SavedModel()
    with open(pb, "rb") as f:
        saved_model.ParseFromString(f.read())
    found = []
    for meta_graph in saved_model.meta_graphs:
        found.extend(graph_def_ops(meta_graph.graph_def))
    return found


def _ops_of(graph):
    """Accepts a SavedModel path, a ``GraphDef``, a ``tf.Graph`` or a concrete function."""
    if isinstance(graph, (str, os.PathLike)):
        return saved_model_ops(os.fspath(graph))
    if hasattr(graph, "graph") and hasattr(graph.graph, "as_graph_def"):  # ConcreteFunction
        graph = graph.graph
    if hasattr(graph, "as_graph_def"):
        graph = graph.as_graph_def()
    return graph_def_ops(graph)


def find_python_ops(graph):
    """The ``(location, op type)`` pairs whose op calls into Python (``tf.py_function``, ...)."""
    return [(loc, op) for loc, op in _ops_of(graph) if op in PYTHON_OPS]


def find_random_ops(graph):
    """The ``(location, op type)`` pairs whose op draws random numbers."""
    return [(loc, op) for loc, op in _ops_of(graph) if _RANDOM_OP_RE.search(op)]


def check_exportable_graph(graph):
    """Raises ``UnsafeGraphError`` if the graph holds Python-bound or random ops."""
    checks = (
        (find_python_ops, "The generator's graph calls into Python ({}): such ops (tf.py_function, "
                          "tf.numpy_function) cannot run in TF Serving, ONNX or LiteRT. Rewrite that layer "
                          "with TensorFlow/Keras ops."),
        (find_random_ops, "The generator's graph draws random numbers ({}); an exported generator must "
                          "be a pure function of its inputs. Make the randomness (noise) an input of the "
                          "generator instead."),
    )
    for find, message in checks:
        found = find(graph)
        if found:
            raise UnsafeGraphError(message.format(", ".join(f"{op} at {loc}" for loc, op in found[:5])))
