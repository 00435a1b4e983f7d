"""Splitting an instruction that holds several tasks, on real-looking instructions; a single task stays whole."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelroute.strategy.split import Split, imperative_verbs, is_task, split_instruction


@pytest.mark.parametrize(
    ("text", "how", "parts"),
    [
        ("Rename `getUser` to `fetchUser` across the API client. Also, add a docstring to `parse_config` explaining "
         "the env var fallback.", "separate sentences",
         ["Rename `getUser` to `fetchUser` across the API client.",
          "add a docstring to `parse_config` explaining the env var fallback."]),
        ("1. Fix the off-by-one in pagination\n2. Add type hints to utils/dates.py\n3. Update the README's install "
         "section", "a numbered list",
         ["Fix the off-by-one in pagination", "Add type hints to utils/dates.py",
          "Update the README's install section"]),
        ("Please do the following:\n- bump axios to 1.7\n- remove the unused lodash import in src/app.ts\n"
         "- make the navbar sticky on mobile", "a bulleted list",
         ["bump axios to 1.7", "remove the unused lodash import in src/app.ts", "make the navbar sticky on mobile"]),
        ("Fix the failing test in test_cart.py, then update the CHANGELOG for the 2.3 release.",
         "clauses joined by 'then' or 'also'",
         ["Fix the failing test in test_cart.py", "update the CHANGELOG for the 2.3 release."]),
        ("Add a --dry-run flag to deploy.sh; also make the Dockerfile use python:3.12-slim.",
         "clauses joined by 'then' or 'also'",
         ["Add a --dry-run flag to deploy.sh", "make the Dockerfile use python:3.12-slim."]),
        ("First, extract the retry logic from client.py into retry.py. Then add unit tests for the backoff schedule in "
         "tests/test_retry.py. Finally, document the new module in docs/api.md.", "separate sentences",
         ["First, extract the retry logic from client.py into retry.py.",
          "add unit tests for the backoff schedule in tests/test_retry.py.",
          "document the new module in docs/api.md."]),
        ("Fix these bugs:\n1. The login button does nothing on Safari\n2. The footer overlaps the content on small "
         "screens", "a numbered list",
         ["The login button does nothing on Safari", "The footer overlaps the content on small screens"]),
        ("Fix the crash in parse() when the input is empty. Also, why is the cache in loader.py so slow?",
         "separate sentences",
         ["Fix the crash in parse() when the input is empty.", "why is the cache in loader.py so slow?"]),
        ("can you:\n  1) migrate the settings page to the new Form component\n     (keep the validation as is)\n"
         "  2) write a short explanation of how theming works in docs/theming.md\n\nDon't touch the API.",
         "a numbered list",
         ["migrate the settings page to the new Form component\n(keep the validation as is)",
          "write a short explanation of how theming works in docs/theming.md"]),
    ],
)
def test_several_tasks_are_split(text: str, how: str, parts: list[str]) -> None:
    split = split_instruction(text)
    assert split is not None and split.how == how
    assert [p.text for p in split.pieces] == parts
    _assert_nothing_lost(text, split)


def test_the_lists_intro_and_closing_words_reach_every_step() -> None:
    text = ("In the billing service:\n- add an index on invoices.customer_id\n- remove the unused `legacy_tax` "
            "column\n\nKeep migrations reversible.")
    split = split_instruction(text)
    assert split is not None
    assert (split.intro, split.outro) == ("In the billing service:", "Keep migrations reversible.")
    first, second = split.instructions()
    assert first == "In the billing service:\n\nadd an index on invoices.customer_id\n\nKeep migrations reversible."
    assert second.startswith("In the billing service:\n\nremove the unused `legacy_tax` column")


@pytest.mark.parametrize(
    "text",
    [
        "Find why the upload fails for files over 2 GB and fix it.",
        "Add a login form with:\n- email field\n- password field\n- remember me checkbox",
        "Refactor the payment module: move Stripe calls into a gateway class, then update the callers.",
        "Run the tests and then fix whatever fails.",
        "Sort the list, then return the first three elements.",
        "Extract the validation into validators.py. Then update the imports in views.py.",
        "The build fails on CI with exit code 137. Then it retries and passes.",
        "Add a cache to fetch_prices(), e.g. an LRU of 128 entries. Then make sure it is invalidated on update.",
        "Implement the CSV export. It should stream rows, then close the file.",
        "Fix the flaky test in test_io.py. Then run the whole suite to confirm.",
        "Explain what `reconcile()` does and why it locks the table.",
        "Steps to reproduce:\n1. open the app\n2. click save\n\nThe app crashes with a KeyError.",
        "Rename the `Cart.total` method to `Cart.grand_total`.\n\nThen also think about the naming of the other "
        "methods in cart.py, I am not sure about them.",
        "Make the header sticky; it should stay visible while scrolling.",
        "Upgrade React to 19 and also fix what breaks.",
        "",
        "fix",
    ],
)
def test_a_single_task_is_never_split(text: str) -> None:
    assert split_instruction(text) is None


def test_is_task_reads_past_polite_openers() -> None:
    assert is_task("Please could you add a test for the empty cart")
    assert is_task("Can you explain the retry logic in client.py")
    assert is_task("How does the cache expire entries?")
    assert not is_task("The login button does nothing")
    assert not is_task("email field")
    assert {"fix", "add", "refactor", "explain"} <= imperative_verbs()


def _assert_nothing_lost(text: str, split: Split) -> None:
    pieces = "".join(p.lead + p.text for p in split.pieces)
    assert re.sub(r"\s+", "", split.intro + pieces + split.outro) == re.sub(r"\s+", "", text)


verbs = st.sampled_from(["add", "fix", "remove", "rename", "update", "document", "explain", "move", "Refactor"])
objects = st.sampled_from(["the cache", "`parse_config`", "src/app.ts", "the README", "a retry", "CartService",
                           "the login page", "it", "them", "the callers", "the tests"])
tails = st.sampled_from(["", " in utils.py", " for the 2.3 release", " on mobile", " (keep the API)", "."])
clause = st.builds(lambda v, o, t: f"{v} {o}{t}", verbs, objects, tails)
joiners = st.sampled_from([". Also, ", ", then ", "; also ", " and also ", ". Then ", ". Finally, ", " and ", ", ",
                           "\n- ", "\n1. ", "\n2) ", ". It should ", ": "])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(clause, joiners), min_size=1, max_size=5), st.sampled_from(["", "Please ", "- ", "1. "]))
def test_a_split_never_loses_text(parts: list[tuple[str, str]], opener: str) -> None:
    text = opener + "".join(c + j for c, j in parts[:-1]) + parts[-1][0]
    split = split_instruction(text)
    if split is not None:
        _assert_nothing_lost(text, split)
        assert len(split.pieces) >= 2 and all(p.text.strip() for p in split.pieces)


@settings(max_examples=200, deadline=None)
@given(clause, st.sampled_from(["", " and fix it", ", then run the tests", ", then update the callers",
                                " and make sure it works", ". Then verify it", ". It must stay fast."]))
def test_one_task_with_its_own_follow_up_stays_whole(task: str, follow_up: str) -> None:
    assert split_instruction(task + follow_up) is None
