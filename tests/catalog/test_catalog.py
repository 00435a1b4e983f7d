from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from genai_prices import Usage as GpUsage
from genai_prices import calc_price

from modelroute.catalog import builtin_models, default_providers, load_catalog
from modelroute.catalog import docs as catalog_docs
from modelroute.catalog.builtin import BUILTINS
from modelroute.catalog.library import LIBRARY_PROVIDER, library_label
from modelroute.catalog.selection import line_of, newest_per_line, version_of
from modelroute.categories import ALL_CATEGORIES, Category
from modelroute.policy.schema import Settings

DAY = date(2026, 11, 1)
REPO = Path(__file__).resolve().parents[2]
REQUIRED = {
    "claude-opus-4-6", "claude-sonnet-4-6", "claude-haiku-4-5", "gpt-5.3-codex", "gpt-5.4",
    "gpt-5-mini", "kimi-k2.5", "glm-5", "minimax-m2.5",
}


def _models() -> dict[str, object]:
    return {m.id: m for m in builtin_models(DAY)}


def test_required_models_present() -> None:
    ids = {m.id for m in builtin_models(DAY)}
    assert ids >= REQUIRED


def test_newest_generally_available_release_of_each_line_is_built_in() -> None:
    ids = {b.id.lower() for b in BUILTINS} | {b.library_ref.lower() for b in BUILTINS}
    for provider in LIBRARY_PROVIDER:
        for line, model_id in newest_per_line(provider).items():
            assert model_id.lower() in ids, f"{provider}: newest of {line} is {model_id}"


def test_selection_rule_skips_previews_variants_and_limited_models() -> None:
    chosen = {mid for p in LIBRARY_PROVIDER for mid in newest_per_line(p).values()}
    assert "claude-mythos-5-2" not in chosen  # limited availability
    assert "kimi-k3.1-pro-highspeed" not in chosen
    assert "MiniMax-M2.7-highspeed" not in chosen
    assert not any("image" in m or "preview" in m or "cyber" in m for m in chosen)
    assert line_of("gpt-6.1-sol") == "gpt-sol"
    assert version_of("claude-opus-4-6") == (4, 6)


def test_prices_come_from_the_library() -> None:
    opus = load_catalog(Settings(), day=DAY).get("claude-opus-4-6")
    assert opus is not None
    tier = opus.price.tier_for(10_000)
    prices = (tier.input_mtok, tier.output_mtok, tier.cache_read_mtok, tier.cache_write_mtok)
    assert prices == (5, 25, 0.5, 6.25)
    assert opus.price.source.startswith(library_label())
    assert opus.context_window == 1_000_000
    assert "genai-prices" in opus.limits_source and "platform.claude.com" in opus.limits_source


def test_gpt54_long_context_tier_doubles_input_past_272k() -> None:
    gpt = load_catalog(Settings(), day=DAY).get("gpt-5.4")
    assert gpt is not None
    assert gpt.price.tier_for(272_000).input_mtok == 2.5
    long = gpt.price.tier_for(272_001)
    assert (long.input_mtok, long.output_mtok, long.cache_read_mtok) == (5.0, 22.5, 0.5)


@pytest.mark.parametrize("model_id", ["claude-opus-4-6", "gpt-5.4", "kimi-k2.5", "claude-haiku-5-5", "glm-5"])
@pytest.mark.parametrize("input_tokens", [10_000, 300_000])
def test_tier_prices_match_calc_price(model_id: str, input_tokens: int) -> None:
    model = load_catalog(Settings(), day=DAY).get(model_id)
    assert model is not None
    spec = next(b for b in BUILTINS if b.id == model_id)
    tier = model.price.tier_for(input_tokens)
    result = calc_price(
        GpUsage(input_tokens=input_tokens, output_tokens=1_000_000), spec.library_ref,
        provider_id=LIBRARY_PROVIDER[spec.provider],
        genai_request_timestamp=datetime(2026, 11, 1, 12, tzinfo=UTC),
    )
    assert float(result.output_price) == pytest.approx(tier.output_mtok)
    assert float(result.input_price) == pytest.approx(input_tokens * tier.input_mtok / 1e6)


def test_every_model_has_every_category_with_a_source() -> None:
    for model in builtin_models(DAY):
        assert set(model.strengths) == set(ALL_CATEGORIES)
        for strength in model.strengths.values():
            assert strength.source
            assert strength.prior == strength.evidence.startswith("prior:")


