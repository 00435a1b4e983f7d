"""Synthetic workspaces for benchmarks and tests: small Python, TypeScript and Go source files (40
to 120 lines) in folders of 40, with identifiers drawn from a shared vocabulary so references spread
as in a real code base. The same seed gives the same tree.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

from modelroute.context.gather import ActionRequest
from modelroute.context.model import Position
from modelroute.context.workspace import WorkspaceIndex

_VOCABULARY = """
order user account invoice cart item price total store cache client server request response config
parser token session event handler queue worker job task report metric log error retry payment
shipment address product catalog search index page layout button form field value stream buffer
reader writer file path node tree graph edge batch record schema table query
"""
_WORDS = _VOCABULARY.split()


def _names(rng: random.Random, count: int) -> list[str]:
    found: set[str] = set()
    while len(found) < count:
        a, b = rng.choice(_WORDS), rng.choice(_WORDS)
        found.add(f"{a}_{b}_{rng.randrange(1000)}")
    return sorted(found)


def _python(rng: random.Random, own: list[str], shared: list[str]) -> str:
    out = ["import os", "from typing import Any", ""]
    for name in own:
        used = rng.sample(shared, 3)
        out += [
            f"def {name}(value: Any, limit: int = 10) -> Any:",
            f'    """Compute {name.replace("_", " ")}."""',
            f"    result = {used[0]}(value)",
            "    for step in range(limit):",
            f"        result = {used[1]}(result, step)",
            "        if result is None:",
            f"            return {used[2]}(value)",
            "    return result",
            "",
        ]
    return "\n".join(out)


def _typescript(rng: random.Random, own: list[str], shared: list[str]) -> str:
    out = ["import { helper } from './util';", ""]
    for name in own:
        used = rng.sample(shared, 3)
        out += [
            f"export function {name}(value: number, limit = 10): number {{",
            f"  let result = {used[0]}(value);",
            "  for (let step = 0; step < limit; step++) {",
            f"    result = {used[1]}(result, step);",
            "    if (result < 0) {",
            f"      return {used[2]}(value);",
            "    }",
            "  }",
            "  return result;",
            "}",
            "",
        ]
    return "\n".join(out)


def _go(rng: random.Random, own: list[str], shared: list[str]) -> str:
    out = ["package main", "", 'import "fmt"', ""]
    for name in own:
        used = rng.sample(shared, 3)
        out += [
            f"func {name}(value int, limit int) int {{",
            f"\tresult := {used[0]}(value)",
            "\tfor step := 0; step < limit; step++ {",
            f"\t\tresult = {used[1]}(result, step)",
            "\t\tif result < 0 {",
            f"\t\t\treturn {used[2]}(value)",
            "\t\t}",
            "\t}",
            '\tfmt.Println("done")',
            "\treturn result",
            "}",
            "",
        ]
    return "\n".join(out)


_KINDS = ((".py", _python), (".ts", _typescript), (".go", _go))


def shared_names(files: int, seed: int = 7) -> list[str]:
    """The shared vocabulary of `generate(root, files, seed)`: names referenced across many files."""
    return _names(random.Random(seed), _shared_count(files))


def _shared_count(files: int) -> int:
    return max(200, files // 5)


def generate(root: Path, files: int, seed: int = 7) -> None:
    """`files` files under `root` (a .gitignore, a Dockerfile and a package.json among them)."""
    rng = random.Random(seed)
    shared = _names(rng, _shared_count(files))
    (root / ".gitignore").write_text("build/\n*.log\n")
    (root / "Dockerfile").write_text("FROM python:3.11\n")
    (root / "package.json").write_text('{"dependencies": {"react": "18"}}\n')
    per_dir = 40
    for i in range(files - 3):
        folder = root / f"pkg{i // (per_dir * 25)}" / f"mod{(i // per_dir) % 25}"
        if i % per_dir == 0:
            folder.mkdir(parents=True, exist_ok=True)
        ext, make = _KINDS[i % 3]
        own = [f"{rng.choice(_WORDS)}_{i}_{k}" for k in range(rng.randint(4, 10))]
        prefix = "test_" if i % 10 == 0 and ext == ".py" else ""
        (folder / f"{prefix}file_{i}{ext}").write_text(make(rng, own, shared))


def requests(index: WorkspaceIndex, count: int, seed: int = 11) -> list[ActionRequest]:
    """A mix of cursor (70%) and selection (30%) requests on the indexed source files."""
    rng = random.Random(seed)
    files = [f for f in index.files if f.endswith((".py", ".ts", ".go"))]
    out: list[ActionRequest] = []
    for _ in range(count):
        file = rng.choice(files)
        line = rng.randrange(4, 30)
        if rng.random() < 0.3:
            cursor = Position(line=line, character=0)
            out.append(ActionRequest(file=file, cursor=cursor, selection_end=Position(line=line + 8, character=0)))
        else:
            out.append(ActionRequest(file=file, cursor=Position(line=line, character=rng.randrange(2, 20))))
    return out


def age(root: Path, seconds: int = 3600) -> None:
    """Make every file and folder under `root` (and `root`) look last changed `seconds` ago, as in a
    workspace nobody touched lately: far outside the persisted index's racy window."""
    then = (time.time_ns() // 10**9 - seconds) * 10**9
    for folder, dirs, files in os.walk(root):
        for name in files + dirs:
            os.utime(Path(folder) / name, ns=(then, then), follow_symlinks=False)
    os.utime(root, ns=(then, then))
