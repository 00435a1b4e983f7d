"""The directive parser never raises, and finds `AI!`/`AI?` only in comments, never in code or strings."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from modelroute.context.directives import find_directives

FAST = settings(max_examples=300, deadline=None)
WORDS = st.sampled_from(["fix", "this", "x", "total", "rename", "the", "loop", "AI!", "AI?", "ai!", "#", "//"])
INSTRUCTION = st.lists(st.sampled_from(["fix", "the", "loop", "rename", "total", "why"]), min_size=1,
                       max_size=4).map(" ".join)
CODE = st.sampled_from(["x = 1", "total = compute(x)", "if ok:", "return y", "print(v)", ""])
# Marker text that is not in a comment: inside a string literal or an identifier-ish token.
NOT_COMMENT = st.sampled_from(['s = "AI! fix"', "s = 'AI? why'", 'print("# AI! not a comment")',
                               "x = mAI!", "AI!x = 1", "f = 'a' + \"AI?\""])


@FAST
@given(st.text(max_size=400), st.sampled_from(["python", "javascript", "rust", "shellscript", "sql", "x"]))
def test_never_raises(text: str, lang: str) -> None:
    for d in find_directives(text, lang):
        assert d.kind in ("do", "ask")


@FAST
@given(st.lists(st.one_of(CODE, NOT_COMMENT), max_size=15).map("\n".join))
def test_markers_outside_comments_are_not_directives(text: str) -> None:
    assert find_directives(text, "python") == []


@FAST
@given(st.lists(CODE, max_size=8), st.integers(0, 8), INSTRUCTION, st.sampled_from(["!", "?"]),
       st.sampled_from(["python", "javascript"]))
def test_a_comment_marker_is_found_on_its_line(code: list[str], at: int, words: str, mark: str,
                                                lang: str) -> None:
    lead = "#" if lang == "python" else "//"
    at = min(at, len(code))
    lines = [*code[:at], f"x = 1  {lead} AI{mark} {words}", *code[at:]]
    [d] = find_directives("\n".join(lines), lang)
    assert d.line == at and d.kind == ("do" if mark == "!" else "ask") and words in d.instruction
