"""Strategies through the language server (issue 12), VS Code profile, against the fake provider
through the real SDKs: the priced cascade and best-of-n actions beside the single-model ones, a
cascade picked from the lightbulb whose first model's edit fails pytest in its overlay and whose
second passes, applied only through the editor's applyEdit, and the ledger's row per attempt with
its strategy and verdict; best of three with a synthesiser; a three-step plan shown as a document
the user edits before it runs; a tampered test flagged and escalated; a model's own pytest that sees
its staged edit; an instruction holding two tasks offered split and run one step at a time; what the
apply guard refuses of a command's output shown and never written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from modelroute_testing.fakeprovider.script import Reply
from tests.lsp.lsp_helpers import code_actions, command, idle, rng
from tests.lsp_run.run_helpers import PROVIDER_TOML, Setup, change_doc, open_doc, text_of, version_of
from tests.run.scenarios import (
    CALC,
    CHECK,
    HAIKU,
    OTHER_RIGHT_FIX,
    RIGHT_FIX,
    TAMPER,
    TEST_CALC,
    WRONG_FIX,
    call,
    edit,
    plan_answer,
    project,
    runs_its_own_test,
    synthesis,
)
from tests.sandbox.conftest import needs_bwrap

pytestmark = [pytest.mark.asyncio(loop_scope="module"), needs_bwrap]

SETUP = Setup()
# The check is the user's own (a workspace file cannot name a command to run).
(SETUP.home / "config" / "modelroute" / "config.toml").write_text(PROVIDER_TOML + f'\n[verify]\ncommand = "{CHECK}"\n')
DIRECTIVE = "# add(2, 3) returns -1; fix add so the test passes AI!\n"
SPLIT = "# rename add to plus. Also add a docstring to add AI!\n"
RUN = "Run in sandbox"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = project(tmp_path_factory.mktemp("strategies"))
    (root / "calc.py").write_text(DIRECTIVE + (root / "calc.py").read_text())
    (root / "other.py").write_text(SPLIT + "def add(a, b):\n    return a + b\n")
    return root


@pytest_lsp.fixture(config=SETUP.config(), scope="module")
async def client(lsp_client: LanguageClient, workspace: Path):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="strategies")],
    ))
    await idle(lsp_client)
    yield
    await lsp_client.shutdown_session()


def titles(actions: list[types.CodeAction]) -> list[str]:
    return [a.title for a in actions]


def picked(actions: list[types.CodeAction], start: str) -> dict[str, Any]:
    action = next(a for a in actions if a.title.startswith(start))
    assert action.command is not None and action.command.command == "modelroute.run"
    args: dict[str, Any] = action.command.arguments[0]  # type: ignore[index]
    return args


async def test_a_cascade_from_the_lightbulb_escalates_and_the_editor_applies_the_passing_fix(
    client: LanguageClient, workspace: Path
) -> None:
    uri = (workspace / "calc.py").as_uri()
    open_doc(client, uri, (workspace / "calc.py").read_text())
    actions = await code_actions(client, uri, rng(0, 0))
    cascade = picked(actions, "Cascade ")
    title = next(t for t in titles(actions) if t.startswith("Cascade "))
    assert " -> " in title and "at most $" in title, title
    assert any(t.startswith("Best of 3 (") for t in titles(actions)), titles(actions)
    assert titles(actions)[-1] == "Why this model?"
    first, second, *_ = cascade["models"]
    SETUP.fake.queue_for(first, WRONG_FIX)
    SETUP.fake.queue_for(second, RIGHT_FIX)
    client.answer = lambda p: RUN if "wants to run" in p.message else "Cancel"  # type: ignore[attr-defined]
    result = await command(client, "modelroute.run", cascade)
    assert result["strategy"] == "cascade" and result["conclusion"] == "done", result
    assert [(a["model"], a["verified"]) for a in result["attempts"]] == [(first, "fail"), (second, "pass")]
    assert "return a + b" in text_of(client, uri)  # applied through the editor's applyEdit
    assert "return a - b" in (workspace / "calc.py").read_text()  # the server wrote nothing to the host
    rows = SETUP.rows()
    assert [(r["model"], r["strategy"], r["verified"], r["offered"]) for r in rows] == [
        (first, "cascade", "fail", 0), (second, "cascade", "pass", 1)]
    asked = [q.message for q in client.questions]  # type: ignore[attr-defined]
    assert sum("wants to run" in m for m in asked) == 1  # the check is approved once per run


async def test_an_instruction_holding_two_tasks_is_offered_split(client: LanguageClient, workspace: Path) -> None:
    uri = (workspace / "other.py").as_uri()
    open_doc(client, uri, (workspace / "other.py").read_text())
    actions = await code_actions(client, uri, rng(0, 0))
    split = picked(actions, "Split into 2 steps, one at a time")
    assert split["strategy"] == "split" and "models" not in split


def reset(client: LanguageClient, uri: str, text: str) -> None:
    """The editor's buffer back to `text` (an earlier test applied its result to it)."""
    change_doc(client, uri, text, version_of(client, uri) + 1)


