"""Named training recipes, the data layer, strategies and the train/fetch CLIs.

``load_dataset`` and ``resolve_source`` are imported on first use, so
``python -m recipes.fetch`` (and the CLIs' argument checks) do not start TensorFlow.
"""

import importlib

_NAMES = {"load_dataset": "recipes.data", "resolve_source": "recipes.data"}
__all__ = sorted(_NAMES)


def __getattr__(name):
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'recipes' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_NAMES))
