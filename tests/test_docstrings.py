"""``help()`` of every public class documents every argument its constructor takes."""

import inspect
import re

import pytest

import exports
import layers
import recipes
import zoo

PUBLIC = sorted({(module.__name__, name): getattr(module, name)
                 for module in (zoo, layers, exports, recipes)
                 for name in getattr(module, "__all__", [])
                 if inspect.isclass(getattr(module, name))}.items())


def _docs(cls):
    """The class's docstring and those of the bases it refers to by name (``the GAN options``)."""
    own = inspect.getdoc(cls) or ""
    return [own] + [inspect.getdoc(base) or "" for base in cls.__mro__[1:]
                    if base is not object and re.search(rf"\b{base.__name__}\b", own)]


@pytest.mark.parametrize("cls", [c for _, c in PUBLIC], ids=[f"{m}.{n}" for (m, n), _ in PUBLIC])
def test_every_constructor_argument_is_documented(cls):
    owner = next(k for k in cls.__mro__ if "__init__" in vars(k))
    if owner is object or owner.__module__.split(".")[0] == "keras":
        return  # Keras documents its own constructors
    params = [p.name for p in inspect.signature(cls.__init__).parameters.values()
              if p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    docs = _docs(cls)
    missing = [p for p in params if not any(re.search(rf"\b{p}\b", d) for d in docs)]
    assert not missing, f"help({cls.__name__}) does not document {missing}"
    assert params == [] or any("Args:" in d or "Arguments:" in d for d in docs), f"{cls.__name__} has no Args:"
