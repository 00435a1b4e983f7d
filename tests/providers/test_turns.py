"""Streaming turns through the real SDKs over HTTP against the fake provider."""

from __future__ import annotations

import json

import pytest

from modelroute.providers import (
    ModelRequest,
    ToolResult,
    ToolResultsMessage,
    ToolSpec,
    Usage,
    UserMessage,
)
from modelroute_testing.fakeprovider import FakeProvider, Reply, ScriptedToolCall
from tests.providers.conftest import APIS, KEY, MakeClient

READ_FILE = ToolSpec(
    name="read_file",
    description="Read a workspace file.",
    input_schema={"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
)


def ask(text: str = "Explain this function.", tools: tuple[ToolSpec, ...] = ()) -> ModelRequest:
    return ModelRequest(
        system="You are terse.", messages=(UserMessage(text=text),), tools=tools, max_output_tokens=4096
    )


@pytest.mark.parametrize("api", APIS)
async def test_text_streams_in_pieces_and_usage_is_normalised(
    api: str, make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.queue(
        Reply(
            text="The function adds two numbers.",
            input_tokens=120,
            output_tokens=9,
            cache_read_tokens=30,
            cache_write_tokens=5,
            chunk_chars=5,
        )
    )
    pieces: list[str] = []
    usages: list[Usage] = []
    result = await make_client(api).turn(ask(), on_text=pieces.append, on_usage=usages.append)

    assert result.text == "The function adds two numbers."
    assert len(pieces) == 6 and "".join(pieces) == result.text
    assert result.stop_reason == "end_turn" and result.tool_calls == ()
    # genai-prices convention: input counts the cached parts too.
    assert result.usage == Usage(
        input_tokens=155, output_tokens=9, cache_read_tokens=30, cache_write_tokens=5
    )
    assert usages[-1] == result.usage
    sent = fake_provider.model_requests()[0].json
    assert sent["model"] == f"api-model-{api}" and sent["stream"] is True


@pytest.mark.parametrize("api", APIS)
async def test_tool_call_round_trip(api: str, make_client: MakeClient, fake_provider: FakeProvider) -> None:
    fake_provider.queue(
        Reply(
            text="Let me look.",
            tool_calls=[
                ScriptedToolCall("read_file", {"path": "src/a.py"}, id="c1"),
                ScriptedToolCall("read_file", {"path": "src/b.py"}, id="c2"),
            ],
        ),
        Reply(text="Both files define `add`."),
    )
    client = make_client(api)
    request = ask("Compare a.py and b.py", tools=(READ_FILE,))
    first = await client.turn(request)

    assert first.stop_reason == "tool_use"
    assert [(c.id, c.name, c.arguments) for c in first.tool_calls] == [
        ("c1", "read_file", {"path": "src/a.py"}),
        ("c2", "read_file", {"path": "src/b.py"}),
    ]
    results = ToolResultsMessage(
        results=(
            ToolResult(call_id="c1", content="def add(a, b): ..."),
            ToolResult(call_id="c2", content="no such file", is_error=True),
        )
    )
    second = await client.turn(request.followed_by(first.assistant, results))
    assert second.text == "Both files define `add`." and second.stop_reason == "end_turn"

    # The fake rejects results that do not pair with a call, as the real APIs do; check the shape too.
    body = fake_provider.model_requests()[1].json
    assert "def add(a, b): ..." in json.dumps(body) and "no such file" in json.dumps(body)
    first_body = fake_provider.model_requests()[0].json
    tool_names = json.dumps(first_body["tools"])
    assert "read_file" in tool_names and '"required": ["path"]' in tool_names


async def test_anthropic_thinking_block_is_replayed_with_its_signature(
    make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.queue(
        Reply(
            thinking="The user wants a.py first.",
            text="Reading.",
            tool_calls=[ScriptedToolCall("read_file", {"path": "a.py"}, id="t1")],
        ),
        Reply(text="Done."),
    )
    client = make_client("anthropic-messages", "adaptive-thinking")
    request = ask(tools=(READ_FILE,))
    first = await client.turn(request)
    assert first.thinking == "The user wants a.py first."
    await client.turn(
        request.followed_by(
            first.assistant, ToolResultsMessage(results=(ToolResult(call_id="t1", content="x = 1"),))
        )
    )

    sent = [r.json for r in fake_provider.model_requests()]
    assert sent[0]["thinking"] == {"type": "adaptive"}
    replayed = sent[1]["messages"][1]["content"]
    assert replayed[0]["type"] == "thinking" and replayed[0]["signature"].startswith("sig-")
    assert [b["type"] for b in replayed] == ["thinking", "text", "tool_use"]


async def test_anthropic_extended_thinking_budget_is_below_max_tokens(
    make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.queue(Reply(thinking="hmm", text="ok"))
    await make_client("anthropic-messages", "extended-thinking").turn(ask())
    sent = fake_provider.model_requests()[0].json
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 2048} and sent["max_tokens"] == 4096


async def test_responses_reasoning_is_stateless_and_replayed(
    make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.queue(
        Reply(
            thinking="Check the caller.",
            reasoning_tokens=40,
            output_tokens=60,
            tool_calls=[ScriptedToolCall("read_file", {"path": "a.py"}, id="call_9")],
        ),
        Reply(text="Fixed."),
    )
    client = make_client("openai-responses", "reasoning-effort")
    request = ask(tools=(READ_FILE,))
    first = await client.turn(request)
    assert first.thinking == "Check the caller."
    assert first.usage.reasoning_tokens == 40 and first.usage.output_tokens == 60
    await client.turn(
        request.followed_by(
            first.assistant, ToolResultsMessage(results=(ToolResult(call_id="call_9", content="x"),))
        )
    )

    sent = [r.json for r in fake_provider.model_requests()]
    assert sent[0]["store"] is False and sent[0]["include"] == ["reasoning.encrypted_content"]
    assert sent[0]["reasoning"]["effort"] == "medium" and "temperature" not in sent[0]
    kinds = [item.get("type") for item in sent[1]["input"]]
    assert kinds[1:] == ["reasoning", "function_call", "function_call_output"]
    assert sent[1]["input"][1]["encrypted_content"].startswith("enc-")


async def test_chat_reasoning_content_is_kept_and_sent_back(
    make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.queue(
        Reply(
            thinking="Need the file.",
            reasoning_tokens=7,
            output_tokens=20,
            tool_calls=[ScriptedToolCall("read_file", {"path": "a.py"}, id="k1")],
        ),
        Reply(text="ok"),
    )
    client = make_client("openai-chat")
    request = ask(tools=(READ_FILE,))
    first = await client.turn(request)
    assert first.thinking == "Need the file." and first.usage.reasoning_tokens == 7
    await client.turn(
        request.followed_by(
            first.assistant, ToolResultsMessage(results=(ToolResult(call_id="k1", content="x"),))
        )
    )
    sent = fake_provider.model_requests()
    assert sent[0].json["stream_options"] == {"include_usage": True}
    assert sent[0].json["messages"][0] == {"role": "system", "content": "You are terse."}
    assistant = sent[1].json["messages"][2]
    assert assistant["reasoning_content"] == "Need the file." and assistant["tool_calls"][0]["id"] == "k1"


async def test_conversation_moves_between_apis(make_client: MakeClient, fake_provider: FakeProvider) -> None:
    """A fallback model gets the conversation translated from the neutral fields."""
    fake_provider.queue(
        Reply(thinking="t", tool_calls=[ScriptedToolCall("read_file", {"path": "a"}, id="x1")]),
        Reply(text="answer"),
    )
    request = ask(tools=(READ_FILE,))
    first = await make_client("anthropic-messages", "adaptive-thinking").turn(request)
    follow = request.followed_by(
        first.assistant, ToolResultsMessage(results=(ToolResult(call_id="x1", content="data"),))
    )
    result = await make_client("openai-chat").turn(follow)
    assert result.text == "answer"
    messages = fake_provider.model_requests()[1].json["messages"]
    assert messages[2]["tool_calls"][0]["function"] == {"name": "read_file", "arguments": '{"path": "a"}'}
    assert "reasoning_content" not in messages[2]  # Anthropic thinking does not leak into another API


@pytest.mark.parametrize("api", APIS)
async def test_max_tokens_stop_reason(api: str, make_client: MakeClient, fake_provider: FakeProvider) -> None:
    fake_provider.queue(Reply(text="cut", stop_reason="max_tokens"))
    result = await make_client(api).turn(ask())
    assert result.stop_reason == "max_tokens" and result.text == "cut"


async def test_async_on_text_callback_is_awaited(
    make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.queue(Reply(text="abcdefgh", chunk_chars=2))
    seen: list[str] = []

    async def collect(delta: str) -> None:
        seen.append(delta)

    await make_client("openai-chat").turn(ask(), on_text=collect)
    assert seen == ["ab", "cd", "ef", "gh"]


def test_request_from_prompt_module_shape() -> None:
    """The prompt module's PromptRequest (system, messages with role/content, tools with input_schema)."""
    from modelroute.prompt.model import Message, PromptRequest
    from modelroute.prompt.model import ToolSpec as PromptTool

    prompt = PromptRequest(
        model="m",
        system="sys",
        messages=(Message(role="user", content="hi"),),
        tools=(PromptTool(name="t", description="d", input_schema={"type": "object"}),),
        included=(),
    )
    request = ModelRequest.from_prompt(prompt, max_output_tokens=100)
    assert request.system == "sys" and request.messages == (UserMessage(text="hi"),)
    assert request.tools[0].input_schema == {"type": "object"}
    assert KEY not in request.model_dump_json()


async def test_anthropic_count_input_tokens(make_client: MakeClient, fake_provider: FakeProvider) -> None:
    from modelroute.providers.anthropic_messages import AnthropicClient

    client = make_client("anthropic-messages", "adaptive-thinking")
    assert isinstance(client, AnthropicClient)
    assert await client.count_input_tokens(ask("word " * 100)) > 100
    record = fake_provider.requests[0]
    assert record.path == "/v1/messages/count_tokens" and "max_tokens" not in record.json
