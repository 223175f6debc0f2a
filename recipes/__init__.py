"""Named training recipes, the data layer, strategies and the train/fetch CLIs."""

from recipes.data import load_dataset, resolve_source

__all__ = ["load_dataset", "resolve_source"]
