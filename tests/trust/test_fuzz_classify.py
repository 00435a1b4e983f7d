"""The classifier on random contexts: one of seven labels, never raises, same answer every time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from modelroute.categories import Category
from modelroute.classify import classify
from modelroute.context.model import ActionContext, Diagnostic, Position, Range

POS = st.builds(Position, line=st.integers(0, 10_000), character=st.integers(0, 500))
DIAG = st.builds(Diagnostic, range=st.builds(Range, start=POS, end=POS), message=st.text(max_size=80),
                 severity=st.sampled_from([1, 2, 3, 4, None]), source=st.sampled_from(["pyright", "eslint", None]))
FILES = st.sampled_from([("src/app.py", "python"), ("Dockerfile", "dockerfile"), ("ui/App.tsx", "typescriptreact"),
                         ("Makefile", "makefile"), ("notes.md", "markdown"), ("x", "plaintext"), ("", "")])
WORDS = st.sampled_from(["fix", "the", "crash", "rename", "across", "files", "explain", "why", "review", "diff",
                         "build", "a", "page", "docker", "add", "docstring", "?", "!", "TypeError", "make it work"])
INSTRUCTION = st.one_of(st.text(max_size=300), st.lists(WORDS, max_size=12).map(" ".join))


@st.composite
def contexts(draw: st.DrawFn) -> ActionContext:
    file, language = draw(FILES)
    selection = draw(st.one_of(st.none(), st.builds(Range, start=POS, end=POS)))
    return ActionContext(
        workspace="/ws", file=file, language=language, instruction=draw(INSTRUCTION),
        file_text=draw(st.text(max_size=400)), selection=selection,
        selected_text=draw(st.text(max_size=100)) if selection else "",
        diagnostics=tuple(draw(st.lists(DIAG, max_size=4))),
    )


@settings(max_examples=200, deadline=None)
@given(contexts())
def test_one_of_seven_labels_never_raises_deterministic(ctx: ActionContext) -> None:
    first = classify(ctx)
    assert first.label in Category and len(list(Category)) == 7
    assert 0.0 <= first.confidence <= 1.0 and first.reasons
    again = classify(ctx.model_copy())
    assert (again.label, again.confidence, again.reasons) == (first.label, first.confidence, first.reasons)
