"""Every package the code imports is declared in pyproject.toml and pinned to the version installed:
the server's imports in `dependencies`, the tests' and benchmarks' in `dependencies` or the `test`
extra. A package that only arrives as a dependency of a dependency can disappear with its next
release; importing it directly makes it ours to declare (httpx2, attrs, pydantic-core, tornado)."""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
OURS = {"modelroute", "modelroute_testing", "tests", "benchlib", "__future__"}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][^;\s]*)$")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for requirement in requirements:
        match = _PIN.match(requirement.strip())
        assert match, f"not pinned exactly: {requirement!r} (write name==version)"
        pins[_normal(match.group(1))] = match.group(2)
    return pins


RUNTIME = _pins(PYPROJECT["project"]["dependencies"])
TEST = _pins(PYPROJECT["project"]["optional-dependencies"]["test"])
TRAIN = _pins(PYPROJECT["project"]["optional-dependencies"]["train"])
# The one server module that may use the `train` extra: retraining the classifier, never classifying.
TRAINING = "server/modelroute/classify/train.py"


def _optional(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """An import inside `try: ... except ImportError`: a candidate measured only when installed."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError") for h in node.handlers
        ):
            return True
    return False


def imports(folder: Path, *, allow_optional: bool) -> Iterator[tuple[str, str]]:
    """(top-level module, file) for every absolute import under `folder`, lazy ones included."""
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            if allow_optional and _optional(node, parents):
                continue
            for name in names:
                top = name.split(".")[0]
                sibling = (path.parent / f"{top}.py").exists() or (path.parent / top).is_dir()
                if top not in sys.stdlib_module_names and top not in OURS and not sibling:
                    yield top, str(path.relative_to(ROOT))


@functools.cache
def _providers() -> dict[str, list[str]]:
    return dict(importlib.metadata.packages_distributions())


def distribution(module: str) -> str:
    found = _providers().get(module)
    assert found, f"{module} is imported but no installed distribution provides it"
    return _normal(found[0])


def test_every_requirement_is_pinned_to_what_is_installed() -> None:
    for name, version in {**RUNTIME, **TEST, **TRAIN}.items():
        assert importlib.metadata.version(name) == version, f"{name}: pinned {version}, installed differs"


def test_the_server_imports_only_declared_runtime_dependencies() -> None:
    undeclared = {
        (distribution(module), where)
        for module, where in imports(ROOT / "server" / "modelroute", allow_optional=False)
        if distribution(module) not in RUNTIME and not (where == TRAINING and distribution(module) in TRAIN)
    }
    assert not undeclared, f"declare and pin in [project] dependencies: {sorted(undeclared)}"


@pytest.mark.parametrize("folder", ["tests", "bench"])
def test_tests_and_benchmarks_import_only_declared_dependencies(folder: str) -> None:
    undeclared = {
        (distribution(module), where)
        for module, where in imports(ROOT / folder, allow_optional=folder == "bench")
        if distribution(module) not in RUNTIME | TEST.keys()
    }
    assert not undeclared, f"declare and pin in the test extra: {sorted(undeclared)}"


def test_the_test_extra_does_not_repeat_runtime_pins() -> None:
    assert not RUNTIME.keys() & TEST.keys()
