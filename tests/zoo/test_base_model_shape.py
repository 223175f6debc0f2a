"""The base model's shape: variants override hooks only, the hook table in WORKSPACE.md is the code's."""

import inspect
import pathlib
import re

import pytest

from zoo.gan import GAN, HOOKS
from zoo.registry import VARIANTS

LOOP = ("train_step", "d_step", "g_step", "compile", "fit", "get_config", "from_config")
WORKSPACE = pathlib.Path(__file__).parents[2] / "WORKSPACE.md"


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_no_variant_rewrites_the_loop_or_the_config(name):
    for klass in VARIANTS[name].__mro__:
        if klass is GAN or not issubclass(klass, GAN):
            continue
        rewritten = sorted(set(LOOP) & set(vars(klass)))
        assert not rewritten, f"{klass.__name__} overrides {rewritten}: use a hook (zoo.gan.HOOKS)"


def test_every_hook_is_a_method_of_the_base_model():
    for hook in HOOKS:
        assert callable(getattr(GAN, hook, None)), hook
        assert GAN.__dict__[hook].__doc__, f"GAN.{hook} needs a docstring"


def test_the_workspace_hook_table_lists_exactly_the_hooks():
    text = WORKSPACE.read_text()
    table = text[text.index("| hook |"):]
    table = table[:table.index("\n\n")]
    listed = re.findall(r"^\| `(\w+)\(", table, flags=re.M)
    assert sorted(listed) == sorted(HOOKS), "WORKSPACE.md's hook table differs from zoo.gan.HOOKS"
    for hook in listed:  # the signature shown is the code's
        shown = re.search(rf"^\| `{hook}\(([^)]*)\)`", table, flags=re.M).group(1)
        params = [p for p in inspect.signature(getattr(GAN, hook)).parameters if p != "self"]
        assert [p.strip().split("=")[0] for p in shown.split(",") if p.strip()] == params, hook


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_refusals_are_declared_as_data(name):
    for option, why in VARIANTS[name].unsupported.items():
        assert option in inspect.signature(GAN.__init__).parameters, option
        assert isinstance(why, str) and why, option