def test_published_figures() -> None:
    models = {m.id: m for m in builtin_models(DAY)}
    codex, opus = models["gpt-5.3-codex"], models["claude-opus-4-6"]
    assert codex.strengths[Category.SHELL_AUTOMATION].score == 77.3
    assert opus.strengths[Category.SHELL_AUTOMATION].score == 65.4
    assert opus.strengths[Category.DEBUGGING].score == 79.4
    assert not opus.strengths[Category.DEBUGGING].prior
    assert "tbench.ai" in codex.strengths[Category.SHELL_AUTOMATION].source
    newer = models["claude-opus-5-5"].strengths[Category.DEBUGGING]
    assert newer.prior and "Claude Opus 4.6" in newer.evidence


def test_default_providers() -> None:
    providers = default_providers()
    assert set(providers) == {"anthropic", "openai", "moonshot", "zai", "minimax", "deepseek"}
    assert providers["anthropic"].api == "anthropic-messages"
    assert providers["anthropic"].api_key_env == "ANTHROPIC_API_KEY"
    assert providers["openai"].api == "openai-responses"
    assert providers["moonshot"].base_url == "https://api.moonshot.ai/v1"
    assert providers["zai"].base_url == "https://api.z.ai/api/paas/v4"
    assert providers["minimax"].base_url == "https://api.minimax.io/v1"
    assert providers["deepseek"].base_url == "https://api.deepseek.com"
    assert providers["deepseek"].api_key_env == "DEEPSEEK_API_KEY"
    assert "kimi-k2.5" in providers["moonshot"].models
    providers["openai"].models.clear()  # a fresh copy each call
    assert default_providers()["openai"].models


def test_settings_add_custom_model_and_override_strengths() -> None:
    settings = Settings.model_validate(
        {
            "providers": {"ollama": {"base_url": "http://127.0.0.1:11434/v1", "local": True}},
            "models": {
                "add": {
                    "qwen-local": {
                        "provider": "ollama", "context_window": 32_768, "input_usd_per_mtok": 0,
                        "output_usd_per_mtok": 0, "strengths": {"quick_edit": 60},
                    }
                },
                "strengths": {"gpt-5.4": {"code_review": 95}},
            },
        }
    )
    catalog = load_catalog(settings, day=DAY)
    custom = catalog.get("qwen-local")
    assert custom is not None and custom.local and custom.provider == "ollama"
    assert custom.strengths[Category.QUICK_EDIT].score == 60
    assert custom.strengths[Category.EXPLAIN].prior
    gpt = catalog.get("gpt-5.4")
    assert gpt is not None and gpt.strengths[Category.CODE_REVIEW].score == 95
    assert "settings" in gpt.strengths[Category.CODE_REVIEW].source
    assert catalog.models[0].id == "claude-opus-4-6"


def test_provider_models_list_assigns_and_marks_local() -> None:
    settings = Settings.model_validate(
        {"providers": {"lab": {"base_url": "http://127.0.0.1:8000/v1", "local": True,
                               "models": ["glm-5", "no-such-model"]}}}
    )
    catalog = load_catalog(settings, day=DAY)
    glm = catalog.get("glm-5")
    assert glm is not None and glm.provider == "lab" and glm.local and glm.api == "openai-chat"
    # a local endpoint serves what it lists, known or not (tests/catalog/test_local_providers.py)
    added = catalog.get("no-such-model")
    assert added is not None and added.provider == "lab" and added.local and catalog.warnings == ()
    assert load_catalog(Settings(), day=DAY).get("glm-5").provider == "zai"  # type: ignore[union-attr]


def test_load_catalog_is_cached() -> None:
    """Equal settings give the same catalog object, not a rebuild; speed: bench/bench_catalog.py."""
    first = load_catalog(Settings(), day=DAY)
    assert load_catalog(Settings(), day=DAY) is first
    assert load_catalog(Settings.model_validate({"objective": "cost"}), day=DAY) is first  # not a catalog key


def test_docs_catalog_is_current() -> None:
    committed = (REPO / "docs" / "catalog.md").read_text(encoding="utf-8")
    assert committed == catalog_docs.render(), "run: python -m modelroute.catalog.docs"
