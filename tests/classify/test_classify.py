"""Behaviour of classify on contexts: never raises, context decides vague instructions, reasons."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from modelroute.categories import Category
from modelroute.classify import Classification, classify, classify_text
from modelroute.context.model import (
    ActionContext,
    Diagnostic,
    GitState,
    NotebookCell,
    NotebookContext,
    Position,
    Range,
    SymbolInfo,
)


def _ctx(instruction: str, file: str = "src/app.py", language: str = "python", **kw: object) -> ActionContext:
    return ActionContext(workspace="/ws", file=file, language=language, instruction=instruction, **kw)


def _error(line: int = 3) -> Diagnostic:
    rng = Range(start=Position(line=line, character=0), end=Position(line=line, character=10))
    return Diagnostic(range=rng, message="NameError: name 'x' is not defined", severity=1, source="pyright")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3000))
def test_never_raises_on_any_text(text: str) -> None:
    c = classify(_ctx(text))
    assert c.label in Category and 0.0 <= c.confidence <= 1.0 and len(c.scores) == 7 and c.reasons


def test_degenerate_inputs() -> None:
    for text in ("", " ", "\x00\x01\xff" * 500, "🙂" * 1000, "a" * 200_000, "?" * 10,
                 "Traceback (most recent call last)\n" * 5000, bytes(range(256)).decode("latin-1") * 300):
        c = classify(_ctx(text))
        assert c.label in Category and c.reasons


def _decided_or_offered(c: Classification, want: Category) -> bool:
    """The context's label wins, or is the close runner-up the code actions offer beside it."""
    return c.label is want or (c.close and c.runner_up is want)


def test_vague_instruction_follows_context() -> None:
    assert classify(_ctx("make this work", diagnostics=(_error(),))).label is Category.DEBUGGING
    sel = Range(start=Position(line=2, character=0), end=Position(line=8, character=0))
    assert classify(_ctx("clean this up", selection=sel)).label is Category.QUICK_EDIT
    docker = classify(_ctx("make this work", file="Dockerfile", language="dockerfile"))
    plain = classify(_ctx("make this work"))
    assert docker.runner_up is Category.SHELL_AUTOMATION or docker.label is Category.SHELL_AUTOMATION
    def odds(c: Classification) -> float:  # the context adds log-odds, so it multiplies the odds
        p = c.scores[Category.SHELL_AUTOMATION]
        return p / (1 - p)

    assert odds(docker) > 5 * odds(plain)


def test_context_does_not_override_a_clear_instruction() -> None:
    ctx = _ctx("Add a docstring to this function", diagnostics=(_error(),))
    assert classify(ctx).label is Category.QUICK_EDIT
    ctx = _ctx("What does this regex match?", file="Makefile", language="makefile")
    assert classify(ctx).label is Category.EXPLAIN


def test_diff_and_review_wording_is_code_review() -> None:
    git = GitState(is_repo=True, changed_files=("src/app.py",), file_changed=True, lines_added=12,
                   lines_removed=3, diff="+x = 1\n")
    c = classify(_ctx("anything I missed here? there might be a bug", git=git))
    assert c.label is Category.CODE_REVIEW
    assert any("uncommitted changes" in r for r in c.reasons)


def test_symbol_used_in_many_files_supports_refactor() -> None:
    ctx = _ctx("rename this to fetch_account", symbol=SymbolInfo(name="get_user", reference_files=7))
    c = classify(ctx)
    assert c.label is Category.MULTI_FILE_REFACTOR
    assert any("7 other files" in r for r in c.reasons)


def test_ask_directive_leans_explain_unless_review_or_debug() -> None:
    asked, plain = classify(_ctx("the retry loop", directive="ask")), classify(_ctx("the retry loop"))
    assert asked.scores[Category.EXPLAIN] > 2 * plain.scores[Category.EXPLAIN]
    assert classify(_ctx("what does the retry loop do", directive="ask")).label is Category.EXPLAIN
    assert classify(_ctx("review the retry loop", directive="ask")).label is Category.CODE_REVIEW


def test_notebook_plot_is_quick_edit_and_traceback_is_debugging() -> None:
    cells = (NotebookCell(kind="code", language="python", text="df = load()"),
             NotebookCell(kind="code", language="python", text="m = a.merge(b, on='id')",
                          outputs="KeyError: 'id'", has_error=True))
    nb = NotebookContext(cells=cells, active_cell=1)
    plot = _ctx("plot revenue by month", file="analysis.ipynb", language="python",
                notebook=NotebookContext(cells=cells[:1], active_cell=0))
    assert classify(plot).label is Category.QUICK_EDIT
    assert _decided_or_offered(classify(_ctx("make this work", file="analysis.ipynb", notebook=nb)),
                               Category.DEBUGGING)
    clean = NotebookContext(cells=(cells[0], cells[1].model_copy(update={"outputs": "", "has_error": False})),
                            active_cell=1)
    why = "why is this merge dropping rows"
    assert classify(_ctx(why, file="analysis.ipynb", notebook=nb)).scores[Category.DEBUGGING] > \
        classify(_ctx(why, file="analysis.ipynb", notebook=clean)).scores[Category.DEBUGGING]


