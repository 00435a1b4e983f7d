"""The agent loop through the real SDKs against the fake provider: tools, edits, limits, privacy."""

from __future__ import annotations

import asyncio

import pytest

from modelroute.categories import Category
from modelroute.execute.agent import CommandOutcome, RunLimits, run_agent
from modelroute.execute.edits import text_changes
from modelroute.policy.schema import PrivacySettings
from modelroute.prompt.model import Message, PromptRequest
from modelroute.prompt.tools import tools_for
from modelroute.providers import ProviderError
from modelroute_testing.fakeprovider.fixtures import fake_provider  # noqa: F401
from modelroute_testing.fakeprovider.script import Reply, call, fault
from modelroute_testing.fakeprovider.server import FakeProvider
from tests.providers.conftest import APIS, MakeClient, make_client, model_entry  # noqa: F401

FILES = {
    "src/app.py": "def add(a, b):\n    return a - b\n",
    ".env": "OPENAI_API_KEY=sk-proj-CANARYabcdefghijklmnopqrstuvwxyz012345\n",
    "conf.py": 'TOKEN = "ghp_CANARYabcdefghijklmnopqrstuvwxyz0123"\n',
}


def prompt(category: Category = Category.DEBUGGING) -> PromptRequest:
    return PromptRequest(model="m", system="sys", messages=(Message(role="user", content="fix add"),),
                         tools=tools_for(category), included=())


