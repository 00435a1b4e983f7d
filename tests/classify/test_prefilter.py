"""The cue prefilter only skips regex searches that would fail: it never hides a match."""

from __future__ import annotations

import re

import pytest

from modelroute.classify.cues import CUES
from modelroute.classify.prefilter import Probe, may_match, prefilter_for, required_literals
from modelroute.classify.text import HEAD_CHARS, intent_view, normalize
from tests.classify.heldout import load_set


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"\b(?:is|does) not\b", ({"is not", "does not"},)),
    (r"crash(?:es|ed)?|hangs", ({"crash", "hangs"},)),
    (r"x?y", ({"y"},)),
    (r"\w+", ()),
    (r"(?:a|\w)c", ({"c"},)),
])
def test_required_literals(pattern: str, expected: tuple[set[str], ...]) -> None:
    assert tuple(set(s) for s in required_literals(re.compile(pattern))) == expected


def test_ignorecase_patterns_are_always_searched() -> None:
    assert required_literals(re.compile("crash", re.IGNORECASE)) == ()


@pytest.mark.parametrize("name", ["blind8", "heldout"])
def test_prefilter_never_rejects_a_match(name: str) -> None:
    for rec in load_set(name):
        head = normalize(rec["text"], HEAD_CHARS).strip()
        for text in {head, intent_view(head) or head}:
            probes = (Probe(text), Probe(text, hashed=False))
            for cue in CUES:
                if cue.pattern.search(text):
                    assert all(may_match(cue.prefilter, p) for p in probes), (cue.name, text[:80])


def test_prefilter_rejects_unrelated_text() -> None:
    pf = prefilter_for(re.compile(r"\b(?:segfault|core dumped)\b"), {})
    assert not may_match(pf, Probe("please add a docstring to this function"))
    assert may_match(pf, Probe("the binary segfaults on start"))


def test_each_top_level_alternative_keeps_its_own_conjunction() -> None:
    from modelroute.classify.prefilter import required_alternatives
    alts = required_alternatives(re.compile(r"\b(?:is this\b.{0,20}?\b(?:safe|correct)|segfault)\b"))
    assert {frozenset(map(frozenset, alt)) for alt in alts} == {
        frozenset({frozenset({"segfault"})}),
        frozenset({frozenset({"is this"}), frozenset({"safe", "correct"})}),
    }
