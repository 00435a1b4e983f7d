"""Read prices and context windows from the genai-prices library (its bundled data, offline).

Every number here comes from the library; nothing is typed by hand. Prices are resolved for a UTC
day: date-gated prices (price changes) follow the day, and time-of-day prices (DeepSeek's peak and
off-peak hours) resolve to the highest rate of that day, so an estimate is never optimistic.
"""

from __future__ import annotations

from copy import copy
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache
from importlib.metadata import version

from genai_prices import data_snapshot
from genai_prices import types as gp

from modelroute.catalog.model import ModelPrice, PriceTier

LIBRARY = "genai-prices"
LIBRARY_VERSION = version("genai-prices")

# Our provider keys -> the library's provider ids.
LIBRARY_PROVIDER: dict[str, str] = {
    "anthropic": "anthropic",
    "openai": "openai",
    "moonshot": "moonshotai",
    "zai": "zai",
    "minimax": "minimax",
    "deepseek": "deepseek",
}

_PRICE_KEYS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")


class LibraryModelMissing(LookupError):
    pass


def library_label() -> str:
    return f"{LIBRARY} {LIBRARY_VERSION}"


@cache
def _providers() -> dict[str, gp.Provider]:
    return {p.id: p for p in data_snapshot.get_snapshot().providers}


def find_model(provider_id: str, model_ref: str) -> tuple[gp.Provider, gp.ModelInfo]:
    """The library's provider and model for a reference, as `calc_price` would find them."""
    provider = _providers().get(provider_id)
    if provider is None:
        raise LibraryModelMissing(f"{LIBRARY} has no provider {provider_id!r}")
    model = provider.find_model(model_ref, all_providers=list(_providers().values()))
    if model is None:
        raise LibraryModelMissing(f"{LIBRARY} has no model {model_ref!r} for {provider_id!r}")
    return provider, model


def provider_models(provider_id: str) -> list[gp.ModelInfo]:
    provider = _providers().get(provider_id)
    return list(provider.models) if provider else []


def _resolve_price(model: gp.ModelInfo, day: date) -> gp.ModelPrice:
    """Standard (non-batch) price on `day`; of time-of-day prices the last active one (the peak)."""
    if isinstance(model.prices, gp.ModelPrice):
        return model.prices
    noon = datetime.combine(day, time(12, 0), tzinfo=UTC)
    chosen = model.prices[0].prices
    for conditional in model.prices:
        constraint = conditional.constraint
        if constraint is None or isinstance(constraint, gp.TimeOfDateConstraint) or constraint.active(noon):
            chosen = conditional.prices
    return chosen


def _price_at(value: Decimal | gp.TieredPrices | None, input_tokens: int) -> float | None:
    if value is None:
        return None
    if isinstance(value, gp.TieredPrices):
        applicable = value.base
        for tier in value.tiers:
            if input_tokens > tier.start:
                applicable = tier.price
        return float(applicable)
    return float(value)


# The library's request context for each (our API, tier) we can send; other pairs stay standard.
TIER_CONTEXT: dict[tuple[str, str], dict[str, str]] = {
    ("openai-responses", "priority"): {"service_tier": "priority"},
    ("openai-responses", "fast"): {"service_tier": "fast"},
    ("anthropic-messages", "fast"): {"speed": "fast"},
}


def _variant_price(model: gp.ModelInfo, day: date, context: dict[str, str]) -> gp.ModelPrice | None:
    """The standard price with the overrides of the variants `context` selects (as the library's own
    `get_prices` resolves them), or None when the model has no such variant on `day`."""
    noon = datetime.combine(day, time(12, 0), tzinfo=UTC)
    overrides: dict[str, object] = {}
    for variant in model.price_variants or ():
        if variant.constraint is not None and not variant.constraint.active(noon):
            continue
        if all(context.get(key) == value for key, value in variant.when.items()):
            for key, price in variant.prices.__dict__.items():
                if price is not None:
                    overrides.setdefault(key, price)
    if not overrides:
        return None
    resolved = copy(_resolve_price(model, day))
    resolved.__dict__.update(overrides)
    return resolved


def has_tier(provider_id: str, model_ref: str, day: date, api: str, tier: str) -> bool:
    context = TIER_CONTEXT.get((api, tier))
    if context is None:
        return False
    return _variant_price(find_model(provider_id, model_ref)[1], day, context) is not None


def model_price(
    provider_id: str, model_ref: str, day: date, *, api: str = "", tier: str = "standard"
) -> ModelPrice:
    """Our ModelPrice (with long-context tiers merged across price keys) for a library model: the
    standard interactive price, or the price of an interactive tier (`has_tier` says which exist)."""
    _, info = find_model(provider_id, model_ref)
    resolved = _resolve_price(info, day)
    label = ""
    if tier != "standard":
        variant = _variant_price(info, day, TIER_CONTEXT.get((api, tier), {"-": "-"}))
        if variant is None:
            raise LibraryModelMissing(f"{LIBRARY} has no {tier} price for {model_ref!r}")
        resolved, label = variant, f", {tier} tier"
    thresholds = {0}
    for key in _PRICE_KEYS:
        value = getattr(resolved, key)
        if isinstance(value, gp.TieredPrices):
            thresholds.update(tier.start for tier in value.tiers)
    tiers: list[PriceTier] = []
    for start in sorted(thresholds):
        probe = start + 1 if start else 0
        input_mtok = _price_at(resolved.input_mtok, probe)
        output_mtok = _price_at(resolved.output_mtok, probe)
        if input_mtok is None or output_mtok is None:
            raise LibraryModelMissing(f"{LIBRARY} has no token prices for {model_ref!r}")
        tiers.append(
            PriceTier(
                above_input_tokens=start,
                input_mtok=input_mtok,
                output_mtok=output_mtok,
                cache_read_mtok=_price_at(resolved.cache_read_mtok, probe),
                cache_write_mtok=_price_at(resolved.cache_write_mtok, probe),
            )
        )
    return ModelPrice(tiers=tuple(tiers), source=f"{library_label()} ({provider_id}/{info.id}{label})")


def context_window(provider_id: str, model_ref: str) -> int | None:
    return find_model(provider_id, model_ref)[1].context_window
