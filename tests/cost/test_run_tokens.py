"""A run's billed input grows with its turns; the context-window check uses one request."""

from __future__ import annotations

from modelroute.categories import Category
from modelroute.cost.estimate import EXPECTED_TURNS, run_input_tokens


def test_one_turn_categories_bill_the_prompt_once() -> None:
    assert run_input_tokens(1000, 0, Category.EXPLAIN) == 1000


def test_multi_turn_runs_resend_the_prompt_and_reads() -> None:
    turns = EXPECTED_TURNS[Category.MULTI_FILE_REFACTOR]
    assert run_input_tokens(1000, 0, Category.MULTI_FILE_REFACTOR) == 1000 * turns
    with_reads = run_input_tokens(1000, 400, Category.MULTI_FILE_REFACTOR)
    assert 1000 * turns + 400 < with_reads <= 1000 * turns + 400 * turns


def test_every_category_has_a_turn_prior() -> None:
    assert set(EXPECTED_TURNS) == set(Category)
