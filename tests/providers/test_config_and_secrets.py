"""Keys only from the environment, never sent anywhere but the auth header, never in error text."""

from __future__ import annotations

import logging

import pytest

from modelroute.policy.schema import ProviderSettings
from modelroute.providers import (
    ModelRequest,
    ProviderError,
    ProviderNotConfigured,
    UserMessage,
    availability,
    client_for,
)
from modelroute.providers.factory import LOCAL_PLACEHOLDER_KEY
from modelroute_testing.fakeprovider import FakeProvider, Reply, fault
from tests.providers.conftest import APIS, KEY, MakeClient, model_entry, provider_settings

REQUEST = ModelRequest(system="Be brief.", messages=(UserMessage(text="hi"),), max_output_tokens=64)


@pytest.mark.parametrize("api", APIS)
async def test_key_only_in_the_auth_header(
    api: str, make_client: MakeClient, fake_provider: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_provider.queue(fault("status", status=500, retry_after=0.01), Reply(text="ok"))
    await make_client(api, max_retries=1).turn(REQUEST)
    records = fake_provider.model_requests()
    assert len(records) == 2
    for record in records:
        assert record.headers["authorization"] == f"Bearer {KEY}"
        assert KEY not in record.raw_without_auth()
    assert KEY not in caplog.text


@pytest.mark.parametrize("api", APIS)
async def test_key_echoed_by_the_server_is_scrubbed_from_errors(
    api: str, make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.queue(fault("status", status=401, message=f"Incorrect API key provided: {KEY}"))
    with pytest.raises(ProviderError) as info:
        await make_client(api).turn(REQUEST)
    err = info.value
    assert err.kind == "auth" and not err.transient
    assert KEY not in str(err) and "[redacted]" in str(err)
    assert KEY not in repr(make_client(api))


@pytest.mark.parametrize("api", APIS)
def test_missing_key_says_what_to_set(api: str, fake_provider: FakeProvider) -> None:
    settings = provider_settings(api, fake_provider, api_key_env="MY_TEAM_KEY")
    with pytest.raises(ProviderNotConfigured) as info:
        client_for(model_entry(api), settings, env={})
    assert info.value.missing_env == "MY_TEAM_KEY" and "needs MY_TEAM_KEY" in str(info.value)
    assert availability(settings, {}) == (False, "needs MY_TEAM_KEY")
    assert availability(settings, {"MY_TEAM_KEY": "x"}) == (True, "MY_TEAM_KEY is set")


def test_default_key_variables() -> None:
    anthropic = ProviderSettings(api="anthropic-messages")
    openai = ProviderSettings(api="openai-responses")
    assert availability(anthropic, {}) == (False, "needs ANTHROPIC_API_KEY")
    assert availability(openai, {"ANTHROPIC_API_KEY": "k"}) == (False, "needs OPENAI_API_KEY")
    assert availability(openai, {"OPENAI_API_KEY": "k"})[0]


def test_remote_compatible_endpoint_without_key_variable_is_not_guessed() -> None:
    moonshot = ProviderSettings(base_url="https://api.moonshot.ai/v1", api="openai-chat")
    ok, hint = availability(moonshot, {"OPENAI_API_KEY": "k"}, name="moonshot")
    assert not ok and "[providers.moonshot]" in hint and "api_key_env" in hint


async def test_local_endpoint_needs_no_key_and_never_gets_the_openai_key(fake_provider: FakeProvider) -> None:
    local = ProviderSettings(base_url=fake_provider.openai_base_url, api="openai-chat", local=True)
    assert availability(local, {})[0]
    fake_provider.queue(Reply(text="local answer"))
    client = client_for(model_entry("openai-chat"), local, env={"OPENAI_API_KEY": KEY})
    assert (await client.turn(REQUEST)).text == "local answer"
    record = fake_provider.model_requests()[0]
    assert record.headers["authorization"] == f"Bearer {LOCAL_PLACEHOLDER_KEY}"
    assert KEY not in record.raw_without_auth() + record.headers["authorization"]


@pytest.mark.parametrize(
    ("api", "variable"),
    [("anthropic-messages", "ANTHROPIC_BASE_URL"), ("openai-responses", "OPENAI_BASE_URL")],
)
async def test_sdk_base_url_variables_apply_without_a_settings_base_url(
    api: str, variable: str, fake_provider: FakeProvider
) -> None:
    url = fake_provider.anthropic_base_url if api == "anthropic-messages" else fake_provider.openai_base_url
    key_variable = "ANTHROPIC_API_KEY" if api == "anthropic-messages" else "OPENAI_API_KEY"
    fake_provider.queue(Reply(text="via env"))
    client = client_for(model_entry(api), ProviderSettings(api=api), env={variable: url, key_variable: KEY})
    assert (await client.turn(REQUEST)).text == "via env"
    assert fake_provider.model_requests()[0].headers["authorization"] == f"Bearer {KEY}"


def test_settings_base_url_wins_over_the_environment(fake_provider: FakeProvider) -> None:
    settings = provider_settings("openai-chat", fake_provider)
    client = client_for(
        model_entry("openai-chat"),
        settings,
        env={"TEST_PROVIDER_KEY": KEY, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"},
    )
    assert client.base_url == fake_provider.openai_base_url


async def test_temperature_is_sent_only_when_the_model_does_not_reason(
    make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    warm = REQUEST.model_copy(update={"temperature": 0.2})
    fake_provider.queue(Reply(text="a"), Reply(text="b"), Reply(text="c"))
    await make_client("anthropic-messages").turn(warm)
    await make_client("anthropic-messages", "adaptive-thinking").turn(warm)
    await make_client("openai-chat").turn(warm)
    sent = [r.json for r in fake_provider.model_requests()]
    assert sent[0]["temperature"] == 0.2 and "temperature" not in sent[1] and sent[2]["temperature"] == 0.2