async def test_best_of_three_from_the_lightbulb_with_a_synthesiser(client: LanguageClient, workspace: Path) -> None:
    SETUP.fake.reset()
    uri = (workspace / "calc.py").as_uri()
    reset(client, uri, DIRECTIVE + CALC)
    best = picked(await code_actions(client, uri, rng(0, 0)), "Best of 3 (")
    fixes = [RIGHT_FIX, OTHER_RIGHT_FIX, WRONG_FIX]
    for model, replies in zip(best["models"], fixes, strict=True):
        SETUP.fake.queue_for(model, replies)
        SETUP.fake.queue_for(model, synthesis("PICK A"))  # whichever of them synthesises picks a passing one
    client.answer = lambda p: RUN if "wants to run" in p.message else "Cancel"  # type: ignore[attr-defined]
    rows_before = len(SETUP.rows())
    result = await command(client, "modelroute.run", best)
    assert result["strategy"] == "best-of-n" and result["conclusion"] == "done", result
    verdicts = [(a["model"], a["verified"]) for a in result["attempts"] if a["role"] == "attempt"]
    assert sorted(verdicts) == sorted(zip(best["models"], ["pass", "pass", "fail"], strict=True))
    assert [a["role"] for a in result["attempts"]].count("synthesis") == 1
    fixed = text_of(client, uri)
    assert "return a + b" in fixed or "return sum((a, b))" in fixed
    assert (workspace / "calc.py").read_text() == DIRECTIVE + CALC  # the host untouched
    rows = SETUP.rows()[rows_before:]
    assert len(rows) == 4 and {r["strategy"] for r in rows} == {"best-of-n"}


async def test_a_three_step_plan_is_edited_by_the_user_before_it_runs(client: LanguageClient, workspace: Path) -> None:
    SETUP.fake.reset()
    (workspace / "calc.py").write_text("def add(a, b):\n    return a + b\n")  # the project's test passes
    shapes = workspace / "shapes.py"
    shapes.write_text("def area(w, h):\n    return w * h\n")
    uri = shapes.as_uri()
    open_doc(client, uri, shapes.read_text())
    steps = [
        {"title": "Document area", "instruction": "Add a docstring to area in shapes.py.", "kind": "quick_edit"},
        {"title": "Type area", "instruction": "Add type hints to area in shapes.py.", "kind": "quick_edit"},
        {"title": "Add perimeter", "instruction": "Add a perimeter function to shapes.py.", "kind": "quick_edit"},
    ]
    SETUP.fake.queue(
        plan_answer(steps),
        *edit("def area(w, h):\n", 'def area(w, h):\n    """Width times height."""\n', "shapes.py"),
        *edit("def area(w, h):", "def area(w: float, h: float) -> float:", "shapes.py"),
        *edit("    return w * h\n", "    return w * h\n\n\ndef square(s):\n    return s * s\n", "shapes.py"),
    )
    before = len(client.shown_documents)

    def answer(params: types.ShowMessageRequestParams) -> str:
        if "Run the plan" in [a.title for a in params.actions or []]:  # the user rewrites step 3, then runs it
            [plan_uri] = [d.uri for d in client.shown_documents[before:]]  # pytest-lsp's client shows documents
            text = Path(plan_uri.removeprefix("file://")).read_text()
            assert "## 1. Document area" in text and "## 3. Add perimeter" in text
            open_doc(client, plan_uri, text.replace("Add a perimeter function to shapes.py.",
                                                    "Add a square function to shapes.py."), language="markdown")
            return "Run the plan"
        return RUN if "wants to run" in params.message else "Cancel"

    client.answer = answer  # type: ignore[attr-defined]
    args = {"uri": uri, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "instruction": "Tidy shapes.py: document and type area, then add a perimeter function",
            "strategy": "plan", "models": [HAIKU]}
    result = await command(client, "modelroute.run", args)
    assert result["strategy"] == "plan" and result["conclusion"] == "done", (result, client.messages[-6:])
    asked = [r.raw_without_auth() for r in SETUP.fake.model_requests()]
    assert any("Add a square function to shapes.py." in r for r in asked)  # the edited step, as the user wrote it
    assert not any("Add a perimeter function to shapes.py." in r for r in asked[1:])
    final = text_of(client, uri)
    assert '"""Width times height."""' in final and "-> float:" in final and "def square(s):" in final
    assert shapes.read_text() == "def area(w, h):\n    return w * h\n"  # applied by the editor only


