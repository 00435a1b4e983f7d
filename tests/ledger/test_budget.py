from __future__ import annotations

from datetime import UTC, datetime

from modelroute.ledger import Committed, needs_confirmation, output_token_limit, reservation_usd
from modelroute.ledger.budget import Windows, check_caps, day_window, from_text, month_window, to_text
from modelroute.policy.schema import BudgetSettings

from .helpers import budgets, estimate


def test_windows_are_utc_calendar_day_and_month() -> None:
    moment = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert day_window(moment) == (datetime(2026, 12, 31, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert month_window(moment) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert month_window(datetime(2026, 2, 10, tzinfo=UTC))[1] == datetime(2026, 3, 1, tzinfo=UTC)


def test_timestamps_round_trip_and_sort_as_text() -> None:
    early = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    late = datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=UTC)
    assert from_text(to_text(early)) == early
    assert to_text(early) < to_text(late)
    assert to_text(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000000Z"  # naive is UTC


def test_reservation_is_the_high_end() -> None:
    assert reservation_usd(estimate(1.0, high=1.7)) == 1.7
    assert reservation_usd(estimate(1.0, high=0.0)) == 1.0  # a malformed range never reserves less


def _windows(
    day: Committed, month: Committed, team_day: Committed | None = None, team_month: Committed | None = None
) -> Windows:
    zero = Committed(0, 0)
    return Windows(day=day, month=month, team_day=team_day or zero, team_month=team_month or zero)


def test_caps_count_spend_and_reservations() -> None:
    day = Committed(spent_usd=1.5, reserved_usd=0.4)
    month = Committed(spent_usd=9.0, reserved_usd=0.4)
    caps = budgets(daily=2.0, monthly=10.0)
    assert check_caps(0.1, _windows(day, month), caps) is None  # exactly at the cap
    refused = check_caps(0.11, _windows(day, month), caps)
    assert refused is not None and refused.scope == "daily"
    message = str(refused)
    assert "spent $1.50 today" in message and "$0.40 held" in message and "cap $2.00" in message
    assert "daily_usd" in message
    monthly = check_caps(0.2, _windows(Committed(0, 0), month), budgets(daily=2.0, monthly=9.5))
    assert monthly is not None and monthly.scope == "monthly" and "this month" in str(monthly)


def test_team_caps_apply_only_when_set_and_name_the_team() -> None:
    mine = Committed(0.5, 0.0)
    team = Committed(spent_usd=7.0, reserved_usd=2.5)
    assert check_caps(1.0, _windows(mine, mine, team, team), budgets()) is None  # no team cap set
    caps = BudgetSettings(team_daily_usd=10.0, team_monthly_usd=100.0)
    assert check_caps(0.5, _windows(mine, mine, team, team), caps, "platform") is None  # exactly at it
    refused = check_caps(0.51, _windows(mine, mine, team, team), caps, "platform")
    assert refused is not None and refused.scope == "team_daily" and refused.team == "platform"
    message = str(refused)
    assert "Team 'platform' daily budget" in message and "the team spent $7.00 today" in message
    assert "[budget] team_daily_usd" in message and "$2.50 held" in message
    monthly = check_caps(0.2, _windows(mine, mine, Committed(0, 0), Committed(99.9, 0)), caps)
    assert monthly is not None and monthly.scope == "team_monthly"
    assert "everyone on this ledger" in str(monthly) and "team_monthly_usd" in str(monthly)


def test_zero_cap_still_allows_free_runs() -> None:
    zero = _windows(Committed(0, 0), Committed(0, 0))
    assert check_caps(0.0, zero, budgets(daily=0.0)) is None
    assert check_caps(0.01, zero, budgets(daily=0.0)) is not None


def test_per_request_is_a_question_not_a_cap() -> None:
    assert needs_confirmation(estimate(1.99, high=3.0), budgets(per_request=2.0)) is None
    question = needs_confirmation(estimate(2.40, low=1.8, high=3.1), budgets(per_request=2.0))
    assert question is not None
    assert "$2.40" in question and "$1.80–$3.10" in question and "$2.00" in question


def test_output_token_limit_keeps_a_call_within_its_reservation() -> None:
    # $0.50 held, input costs $0.10, output at $25 per million: 16,000 tokens cost exactly $0.40.
    assert output_token_limit(0.50, 0.10, 25.0) == 16_000
    assert output_token_limit(0.05, 0.10, 25.0) == 0  # the input alone is over: no room for output
    assert output_token_limit(0.50, 0.10, 0.0) is None  # free output (local models)
