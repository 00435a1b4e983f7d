"""Plans and split instructions in the core: the real SDKs against the fake provider, the real ledger,
a scripted editor. A planner's three-step plan, edited by the user before anything runs, each step
routed and run on top of the steps before it; an instruction holding two tasks run as two steps; a
plan that stops at the first step that fails, saying what remains; a plan whose steps do not fit
the budget, refused before any step runs."""

from __future__ import annotations

from modelroute.run.editor import Markdown
from modelroute.run.flow import run_action
from modelroute_testing.fakeprovider.script import Reply, fault
from tests.run.helpers import HAIKU, STORE, Bench
from tests.run.scenarios import call, edit, plan_answer

STEPS = [
    {"title": "Type the loader", "instruction": "Add type hints to load in app/store.py.",
     "files": ["app/store.py"], "kind": "quick_edit"},
    {"title": "Document total", "instruction": "Add a docstring to total in app/store.py.",
     "files": ["app/store.py"], "kind": "quick_edit"},
    {"title": "Describe the module", "instruction": "Add a module docstring to app/store.py.",
     "files": ["app/store.py"], "kind": "quick_edit"},
]
HINTS = edit("def load(path):", "def load(path: str) -> object:", "app/store.py")
DOCSTRING = edit("def total(items):\n", 'def total(items):\n    """The sum of the prices."""\n', "app/store.py")
MODULE_DOC = edit("import json\n", '"""Store helpers."""\nimport json\n', "app/store.py")
TASK = "Tidy app/store.py: type the loader, document total and the module"
TWO_TASKS = "Add type hints to load in app/store.py. Also add a docstring to total in app/store.py."


def requests(bench: Bench) -> list[str]:
    return [r.raw_without_auth() for r in bench.fake.model_requests()]


def reworded(document: Markdown) -> str:
    """The user rewords step 3 before anything runs."""
    return document.text.replace("Add a module docstring to app/store.py.",
                                 "Add a one-line module docstring saying Store helpers.")


async def test_a_three_step_plan_edited_by_the_user_runs_step_by_step(bench: Bench) -> None:
    bench.fake.queue(plan_answer(STEPS), *HINTS, *DOCSTRING, *MODULE_DOC)
    bench.editor.edit = reworded
    report = await run_action(bench.session, bench.editor, bench.action(instruction=TASK), strategy="plan",
                              models=[HAIKU])
    contract = report.contract()
    assert contract["outcome"] == "done" and contract["strategy"] == "plan", contract["message"]
    [document] = bench.editor.edited
    for n, step in enumerate(STEPS, 1):
        assert f"## {n}. {step['title']}" in document.text
    assert document.text.count("<!-- quick edit: ") == 3  # each step priced as it will run
    sent = requests(bench)
    assert "Write a plan for the task below" in sent[0]
    assert "one-line module docstring saying Store helpers" in sent[-2]  # the user's wording reached step 3
    assert "def load(path: str) -> object:" in sent[3]  # step 2 starts from step 1's result
    assert [s["conclusion"] for s in contract["steps"]] == ["done", "done", "done"]
    [change] = contract["changes"]  # the three steps as one change set, from the file on disk
    for added in ("+def load(path: str) -> object:", '+    """The sum of the prices."""', '+"""Store helpers."""'):
        assert added in change["diff"]
    assert contract["remaining"] == [] and contract["planner"] == HAIKU
    assert [r["outcome"] for r in bench.rows()] == ["answered", "applied", "applied", "applied"]
    assert (bench.root / "app" / "store.py").read_text() == STORE


async def test_a_cancelled_plan_runs_no_step(bench: Bench) -> None:
    bench.fake.queue(plan_answer(STEPS))
    bench.editor.edit = lambda document: None
    report = await run_action(bench.session, bench.editor, bench.action(instruction=TASK), strategy="plan",
                              models=[HAIKU])
    assert report.conclusion == "refused" and len(bench.fake.model_requests()) == 1
    assert [r["outcome"] for r in bench.rows()] == ["answered"]


