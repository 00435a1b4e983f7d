"""Plans: the planner's answer parsed, the document the user edits, read back, and the step order."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelroute.categories import Category
from modelroute.strategy.plan import (
    MAX_STEPS,
    NextStep,
    Plan,
    PlanError,
    PlanStep,
    PlanStopped,
    StepResult,
    next_step,
    parse_plan,
    parse_plan_document,
    planner_request,
    render_plan,
)

TASK = "Split the billing module by concern and add retries to the Stripe client"
STEPS = [
    {"title": "Extract the Stripe client",
     "instruction": "Move the Stripe calls from billing/core.py into billing/stripe_client.py; keep the public "
                    "functions in core.py delegating to it.",
     "files": ["billing/core.py", "billing/stripe_client.py"], "kind": "multi_file_refactor"},
    {"title": "Add retries",
     "instruction": "Retry Stripe calls on 429 and 5xx with exponential backoff (3 tries, 0.5 s base) in "
                    "billing/stripe_client.py.",
     "files": ["billing/stripe_client.py"], "kind": "quick edit"},
    {"title": "Test the backoff", "instruction": "Add tests for the retry schedule in tests/test_stripe_client.py.",
     "files": "tests/test_stripe_client.py", "kind": "debugging"},
]
ANSWER = "Here is the plan.\n\n```json\n" + json.dumps({"steps": STEPS}, indent=2) + "\n```\n"


def test_the_planners_json_answer_is_parsed() -> None:
    plan = parse_plan(ANSWER, TASK)
    assert plan.task == TASK and len(plan.steps) == 3
    first, second, third = plan.steps
    assert first.kind is Category.MULTI_FILE_REFACTOR and first.files == ("billing/core.py", "billing/stripe_client.py")
    assert second.kind is Category.QUICK_EDIT and third.files == ("tests/test_stripe_client.py",)


def test_bare_json_and_missing_fields_are_tolerated() -> None:
    plan = parse_plan('{"steps": [{"instruction": "Fix the typo in README.md. Nothing else."}, '
                      '{"title": "Bump the version", "kind": null}]}', "task")
    assert plan.steps[0].title == "Fix the typo in README.md." and plan.steps[0].kind is None
    assert plan.steps[1].instruction == "Bump the version"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("I think we should refactor it carefully.", "holds no plan"),
        ('{"steps": []}', "no steps"),
        ('{"steps": [{"title": "x", "kind": "refactoring"}]}', "unknown kind 'refactoring'"),
        ('{"steps": [{"title": "x", "kind": "debuging"}]}', "did you mean debugging"),
        ('{"steps": ["just a string"]}', "step 1: expected an object"),
        ('{"steps": [{"files": ["a.py"]}]}', "neither a title nor an instruction"),
        ('{"steps": [' + ", ".join(['{"title": "s"}'] * (MAX_STEPS + 1)) + "]}", f"at most {MAX_STEPS}"),
    ],
)
def test_a_bad_plan_gives_a_clear_error(answer: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        parse_plan(answer, "task")


def test_the_planner_is_asked_for_json_with_the_seven_kinds() -> None:
    request = planner_request(TASK)
    assert TASK in request and '"steps"' in request
    assert all(c.value in request for c in Category)


def test_the_document_shows_the_task_steps_kinds_files_and_prices() -> None:
    plan = parse_plan(ANSWER, TASK)
    doc = render_plan(plan, prices=["Cascade M2.5 -> Opus 4.6 · ~$0.09", "Haiku 4.5 · ~$0.01"])
    assert doc.startswith("# Plan\n\n> Split the billing module")
    assert "## 1. Extract the Stripe client\nkind: multi_file_refactor\nfiles: `billing/core.py`, " in doc
    assert "<!-- Cascade M2.5 -> Opus 4.6 · ~$0.09 -->" in doc
    assert parse_plan_document(doc) == plan


def test_the_user_may_delete_reorder_reword_and_change_kinds() -> None:
    doc = render_plan(parse_plan(ANSWER, TASK))
    first, second, third = doc.split("\n## ")[1:]
    head = doc.split("\n## ")[0]
    reworded = third.replace("Test the backoff", "Cover the backoff with tests")
    reworded = reworded.replace("kind: debugging", "kind: quick_edit")
    edited = head + "\n## " + reworded + "\n## " + first.replace("1. ", "", 1)
    plan = parse_plan_document(edited)
    assert [s.title for s in plan.steps] == ["Cover the backoff with tests", "Extract the Stripe client"]
    assert plan.steps[0].kind is Category.QUICK_EDIT and plan.task == TASK
    assert "Add retries" not in edited and second  # the user deleted the second step


def test_a_hand_written_plan_document_is_read_leniently() -> None:
    doc = """# My plan

