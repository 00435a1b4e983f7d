"""How long texts are weighed: issue titles, terminal task scaffolds, late asides."""

from __future__ import annotations

from modelroute.categories import Category
from modelroute.classify import classify_text
from modelroute.classify.long_text import is_task_scaffold, position_factor, title_symptom
from tests.classify.heldout import load_set

_BODY = "\n\n" + "Some context about the setup and what we tried so far, with versions. " * 12


def test_a_declarative_issue_title_is_a_symptom() -> None:
    assert title_symptom("zz drops the authorization header on redirect" + _BODY, 900)
    assert title_symptom("add a max_length argument to zz" + _BODY, 900) is None
    assert title_symptom("why does zz return none?" + _BODY, 900) is None
    assert title_symptom("zz drops the header" + _BODY, 300) is None  # short texts: every sentence counts


def test_a_task_with_paths_and_a_grader_is_a_scaffold() -> None:
    task = ("write the report to /app/report.csv from the logs in /data/logs. the tests will run your script "
            "and compare the output. " * 4)
    assert is_task_scaffold(task, task)
    prose = "we moved the helpers into a package and updated the imports across the services. " * 6
    assert not is_task_scaffold(prose, prose)


def test_late_intent_in_a_long_text_counts_less() -> None:
    assert position_factor(2000, 100) == 1.0
    assert position_factor(2000, 1500) < 1.0
    assert position_factor(400, 350) == 1.0


def _blind6(prefix: str) -> str:
    return str(next(r["text"] for r in load_set("blind6") if r["text"].startswith(prefix)))


def test_hedged_issue_with_symptom_title_stays_debugging() -> None:
    result = classify_text(_blind6("Session.send drops the Authorization header"))
    assert result.label is Category.DEBUGGING
    assert any("issue title" in r for r in result.reasons)


def test_terminal_program_task_is_shell_not_debugging() -> None:
    result = classify_text(_blind6("Write a C program at `/app/wc_fast.c`"))
    assert result.label is Category.SHELL_AUTOMATION
    assert any("terminal task statement" in r for r in result.reasons)


def test_model_reason_names_the_label() -> None:
    reasons = " ".join(classify_text("please tidy up this function a bit").reasons)
    assert "<built-in" not in reasons