async def test_a_plan_stops_at_the_first_failed_step_and_says_what_remains(bench: Bench) -> None:
    bench.fake.queue(plan_answer(STEPS), *HINTS, fault("malformed"))
    report = await run_action(bench.session, bench.editor, bench.action(instruction=TASK), strategy="plan",
                              models=[HAIKU])
    contract = report.contract()
    assert contract["outcome"] == "error"
    assert [s["conclusion"] for s in contract["steps"]] == ["done", "error"]
    assert contract["remaining"] == ["2. Document total", "3. Describe the module"]
    assert "step 2 (Document total) ended with an error" in bench.editor.messages("warning")[-1]
    assert "+def load(path: str) -> object:" in contract["changes"][0]["diff"]  # step 1 is kept


async def test_a_planner_answer_without_a_plan_is_a_clear_error(bench: Bench) -> None:
    bench.fake.queue(Reply(text="I would rather not plan."))
    report = await run_action(bench.session, bench.editor, bench.action(instruction=TASK), strategy="plan",
                              models=[HAIKU])
    assert report.conclusion == "error" and "holds no usable plan" in bench.editor.messages("error")[-1]
    assert not bench.editor.edited and [r["outcome"] for r in bench.rows()] == ["rejected"]


async def test_an_instruction_holding_two_tasks_runs_as_two_steps(bench: Bench) -> None:
    bench.fake.queue(*HINTS, *DOCSTRING)
    report = await run_action(bench.session, bench.editor, bench.action(instruction=TWO_TASKS))
    contract = report.contract()
    assert contract["strategy"] == "plan" and contract["planner"] is None and contract["outcome"] == "done"
    assert [s["title"] for s in contract["steps"]] == ["Add type hints to load in app/store.py.",
                                                       "add a docstring to total in app/store.py."]
    first, second = requests(bench)[0], requests(bench)[2]
    assert "Add type hints to load" in first and "docstring to total" not in first.split("Where:")[0]
    assert "docstring to total" in second and "def load(path: str) -> object:" in second
    assert "holds 2 tasks" in bench.editor.messages("info")[0]
    assert len(bench.editor.offers) == 2 and (bench.root / "app" / "store.py").read_text() == STORE


async def test_steps_that_do_not_fit_the_budget_together_are_refused_before_any_runs(bench: Bench) -> None:
    action = bench.action(instruction=TWO_TASKS)
    one = bench.action(instruction="Add type hints to load in app/store.py.").routed.decision.cost
    # Room for one step at its maximum (so each is routed), not for both.
    bench.user_file.write_text(bench.user_toml + f"\n[budget]\ndaily_usd = {one.high_usd * 1.5}\n")
    bench.engine.reload_settings()
    report = await run_action(bench.session, bench.editor, action)
    assert report.conclusion == "refused" and not bench.fake.model_requests() and not bench.rows()
    message = bench.editor.messages("error")[-1]
    assert "the 2 steps could cost up to" in message and "Would fit: the first 1 step(s)" in message


async def test_a_step_no_model_can_run_is_refused_before_any_runs(bench: Bench) -> None:
    action = bench.action(instruction=TWO_TASKS)
    bench.user_file.write_text(bench.user_toml + "\n[budget]\ndaily_usd = 0.000001\n")
    bench.engine.reload_settings()
    report = await run_action(bench.session, bench.editor, action)
    assert report.conclusion == "refused" and not bench.fake.model_requests() and not bench.rows()
    assert "step 1 (Add type hints to load in app/store.py.) cannot run" in bench.editor.messages("error")[-1]


async def test_a_step_reads_the_files_the_steps_before_it_changed(bench: Bench) -> None:
    bench.fake.queue(
        *HINTS,
        Reply(tool_calls=[call("read_file", path="app/store.py")]),
        *DOCSTRING,
    )
    await run_action(bench.session, bench.editor, bench.action(instruction=TWO_TASKS))
    read = requests(bench)[3]  # the second step's read_file result
    assert "def load(path: str) -> object:" in read