def test_empty_instruction_with_selection_is_explain() -> None:
    sel = Range(start=Position(line=2, character=0), end=Position(line=8, character=0))
    assert classify(_ctx("", selection=sel)).label is Category.EXPLAIN


def test_long_bug_report_mentioning_refactor_is_debugging() -> None:
    text = ("After the refactor in #812 the exporter crashes on empty input.\n\n**Expected behavior**\n"
            "No crash.\n\n**Actual behavior**\n```\nTraceback (most recent call last):\n"
            "  File \"x.py\", line 3, in <module>\nIndexError: list index out of range\n```\n"
            "Version: 3.2.1\n" + "log line\n" * 2000)
    assert classify_text(text).label is Category.DEBUGGING


def test_reasons_name_signals_and_confidence_tracks_evidence() -> None:
    strong = classify_text("Review this PR for security issues; don't change anything, just list them")
    weak = classify_text("the retry loop")
    assert strong.label is Category.CODE_REVIEW
    assert any("review" in r for r in strong.reasons)
    assert strong.confidence > weak.confidence
    assert strong.runner_up is not None and strong.runner_up is not strong.label
    assert strong.runner_up_confidence <= strong.confidence


def test_deterministic() -> None:
    text = "Set up nginx as a reverse proxy and write a cron job to renew the certificate"
    assert classify_text(text) == classify_text(text)


def test_pasted_code_and_logs_are_evidence_not_intent() -> None:
    # The log inside the fence says "exit code" and "start server"; the request is about a failure.
    text = ("The importer stopped working after the upgrade.\n\n```\n$ start server --workers 4\n"
            "error: exit code 3\n  File \"imp.py\", line 9, in load\nValueError: bad row\n```\n")
    c = classify_text(text)
    assert c.label is Category.DEBUGGING
    assert any("failure" in r or "stack trace" in r for r in c.reasons), c.reasons
    assert not any("server" in r or "exit code" in r for r in c.reasons), c.reasons


def test_quoted_strings_do_not_carry_intent() -> None:
    text = 'Find the commit with the message "review the rate limiter" and cherry-pick it onto main'
    assert classify_text(text).label is Category.SHELL_AUTOMATION


def test_template_headings_are_not_questions() -> None:
    text = ("**Is your feature request related to a problem? Please describe.**\nAdmins cannot see usage.\n\n"
            "**Describe the solution you'd like**\nA new Usage page with a chart, a table and an export button.")
    assert classify_text(text).label is Category.UI_GREENFIELD


def test_why_question_about_own_failure_is_debugging_but_concept_is_explain() -> None:
    assert classify_text("Why does my Go service return 502 behind the load balancer?").label \
        is Category.DEBUGGING
    assert classify_text("Why does Go have no exceptions?").label is Category.EXPLAIN


def test_yes_no_question_about_this_code_is_review() -> None:
    assert classify_text("Does this cache invalidate correctly when two writers race?").label \
        is Category.CODE_REVIEW
    assert classify_text("Is it possible to overload operators in Java?").label is Category.EXPLAIN


def test_do_not_modify_is_a_constraint_on_a_task() -> None:
    text = "Install the missing system packages so the test suite runs. Do not modify any source files."
    assert classify_text(text).label is Category.SHELL_AUTOMATION
    assert classify_text("Look at this function but don't change anything").label is Category.CODE_REVIEW


def test_edit_to_an_existing_ui_element_is_quick_edit() -> None:
    assert classify_text("change the label of the submit button to Send").label is Category.QUICK_EDIT
    assert classify_text("Build a recipe app with a search bar and a submit button").label \
        is Category.UI_GREENFIELD


def test_probabilities_are_calibrated_shape_and_runner_up_is_second() -> None:
    c = classify_text("Rename UserService to AccountService in every file that imports it")
    assert c.label is Category.MULTI_FILE_REFACTOR
    assert abs(sum(c.scores.values()) - 1.0) < 1e-3 and c.confidence == max(c.scores.values())
    second = sorted(c.scores.values(), reverse=True)[1]
    assert c.runner_up is not None and c.runner_up_confidence == second


def test_reasons_name_the_features_the_weights_favour() -> None:
    c = classify_text("Rename UserService to AccountService in every file that imports it")
    assert any("every" in r for r in c.reasons), c.reasons  # the cross-file scope carried it
    c = classify_text("Traceback (most recent call last):\n  File \"a.py\", line 3\nKeyError: 'id'\nfix please")
    assert any("stack trace" in r for r in c.reasons), c.reasons


def test_a_close_call_is_flagged_with_the_runner_up_first_in_the_reasons() -> None:
    for text in ("port this module to Rust", "the retry loop", "tests", "improve the logging"):
        c = classify_text(text)
        if c.close or c.confidence < 0.5:
            assert c.reasons[0].startswith("unsure (") and c.runner_up is not None
            assert c.runner_up.words in c.reasons[0]
        else:
            assert not c.reasons[0].startswith("unsure")


def test_close_means_the_runner_up_is_likely_too() -> None:
    for text in ("port this module to Rust", "the retry loop", "make it faster", "update the config"):
        c = classify_text(text)
        # at half the winner or more, and likely in itself or beside an unsure winner
        likely = c.runner_up_confidence >= 0.2 or c.confidence < 0.5
        assert c.close == (c.runner_up_confidence >= 0.5 * c.confidence and likely)
