"""The route and context packages load their names on first use: importing a light module of theirs
does not import the heavy ones, and every exported name is the function or class, never a module."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

import modelroute.context
import modelroute.route


@pytest.mark.parametrize("package", [modelroute.route, modelroute.context], ids=["route", "context"])
def test_every_exported_name_is_the_object_not_a_submodule(package: types.ModuleType) -> None:
    for name in package.__all__:
        assert not isinstance(getattr(package, name), types.ModuleType), name


@pytest.mark.parametrize(
    ("module", "not_loaded"),
    [
        ("modelroute.route.format", ["modelroute.route.router", "modelroute.catalog", "modelroute.classify"]),
        ("modelroute.context.model", ["modelroute.context.workspace", "modelroute.context.git", "pathspec"]),
    ],
)
def test_a_light_module_imports_alone(module: str, not_loaded: list[str]) -> None:
    code = f"import sys, {module}; print([m for m in {not_loaded!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
