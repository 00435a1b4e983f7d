"""Each scripted fault becomes the right ProviderError kind after the right number of attempts."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest

from modelroute.providers import ModelRequest, ProviderError, UserMessage
from modelroute_testing.fakeprovider import FakeProvider, Reply, ScriptedToolCall, fault
from tests.providers.conftest import APIS, MakeClient

REQUEST = ModelRequest(messages=(UserMessage(text="hi"),), max_output_tokens=256)


async def failure(client_call: asyncio.Future[object] | object) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        await client_call  # type: ignore[misc]
    return info.value


RETRY_LOG = re.compile(r"Retrying request (?:to \S+ )?in ([0-9.]+) seconds")


def retry_waits(caplog: pytest.LogCaptureFixture) -> list[float]:
    """The waits the SDK chose before each retry, as its own log states them (no clock is read)."""
    return [float(m.group(1)) for r in caplog.records if (m := RETRY_LOG.match(r.getMessage()))]


@pytest.mark.parametrize("api", APIS)
async def test_429_with_retry_after_is_retried_then_succeeds(
    api: str, make_client: MakeClient, fake_provider: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake_provider.queue(fault("status", status=429, retry_after=0.3), Reply(text="ok"))
    result = await make_client(api, max_retries=2).turn(REQUEST)
    assert result.text == "ok"
    assert retry_waits(caplog) == [pytest.approx(0.3)]  # waited as told, not the SDK's own backoff
    attempts = fake_provider.model_requests()
    assert [r.headers["x-stainless-retry-count"] for r in attempts] == ["0", "1"]


async def test_integer_retry_after_of_one_second(
    make_client: MakeClient, fake_provider: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake_provider.queue(fault("status", status=429, retry_after=1), Reply(text="ok"))
    assert (await make_client("anthropic-messages").turn(REQUEST)).text == "ok"
    assert retry_waits(caplog) == [pytest.approx(1.0)]  # the second it was told


@pytest.mark.parametrize("api", APIS)
async def test_429_every_time_is_rate_limited_after_all_retries(
    api: str, make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.queue([fault("status", status=429, retry_after=0.05, message="slow down")] * 3)
    err = await failure(make_client(api, max_retries=2).turn(REQUEST))
    assert err.kind == "rate_limited" and err.status == 429 and err.transient
    assert err.retry_after_s == pytest.approx(0.05) and err.attempts == 3
    assert len(fake_provider.model_requests()) == 3 and fake_provider.pending == 0
    assert "rate limited" in str(err) and "slow down" in str(err)


@pytest.mark.parametrize("status", [500, 503])
@pytest.mark.parametrize("api", APIS)
async def test_server_errors_are_retried_then_reported(
    api: str, status: int, make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.queue([fault("status", status=status, retry_after=0.01)] * 2)
    err = await failure(make_client(api, max_retries=1).turn(REQUEST))
    assert err.kind == "server_error" and err.status == status and err.attempts == 2
    assert len(fake_provider.model_requests()) == 2


@pytest.mark.parametrize("api", APIS)
async def test_500_then_success_recovers(
    api: str, make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.queue(fault("status", status=500, retry_after=0.01), Reply(text="fine"))
    assert (await make_client(api, max_retries=1).turn(REQUEST)).text == "fine"


@pytest.mark.parametrize("api", APIS)
async def test_bad_request_is_not_retried(
    api: str, make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.queue(fault("status", status=400, message="max_tokens too large"))
    err = await failure(make_client(api, max_retries=3).turn(REQUEST))
    assert err.kind == "bad_request" and not err.transient and "max_tokens too large" in str(err)
    assert len(fake_provider.model_requests()) == 1


@pytest.mark.parametrize("api", APIS)
async def test_hang_before_reply_times_out(
    api: str, make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.queue([fault("hang", hang_s=5)] * 2)
    err = await failure(make_client(api, timeout_s=0.3, max_retries=1).turn(REQUEST))
    assert err.kind == "timeout" and err.attempts == 2  # not the reply sent after the 5 s hang
    assert len(fake_provider.model_requests()) == 2


@pytest.mark.parametrize("api", APIS)
async def test_hang_mid_stream_times_out(
    api: str, make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.queue(Reply(text="partial answer", fault=fault("hang", after_events=3, hang_s=5).fault))
    err = await failure(make_client(api, timeout_s=0.3, max_retries=2).turn(REQUEST))
    assert err.kind == "timeout" and "mid-reply" in str(err)
    assert len(fake_provider.model_requests()) == 1  # a started stream is not silently re-sent


@pytest.mark.parametrize("api", APIS)
async def test_truncated_stream(api: str, make_client: MakeClient, fake_provider: FakeProvider) -> None:
    fake_provider.queue(
        Reply(text="a long answer that is cut", fault=fault("truncate", after_events=4).fault)
    )
    seen: list[str] = []
    err = await failure(make_client(api).turn(REQUEST, on_text=seen.append))
    assert err.kind == "truncated" and err.transient
    assert len(fake_provider.model_requests()) == 1


@pytest.mark.parametrize("api", APIS)
async def test_malformed_event(api: str, make_client: MakeClient, fake_provider: FakeProvider) -> None:
    fake_provider.queue(Reply(text="hello", fault=fault("malformed", after_events=2).fault))
    err = await failure(make_client(api).turn(REQUEST))
    assert err.kind == "malformed" and "could not be understood" in str(err)


@pytest.mark.parametrize("api", APIS)
async def test_error_event_mid_stream(api: str, make_client: MakeClient, fake_provider: FakeProvider) -> None:
    fake_provider.queue(
        Reply(
            text="hello there",
            fault=fault("error_event", status=529, after_events=3, message="Overloaded").fault,
        )
    )
    err = await failure(make_client(api).turn(REQUEST))
    assert err.kind == "server_error" and "Overloaded" in str(err)


@pytest.mark.parametrize("api", APIS)
async def test_rate_limit_error_event_mid_stream(
    api: str, make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.queue(
        Reply(text="hello there", fault=fault("error_event", status=429, after_events=2).fault)
    )
    err = await failure(make_client(api).turn(REQUEST))
    assert err.kind == "rate_limited"


@pytest.mark.parametrize("api", APIS)
async def test_tool_arguments_that_are_not_json(
    api: str, make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    """A model's broken tool call is reported as malformed, never passed on half-parsed."""
    fake_provider.queue(Reply(tool_calls=[ScriptedToolCall("read_file", '{"path": "a.py"', id="b1")]))
    err = await failure(make_client(api).turn(REQUEST))
    assert err.kind == "malformed" and "read_file" in str(err)


