"""Write docs/catalog.md from the code: `python -m modelroute.catalog.docs [PATH]`.

A test regenerates the text and fails when the committed file differs.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from modelroute.catalog import selection
from modelroute.catalog.builtin import BUILTINS
from modelroute.catalog.library import LIBRARY_PROVIDER, has_tier, library_label, model_price
from modelroute.catalog.load import builtin_models
from modelroute.catalog.providers import BASE_URL_SOURCES, default_providers
from modelroute.categories import ALL_CATEGORIES

# Prices depend on the day (date-gated library prices); the docs show them on a fixed day.
DOCS_DAY = date(2026, 11, 1)
DEFAULT_PATH = Path("docs/catalog.md")


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:g}"


def _prices() -> list[str]:
    rows = [
        "| model | provider | context | max output | input / output per MTok | cache read / write | "
        "long-context tier |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for m in builtin_models(DOCS_DAY):
        base = m.price.tiers[0]
        tiers = "; ".join(
            f"past {t.above_input_tokens // 1000}K: {_money(t.input_mtok)} / {_money(t.output_mtok)}"
            for t in m.price.tiers[1:]
        )
        rows.append(
            f"| {m.display_name} (`{m.id}`) | {m.provider} | {m.context_window:,} | "
            f"{m.max_output_tokens:,} | "
            f"{_money(base.input_mtok)} / {_money(base.output_mtok)} | "
            f"{_money(base.cache_read_mtok)} / {_money(base.cache_write_mtok)} | {tiers or '-'} |"
        )
    return rows


def _service_tiers() -> list[str]:
    """Models with a priority or fast tier at their own price, and that price."""
    rows = [
        "## Service tiers (`[providers.NAME] service_tier`)",
        "",
        "Interactive tiers at their own price, from the same library. A provider set to a tier requests "
        "and prices it for the models listed; its other models stay standard. Batch prices are never "
        "used (an editor action is interactive). OpenAI: `service_tier` (priority and fast are both "
        "priority processing); Anthropic: `speed: \"fast\"` (fast mode).",
        "",
        "| model | tier | input / output per MTok | cache read / write | long-context tier |",
        "| --- | --- | --- | --- | --- |",
    ]
    for spec in BUILTINS:
        model = next(m for m in builtin_models(DOCS_DAY) if m.id == spec.id)
        for tier in ("priority", "fast"):
            provider = LIBRARY_PROVIDER[spec.provider]
            if not has_tier(provider, spec.library_ref, DOCS_DAY, model.api, tier):
                continue
            price = model_price(provider, spec.library_ref, DOCS_DAY, api=model.api, tier=tier)
            base = price.tiers[0]
            longer = "; ".join(
                f"past {t.above_input_tokens // 1000}K: {_money(t.input_mtok)} / {_money(t.output_mtok)}"
                for t in price.tiers[1:]
            )
            rows.append(
                f"| {model.display_name} | {tier} | {_money(base.input_mtok)} / {_money(base.output_mtok)} | "
                f"{_money(base.cache_read_mtok)} / {_money(base.cache_write_mtok)} | {longer or '-'} |"
            )
    return [*rows, ""]


def _strengths() -> list[str]:
    header = "| model | " + " | ".join(c.value for c in ALL_CATEGORIES) + " |"
    rows = [header, "| --- |" + " --- |" * len(ALL_CATEGORIES)]
    for m in builtin_models(DOCS_DAY):
        cells = [f"{m.strengths[c].score:g}{'*' if m.strengths[c].prior else ''}" for c in ALL_CATEGORIES]
        rows.append(f"| {m.short_name} | " + " | ".join(cells) + " |")
    return rows


def _evidence() -> list[str]:
    out: list[str] = []
    for m in builtin_models(DOCS_DAY):
        out += [f"### {m.display_name} (`{m.id}`)", ""]
        out += [f"- limits: {m.limits_source}", f"- price: {m.price.source}"]
        for c in ALL_CATEGORIES:
            s = m.strengths[c]
            flag = " (prior)" if s.prior else ""
            out.append(f"- {c.value}: {s.score:g}{flag}: {s.evidence}. Source: {s.source}")
        out.append("")
    return out


def _selection() -> list[str]:
    doc = (selection.__doc__ or "").strip()
    out = ["## Which models are built in", "", doc, ""]
    for provider in default_providers():
        lines = selection.newest_per_line(provider)
        listed = ", ".join(f"`{mid}` ({line})" for line, mid in sorted(lines.items())) or "none"
        out.append(f"- {provider}: newest current releases by the rule: {listed}")
    required = ", ".join(f"`{b.id}`" for b in BUILTINS if b.required)
    out += ["", f"Named by the product brief and always included: {required}.", ""]
    return out


def _providers() -> list[str]:
    rows = ["| provider | api | key variable | base URL | source |", "| --- | --- | --- | --- | --- |"]
    for name, p in default_providers().items():
        rows.append(
            f"| {name} | {p.api} | `{p.api_key_env}` | {p.base_url or 'SDK default'} | "
            f"{BASE_URL_SOURCES[name]} |"
        )
    return rows


def render() -> str:
    parts = [
        "# Model catalog",
        "",
        "Generated by `python -m modelroute.catalog.docs` from the code; do not edit by hand.",
        f"Prices, cache rates, long-context tiers and context windows: {library_label()}, "
        f"resolved for {DOCS_DAY.isoformat()} (the server resolves them for the current UTC day; "
        "DeepSeek's time-of-day prices resolve to the peak rate). Maximum output tokens are typed in "
        "`catalog/builtin.py` with their source.",
        "",
        "## Prices and limits",
        "",
        *_prices(),
        "",
        *_service_tiers(),
        "## Strengths (0..100; * = documented prior, not a public result)",
        "",
        *_strengths(),
        "",
        *_selection(),
        "## Built-in providers",
        "",
        *_providers(),
        "",
        "## Evidence per model",
        "",
        *_evidence(),
    ]
    return "\n".join(parts).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DEFAULT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
