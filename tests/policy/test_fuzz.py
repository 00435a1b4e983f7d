"""The loader never raises: any text, any TOML-ish structure gives errors or Settings."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelroute.policy import Settings, SettingsError, resolve_settings
from modelroute.policy.positions import key_positions

KEYS = st.sampled_from(
    [
        "objective",
        "budget",
        "daily_usd",
        "sandbox",
        "mode",
        "network",
        "providers",
        "anthropic",
        "base_url",
        "approval",
        "allow",
        "policy",
        "models",
        "add",
        "route",
        "debugging",
        "pin",
        "privacy",
        "exclude",
        "x y",
        "a.b",
    ]
)
SCALARS = st.one_of(
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(["off", "never", "cost", "read-only", "untrusted"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def check(resolved_errors: list[SettingsError], settings_obj: Settings) -> None:
    assert isinstance(settings_obj, Settings)
    for error in resolved_errors:
        assert error.format().startswith(error.file)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if value != value
            else ("inf" if value > 1e308 else "-inf" if value < -1e308 else repr(value))
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f'"{k}" = {_toml(v)}' for k, v in value.items()) + "}"


@FAST
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ".modelroute.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        resolved = resolve_settings(user_file=None, workspace_file=path, client=None)
        check(resolved.errors, resolved.settings)
        key_positions(text)


@FAST
@given(st.dictionaries(KEYS, VALUES, max_size=5), st.dictionaries(KEYS, VALUES, max_size=3))
def test_arbitrary_structures(file_data: dict[str, Any], client: dict[str, Any]) -> None:
    text = "\n".join(f'"{k}" = {_toml(v)}' for k, v in file_data.items()) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ".modelroute.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        resolved = resolve_settings(user_file=path, workspace_file=path, client=client, previous=Settings())
        check(resolved.errors, resolved.settings)
        for error in resolved.errors + resolved.warnings:
            if error.file == str(path) and error.line is not None:
                assert 1 <= error.line <= max(len(text.splitlines()), 1)


@FAST
@given(
    st.lists(
        st.sampled_from(
            [
                "[budget]",
                "[[x]]",
                "[route.debugging]",
                "a.b = 1",
                'daily_usd = "lots"',
                'mode = "off"',
                "k = [1,\n2]",
                't = { a = 1, b = "}" }',
                's = """x\n[y]\n"""',
                "# c",
                "",
                "network = true",
                "[sandbox]",
                "x = 1979-05-27",
            ]
        ),
        max_size=12,
    )
)
def test_toml_like_documents(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ".modelroute.toml"
        path.write_text(text, encoding="utf-8")
        resolved = resolve_settings(user_file=None, workspace_file=path, client=None)
        check(resolved.errors, resolved.settings)
