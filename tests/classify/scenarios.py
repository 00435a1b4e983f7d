"""The dev scenarios (/work/shared/scenarios/dev) through the real context path.

Each scenario is written to disk by the shared `materialize.py` (files, a git commit and uncommitted
changes), then gathered by `modelroute.context.gather.gather_context` with a real workspace index and
git reader, exactly as `modelroute route` and the server gather it.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from modelroute.context.gather import ActionRequest, gather_context
from modelroute.context.git import GitReader
from modelroute.context.model import ActionContext, Diagnostic, Position
from modelroute.context.workspace import WorkspaceIndex

SCENARIOS = Path("/work/shared/scenarios")
DEV_DIR = SCENARIOS / "dev"


def _materializer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("materialize", SCENARIOS / "materialize.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def request_for(sc: dict[str, Any]) -> ActionRequest:
    cur = sc["cursor"]
    end = sc.get("selection_end")
    return ActionRequest(
        file=cur["file"], cursor=Position(line=cur.get("line", 0), character=cur.get("character", 0)),
        selection_end=Position(**end) if end else None, instruction=sc.get("instruction", ""),
        diagnostics=tuple(Diagnostic.model_validate(d) for d in sc.get("diagnostics", [])))


@contextmanager
def gathered(sc: dict[str, Any]) -> Iterator[ActionContext]:
    """The scenario's workspace on disk, gathered as the server does; removed afterwards."""
    root = Path(_materializer().materialize(sc))
    try:
        index = WorkspaceIndex(root)
        index.build()
        yield gather_context(index, GitReader(root), request_for(sc))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def load_dev() -> list[tuple[dict[str, Any], ActionContext]]:
    out = []
    for path in sorted(DEV_DIR.glob("*.json")):
        sc = json.loads(path.read_text(encoding="utf-8"))
        with gathered(sc) as ctx:
            out.append((sc, ctx))
    return out
