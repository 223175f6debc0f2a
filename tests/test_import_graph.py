"""The packages' import graph: no cycles, no private names across modules, dependencies one way.

Every ``.py`` file under ``zoo/``, ``layers/``, ``recipes/`` and ``exports/`` is parsed with ``ast``
and every import in it is counted, those inside functions too (a function-level import that closes
a cycle is still a cycle: it only moves the failure to the first call). A package ``__init__``
that imports lazily (``importlib.import_module`` on a table of module names) depends on the modules
it names.

The intended direction: ``layers`` <- ``zoo`` <- ``recipes``; ``exports`` uses ``zoo``, ``layers``
and ``recipes.cli`` (the CLIs' shared helpers, which import nothing of ours); ``zoo`` and
``layers`` never import ``recipes``, ``exports``, absl or TFDS.

An import of ``a.b.c`` is an edge to the module ``a.b.c`` only: Python runs the packages ``a`` and
``a.b`` first, but counting that would make every package with a non-empty ``__init__`` a cycle with
its own submodules. ``import a`` (or ``from a import name`` of a name defined in ``a/__init__.py``)
is an edge to ``a``.
"""

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("zoo", "layers", "recipes", "exports")

# Top-level names each of our packages must not import (at any depth, inside functions too).
FORBIDDEN = {
    "layers": {"zoo", "recipes", "exports", "absl", "tensorflow_datasets"},
    "zoo": {"recipes", "exports", "absl", "tensorflow_datasets"},
    "recipes": {"exports"},
    "exports": {"recipes"},  # may use zoo, layers and absl (its CLI); of recipes only recipes.cli (below)
}
# Modules of another of our packages that a package may import although FORBIDDEN names the package.
ALLOWED_MODULES = {
    "exports": {"recipes.cli"},  # fail / flags_parser / HeldStderr: no TensorFlow, imports nothing of ours
}
# (importer, imported): one named exception to FORBIDDEN, with its reason.
EXCEPTIONS = {}


def _modules():
    """``{dotted name: path}`` of every module of PACKAGES (``pkg/__init__.py`` is ``pkg``)."""
    found = {}
    for package in PACKAGES:
        for folder, dirs, files in os.walk(os.path.join(ROOT, package)):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
            for file in sorted(files):
                if not file.endswith(".py"):
                    continue
                parts = os.path.relpath(os.path.join(folder, file), ROOT)[:-3].split(os.sep)
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                found[".".join(parts)] = os.path.join(folder, file)
    return found


MODULES = _modules()


def _internal(name):
    """The longest module of ours that ``name`` is or lies in (``None`` for a third-party name)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in MODULES:
            return candidate
    return None


class Import:
    """One import statement's effect: ``module`` (ours, or ``None``) and the full ``target`` name."""

    def __init__(self, importer, target, line, name=None):
        self.importer, self.target, self.line, self.name = importer, target, line, name
        self.module = _internal(target)

    def where(self):
        rel = os.path.relpath(MODULES[self.importer], ROOT)
        return f"{rel}:{self.line}"


def _imports(module):
    """Every import in ``module``'s file, at any depth."""
    path = MODULES[module]
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    is_package = os.path.basename(path) == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    found, lazy = [], False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(Import(module, alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module
            if base == "__future__":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                target = sub if sub in MODULES else base  # `from pkg import submodule` imports the submodule
                found.append(Import(module, target, node.lineno, alias.name))
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called in ("import_module", "__import__", "lazy_names"):  # lazy_names: recipes.cli's table
                lazy = True
                if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                    found.append(Import(module, node.args[0].value, node.lineno))
    if lazy:  # a table of module names imported on first use (exports/__init__.py, recipes/__init__.py)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in MODULES:
                found.append(Import(module, node.value, node.lineno))
    return found


IMPORTS = {module: _imports(module) for module in MODULES}


def _graph():
    graph = {module: {} for module in MODULES}
    for module, imports in IMPORTS.items():
        for imp in imports:
            if imp.module is not None and imp.module != module:
                graph[module].setdefault(imp.module, imp)  # the first import of each module, for the report
    return graph


def _cycles(graph):
    """One cycle (a list of ``Import``) in each strongly connected component of more than one module."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def connect(v):  # Tarjan's algorithm (recursive: the graph has a few hundred nodes)
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            connect(v)
    cycles = []
    for component in components:
        covered = set()
        for start in sorted(component):  # a shortest cycle through each module not yet on a reported one
            if start not in covered:
                path = _shortest_cycle(graph, component, start)
                covered.update(path)
                cycles.append([graph[a][b] for a, b in zip(path, path[1:] + [start])])
    return cycles


def _shortest_cycle(graph, component, start):
    """The modules of a shortest cycle from ``start`` back to it inside ``component`` (breadth first)."""
    previous, frontier = {start: None}, [start]
    while frontier:
        following = []
        for v in frontier:
            for w in sorted(graph[v]):
                if w == start:
                    path = []
                    while v is not None:
                        path.append(v)
                        v = previous[v]
                    return path[::-1]
                if w in component and w not in previous:
                    previous[w] = v
                    following.append(w)
        frontier = following
    raise AssertionError(f"{start} is on no cycle of its component")


def _describe(cycle):
    names = " -> ".join([imp.importer for imp in cycle] + [cycle[0].importer])
    lines = "\n".join(f"    {imp.where()}: {imp.importer} imports {imp.target}" for imp in cycle)
    return f"  {names}\n{lines}"


def test_every_package_is_found():
    assert {m.split(".")[0] for m in MODULES} == set(PACKAGES)
    assert "zoo.pretrained" in MODULES and "exports.generator" in MODULES


def test_no_import_cycles():
    cycles = _cycles(_graph())
    assert not cycles, "Import cycles (function-level imports included):\n" + "\n".join(map(_describe, cycles))


def test_no_private_names_imported_from_other_modules():
    found = []
    for module, imports in IMPORTS.items():
        for imp in imports:
            if (imp.module is not None and imp.name and imp.name.startswith("_") and not imp.name.startswith("__")
                    and imp.module != module):
                found.append(f"  {imp.where()}: from {imp.target} import {imp.name}")
    assert not found, ("Private names imported from another module (make them public, or move the code that "
                       "needs them):\n" + "\n".join(sorted(found)))


def test_packages_depend_one_way():
    found = []
    for module, imports in IMPORTS.items():
        package = module.split(".")[0]
        for imp in imports:
            if imp.target.split(".")[0] not in FORBIDDEN[package]:
                continue
            if imp.module in ALLOWED_MODULES.get(package, ()) or (module, imp.module) in EXCEPTIONS:
                continue
            found.append(f"  {imp.where()}: {module} imports {imp.target}")
    assert not found, ("Imports against the packages' direction (layers <- zoo <- recipes; exports uses zoo and "
                       "recipes.cli; zoo and layers import no recipes, exports, absl or TFDS):\n"
                       + "\n".join(sorted(found)))


def test_the_checks_see_function_level_and_lazy_imports():
    zoo_imports = {imp.target for imp in IMPORTS["exports"]}
    assert "exports.api" in zoo_imports  # the lazy table of exports/__init__.py
    inner = [imp for imp in IMPORTS["recipes.train"] if imp.target == "recipes.registry"]
    assert inner  # imported inside functions only


@pytest.mark.parametrize("edges, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": set()}, []),
])
def test_cycle_finder(edges, expected):
    graph = {v: {w: type("I", (), {"importer": v, "target": w})() for w in ws} for v, ws in edges.items()}
    assert [[imp.importer for imp in cycle] for cycle in _cycles(graph)] == expected
