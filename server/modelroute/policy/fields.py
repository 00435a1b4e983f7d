"""Walk the Settings schema by key path: which keys exist where (for "did you mean")."""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterator, Sequence
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from modelroute.policy.schema import Settings

WILDCARD = "*"
"""Stands for a user-chosen name (a provider, a model id) in a schema path."""


def unwrap_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def type_at(path: Sequence[str | int]) -> Any:
    """The annotation at `path` (dict keys and list indices step into values), or None if none."""
    current: Any = Settings
    for segment in path:
        current = unwrap_optional(current)
        origin = get_origin(current)
        if is_model(current):
            field = current.model_fields.get(str(segment))
            if field is None:
                return None
            current = field.annotation
        elif origin is dict:
            current = get_args(current)[1]
        elif origin is list:
            current = get_args(current)[0]
        else:
            return None
    return unwrap_optional(current)


def keys_at(path: Sequence[str | int]) -> list[str]:
    found = type_at(path)
    return list(found.model_fields) if is_model(found) else []


def schema_paths(
    model: type[BaseModel] = Settings, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    """Every key path in the schema; a user-chosen name appears as WILDCARD."""
    for name, field in model.model_fields.items():
        path = (*prefix, name)
        yield path
        annotation = unwrap_optional(field.annotation)
        if is_model(annotation):
            yield from schema_paths(annotation, path)
        elif get_origin(annotation) is dict:
            value = unwrap_optional(get_args(annotation)[1])
            if is_model(value):
                yield from schema_paths(value, (*path, WILDCARD))


def suggest_key(parent: Sequence[str | int], name: str) -> str | None:
    """A close key at the same level, else the same key in another section (as a dotted path)."""
    close = difflib.get_close_matches(name, keys_at(parent), n=1, cutoff=0.6)
    if close:
        return close[0]
    elsewhere = [p for p in schema_paths() if p[-1] == name and WILDCARD not in p]
    if not elsewhere:
        leaves = {p[-1] for p in schema_paths() if WILDCARD not in p}
        near = difflib.get_close_matches(name, sorted(leaves), n=1, cutoff=0.75)
        elsewhere = [p for p in schema_paths() if near and p[-1] == near[0] and WILDCARD not in p]
    if len(elsewhere) == 1:
        return ".".join(elsewhere[0])
    return None


def suggest_value(value: str, choices: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None
