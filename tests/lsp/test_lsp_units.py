"""Pure pieces of the LSP layer: cost text, settings payloads, settings problems as diagnostics."""

from __future__ import annotations

import pytest
from lsprotocol import types

from modelroute.categories import Category
from modelroute.lsp.config import clean, merge, to_diagnostic, unwrap
from modelroute.lsp.format import action_title, format_usd, inlay_label
from modelroute.policy.errors import SettingsError


@pytest.mark.parametrize(
    ("usd", "text"),
    [
        (0.42, "~$0.42"),
        (12.3, "~$12.30"),
        (0.1, "~$0.10"),
        (0.0123, "~$0.012"),
        (0.0042, "~$0.0042"),
        (0.00004, "<$0.0001"),
        (0.0, "$0"),
    ],
)
def test_format_usd(usd: float, text: str) -> None:
    assert format_usd(usd) == text


def test_titles() -> None:
    assert (
        action_title(Category.MULTI_FILE_REFACTOR, "Claude Opus 4.6", 0.4213)
        == "Refactor with Claude Opus 4.6 · ~$0.42 (multi-file refactor)"
    )
    assert action_title(Category.SHELL_AUTOMATION, "GPT-5.3-Codex", 0.0042).endswith("~$0.0042 (shell automation)")
    assert inlay_label("Opus 4.6", 0.42) == "→ Opus 4.6 · ~$0.42"


def test_settings_payloads() -> None:
    assert unwrap({"modelroute": {"objective": "cost", "budget": None}}) == {"objective": "cost"}
    assert unwrap({"objective": "cost"}) == {"objective": "cost"}
    assert unwrap({"modelroute": None}) is None
    assert unwrap(None) is None and unwrap([1]) is None
    assert clean({"trace": {"server": "verbose"}, "models": {"allow": ["gpt-*"], "deny": None}}) == {
        "models": {"allow": ["gpt-*"]}
    }
    assert merge({"a": {"b": 1, "c": 2}}, None, {"a": {"c": 3}, "d": 4}) == {"a": {"b": 1, "c": 3}, "d": 4}


def test_settings_error_to_diagnostic() -> None:
    error = SettingsError(file="/w/.modelroute.toml", line=3, column=1, key="objectve", message="unknown key")
    diag = to_diagnostic(error)
    assert diag.range.start == types.Position(line=2, character=0)
    assert diag.range.end == types.Position(line=2, character=len("objectve"))
    assert diag.severity == types.DiagnosticSeverity.Error and diag.source == "modelroute"
    warning = SettingsError(file="f", line=None, column=None, key="", message="m", severity="warning")
    assert to_diagnostic(warning).range.start.line == 0
    assert to_diagnostic(warning).severity == types.DiagnosticSeverity.Warning
