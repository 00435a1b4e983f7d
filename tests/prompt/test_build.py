"""The request a run would send: what it includes, withholds and redacts."""

from __future__ import annotations

from modelroute.categories import Category
from modelroute.context.model import ActionContext, Diagnostic, GitState, Position, Range, RelatedFile
from modelroute.policy.schema import PrivacySettings
from modelroute.prompt import build_request

TEXT = "\n".join(f"line {i}" for i in range(1000))


def ctx(**kw: object) -> ActionContext:
    base: dict[str, object] = dict(workspace="/ws", file="src/app.py", language="python",
                                   instruction="fix it", file_text="def f():\n    return 1\n",
                                   file_line_count=2)
    base.update(kw)
    return ActionContext.model_validate(base)


def test_small_file_goes_in_whole_with_line_numbers() -> None:
    req = build_request(ctx(), Category.QUICK_EDIT, "m", PrivacySettings())
    user = req.messages[0].content
    assert "1| def f():" in user and "2|     return 1" in user
    assert req.included[0].path == "src/app.py" and req.included[0].start_line == 0
    assert [t.name for t in req.tools] == ["read_file", "propose_edit"]


def test_big_file_is_a_window_around_the_cursor() -> None:
    req = build_request(ctx(file_text=TEXT, file_line_count=1000, cursor=Position(line=500, character=0)),
                        Category.QUICK_EDIT, "m", PrivacySettings())
    span = req.included[0]
    assert span.start_line == 350 and span.end_line == 650
    assert "line 500" in req.messages[0].content and "line 100\n" not in req.messages[0].content


def test_review_includes_the_diff_and_no_edit_tool() -> None:
    git = GitState(is_repo=True, changed_files=("src/app.py",), diff="+password check removed\n")
    req = build_request(ctx(git=git), Category.CODE_REVIEW, "m", PrivacySettings())
    assert "git diff HEAD" in req.messages[0].content and "+password check removed" in req.messages[0].content
    assert "propose_edit" not in [t.name for t in req.tools]


def test_diagnostics_are_listed() -> None:
    d = Diagnostic(range=Range(start=Position(line=1, character=0), end=Position(line=1, character=5)),
                   message="AssertionError: boom", severity=1, source="pytest")
    req = build_request(ctx(diagnostics=(d,)), Category.DEBUGGING, "m", PrivacySettings())
    assert "line 2: error [pytest]: AssertionError: boom" in req.messages[0].content


def test_excluded_file_is_withheld() -> None:
    req = build_request(ctx(file=".env", file_text="API=1"), Category.EXPLAIN, "m", PrivacySettings())
    assert "API=1" not in req.messages[0].content
    assert req.withheld and "privacy.exclude" in req.withheld[0]
    assert not req.included


def test_local_only_file_only_for_local_models() -> None:
    privacy = PrivacySettings(local_only=["src/**"])
    remote = build_request(ctx(), Category.QUICK_EDIT, "m", privacy)
    local = build_request(ctx(), Category.QUICK_EDIT, "m", privacy, model_is_local=True)
    assert "return 1" not in remote.messages[0].content and remote.withheld
    assert "return 1" in local.messages[0].content and not local.withheld


def test_secrets_are_redacted_and_counted() -> None:
    text = 'KEY = "AKIAIOSFODNN7EXAMPLE"\nprint(1)\n'
    req = build_request(ctx(file_text=text), Category.EXPLAIN, "m", PrivacySettings())
    assert "AKIAIOSFODNN7EXAMPLE" not in req.messages[0].content
    assert "[REDACTED:aws-access-key]" in req.messages[0].content and req.redactions == 1


def test_refactor_lists_referencing_files_but_not_excluded_ones() -> None:
    related = (RelatedFile(path="src/a.py", size_bytes=100, reason="ref"),
               RelatedFile(path="secrets/b.py", size_bytes=100, reason="ref"))
    req = build_request(ctx(related=related), Category.MULTI_FILE_REFACTOR, "m", PrivacySettings())
    assert req.expected_reads == ("src/a.py",)
    assert "- src/a.py" in req.messages[0].content and "secrets/b.py" not in req.messages[0].content


def test_review_diff_drops_withheld_files() -> None:
    diff = ("diff --git a/src/app.py b/src/app.py\n+ok line\n"
            "diff --git a/.env b/.env\n+API_KEY=hunter2hunter2\n"
            "diff --git a/internal/x.py b/internal/x.py\n+internal code\n")
    git = GitState(is_repo=True, changed_files=("src/app.py", ".env", "internal/x.py"), diff=diff)
    req = build_request(ctx(git=git), Category.CODE_REVIEW, "m", PrivacySettings(local_only=["internal/**"]))
    user = req.messages[0].content
    assert "+ok line" in user and "hunter2" not in user and "internal code" not in user
    assert any(w.startswith(".env: privacy.exclude") for w in req.withheld)
    assert any(w.startswith("internal/x.py: privacy.local_only") for w in req.withheld)