## Step 1: Rename the config loader
- **Kind:** multi-file refactor
- **Files:** app/config.py, app/cli.py

Rename `load_cfg` to `load_config` everywhere.

## Explain the cache
Why does the cache key include the user id?
"""
    plan = parse_plan_document(doc)
    assert plan.steps[0] == PlanStep(title="Rename the config loader", kind=Category.MULTI_FILE_REFACTOR,
                                     files=("app/config.py", "app/cli.py"),
                                     instruction="Rename `load_cfg` to `load_config` everywhere.")
    assert plan.steps[1].kind is None and plan.steps[1].instruction.startswith("Why does")


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("# Plan\n\nnothing here\n", "no steps"),
        ("## Fix it\nkind: debuging\n\nFix the crash.\n", r"step 1 \(Fix it\): unknown kind 'debuging' \(did you mean"),
        ("## \n\n", "neither a title nor an instruction"),
    ],
)
def test_a_broken_document_names_the_step(doc: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        parse_plan_document(doc)


def test_an_answer_in_the_document_format_is_accepted() -> None:
    plan = parse_plan("Sure!\n\n## 1. Add the flag\nkind: quick_edit\n\nAdd --dry-run to deploy.sh.\n", "task")
    assert plan.steps[0].title == "Add the flag" and plan.task == "task"


def test_steps_run_in_order_and_stop_at_the_first_that_does_not_finish() -> None:
    plan = parse_plan(ANSWER, TASK)
    first = next_step(plan, [])
    assert isinstance(first, NextStep) and first.index == 0
    second = next_step(plan, [StepResult(conclusion="done")])
    assert isinstance(second, NextStep) and second.step.title == "Add retries"
    stopped = next_step(plan, [StepResult(conclusion="done"), StepResult(conclusion="verification_failed")])
    assert isinstance(stopped, PlanStopped) and stopped.stopped_at == 1 and len(stopped.remaining) == 2
    assert stopped.reason == "step 2 (Add retries) failed its check; 2 step(s) not done"
    finished = next_step(plan, [StepResult(conclusion="done")] * 3)
    assert isinstance(finished, PlanStopped) and finished.stopped_at is None and finished.completed == 3


text_line = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
# An instruction has text and no blank lines around it (the document cannot hold those).
instructions = st.lists(text_line, min_size=1, max_size=6).map("\n".join).filter(
    lambda s: s.strip() and s.split("\n")[0].strip() and s.split("\n")[-1].strip())
titles = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=50).map(
    lambda s: " ".join(s.split())).filter(bool)
paths = st.from_regex(r"[a-z][a-z0-9_/.\-]{0,20}", fullmatch=True).filter(lambda p: ".." not in p.split("/"))
steps = st.builds(PlanStep, title=titles, instruction=instructions, files=st.lists(paths, max_size=3).map(tuple),
                  kind=st.one_of(st.none(), st.sampled_from(list(Category))))
plans = st.builds(Plan, task=instructions, steps=st.lists(steps, min_size=1, max_size=5).map(tuple))


@settings(max_examples=150, deadline=None)
@given(plans)
def test_rendering_and_reading_back_never_loses_text(plan: Plan) -> None:
    assert parse_plan_document(render_plan(plan)) == plan


@pytest.mark.parametrize("path", ["/etc/passwd", "../secrets.env", "src/../../x", "~/.ssh/id_rsa", "C:/Windows/x"])
def test_a_plan_may_not_point_outside_the_workspace(path: str) -> None:
    with pytest.raises(PlanError, match="not a path inside the workspace"):
        parse_plan('{"steps": [{"title": "Read it", "files": ["' + path + '"]}]}', "task")
    with pytest.raises(PlanError, match="not a path inside the workspace"):
        parse_plan_document(f"## Read it\nfiles: `{path}`\n\nRead the file.\n")
