"""Set-up for the run core's tests: a workspace, an Engine pointed at the fake provider through the
real SDKs, a private ledger, approval books and audit log, and a scripted editor."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelroute.context.gather import ActionRequest
from modelroute.context.model import Position
from modelroute.execute.audit import AuditLog
from modelroute.ledger import Ledger
from modelroute.pipeline import Engine
from modelroute.run.approval import AlwaysStore, Approvals
from modelroute.run.editor import Buffer
from modelroute.run.flow import Action, RunReport, RunSession, run_action
from modelroute_testing.fakeprovider.script import Reply, call
from modelroute_testing.fakeprovider.server import FakeProvider
from tests.lsp_run.run_helpers import PROVIDER_TOML, ledger_rows
from tests.run.scripted import ScriptedEditor

STORE = """\
import json


def load(path):
    # add type hints to this function AI!
    with open(path) as f:
        return json.load(f)


def total(items):
    return sum(i["price"] for i in items)
"""
# A model that reads app/store.py, types `load`, then says so (the core, the CLI and ACP tests share it).
HINTS_EDIT = [
    Reply(tool_calls=[call("read_file", path="app/store.py")]),
    Reply(tool_calls=[call("propose_edit", path="app/store.py", old_text="def load(path):",
                           new_text="def load(path: str) -> object:")]),
    Reply(text="Added the hints.", output_tokens=40),
]
HAIKU = "claude-haiku-4-5"
MINI = "gpt-5-mini"


@dataclass
class Bench:
    """One workspace and everything a run needs, in a temp folder."""

    home: Path
    fake: FakeProvider
    user_toml: str = PROVIDER_TOML
    editor: ScriptedEditor = field(default_factory=ScriptedEditor)

    def __post_init__(self) -> None:
        self.root = (self.home / "ws").resolve()
        (self.root / "app").mkdir(parents=True, exist_ok=True)
        (self.root / "app" / "store.py").write_text(STORE)
        self.user_file = self.home / "config.toml"
        self.user_file.write_text(self.user_toml)
        self.data = self.home / "data"
        self.approvals = Approvals(store=AlwaysStore(self.data / "always-allow.json"),
                                   audit=AuditLog(self.data / "audit.jsonl"))
        self.session = RunSession(approvals=self.approvals, open_ledger=lambda: Ledger(self.data / "ledger.sqlite3"))
        self._engine: Engine | None = None

    def env(self) -> dict[str, str]:
        return {"ANTHROPIC_API_KEY": "sk-ant-test-key", "OPENAI_API_KEY": "sk-test-key",
                "ANTHROPIC_BASE_URL": self.fake.anthropic_base_url, "OPENAI_BASE_URL": self.fake.openai_base_url}

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine(self.root, user_file=self.user_file, env=self.env())
            self._engine.build_index()
        return self._engine

    def action(self, *, line: int = 4, end: tuple[int, int] | None = None, instruction: str = "add type hints",
               document: str = "app/store.py", pinned: Buffer | None = None, loose: bool = False,
               brief: str | None = None) -> Action:
        request = ActionRequest(
            file=document, cursor=Position(line=line, character=0),
            selection_end=Position(line=end[0], character=end[1]) if end else None, instruction=instruction,
            document_text=pinned.text if pinned is not None else None,
        )
        routed = self.engine.decide(request)
        return Action(engine=self.engine, routed=routed, document=document, instruction=instruction,
                      pinned=pinned, loose=loose, brief=brief)

    async def run(self, action: Action | None = None, model: str = HAIKU) -> RunReport:
        return await run_action(self.session, self.editor, action or self.action(), model)

    def rows(self) -> list[dict[str, Any]]:
        return ledger_rows(self.data)
