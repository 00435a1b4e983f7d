"""Build the catalog: built-in models from library data (cached per UTC day) plus the user's settings."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache

from modelroute.catalog.builtin import BUILTINS, Builtin
from modelroute.catalog.library import (
    LIBRARY_PROVIDER,
    context_window,
    find_model,
    has_tier,
    library_label,
    model_price,
)
from modelroute.catalog.model import ModelEntry, ModelPrice, PriceTier, Strength
from modelroute.catalog.providers import default_providers
from modelroute.catalog.strengths import CUSTOM_PRIOR, CUSTOM_PRIOR_EVIDENCE, builtin_strengths
from modelroute.categories import ALL_CATEGORIES, Category
from modelroute.policy.schema import CustomModel, ProviderSettings, Settings


@dataclass(frozen=True)
class Catalog:
    models: tuple[ModelEntry, ...]
    warnings: tuple[str, ...] = ()
    _index: dict[str, ModelEntry] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({m.id: m for m in self.models})

    def get(self, model_id: str) -> ModelEntry | None:
        return self._index.get(model_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.models)


def _limits(spec: Builtin) -> tuple[int, str]:
    lib_provider, ref = spec.context_from or (LIBRARY_PROVIDER[spec.provider], spec.library_ref)
    window = context_window(lib_provider, ref)
    if window is None:
        raise LookupError(f"no context window for {spec.id} in {library_label()}")
    _, info = find_model(lib_provider, ref)
    source = f"context: {library_label()} ({lib_provider}/{info.id}); max output: {spec.max_output_source}"
    return window, source


def _entry(spec: Builtin, day: date, names: dict[str, str]) -> ModelEntry:
    window, limits_source = _limits(spec)
    return ModelEntry(
        id=spec.id,
        display_name=spec.display_name,
        short_name=spec.short_name,
        provider=spec.provider,
        api=spec.api,
        api_model=spec.api_model or spec.id,
        context_window=window,
        max_output_tokens=spec.max_output_tokens,
        limits_source=limits_source,
        price=model_price(LIBRARY_PROVIDER[spec.provider], spec.library_ref, day),
        strengths=builtin_strengths(spec.id, names),
        open_weight=spec.open_weight,
        reasoning=spec.reasoning,
        claude_tokenizer=spec.provider == "anthropic",
    )


@lru_cache(maxsize=2)
def builtin_models(day: date | None = None) -> tuple[ModelEntry, ...]:
    """Built-in entries with prices in force on `day` (UTC today by default). Cached: library data only."""
    when = day or datetime.now(UTC).date()
    names = {b.id: b.display_name for b in BUILTINS}
    return tuple(_entry(spec, when, names) for spec in BUILTINS)


def _custom_entry(
    model_id: str, custom: CustomModel, provider: ProviderSettings | None, where: str | None = None
) -> ModelEntry:
    where = where or f"settings: [models.add.{model_id}]"
    strengths = {
        c: Strength(score=custom.strengths[c], evidence="set in settings", source=where)
        if c in custom.strengths
        else Strength(score=CUSTOM_PRIOR, evidence=CUSTOM_PRIOR_EVIDENCE, source=where, prior=True)
        for c in ALL_CATEGORIES
    }
    tier = PriceTier(input_mtok=custom.input_usd_per_mtok, output_mtok=custom.output_usd_per_mtok)
    return ModelEntry(
        id=model_id,
        display_name=custom.display_name or model_id,
        short_name=custom.display_name or model_id,
        provider=custom.provider,
        api=provider.api if provider else "openai-chat",
        api_model=custom.api_model or model_id,
        context_window=custom.context_window,
        max_output_tokens=custom.max_output_tokens,
        limits_source=where,
        price=ModelPrice(tiers=(tier,), source=where),
        strengths=strengths,
        open_weight=bool(provider and provider.local),
        local=bool(provider and provider.local),
        reasoning="none",
    )


def _override_strengths(entry: ModelEntry, scores: dict[Category, float]) -> ModelEntry:
    strengths = dict(entry.strengths)
    for category, score in scores.items():
        strengths[category] = Strength(
            score=score, evidence="set in settings", source=f"settings: [models.strengths.{entry.id}]"
        )
    return entry.model_copy(update={"strengths": strengths})


def _assign(entry: ModelEntry, name: str, provider: ProviderSettings) -> ModelEntry:
    builtin_api = default_providers().get(name)
    api = provider.api if builtin_api is None or provider.api != "openai-chat" else builtin_api.api
    return entry.model_copy(update={"provider": name, "api": api, "local": provider.local or entry.local})


def _local_entry(model_id: str, name: str, provider: ProviderSettings) -> ModelEntry:
    """A model a local endpoint lists that the catalog does not know (Ollama's `qwen3-coder`): it
    runs on the user's machine, so it is free, with the neutral prior until [models.add] or
    [models.strengths] say more. This is what makes the documented local snippet work alone."""
    where = f"settings: [providers.{name}] models (local endpoint; add [models.add.{model_id}] for limits and scores)"
    return _custom_entry(model_id, CustomModel(provider=name), provider, where)


def _unknown_model(name: str, model_id: str) -> str:
    """A provider lists a model the catalog does not know: say which line to add."""
    return (
        f"[providers.{name}] models: {model_id!r} is not in the catalog, so it is left out. "
        f'Add a [models.add.{model_id}] table with provider = "{name}" to describe it, or set '
        f"local = true in [providers.{name}] if the endpoint runs on this machine"
    )


def _with_tier(entry: ModelEntry, tier: str, day: date) -> ModelEntry:
    """The entry requested and priced at `tier` when the price library has that tier for it."""
    spec = _BUILTIN_BY_ID.get(entry.id)
    if spec is None or tier == "standard":
        return entry
    library_provider = LIBRARY_PROVIDER.get(spec.provider, "")
    if not has_tier(library_provider, spec.library_ref, day, entry.api, tier):
        return entry
    price = model_price(library_provider, spec.library_ref, day, api=entry.api, tier=tier)
    return entry.model_copy(update={"price": price, "service_tier": tier})


_BUILTIN_BY_ID = {b.id: b for b in BUILTINS}


def _apply(
    models: Iterable[ModelEntry], settings_json: str, day: date
) -> tuple[tuple[ModelEntry, ...], tuple[str, ...]]:
    settings = Settings.model_validate_json(settings_json)
    providers = {**default_providers(), **settings.providers}
    by_id = {m.id: m for m in models}
    warnings: list[str] = []
    for model_id, custom in settings.models.add.items():
        if custom.provider not in providers:
            warnings.append(f"[models.add.{model_id}]: unknown provider {custom.provider!r}")
        by_id[model_id] = _custom_entry(model_id, custom, providers.get(custom.provider))
    for name, provider in settings.providers.items():
        for model_id in provider.models:
            if model_id not in by_id:
                if provider.local:
                    by_id[model_id] = _local_entry(model_id, name, provider)
                else:
                    warnings.append(_unknown_model(name, model_id))
                continue
            by_id[model_id] = _assign(by_id[model_id], name, provider)
        if provider.local:
            for model_id, entry in by_id.items():
                if entry.provider == name and not entry.local:
                    by_id[model_id] = entry.model_copy(update={"local": True})
    for model_id, scores in settings.models.strengths.items():
        if model_id not in by_id:
            warnings.append(f"[models.strengths]: unknown model {model_id!r}")
            continue
        by_id[model_id] = _override_strengths(by_id[model_id], scores)
    for model_id, entry in by_id.items():
        serving = providers.get(entry.provider)
        if serving is not None and serving.service_tier != "standard":
            by_id[model_id] = _with_tier(entry, serving.service_tier, day)
    return tuple(by_id.values()), tuple(warnings)


@lru_cache(maxsize=32)
def _cached(day: date, settings_json: str) -> Catalog:
    models, warnings = _apply(builtin_models(day), settings_json, day)
    return Catalog(models=models, warnings=warnings)


def _catalog_settings_json(settings: Settings) -> str:
    """Only the settings the catalog depends on, canonically serialised: the cache key."""
    data = {
        "models": {"add": settings.models.model_dump(mode="json")["add"],
                   "strengths": settings.models.model_dump(mode="json")["strengths"]},
        "providers": {k: v.model_dump(mode="json") for k, v in settings.providers.items()},
    }
    return json.dumps(data, sort_keys=True)


def load_catalog(settings: Settings, *, day: date | None = None) -> Catalog:
    """The catalog for these settings. Cheap when called per decision: cached by day and settings."""
    return _cached(day or datetime.now(UTC).date(), _catalog_settings_json(settings))
