from __future__ import annotations

from collections.abc import Callable

import pytest

from modelroute.catalog.model import ModelEntry, ModelPrice, PriceTier
from modelroute.policy.schema import ProviderSettings
from modelroute.providers import ModelClient, client_for
from modelroute_testing.fakeprovider.fixtures import fake_provider  # noqa: F401  (a fixture)
from modelroute_testing.fakeprovider.server import FakeProvider

KEY = "sk-test-SECRET-7f3a9c2e"
APIS = ("anthropic-messages", "openai-responses", "openai-chat")
PROVIDER_OF = {"anthropic-messages": "anthropic", "openai-responses": "openai", "openai-chat": "moonshot"}


def model_entry(api: str, reasoning: str = "none") -> ModelEntry:
    return ModelEntry(
        id=f"test-{api}",
        display_name=f"Test {api}",
        short_name="Test",
        provider=PROVIDER_OF[api],
        api=api,
        api_model=f"api-model-{api}",
        context_window=200_000,
        max_output_tokens=32_000,
        limits_source="test",
        price=ModelPrice(tiers=(PriceTier(input_mtok=1.0, output_mtok=2.0),), source="test"),
        strengths={},
        reasoning=reasoning,
    )


def provider_settings(api: str, fake: FakeProvider, **overrides: object) -> ProviderSettings:
    base = fake.anthropic_base_url if api == "anthropic-messages" else fake.openai_base_url
    values: dict[str, object] = {
        "base_url": base,
        "api": api,
        "api_key_env": "TEST_PROVIDER_KEY",
        "timeout_s": 5.0,
        "max_retries": 2,
    }
    values.update(overrides)
    return ProviderSettings.model_validate(values)


MakeClient = Callable[..., ModelClient]


@pytest.fixture
def make_client(fake_provider: FakeProvider) -> MakeClient:  # noqa: F811
    def make(api: str, reasoning: str = "none", **overrides: object) -> ModelClient:
        settings = provider_settings(api, fake_provider, **overrides)
        return client_for(model_entry(api, reasoning), settings, env={"TEST_PROVIDER_KEY": KEY})

    return make
