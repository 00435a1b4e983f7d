"""A pasted failure that is the subject, not the request: environment failures, questions asked to
understand an error, and requests to change how an error is reported."""

from __future__ import annotations

from modelroute.categories import Category
from modelroute.classify import classify_text

TRACE = ("```\nTraceback (most recent call last):\n  File \"/srv/app/main.py\", line 8, in <module>\n"
         "    settings = load()\nKeyError: 'SENTRY_DSN'\n```\n")


def test_environment_failure_with_the_setup_named_is_shell() -> None:
    text = ("The build broke after we switched base images:\n\n```\nStep 5/9 : RUN pip install -r requirements.txt\n"
            "error: command 'gcc' failed: No such file or directory\n```\n\nThe Python code did not change. "
            "Please update the Dockerfile so the image builds again.")
    got = classify_text(text)
    assert got.label is Category.SHELL_AUTOMATION
    assert any("environment" in r for r in got.reasons)


def test_same_error_with_a_code_fix_asked_stays_debugging() -> None:
    text = ("Our worker logs `ConnectionError: Error 111 connecting to localhost:6379. Connection refused.` and "
            "then drops the job. Redis is fine; the bug is in our worker code, which never retries. "
            "Please fix the worker so it reconnects.")
    assert classify_text(text).label is Category.DEBUGGING


def test_question_to_understand_an_error_is_explain() -> None:
    text = (f"{TRACE}\nI'm not asking anyone to fix this, we know the variable was missing. I want to "
            "understand what the traceback shows: why is the KeyError raised there and not at import?")
    assert classify_text(text).label is Category.EXPLAIN


def test_request_to_improve_an_error_message_is_quick_edit() -> None:
    text = (f"When a variable is missing the service dies with:\n\n{TRACE}\nImprove the error message: "
            "collect every missing variable and raise one ConfigError that lists them.")
    assert classify_text(text).label is Category.QUICK_EDIT


def test_casual_review_request() -> None:
    assert classify_text("here's my plan for the retry queue, thoughts?").label is Category.CODE_REVIEW


def test_terminal_task_whose_deliverable_is_a_function_is_quick_edit() -> None:
    text = ("Implement the function `slugify(title: str) -> str` in `/app/text/slug.py`; it currently raises "
            "NotImplementedError. It must lowercase, replace runs of non-alphanumerics with '-', and strip "
            "dashes. The grader imports it from `/app/text/slug.py` and runs hidden tests; your tests in "
            "`/app/tests` are not graded. Do not add dependencies.")
    assert classify_text(text).label is Category.QUICK_EDIT
