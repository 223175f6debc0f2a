"""Named training recipes, the data layer, strategies and the train/fetch CLIs.

``load_dataset`` and ``resolve_source`` are imported on first use, so
``python -m recipes.fetch`` (and the CLIs' argument checks) do not start TensorFlow.
"""

from recipes.cli import lazy_names

_NAMES = {"load_dataset": "recipes.data", "resolve_source": "recipes.data"}
__all__ = sorted(_NAMES)


__getattr__, __dir__ = lazy_names(__name__, _NAMES)
