"""LiteRT (TFLite) export: a float32 model and a float16-quantized one, from the SavedModel."""

import os

from exports.errors import ExportError
from exports.graph import SERVING_DEFAULT

QUANTIZATIONS = {"float32": "none", "float16": "float16 weights (computed in float32)"}


def write_tflite(saved_model_dir, path, float16=False):
    """Converts the ``serving_default`` signature of a SavedModel to a ``.tflite`` file."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model_dir, signature_keys=[SERVING_DEFAULT])
    if float16:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    try:
        data = converter.convert()
    except Exception as e:
        raise ExportError(
            f"The LiteRT converter failed ({type(e).__name__}: "
            f"{(str(e).strip().splitlines() or [''])[0]}). Leave out the litert format, or use "
            "layers the LiteRT builtin ops support."
        ) from None
    with open(path, "wb") as f:
        f.write(data)
    return os.path.getsize(path)


def litert_runtime():
    """``"ai_edge_litert"`` when the standalone LiteRT interpreter is installed, else ``"tensorflow"``."""
    import importlib.util

    return "ai_edge_litert" if importlib.util.find_spec("ai_edge_litert") else "tensorflow"
