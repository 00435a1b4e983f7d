"""The change set contract shared by the run core, the sandbox overlay and every front end."""

from __future__ import annotations

from modelroute.changeset import Change, ChangeSet, Flag, Refusal


def test_diff_of_a_modification_is_a_unified_diff() -> None:
    change = Change(path="src/a.py", kind="modified", original="x = 1\ny = 2\n", new="x = 1\ny = 3\n")
    diff = change.diff()
    assert diff.startswith("--- a/src/a.py\n+++ b/src/a.py\n")
    assert "-y = 2\n+y = 3\n" in diff


def test_created_and_deleted_files_diff_against_dev_null() -> None:
    created = Change(path="new.txt", kind="created", new="hello")
    deleted = Change(path="old.txt", kind="deleted", original="bye\n")
    assert created.diff().startswith("--- /dev/null\n+++ b/new.txt\n")
    assert "+hello\n\\ No newline at end of file\n" in created.diff()
    assert deleted.diff().startswith("--- a/old.txt\n+++ /dev/null\n")


def test_binary_change_is_summarised_not_diffed() -> None:
    change = Change(path="logo.png", kind="created", binary=True, size=812)
    assert change.diff() == "Binary file logo.png created (812 bytes)"


def test_summary_names_refused_flagged_and_left_out() -> None:
    cs = ChangeSet(
        changes=(Change(path="a", kind="modified", original="1", new="2"), Change(path="b", kind="created", new="")),
        refused=(Refusal(path=".git/hooks/pre-commit", reason="under .git"),),
        flagged=(Flag(path="tests/test_a.py", reason="a test changed during a fix"),),
        left_out=("__pycache__/a.cpython-311.pyc",),
    )
    assert cs.summary() == "1 modified, 1 created, 1 refused, 1 flagged, 1 left out"
    assert cs.paths() == ["a", "b"]
    assert not cs.empty
    assert ChangeSet().summary() == "no changes"