async def test_a_tampered_test_is_flagged_and_the_cascade_escalates(client: LanguageClient, workspace: Path) -> None:
    SETUP.fake.reset()
    (workspace / "calc.py").write_text(DIRECTIVE + CALC)
    uri = (workspace / "calc.py").as_uri()
    reset(client, uri, DIRECTIVE + CALC)
    cascade = picked(await code_actions(client, uri, rng(0, 0)), "Cascade ")
    first, second, *_ = cascade["models"]
    SETUP.fake.queue_for(first, TAMPER)
    SETUP.fake.queue_for(second, RIGHT_FIX)
    client.answer = lambda p: RUN if "wants to run" in p.message else "Cancel"  # type: ignore[attr-defined]
    result = await command(client, "modelroute.run", cascade)
    assert result["conclusion"] == "done", result
    tampered, fixed = result["attempts"]
    assert tampered["flagged"][0]["path"] == "test_calc.py" and tampered["verified"] == "none"
    assert fixed["verified"] == "pass" and "return a + b" in text_of(client, uri)
    assert (workspace / "test_calc.py").read_text() == TEST_CALC
    assert "test_calc.py" not in [Path(u).name for u in client.texts]  # type: ignore[attr-defined]
    assert SETUP.rows()[-2]["flagged"] == 1 and SETUP.rows()[-2]["offered"] == 0


async def test_a_model_s_pytest_sees_its_own_staged_edit(client: LanguageClient, workspace: Path) -> None:
    SETUP.fake.reset()
    uri = (workspace / "calc.py").as_uri()
    reset(client, uri, DIRECTIVE + CALC)
    SETUP.fake.queue(*runs_its_own_test())
    client.answer = lambda p: RUN if "wants to run" in p.message else "Cancel"  # type: ignore[attr-defined]
    args = {"uri": uri, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "instruction": "fix add so the test passes", "model": HAIKU}
    result = await command(client, "modelroute.run", args)
    assert result["outcome"] == "applied", result
    assert "1 passed" in SETUP.fake.model_requests()[2].raw_without_auth()  # the staged fix, in the overlay
    assert (workspace / "calc.py").read_text() == DIRECTIVE + CALC


async def test_an_instruction_holding_two_tasks_runs_one_step_at_a_time(
    client: LanguageClient, workspace: Path
) -> None:
    SETUP.fake.reset()
    (workspace / "calc.py").write_text("def add(a, b):\n    return a + b\n")  # the project's test passes
    uri = (workspace / "other.py").as_uri()
    reset(client, uri, SPLIT + "def add(a, b):\n    return a + b\n")
    split = picked(await code_actions(client, uri, rng(0, 0)), "Split into 2 steps")
    SETUP.fake.queue(*edit("def add(a, b):", "def plus(a, b):", "other.py"),
                     *edit("def plus(a, b):\n", 'def plus(a, b):\n    """The sum."""\n', "other.py"))
    client.answer = lambda p: RUN if "wants to run" in p.message else "Cancel"  # type: ignore[attr-defined]
    result = await command(client, "modelroute.run", split)
    assert result["strategy"] == "plan" and result["conclusion"] == "done", (result, client.messages[-4:])
    assert 'def plus(a, b):\n    """The sum."""' in text_of(client, uri)
    assert "def add(a, b):" in (workspace / "other.py").read_text()  # applied by the editor only


async def test_what_the_apply_guard_refuses_is_shown_and_never_written(client: LanguageClient, workspace: Path) -> None:
    SETUP.fake.reset()
    uri = (workspace / "calc.py").as_uri()
    (workspace / "calc.py").write_text(DIRECTIVE + CALC)
    reset(client, uri, DIRECTIVE + CALC)
    SETUP.fake.queue(
        Reply(tool_calls=[call("propose_command", reason="set up",
                               command="mkdir -p .vscode sub && touch .vscode/tasks.json sub/.envrc notes.txt")]),
        *RIGHT_FIX,
    )
    client.answer = lambda p: RUN if "wants to run" in p.message else "Cancel"  # type: ignore[attr-defined]
    args = {"uri": uri, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "instruction": "fix add so the test passes", "model": HAIKU}
    result = await command(client, "modelroute.run", args)
    assert result["outcome"] == "applied", result
    [warning] = [m.message for m in client.messages if "not offered" in m.message]
    assert ".envrc" in warning and ".vscode" in warning
    assert (workspace / "notes.txt").as_uri() in client.texts  # type: ignore[attr-defined]  # created in the editor
    assert not (workspace / ".vscode").exists() and not (workspace / "sub" / ".envrc").exists()
    assert "return a + b" in text_of(client, uri)