def limits(**kw: object) -> RunLimits:
    values: dict[str, object] = {"max_turns": 6, "budget_usd": 5.0, "max_output_tokens": 4096}
    values.update(kw)
    return RunLimits(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("api", APIS)
async def test_read_edit_and_finish_stages_a_minimal_change(api: str, fake_provider: FakeProvider,  # noqa: F811
                                                            make_client: MakeClient) -> None:  # noqa: F811
    fake_provider.queue(
        Reply(tool_calls=[call("read_file", path="src/app.py")]),
        Reply(tool_calls=[call("propose_edit", path="src/app.py", old_text="return a - b", new_text="return a + b")]),
        Reply(text="Fixed: add subtracted."),
    )
    result = await run_agent(make_client(api), prompt(), model_entry(api), privacy=PrivacySettings(),
                             read=FILES.get, limits=limits())
    assert result.stop == "done" and result.turns == 3
    assert result.text == "Fixed: add subtracted."
    [change] = result.changes
    assert change.path == "src/app.py" and change.new == "def add(a, b):\n    return a + b\n"
    [edit] = change.text_changes()
    assert (edit.start_line, edit.end_line, edit.text) == (1, 2, "    return a + b\n")
    assert result.usage.input_tokens > 0 and result.cost_usd > 0
    second = fake_provider.model_requests()[1].raw_without_auth()
    assert "1| def add(a, b):" in second  # the tool result went back to the model


async def test_withheld_and_secret_files_never_reach_the_model(fake_provider: FakeProvider,  # noqa: F811
                                                               make_client: MakeClient) -> None:  # noqa: F811
    fake_provider.queue(
        Reply(tool_calls=[call("read_file", path=".env"), call("read_file", path="conf.py"),
                          call("read_file", path="../../etc/passwd")]),
        Reply(text="done"),
    )
    result = await run_agent(make_client("openai-chat"), prompt(), model_entry("openai-chat"),
                             privacy=PrivacySettings(), read=FILES.get, limits=limits())
    assert result.stop == "done"
    sent = "".join(r.raw_without_auth() for r in fake_provider.model_requests())
    assert "CANARY" not in sent
    assert "withheld by the user's privacy settings" in sent
    assert "[REDACTED:github-token]" in sent and "outside the workspace" in sent


async def test_bad_edits_go_back_to_the_model_and_change_nothing(fake_provider: FakeProvider,  # noqa: F811
                                                                 make_client: MakeClient) -> None:  # noqa: F811
    fake_provider.queue(
        Reply(tool_calls=[call("propose_edit", path="src/app.py", old_text="nope", new_text="x"),
                          call("propose_edit", path=".env", old_text="", new_text="x")]),
        Reply(text="gave up"),
    )
    result = await run_agent(make_client("anthropic-messages"), prompt(), model_entry("anthropic-messages"),
                             privacy=PrivacySettings(), read=FILES.get, limits=limits())
    assert result.changes == []
    sent = fake_provider.model_requests()[1].raw_without_auth()
    assert "old_text not found" in sent and "withheld" in sent


async def test_commands_are_declined_without_a_runner_and_passed_to_one(fake_provider: FakeProvider,  # noqa: F811
                                                                       make_client: MakeClient) -> None:  # noqa: F811
    fake_provider.queue(Reply(tool_calls=[call("propose_command", command="pytest -q", reason="run tests")]),
                        Reply(text="ok"))
    declined = await run_agent(make_client("openai-responses"), prompt(), model_entry("openai-responses"),
                               privacy=PrivacySettings(), read=FILES.get, limits=limits())
    assert not declined.commands[0].ran
    assert "not available" in fake_provider.model_requests()[1].raw_without_auth()

    seen: list[str] = []

    async def runner(command: str, reason: str) -> CommandOutcome:
        seen.append(command)
        return CommandOutcome(True, 0, "1 passed", "ran: pytest -q (exit 0)")

    fake_provider.queue(Reply(tool_calls=[call("propose_command", command="pytest -q", reason="run tests")]),
                        Reply(text="ok"))
    ran = await run_agent(make_client("openai-responses"), prompt(), model_entry("openai-responses"),
                          privacy=PrivacySettings(), read=FILES.get, limits=limits(), run_command=runner)
    assert seen == ["pytest -q"] and ran.commands[0].exit_code == 0


async def test_review_findings_are_collected(fake_provider: FakeProvider,  # noqa: F811
                                             make_client: MakeClient) -> None:  # noqa: F811
    fake_provider.queue(Reply(tool_calls=[call("report_finding", path="src/app.py", line=2, severity="error",
                                               message="subtracts instead of adding")]),
                        Reply(text="One bug."))
    result = await run_agent(make_client("openai-chat"), prompt(Category.CODE_REVIEW), model_entry("openai-chat"),
                             privacy=PrivacySettings(), read=FILES.get, limits=limits())
    [finding] = result.findings
    assert (finding.path, finding.line, finding.severity) == ("src/app.py", 2, "error")


async def test_turns_are_bounded(fake_provider: FakeProvider, make_client: MakeClient) -> None:  # noqa: F811
    fake_provider.queue(*[Reply(tool_calls=[call("read_file", path="src/app.py")]) for _ in range(3)])
    result = await run_agent(make_client("openai-chat"), prompt(), model_entry("openai-chat"),
                             privacy=PrivacySettings(), read=FILES.get, limits=limits(max_turns=3))
    assert result.stop == "max_turns" and result.turns == 3


async def test_budget_stops_before_a_turn_that_could_overspend(fake_provider: FakeProvider,  # noqa: F811
                                                               make_client: MakeClient) -> None:  # noqa: F811
    # price: $1/M in, $2/M out. The first turn costs 0.2 + 0.2 = $0.40 of a $0.40 budget.
    fake_provider.queue(Reply(tool_calls=[call("read_file", path="src/app.py")], input_tokens=200_000,
                              output_tokens=100_000))
    result = await run_agent(make_client("openai-chat"), prompt(), model_entry("openai-chat"),
                             privacy=PrivacySettings(), read=FILES.get,
                             limits=limits(budget_usd=0.40, max_output_tokens=200_000))
    assert result.stop == "budget" and result.turns == 1
    assert len(fake_provider.model_requests()) == 1
    first = fake_provider.model_requests()[0].json
    assert first["max_tokens"] <= 200_000


async def test_provider_fault_propagates_and_nothing_is_staged(fake_provider: FakeProvider,  # noqa: F811
                                                               make_client: MakeClient) -> None:  # noqa: F811
    fake_provider.queue(fault("truncate", after_events=3))
    with pytest.raises(ProviderError) as err:
        await run_agent(make_client("anthropic-messages"), prompt(), model_entry("anthropic-messages"),
                        privacy=PrivacySettings(), read=FILES.get, limits=limits())
    assert err.value.kind == "truncated"


async def test_cancel_stops_the_run(fake_provider: FakeProvider, make_client: MakeClient) -> None:  # noqa: F811
    fake_provider.queue(Reply(text="x" * 400, chunk_chars=1, event_delay_s=0.01))
    cancel = asyncio.Event()
    asyncio.get_running_loop().call_later(0.3, cancel.set)
    with pytest.raises(ProviderError) as err:
        await run_agent(make_client("openai-chat"), prompt(), model_entry("openai-chat"),
                        privacy=PrivacySettings(), read=FILES.get, limits=limits(), cancel=cancel)
    assert err.value.kind == "cancelled"


def test_text_changes_are_minimal_and_utf16_aware() -> None:
    assert text_changes("a\nb\nc\n", "a\nB\nc\n")[0].start_line == 1
    [end] = text_changes("x\né😀", "x\né😀!")
    assert (end.start_line, end.start_character, end.end_line, end.end_character) == (1, 0, 1, 3)
    [create] = text_changes("", "new\n")
    assert (create.start_line, create.end_line, create.text) == (0, 0, "new\n")


async def test_a_failure_after_billed_turns_carries_their_usage(fake_provider: FakeProvider,  # noqa: F811
                                                                make_client: MakeClient) -> None:  # noqa: F811
    fake_provider.queue(Reply(tool_calls=[call("read_file", path="src/app.py")], input_tokens=1000, output_tokens=50),
                        fault("truncate", after_events=2))
    with pytest.raises(ProviderError) as err:
        await run_agent(make_client("openai-chat"), prompt(), model_entry("openai-chat"),
                        privacy=PrivacySettings(), read=FILES.get, limits=limits())
    assert err.value.spent_usage is not None and err.value.spent_usage.input_tokens == 1000
    assert err.value.spent_usd > 0
