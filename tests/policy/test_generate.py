"""Generated files are up to date; the schema, VS Code configuration and unflattening agree."""

from __future__ import annotations

import json
from pathlib import Path

from modelroute.policy import client_settings_from_vscode, json_schema, resolve_settings, vscode_configuration
from modelroute.policy.generate import DOCS_PATH, SCHEMA_PATH, render_docs, render_schema_file
from modelroute.policy.schema import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_schema_file_is_up_to_date() -> None:
    assert (ROOT / SCHEMA_PATH).read_text(encoding="utf-8") == render_schema_file(), (
        "run: python -m modelroute.policy.generate"
    )


def test_docs_table_is_up_to_date() -> None:
    current = (ROOT / DOCS_PATH).read_text(encoding="utf-8")
    assert render_docs(current) == current, "run: python -m modelroute.policy.generate"


def test_json_schema_shape() -> None:
    schema = json_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["title"] == "modelroute settings" and schema["additionalProperties"] is False
    budget = schema["definitions"]["BudgetSettings"]
    assert budget["additionalProperties"] is False
    assert budget["properties"]["daily_usd"]["default"] == 20.0
    assert budget["properties"]["daily_usd"]["description"]
    assert schema["definitions"]["PrivacySettings"]["properties"]["exclude"]["default"][0] == ".env*"
    assert "null" not in json.dumps(schema["definitions"]["CategoryRoute"]["properties"]["pin"])


def test_vscode_configuration_names_and_nulls() -> None:
    props = vscode_configuration()["properties"]
    daily = props["modelroute.budget.daily_usd"]
    assert daily["type"] == ["number", "null"] and daily["default"] is None and daily["scope"] == "machine"
    assert "20.0" in daily["description"]
    assert props["modelroute.objective"]["enum"] == ["quality", "balanced", "cost", None]
    assert props["modelroute.objective"]["scope"] == "resource"
    assert props["modelroute.route.debugging.pin"]["type"] == ["string", "null"]
    assert props["modelroute.providers"]["type"] == ["object", "null"]
    assert all(p["default"] is None for p in props.values())


def test_every_vscode_setting_round_trips_into_settings() -> None:
    samples = {"number": 1, "integer": 1, "boolean": True, "array": [], "object": {}}
    flat: dict[str, object] = {}
    for name, prop in vscode_configuration()["properties"].items():
        kind = prop["type"][0]
        flat[name] = prop["enum"][0] if "enum" in prop else samples.get(kind, "x")
    client = client_settings_from_vscode(flat)
    resolved = resolve_settings(user_file=None, workspace_file=None, client=client)
    assert resolved.errors == [], [e.format() for e in resolved.errors]
    assert resolved.settings.route.debugging.pin == "x"


def test_unflatten_merges_and_drops_nulls() -> None:
    flat = {
        "modelroute.budget.daily_usd": 3,
        "budget": {"monthly_usd": 9, "per_request_usd": None},
        "route.debugging.pin": None,
        "providers": {"my.provider": {"base_url": "http://127.0.0.1:1/v1"}},
    }
    assert client_settings_from_vscode(flat) == {
        "budget": {"daily_usd": 3, "monthly_usd": 9},
        "providers": {"my.provider": {"base_url": "http://127.0.0.1:1/v1"}},
    }


def test_every_schema_key_is_documented() -> None:
    docs = (ROOT / DOCS_PATH).read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`{name}" in docs
