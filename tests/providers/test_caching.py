"""Prompt caching on the wire: Anthropic breakpoints on the stable prefix, OpenAI's cache key and
stable order; the fake provider (caching as the APIs do) reports cache reads on later turns, and
they are billed at the cache-read rate."""

from __future__ import annotations

import pytest

from modelroute.cost.actual import actual_cost_usd
from modelroute.providers import ModelRequest, ToolResult, ToolResultsMessage, ToolSpec, UserMessage
from modelroute.providers.anthropic_messages import build_params as anthropic_params
from modelroute.providers.openai_responses import build_params as responses_params
from modelroute_testing.fakeprovider.script import Reply, ScriptedToolCall
from modelroute_testing.fakeprovider.server import FakeProvider

from .conftest import APIS, MakeClient, model_entry

CONTEXT = "\n".join(f"def handler_{i}(request):\n    return render(request, 'page_{i}.html')\n" for i in range(150))
TOOLS = (ToolSpec(name="read_file", description="Read a file of the workspace.", input_schema={"type": "object"}),)


def _first() -> ModelRequest:
    return ModelRequest(
        system="You fix bugs in this repository. Be precise.",
        messages=(UserMessage(text=f"The project:\n{CONTEXT}\nFix the 500 on /page_7."),),
        tools=TOOLS,
        max_output_tokens=2_000,
    )


def test_anthropic_marks_tools_system_first_and_newest_message() -> None:
    first = _first()
    second = first.followed_by(
        UserMessage(text="also check page_8"),
    )
    params = anthropic_params("claude-x", "none", second)
    assert params["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert params["system"] == [{"type": "text", "text": first.system, "cache_control": {"type": "ephemeral"}}]
    marked = [
        (i, j) for i, m in enumerate(params["messages"]) for j, b in enumerate(m["content"]) if "cache_control" in b
    ]
    assert marked == [(0, 0), (0, 1)]  # the first user message's context and the newest block
    total = sum(1 for t in params["tools"] if "cache_control" in t) + 1 + len(marked)
    assert total <= 4  # the API's limit


def test_openai_key_is_stable_across_turns_and_differs_by_prefix() -> None:
    first = _first()
    later = first.followed_by(UserMessage(text="and page_8"))
    key = responses_params("gpt-x", "none", first)["prompt_cache_key"]
    assert key == responses_params("gpt-x", "none", later)["prompt_cache_key"]
    other = first.model_copy(update={"system": "Another system prompt."})
    assert key != responses_params("gpt-x", "none", other)["prompt_cache_key"]
    assert list(responses_params("gpt-x", "none", first))[:2] == ["model", "input"]


@pytest.mark.parametrize("api", APIS)
async def test_later_turns_read_the_cache_and_cost_less(
    api: str, make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    call = ScriptedToolCall(name="read_file", arguments={"path": "views.py"}, id="call_1")
    fake_provider.queue(Reply(tool_calls=[call], prompt_cache=True), Reply(text="Fixed.", prompt_cache=True))
    client = make_client(api)
    first = _first()
    one = await client.turn(first)
    second = first.followed_by(
        one.assistant,
        ToolResultsMessage(results=(ToolResult(call_id=one.tool_calls[0].id, content=CONTEXT[:3000]),)),
    )
    two = await client.turn(second)
    await client.aclose()
    assert one.usage.cache_read_tokens == 0
    assert two.usage.cache_read_tokens >= 1_024  # the whole first turn's prompt, read back
    assert two.usage.input_tokens > one.usage.input_tokens
    if api == "anthropic-messages":
        assert one.usage.cache_write_tokens > 1_024  # Anthropic bills the first write
    model = model_entry(api).model_copy(
        update={"price": model_entry(api).price.model_copy(update={"tiers": (
            model_entry(api).price.tiers[0].model_copy(update={"cache_read_mtok": 0.1, "cache_write_mtok": 1.25}),
        )})}
    )
    cached_cost = actual_cost_usd(model, two.usage)
    uncached = two.usage.model_copy(update={"cache_read_tokens": 0, "cache_write_tokens": 0})
    assert cached_cost < actual_cost_usd(model, uncached)


async def test_without_breakpoints_nothing_is_read(fake_provider: FakeProvider) -> None:
    """The fake provider caches only what a request marks (Anthropic): the same two turns without
    cache_control read nothing back, which is what the breakpoints buy."""
    import anthropic

    fake_provider.queue(Reply(text="a", prompt_cache=True), Reply(text="b", prompt_cache=True))
    sdk = anthropic.AsyncAnthropic(api_key="k", base_url=fake_provider.anthropic_base_url)
    body = {"model": "claude-x", "max_tokens": 100, "system": "sys",
            "messages": [{"role": "user", "content": f"{CONTEXT}\nFix it."}]}
    for _ in range(2):
        reply = await sdk.messages.create(**body)  # type: ignore[call-overload]
        assert reply.usage.cache_read_input_tokens == 0
    await sdk.close()
