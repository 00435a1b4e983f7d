"""Budgets through LSP: a run over the daily cap is refused before any model call, so is a strategy
whose maximum does not fit, two concurrent runs against a cap that holds one never overspend, and a
run above per_request_usd asks first."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient, client_capabilities

from modelroute_testing.fakeprovider.script import Reply
from tests.lsp.lsp_helpers import command, idle, range_json, rng
from tests.lsp_run.run_helpers import NEVER, Setup, open_doc

pytestmark = pytest.mark.asyncio(loop_scope="module")

SETUP = Setup()
CODE = "def total(items):\n    return sum(i['price'] for i in items)\n"
MODEL = "claude-haiku-4-5"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("budget")


def folder(base: Path, name: str, toml: str) -> Path:
    root = base / name
    root.mkdir()
    (root / ".modelroute.toml").write_text(toml)
    (root / "calc.py").write_text(CODE)
    return root


@pytest_lsp.fixture(config=SETUP.config(), scope="module")
async def client(lsp_client: LanguageClient, base: Path):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=None, workspace_folders=None))
    yield
    await lsp_client.shutdown_session()


async def run(client: LanguageClient, root: Path) -> dict[str, Any]:
    uri = (root / "calc.py").as_uri()
    args = {"uri": uri, "range": range_json(rng(0, 0, 1, 10)), "instruction": "Explain this code", "model": MODEL}
    result: dict[str, Any] = await command(client, "modelroute.run", args)
    return result


async def start_folder(client: LanguageClient, root: Path) -> None:
    open_doc(client, (root / "calc.py").as_uri(), CODE)
    await idle(client)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def prices(client: LanguageClient, base: Path) -> tuple[float, float]:
    """The point and high estimate of one run of MODEL on CODE, from a run with room to spare."""
    root = folder(base, "probe", "[budget]\ndaily_usd = 50.0\n")
    await start_folder(client, root)
    SETUP.fake.reset()
    SETUP.fake.queue(Reply(text="probe"))
    assert (await run(client, root))["outcome"] == "answered"
    row = SETUP.rows()[-1]
    return float(row["est_usd"]), max(float(row["est_usd"]), float(row["est_high_usd"]))


async def spent_today(client: LanguageClient) -> float:
    return float((await command(client, "modelroute.status"))["spent_today_usd"])


async def test_no_room_left_refuses_before_any_call(client: LanguageClient, base: Path):
    root = folder(base, "zero", "[budget]\ndaily_usd = 0.0\n")
    await start_folder(client, root)
    SETUP.fake.reset()
    with pytest.raises(JsonRpcException, match="daily budget"):
        await run(client, root)
    assert SETUP.fake.model_requests() == []
    assert "cannot run" in client.messages[-1].message and client.messages[-1].type == types.MessageType.Error


async def test_over_budget_reservation_is_refused_before_any_call(client: LanguageClient, base: Path,
                                                                  prices: tuple[float, float]):
    usd, high = prices
    cap = await spent_today(client) + (usd + high) / 2  # routing sees room for the point estimate only
    root = folder(base, "between", f"[budget]\ndaily_usd = {cap!r}\n")
    await start_folder(client, root)
    SETUP.fake.reset()
    SETUP.fake.queue(Reply(text="should never be asked"))
    result = await run(client, root)
    assert result["outcome"] == "refused_budget", result
    assert SETUP.fake.model_requests() == []
    assert "Daily budget would be exceeded" in client.messages[-1].message
    assert client.messages[-1].type == types.MessageType.Error
    row = SETUP.rows()[-1]
    assert row["outcome"] == "refused_budget" and row["est_usd"] > 0 and row["act_usd"] is None


async def test_concurrent_runs_never_overspend_a_small_cap(client: LanguageClient, base: Path,
                                                           prices: tuple[float, float]):
    _, need = prices
    before = await spent_today(client)
    cap = before + need * 1.5  # one reservation fits, two do not
    root = folder(base, "tight", f"[budget]\ndaily_usd = {cap!r}\nper_request_usd = 100.0\n")
    await start_folder(client, root)
    SETUP.fake.reset()
    SETUP.fake.queue(*[Reply(text="an answer " * 20, event_delay_s=0.01) for _ in range(2)])
    results = await asyncio.gather(run(client, root), run(client, root))
    outcomes = sorted(r["outcome"] for r in results)
    assert outcomes == ["answered", "refused_budget"], results
    assert len(SETUP.fake.model_requests()) == 1
    status = await command(client, "modelroute.status", {"uri": (root / "calc.py").as_uri()})
    assert status["daily_usd"] == pytest.approx(cap, abs=1e-5) and status["spent_today_usd"] <= cap


async def test_above_per_request_asks_first(client: LanguageClient, base: Path):
    root = folder(base, "ask", "[budget]\nper_request_usd = 0.0\n")
    await start_folder(client, root)
    SETUP.fake.reset()
    client.answer = lambda params: "Cancel"  # type: ignore[attr-defined]
    declined = await run(client, root)
    assert declined["outcome"] == "declined" and SETUP.fake.model_requests() == []
    question = client.questions[-1]  # type: ignore[attr-defined]
    assert "above your per-request limit" in question.message
    assert [a.title for a in question.actions][1] == "Cancel" and question.actions[0].title.startswith("Run (~$")
    client.answer = lambda params: params.actions[0].title  # type: ignore[attr-defined]
    SETUP.fake.queue(Reply(text="It sums prices."))
    agreed = await run(client, root)
    assert agreed["outcome"] == "answered" and len(SETUP.fake.model_requests()) == 1


async def test_an_unanswered_question_is_a_no_after_the_timeout(client: LanguageClient, base: Path):
    root = folder(base, "silent", "[budget]\nper_request_usd = 0.0\n[approval]\ntimeout_s = 1.0\n")
    await start_folder(client, root)
    SETUP.fake.reset()
    client.answer = lambda params: NEVER  # type: ignore[attr-defined]
    try:
        result = await asyncio.wait_for(run(client, root), 30)
    finally:
        client.answer = lambda params: "Cancel"  # type: ignore[attr-defined]
    assert result["outcome"] == "declined" and SETUP.fake.model_requests() == []


async def test_a_strategy_whose_maximum_does_not_fit_is_refused_before_any_call(client: LanguageClient, base: Path):
    """Each of the three models fits what is left of the day on its own; three attempts and a
    synthesis do not: the strategy is refused with what would fit, and no model is called."""
    models = ["claude-haiku-4-5", "gpt-5-mini", "claude-sonnet-4-6"]
    probe = folder(base, "strategy-probe", "[budget]\ndaily_usd = 50.0\n")
    await start_folder(client, probe)
    instruction = "fix total so it skips items without a price"
    args = {"uri": (probe / "calc.py").as_uri(), "range": range_json(rng(0, 0, 1, 10)), "instruction": instruction}
    decision = await command(client, "modelroute.route", args)
    alone = max(c["estimated_cost_usd"] for c in decision["candidates"] if c["model"] in models)
    root = folder(base, "strategy", f"[budget]\ndaily_usd = {await spent_today(client) + alone * 1.01!r}\n")
    await start_folder(client, root)
    SETUP.fake.reset()
    result = await command(client, "modelroute.run", {**args, "uri": (root / "calc.py").as_uri(),
                                                      "strategy": "best-of-n", "models": models})
    assert result["conclusion"] == "refused" and result["attempts"] == [], result
    assert SETUP.fake.model_requests() == []
    [refusal] = [m.message for m in client.messages if "could cost up to" in m.message]
    assert "Nothing was sent to any model" in refusal and "today's budget" in refusal
