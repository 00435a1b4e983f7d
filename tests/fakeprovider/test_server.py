"""The fake provider itself: non-streaming JSON through the SDKs, validation, and the CLI process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import anthropic
import openai
import pytest

from modelroute_testing.fakeprovider import FakeProvider, Reply, ScriptedToolCall
from modelroute_testing.fakeprovider.fixtures import fake_provider  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parents[2]
CALL = ScriptedToolCall("read_file", {"path": "a.py"}, id="c1")


async def test_json_replies_for_all_three_apis(fake_provider: FakeProvider) -> None:  # noqa: F811
    fake_provider.queue([Reply(text="hello", tool_calls=[CALL], input_tokens=7, output_tokens=3)] * 3)
    claude = anthropic.AsyncAnthropic(api_key="k", base_url=fake_provider.anthropic_base_url)
    message = await claude.messages.create(
        model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    )
    assert [b.type for b in message.content] == ["text", "tool_use"]
    assert message.usage.input_tokens == 7 and message.stop_reason == "tool_use"

    gpt = openai.AsyncOpenAI(api_key="k", base_url=fake_provider.openai_base_url)
    response = await gpt.responses.create(model="m", input="hi")
    assert response.output_text == "hello" and response.usage is not None
    assert response.usage.output_tokens == 3

    chat = await gpt.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    choice = chat.choices[0]
    assert choice.message.content == "hello" and choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    assert json.loads(choice.message.tool_calls[0].function.arguments) == {"path": "a.py"}  # type: ignore[union-attr]


async def test_count_tokens_endpoint(fake_provider: FakeProvider) -> None:  # noqa: F811
    claude = anthropic.AsyncAnthropic(api_key="k", base_url=fake_provider.anthropic_base_url)
    counted = await claude.messages.count_tokens(
        model="m", messages=[{"role": "user", "content": "hi " * 40}]
    )
    assert counted.input_tokens > 10


async def test_unpaired_tool_result_is_rejected_like_the_real_api(fake_provider: FakeProvider) -> None:  # noqa: F811
    fake_provider.queue(Reply(text="never sent"))
    gpt = openai.AsyncOpenAI(api_key="k", base_url=fake_provider.openai_base_url, max_retries=0)
    with pytest.raises(openai.BadRequestError, match="No tool call found"):
        await gpt.responses.create(
            model="m", input=[{"type": "function_call_output", "call_id": "nope", "output": "x"}]
        )
    assert fake_provider.pending == 1  # a rejected request does not use up a scripted reply


async def test_empty_queue_answers_a_clear_400(fake_provider: FakeProvider) -> None:  # noqa: F811
    claude = anthropic.AsyncAnthropic(api_key="k", base_url=fake_provider.anthropic_base_url, max_retries=0)
    with pytest.raises(anthropic.BadRequestError, match="no scripted reply left"):
        await claude.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])


def _http(url: str, body: object | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_runs_as_a_separate_process_scripted_over_http(tmp_path: Path) -> None:
    script = tmp_path / "replies.json"
    script.write_text(json.dumps([{"text": "from the file"}]))
    process = subprocess.Popen(
        [sys.executable, "-m", "modelroute_testing.fakeprovider", "--script", str(script), "--default-text", "default"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "tests" / "support")},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        _http(f"{info['url']}/_fake/replies", {"replies": [{"text": "queued over http"}]})
        client = openai.OpenAI(api_key="k", base_url=info["openai_base_url"])
        texts = [
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "q"}])
            .choices[0]
            .message.content
            for _ in range(3)
        ]
        assert texts == ["from the file", "queued over http", "default"]
        recorded = _http(f"{info['url']}/_fake/requests")
        assert isinstance(recorded, dict) and len(recorded["requests"]) == 3
        assert recorded["requests"][0]["json"]["messages"][0]["content"] == "q"
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0


async def test_a_model_s_own_replies_come_before_the_shared_queue(fake_provider: FakeProvider) -> None:  # noqa: F811
    """Attempts that run side by side (best-of-n) each get their own script, whatever the order."""
    fake_provider.queue(Reply(text="shared"))
    fake_provider.queue_for("model-b", Reply(text="for b"))
    gpt = openai.AsyncOpenAI(api_key="k", base_url=fake_provider.openai_base_url)
    first = await gpt.responses.create(model="model-a", input="hi")
    second = await gpt.responses.create(model="model-b", input="hi")
    assert (first.output_text, second.output_text) == ("shared", "for b")
    assert fake_provider.pending == 0
    _http(f"{fake_provider.url}/_fake/replies", {"replies": [{"text": "over http"}], "model": "model-c"})
    third = await gpt.responses.create(model="model-c", input="hi")
    assert third.output_text == "over http"
