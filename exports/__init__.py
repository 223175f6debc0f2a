"""Export trained generators to SavedModel (TF Serving layout), ONNX and LiteRT, verified.

    >>> import exports
    >>> manifest = exports.export_generator("runs/dcgan_mnist", "exported")   # a workdir or .keras
    >>> manifest["parity"]["max_abs_error"]
    {'saved_model': 0.0, 'saved_model_uint8': 0, 'onnx': 1.2e-06, 'litert': 9e-07, 'litert_fp16': 0.00056}

Command line: ``python -m exports --generator=runs/dcgan_mnist --out=exported``.
Every artifact is run in a separate process on fixed inputs and compared with the
Keras generator before anything is put in place; see the "Export a generator" section of the top-level README.md.
``exports.verify_export("exported")`` re-checks every export in a directory later.
Both show their progress (``verbose="auto"``, as Keras does; ``verbose=0`` for none).

The names below are imported on first use, so ``import exports`` (and the CLI's
argument checks) do not start TensorFlow.
"""

from recipes.cli import lazy_names

_NAMES = {
    "export_generator": "exports.api",
    "verify_export": "exports.api",
    "list_exports": "exports.api",
    "load_manifest": "exports.api",
    "artifact_paths": "exports.api",
    "FORMATS": "exports.api",
    "MANIFEST": "exports.api",
    "ExportError": "exports.errors",
    "ParityError": "exports.errors",
    "UnsafeGraphError": "exports.errors",
    "find_python_ops": "exports.graph",
    "find_random_ops": "exports.graph",
    "check_exportable_graph": "exports.graph",
    "saved_model_ops": "exports.graph",
}
__all__ = sorted(_NAMES)


__getattr__, __dir__ = lazy_names(__name__, _NAMES)
