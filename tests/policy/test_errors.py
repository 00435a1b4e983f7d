"""Every error kind, with exact positions and messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from modelroute.policy import resolve_settings

Write = Callable[[str, str], Path]


def errors_of(path: Path) -> list[str]:
    resolved = resolve_settings(user_file=None, workspace_file=path, client=None)
    return [e.format() for e in resolved.errors]


def test_wrong_type_points_at_key(write: Write) -> None:
    path = write(".modelroute.toml", '# budget\n\n[budget]\nper_request_usd = 1\n\n\ndaily_usd = "lots"\n')
    assert errors_of(path) == [
        f'{path}:7:1: error: budget.daily_usd: Input should be a valid number (got "lots")'
    ]


def test_unknown_section_did_you_mean(write: Write) -> None:
    path = write(".modelroute.toml", 'objective = "cost"\n[sandbx]\nmode = "read-only"\n')
    assert errors_of(path) == [f"{path}:2:2: error: sandbx: unknown key 'sandbx'; did you mean 'sandbox'?"]


def test_unknown_key_in_section_and_misplaced_key(write: Write) -> None:
    path = write(
        ".modelroute.toml", "daily_usd = 3\n[route.debuging]\nprefer = []\n[budget]\n  montly_usd = 1\n"
    )
    assert errors_of(path) == [
        f"{path}:1:1: error: daily_usd: unknown key 'daily_usd'; did you mean 'budget.daily_usd'?",
        f"{path}:2:8: error: route.debuging: unknown key 'debuging'; did you mean 'debugging'?",
        f"{path}:5:3: error: budget.montly_usd: unknown key 'montly_usd'; did you mean 'monthly_usd'?",
    ]


def test_unknown_key_without_suggestion(write: Write) -> None:
    path = write(".modelroute.toml", "[sandbox]\nzzqx = 1\n")
    assert errors_of(path) == [f"{path}:2:1: error: sandbox.zzqx: unknown key 'zzqx'"]


def test_enum_value_did_you_mean(write: Write) -> None:
    path = write(".modelroute.toml", 'objective = "cots"\n')
    assert errors_of(path) == [
        f"{path}:1:1: error: objective: Input should be 'quality', 'balanced' or 'cost' (got \"cots\"); "
        "did you mean 'cost'?"
    ]


def test_out_of_range_and_non_finite(write: Write) -> None:
    path = write(
        ".modelroute.toml", "[budget]\nmonthly_usd = -1\nper_request_usd = inf\n[run]\nmax_turns = 99\n"
    )
    assert errors_of(path) == [
        f"{path}:2:1: error: budget.monthly_usd: Input should be greater than or equal to 0 (got -1)",
        f"{path}:3:1: error: budget.per_request_usd: Input should be a finite number (got inf)",
        f"{path}:5:1: error: run.max_turns: Input should be less than or equal to 50 (got 99)",
    ]


def test_array_element_and_inline_table_and_dotted_key_positions(write: Write) -> None:
    text = 'approval.allow = [\n  "ok",\n  2,\n]\nsandbox = { mode = "open" }\n'
    path = write(".modelroute.toml", text)
    assert errors_of(path) == [
        f"{path}:3:3: error: approval.allow[1]: Input should be a valid string (got 2)",
        f"{path}:5:13: error: sandbox.mode: Input should be 'read-only', 'workspace-write' or 'off' "
        '(got "open")',
    ]


def test_string_not_coerced_and_table_expected(write: Write) -> None:
    path = write(".modelroute.toml", 'models = 3\n[sandbox]\nnetwork = "true"\n')
    assert errors_of(path) == [
        f"{path}:1:1: error: models: Input should be a table (got 3)",
        f'{path}:3:1: error: sandbox.network: Input should be a valid boolean (got "true")',
    ]


def test_date_value_and_bad_category_key(write: Write) -> None:
    path = write(".modelroute.toml", "run.max_turns = 1979-05-27\n[models.strengths.gpt-5]\ndebuging = 3\n")
    got = errors_of(path)
    assert got[0] == f'{path}:1:5: error: run.max_turns: Input should be a valid integer (got "1979-05-27")'
    assert got[1].startswith(f'{path}:3:1: error: models.strengths.gpt-5.debuging: invalid key "debuging"')
    assert got[1].endswith("did you mean 'debugging'?")


def test_missing_required_key_points_at_table(write: Write) -> None:
    path = write(".modelroute.toml", "[models.add.my-model]\ncontext_window = 8000\n")
    assert errors_of(path) == [
        f"{path}:1:13: error: models.add.my-model.provider: required key 'provider' is missing"
    ]


def test_syntax_error_names_and_shows_line(write: Write) -> None:
    path = write(".modelroute.toml", "[budget]\n\ndaily_usd = lots\n")
    (error,) = resolve_settings(user_file=None, workspace_file=path, client=None).errors
    assert (error.line, error.column, error.key) == (3, 13, "")
    assert error.format() == (
        f"{path}:3:13: error: TOML syntax: Invalid value\n 3 | daily_usd = lots\n   |             ^"
    )


def test_syntax_error_at_end_of_document(write: Write) -> None:
    path = write(".modelroute.toml", 'objective = "cost"\nx = [1,')
    (error,) = resolve_settings(user_file=None, workspace_file=path, client=None).errors
    assert error.line == 2 and error.syntax
    assert error.format().splitlines()[1] == " 2 | x = [1,"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / ".modelroute.toml"
    path.write_bytes(b'objective = "cost"\nx = "\xff"\n')
    (error,) = resolve_settings(user_file=None, workspace_file=path, client=None).errors
    assert (error.line, error.column) == (2, 6)
    assert "not valid UTF-8" in error.message


def test_unreadable_path_is_an_error_without_position(tmp_path: Path) -> None:
    (tmp_path / ".modelroute.toml").mkdir()
    (error,) = resolve_settings(
        user_file=None, workspace_file=tmp_path / ".modelroute.toml", client=None
    ).errors
    assert error.line is None and "cannot read" in error.message
    assert error.format().startswith(f"{tmp_path / '.modelroute.toml'}: error: cannot read settings file")


def test_client_errors_have_no_position() -> None:
    resolved = resolve_settings(user_file=None, workspace_file=None, client={"budget": {"daily_usd": "x"}})
    assert [e.format() for e in resolved.errors] == [
        "workspace/configuration (modelroute): error: budget.daily_usd: "
        'Input should be a valid number (got "x")'
    ]


def test_multiline_strings_do_not_confuse_positions(write: Write) -> None:
    text = 'objective = """\n[sandbox]\nmode = "x"\n"""\n[models]\nallow = \'\'\'a\'\'\'\n'
    path = write(".modelroute.toml", text)
    assert errors_of(path) == [
        f"{path}:1:1: error: objective: Input should be 'quality', 'balanced' or 'cost' "
        '(got "[sandbox]\\nmode = \\"x\\"\\n")',
        f'{path}:6:1: error: models.allow: Input should be an array (got "a")',
    ]
