"""Where spend is recorded and who pays are the user's choice: a workspace file setting them is an
error with file, line and key; team caps from a workspace file may only be lower."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelroute.policy import Settings, resolve_settings

USER = """
[budget]
team_daily_usd = 50
[ledger]
url = "postgresql:///ledger?host=/run/pg"
[identity]
person = "ada@example.com"
team = "platform"
"""


def _resolve(tmp_path: Path, workspace: str, client: dict[str, object] | None = None) -> object:
    user = tmp_path / "user.toml"
    user.write_text(USER, encoding="utf-8")
    ws = tmp_path / ".modelroute.toml"
    ws.write_text(workspace, encoding="utf-8")
    return resolve_settings(user_file=user, workspace_file=ws, client=client)


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ('[ledger]\nurl = "postgresql://evil.example/db"\n', "ledger.url", 2),
        ("[ledger]\nlease_s = 3600\n", "ledger.lease_s", 2),
        ('\n[identity]\nperson = "someone-else@example.com"\n', "identity.person", 3),
        ('[identity]\nteam = "other-team"\n', "identity.team", 2),
    ],
)
def test_workspace_may_not_set_ledger_or_identity(tmp_path: Path, text: str, key: str, line: int) -> None:
    resolved = _resolve(tmp_path, 'objective = "cost"\n' + text)
    errors = resolved.errors  # type: ignore[attr-defined]
    (error,) = errors
    assert (error.key, error.line, error.severity) == (key, line + 1, "error")
    assert error.file.endswith(".modelroute.toml")
    assert "user file" in error.message
    settings: Settings = resolved.settings  # type: ignore[attr-defined]
    # The whole workspace file is left out: the user's values stand, and so does its objective.
    assert settings.ledger.url == "postgresql:///ledger?host=/run/pg"
    assert settings.identity.person == "ada@example.com" and settings.identity.team == "platform"
    assert settings.objective == "balanced"


def test_client_may_set_ledger_and_identity(tmp_path: Path) -> None:
    client = {"ledger": {"url": "postgresql:///other"}, "identity": {"team": "web"}}
    resolved = _resolve(tmp_path, "", client)
    assert resolved.errors == []  # type: ignore[attr-defined]
    settings: Settings = resolved.settings  # type: ignore[attr-defined]
    assert settings.ledger.url == "postgresql:///other" and settings.identity.team == "web"


def test_team_caps_from_a_workspace_only_lower(tmp_path: Path) -> None:
    resolved = _resolve(tmp_path, "[budget]\nteam_daily_usd = 80\nteam_monthly_usd = 300\n")
    settings: Settings = resolved.settings  # type: ignore[attr-defined]
    (warning,) = resolved.warnings  # type: ignore[attr-defined]
    assert warning.key == "budget.team_daily_usd" and warning.line == 2
    assert settings.budget.team_daily_usd == 50  # raising it was ignored
    assert settings.budget.team_monthly_usd == 300  # none set by the user: any cap narrows


def test_workspace_may_not_turn_content_export_on(tmp_path: Path) -> None:
    resolved = _resolve(tmp_path, "[telemetry]\nexport_content = true\n")
    (warning,) = resolved.warnings  # type: ignore[attr-defined]
    assert warning.key == "telemetry.export_content"
    assert resolved.settings.telemetry.export_content is False  # type: ignore[attr-defined]


def test_workspace_may_not_choose_a_dearer_service_tier(tmp_path: Path) -> None:
    resolved = _resolve(tmp_path, '[providers.openai]\nservice_tier = "priority"\n')
    (warning,) = resolved.warnings  # type: ignore[attr-defined]
    assert warning.key == "providers.openai.service_tier" and warning.line == 2
    settings: Settings = resolved.settings  # type: ignore[attr-defined]
    assert "openai" not in settings.providers or settings.providers["openai"].service_tier == "standard"


def test_the_settings_docs_say_a_workspace_may_not_set_them() -> None:
    from modelroute.policy.export import settings_table
    from modelroute.policy.schema import IdentitySettings, LedgerSettings

    rows = {line.split("|")[1].strip(" `"): line.split("|")[4].strip() for line in settings_table().splitlines()[2:]}
    for section, model in (("ledger", LedgerSettings), ("identity", IdentitySettings)):
        for key in model.model_fields:
            assert rows[f"{section}.{key}"].startswith("nothing: an error"), f"{section}.{key}"
