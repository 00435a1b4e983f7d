"""Read one settings source and check it strictly, with positions for every problem."""

from __future__ import annotations

import datetime
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from modelroute.policy.errors import CLIENT_SOURCE, SettingsError
from modelroute.policy.fields import suggest_key, suggest_value
from modelroute.policy.positions import Path, Position, key_positions, position_of
from modelroute.policy.schema import Settings

_TOML_POS = re.compile(r"^(?P<msg>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)\s*$", re.DOTALL)
_TOML_EOF = re.compile(r"^(?P<msg>.*?)\s*\(at end of document\)\s*$", re.DOTALL)
_QUOTED = re.compile(r"'([^']*)'")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass
class Layer:
    """One source of settings: its data, where it came from and where its keys are written."""

    name: str
    data: dict[str, Any]
    positions: dict[Path, Position] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    is_file: bool = True

    def where(self, path: Path) -> tuple[int | None, int | None, str | None]:
        if not self.is_file:
            return None, None, None
        found = position_of(self.positions, path)
        if found is None:
            return 1, 1, self.line_text(1)
        return found[0], found[1], self.line_text(found[0])

    def line_text(self, line: int) -> str | None:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else None

    def problem(self, path: Path, message: str, *, severity: str = "error") -> SettingsError:
        line, column, text = self.where(path)
        return SettingsError(
            file=self.name,
            line=line,
            column=column,
            key=dotted_key(path),
            message=message,
            severity="warning" if severity == "warning" else "error",
            source_line=text,
        )


def dotted_key(path: Path) -> str:
    out = ""
    for segment in path:
        if isinstance(segment, int):
            out += f"[{segment}]"
        else:
            text = segment if _BARE_KEY.match(segment) else json.dumps(segment)
            out += f".{text}" if out else text
    return out


def read_toml(path: FsPath) -> tuple[Layer | None, list[SettingsError]]:
    """Parse a TOML file. A missing file is no layer and no error."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, []
    except OSError as exc:
        return None, [
            SettingsError(name, None, None, "", f"cannot read settings file: {exc.strerror or exc}")
        ]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        message = f"TOML syntax: file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})"
        return None, [SettingsError(name, line, column, "", message, syntax=True)]
    return parse_toml(text, name)


def parse_toml(text: str, name: str) -> tuple[Layer | None, list[SettingsError]]:
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [_syntax_error(str(exc), name, lines)]
    return Layer(name=name, data=data, positions=key_positions(text), lines=lines), []


def _syntax_error(message: str, name: str, lines: list[str]) -> SettingsError:
    line: int | None = None
    column: int | None = None
    found = _TOML_POS.match(message)
    if found:
        message, line, column = found["msg"], int(found["line"]), int(found["col"])
    elif (eof := _TOML_EOF.match(message)) is not None:
        message = eof["msg"]
        line = max(len(lines), 1)
        column = len(lines[-1]) + 1 if lines else 1
    text = lines[line - 1] if line is not None and 0 < line <= len(lines) else None
    if line is not None and text is None:
        text = ""
    return SettingsError(name, line, column, "", f"TOML syntax: {message}", source_line=text, syntax=True)


def client_layer(client: Mapping[str, Any]) -> Layer:
    return Layer(name=CLIENT_SOURCE, data=dict(client), is_file=False)


def check(layer: Layer, candidate: Mapping[str, Any]) -> tuple[Settings | None, list[SettingsError]]:
    """Validate `candidate` (lower layers merged with `layer`) and blame problems on `layer`."""
    try:
        # Infinity/NaN pass through so they fail as "finite number", not as a string.
        payload = json.dumps(jsonable(candidate))
    except (TypeError, ValueError) as exc:
        return None, [layer.problem((), f"settings cannot be read: {exc}")]
    try:
        return Settings.model_validate_json(payload, strict=True), []
    except ValidationError as exc:
        return None, [_to_problem(layer, candidate, detail) for detail in exc.errors()]


def jsonable(value: Any) -> Any:
    """TOML/JSON data as JSON; dates and odd values become strings so they fail as wrong types."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _data_path(candidate: Mapping[str, Any], loc: tuple[str | int, ...]) -> Path:
    """The part of a pydantic location that exists in the data (drops '[key]' and branch tags)."""
    path: list[str | int] = []
    current: Any = candidate
    for segment in loc:
        if isinstance(current, Mapping) and str(segment) in current:
            path.append(str(segment))
            current = current[str(segment)]
        elif isinstance(current, list) and isinstance(segment, int) and 0 <= segment < len(current):
            path.append(segment)
            current = current[segment]
        else:
            break
    return tuple(path)


def _to_problem(layer: Layer, candidate: Mapping[str, Any], detail: ErrorDetails) -> SettingsError:
    loc = tuple(detail["loc"])
    path = _data_path(candidate, loc)
    kind = detail["type"]
    if kind == "extra_forbidden":
        name = str(path[-1]) if path else str(loc[-1])
        message = f"unknown key '{name}'"
        hint = suggest_key(path[:-1], name)
        return layer.problem(path, message + (f"; did you mean '{hint}'?" if hint else ""))
    if kind == "missing":
        missing = str(loc[-1])
        problem = layer.problem(path, f"required key '{missing}' is missing")
        return _with_key(problem, dotted_key((*path, missing)))
    message = _message(detail)
    if "[key]" in loc:
        message = f"invalid key {_show(path[-1] if path else '')}: {message}"
    else:
        message += f" (got {_show(detail.get('input'))})"
    expected = _QUOTED.findall(str(detail.get("ctx", {}).get("expected", "")))
    if expected and isinstance(detail.get("input"), str):
        hint = suggest_value(str(detail.get("input")), expected)
        if hint:
            message += f"; did you mean '{hint}'?"
    return layer.problem(path, message)


def _with_key(problem: SettingsError, key: str) -> SettingsError:
    return SettingsError(
        problem.file,
        problem.line,
        problem.column,
        key,
        problem.message,
        problem.severity,
        problem.source_line,
    )


_TOML_WORDS = {
    "model_type": "Input should be a table",
    "dict_type": "Input should be a table",
    "list_type": "Input should be an array",
}


def _message(detail: ErrorDetails) -> str:
    return _TOML_WORDS.get(detail["type"], detail["msg"])


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # TOML spells them inf and nan
    text = json.dumps(jsonable(value), ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
