"""SavedModel export in the TF Serving layout, and the TF Serving ``models.config``.

TF Serving serves ``<base_path>/<version>/`` directories that hold a SavedModel
(``saved_model.pb`` + ``variables/``); ``models.config`` (``model_config_list``
in protobuf text format) maps model names to base paths.
"""

import os

from exports.graph import check_exportable_graph, serving_functions

MODELS_CONFIG = "models.config"


def write_saved_model(model, spec, path):
    """Saves ``model`` as a SavedModel with the ``serving_default`` and ``images_uint8`` signatures.

    Only the generator's variables are tracked; the graph is checked for Python-bound
    and random ops after saving (``UnsafeGraphError``).
    """
    import tensorflow as tf

    module = tf.Module(name="generator")
    # Track the underlying tf.Variables so that they are saved and restored.
    module.generator_variables = [getattr(v, "value", v) for v in model.variables]
    signatures = serving_functions(model, spec)
    tf.saved_model.save(module, path, signatures=signatures)
    check_exportable_graph(path)
    return sorted(signatures)


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def models_config_text(models, base_path="/models"):
    """``model_config_list`` text for ``models`` (names), each served from ``<base_path>/<name>``."""
    lines = ["model_config_list {"]
    for name in models:
        lines += [
            "  config {",
            f"    name: {_quote(name)}",
            f"    base_path: {_quote(base_path.rstrip('/') + '/' + name)}",
            '    model_platform: "tensorflow"',
            "  }",
        ]
    lines.append("}")
    return "\n".join(lines) + "\n"


def served_models(out_dir):
    """Names of the models under ``out_dir`` with at least one numeric SavedModel version."""
    names = []
    if not os.path.isdir(out_dir):
        return names
    for name in sorted(os.listdir(out_dir)):
        base = os.path.join(out_dir, name)
        if name.startswith(".") or not os.path.isdir(base):
            continue
        if any(v.isdigit() and os.path.isfile(os.path.join(base, v, "saved_model.pb"))
               for v in os.listdir(base)):
            names.append(name)
    return names