@pytest.mark.parametrize("api", APIS)
async def test_cancel_event_stops_the_stream_promptly(
    api: str, make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.queue(Reply(text="word " * 200, chunk_chars=5, event_delay_s=0.02))
    cancel = asyncio.Event()
    seen: list[str] = []

    def on_text(delta: str) -> None:
        seen.append(delta)
        if len(seen) == 3:
            cancel.set()

    err = await failure(make_client(api).turn(REQUEST, on_text=on_text, cancel=cancel))
    assert err.kind == "cancelled"
    assert len(seen) <= 4  # of about 200 deltas: the stream stopped at the cancel
    record = fake_provider.model_requests()[0]
    for _ in range(50):  # the server notices the hang-up on its next write
        if record.client_closed:
            break
        await asyncio.sleep(0.02)
    assert record.client_closed and record.events_sent < 20


async def test_task_cancellation_propagates_and_closes_the_stream(
    make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.queue(Reply(text="word " * 200, chunk_chars=5, event_delay_s=0.02))
    first_text = asyncio.Event()
    task = asyncio.create_task(
        make_client("anthropic-messages").turn(REQUEST, on_text=lambda _: first_text.set())
    )
    await asyncio.wait_for(first_text.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    record = fake_provider.model_requests()[0]
    for _ in range(50):
        if record.client_closed:
            break
        await asyncio.sleep(0.02)
    assert record.client_closed


async def test_unreachable_endpoint(make_client: MakeClient, fake_provider: FakeProvider) -> None:
    port = fake_provider.port
    fake_provider.stop()
    client = make_client("openai-chat", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    err = await failure(client.turn(REQUEST))
    assert err.kind == "server_error" and "cannot reach" in str(err)
