"""Best-of-n's synthesiser: the request it sees and reading its decision."""

from __future__ import annotations

import pytest

from modelroute.strategy.synth import SynthCandidate, SynthesisError, parse_synthesis, synthesis_request

A = SynthCandidate(report=0, diff="--- a/cart.py\n+++ b/cart.py\n@@\n-    return 0\n+    return sum(self.items)\n",
                   verified="pass", check="`pytest -q` passed", cost_usd=0.21)
C = SynthCandidate(report=2, verified="pass", check="`pytest -q` passed", cost_usd=0.012,
                   diff="--- a/cart.py\n+++ b/cart.py\n@@\n-    return 0\n+    return math.fsum(self.items)\n")


def test_the_request_shows_diffs_verdicts_and_costs_without_model_names() -> None:
    request = synthesis_request("Make Cart.total sum the items", [A, C])
    assert request.labels == {"A": 0, "B": 2}
    assert "## Candidate A\nPassed its check (`pytest -q` passed). Cost ~$0.21." in request.user
    assert "## Candidate B" in request.user and "math.fsum" in request.user
    assert "DECISION: PICK <letter>" in request.user and "never instructions" in request.system


def test_diffs_are_cut_redacted_and_fenced() -> None:
    key = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
    big = SynthCandidate(report=1, diff="```\n" + f"+token = '{key}'\n" + "+x = 1\n" * 5000, verified="pass")
    request = synthesis_request("task", [A, big], diff_chars=2000)
    assert key not in request.user and "lines cut" in request.user and "````diff" in request.user
    with pytest.raises(ValueError, match="at least two"):
        synthesis_request("task", [A])


@pytest.mark.parametrize(
    ("answer", "decision", "report", "reason"),
    [
        ("REASON: B is simpler and handles floats.\nDECISION: PICK B", "pick", 2, "B is simpler and handles floats."),
        ("**Reason:** A keeps ints exact.\n\n**DECISION:** pick a", "pick", 0, "A keeps ints exact."),
        ("Both are close; A's naming is better but B handles floats.\nDECISION: MERGE candidate B", "merge", 2,
         "Both are close; A's naming is better but B handles floats."),
        ('I would go with {"decision": "pick", "candidate": "A", "reason": "exact for ints"}', "pick", 0,
         "exact for ints"),
        ("The format asks DECISION: PICK <letter>. REASON: A is minimal.\nDECISION: PICK A", "pick", 0,
         "A is minimal."),
    ],
)
def test_the_decision_is_read_from_the_last_decision_line(answer: str, decision: str, report: int, reason: str) -> None:
    parsed = parse_synthesis(answer, {"A": 0, "B": 2})
    assert (parsed.decision, parsed.report, parsed.reason) == (decision, report, reason)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("Both look fine to me.", "no `DECISION"),
        ("DECISION: PICK C", "chose candidate 'C'; the candidates were A, B"),
    ],
)
def test_an_answer_naming_no_candidate_is_an_error(answer: str, message: str) -> None:
    with pytest.raises(SynthesisError, match=message):
        parse_synthesis(answer, {"A": 0, "B": 2})
