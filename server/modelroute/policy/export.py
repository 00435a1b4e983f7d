"""Everything derived from the one schema: JSON schema, VS Code settings, the docs table.

`python -m modelroute.policy.generate` writes them to the repository.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from modelroute.policy.fields import is_model, unwrap_optional
from modelroute.policy.narrowing import workspace_rule
from modelroute.policy.schema import CategoryRoute, Settings

VSCODE_PREFIX = "modelroute."

# A repository's .vscode/settings.json reaches the server through workspace/configuration too,
# so VS Code must not accept these there: "machine" scope keeps them to user settings.
_MACHINE_SECTIONS = {
    "budget", "providers", "approval", "sandbox", "privacy", "verify", "ledger", "identity", "telemetry"
}


def json_schema() -> dict[str, Any]:
    """JSON schema (draft 7, understood by Taplo / Even Better TOML) for `.modelroute.toml`."""
    raw = Settings.model_json_schema(ref_template="#/definitions/{model}")
    definitions = raw.pop("$defs", {})
    _add_factory_defaults(Settings, raw)
    for model in _models(Settings):
        if model.__name__ in definitions:
            _add_factory_defaults(model, definitions[model.__name__])
    schema: dict[str, Any] = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "modelroute settings",
        "description": "Settings for modelroute (.modelroute.toml and ~/.config/modelroute/config.toml). "
        "See docs/settings.md.",
        **{k: v for k, v in raw.items() if k not in ("title", "description")},
        "definitions": definitions,
    }
    result: dict[str, Any] = _drop_null(schema)
    return result


def _models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    for field in model.model_fields.values():
        annotation = unwrap_optional(field.annotation)
        inner = _dict_value_model(annotation) or (annotation if is_model(annotation) else None)
        if inner is not None:
            yield inner
            yield from _models(inner)


def _add_factory_defaults(model: type[BaseModel], node: dict[str, Any]) -> None:
    """pydantic leaves `default_factory` values out of the schema; lists and maps are useful."""
    for name, field in model.model_fields.items():
        prop = node.get("properties", {}).get(name)
        if prop is None or field.default_factory is None or "default" in prop:
            continue
        value = field.default_factory()  # type: ignore[call-arg]
        if not isinstance(value, BaseModel):
            prop["default"] = value


def _drop_null(node: Any) -> Any:
    """TOML has no null: `X | None` fields become plain X."""
    if isinstance(node, list):
        return [_drop_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _drop_null(value) for key, value in node.items()}
    options = out.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1 and len(kept) < len(options):
            del out["anyOf"]
            out = {**kept[0], **out}
    if out.get("default", 0) is None:
        del out["default"]
    return out


def _inline(node: Any, definitions: Mapping[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = copy.deepcopy(definitions[node["$ref"].rsplit("/", 1)[1]])
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _inline(merged, definitions)
    return {key: _inline(value, definitions) for key, value in node.items()}


def inlined_schema() -> dict[str, Any]:
    schema = json_schema()
    definitions = schema.pop("definitions")
    result: dict[str, Any] = _inline(schema, definitions)
    return result


def _leaves(
    model: type[BaseModel], node: Mapping[str, Any], prefix: tuple[str, ...], *, collapse: bool
) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """(key path, JSON schema) for every leaf; nested tables recurse. With `collapse`, the seven
    identical route tables and tables of user-named entries appear once as `<category>`/`<name>`."""
    seen_category = False
    for name, field in model.model_fields.items():
        sub = dict(node["properties"][name])
        annotation = unwrap_optional(field.annotation)
        if collapse and annotation is CategoryRoute:
            if seen_category:
                continue
            seen_category = True
            name = "<category>"
        if is_model(annotation):
            yield from _leaves(annotation, sub, (*prefix, name), collapse=collapse)
            continue
        value = sub.get("additionalProperties")
        value_type = _dict_value_model(annotation)
        if collapse and value_type is not None and isinstance(value, dict):
            yield from _leaves(value_type, value, (*prefix, name, "<name>"), collapse=collapse)
            continue
        yield (*prefix, name), sub


def _dict_value_model(annotation: Any) -> type[BaseModel] | None:
    args = get_args(annotation)
    if get_origin(annotation) is dict and len(args) == 2 and is_model(args[1]):
        model: type[BaseModel] = args[1]
        return model
    return None


def vscode_configuration() -> dict[str, Any]:
    """`contributes.configuration` for the VS Code extension: flat `modelroute.<section>.<key>`.

    Every setting defaults to null, meaning "not set here": VS Code sends all of its settings,
    and a non-null default would override the TOML files on every request.
    """
    properties: dict[str, Any] = {}
    for order, (path, sub) in enumerate(_leaves(Settings, inlined_schema(), (), collapse=False)):
        entry = {k: v for k, v in sub.items() if k not in ("title", "default")}
        kind = entry.get("type")
        if isinstance(kind, str):
            entry["type"] = [kind, "null"]
        if "enum" in entry:
            entry["enum"] = [*entry["enum"], None]
        default = sub.get("default")
        note = f" Unset: taken from the TOML files (built-in default: {json.dumps(default)})."
        entry["description"] = (sub.get("description") or "").strip() + (
            note if "default" in sub else " Unset: taken from the TOML files."
        )
        entry["default"] = None
        entry["scope"] = "machine" if path[0] in _MACHINE_SECTIONS else "resource"
        entry["order"] = order
        properties[VSCODE_PREFIX + ".".join(path)] = entry
    return {"title": "modelroute", "properties": properties}


def client_settings_from_vscode(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Client settings in the TOML shape: dotted keys unflattened (with or without the
    `modelroute.` prefix), nested objects merged, nulls ("not set") dropped."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        name = str(key).removeprefix(VSCODE_PREFIX)
        parts: list[str] = name.split(".")
        _put(out, parts, value)
    result: dict[str, Any] = _without_nulls(out)
    return result


def _put(target: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        below = target.get(part)
        if not isinstance(below, dict):
            below = {}
            target[part] = below
        target = below
    last = parts[-1]
    if isinstance(value, Mapping) and isinstance(target.get(last), dict):
        for key, inner in value.items():
            _put(target[last], [str(key)], inner)
    else:
        target[last] = dict(value) if isinstance(value, Mapping) else value


def _without_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        out = {str(k): _without_nulls(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in out.items() if not (isinstance(v, dict) and not v and value.get(k))}
    return value


def _type_text(sub: Mapping[str, Any]) -> str:
    if "enum" in sub:
        return " \\| ".join(f'`"{v}"`' for v in sub["enum"])
    kind = sub.get("type", "")
    if kind == "array":
        return f"array of {sub.get('items', {}).get('type', 'value')}s"
    if kind == "object":
        return "table"
    bounds = []
    for word, sign in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
    ):
        if word in sub:
            bounds.append(f"{sign} {sub[word]}")
    text = {"number": "number", "integer": "integer", "boolean": "boolean", "string": "string"}.get(
        kind, kind
    )
    return f"{text} {', '.join(bounds)}".strip()


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) and not value:
        return "{}"
    return json.dumps(value)


def settings_table() -> str:
    """The Markdown reference table for docs/settings.md."""
    rows = [
        "| Key | Type | Default | Workspace file may | Description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for path, sub in _leaves(Settings, inlined_schema(), (), collapse=True):
        key = ".".join(path)
        rule_key = key.replace("<name>", "*")
        default = f"`{_toml_value(sub['default'])}`" if "default" in sub else "(none)"
        rule = workspace_rule(rule_key)
        description = (sub.get("description") or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{key}` | {_type_text(sub)} | {default} | {rule} | {description} |")
    return "\n".join(rows) + "\n"
