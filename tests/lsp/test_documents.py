"""Open documents kept from their edits: the same text as pygls' own document after any sequence of
incremental changes, and the same directives as a full scan, with only the edited lines rescanned."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.workspace import TextDocument

from modelroute.context.directives import DirectiveMap, directives_in_lines, find_directives
from modelroute.lsp.documents import OpenDoc, Units, split_lines

UNITS = Units("utf-16")
WORDS = st.sampled_from(["x = 1", "# fix it AI!", "# AI? why", "é", "😀", "", " ", "AI!", "def f():", "    return 2"])
TEXTS = st.lists(WORDS, max_size=8).map("\n".join)


@st.composite
def edit(draw: st.DrawFn, text: str) -> types.TextDocumentContentChangePartial:
    lines = split_lines(text) or [""]
    extra = draw(st.integers(0, 1))  # also the empty line after a final newline
    start_line = draw(st.integers(0, len(lines) - 1 + extra))
    end_line = draw(st.integers(start_line, len(lines) - 1 + extra))

    def units(line: int) -> int:
        return UNITS.count(lines[line].rstrip("\n")) if line < len(lines) else 0

    start = draw(st.integers(0, units(start_line)))
    end = draw(st.integers(start if end_line == start_line else 0, units(end_line)))
    new = draw(st.lists(WORDS, max_size=3).map("\n".join))
    return types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=start_line, character=start),
                          end=types.Position(line=end_line, character=end)),
        text=new,
    )


def _on_char_boundaries(text: str, change: types.TextDocumentContentChangePartial) -> bool:
    """UTF-16 offsets inside a surrogate pair are invalid positions: skip them."""
    lines = split_lines(text)
    for pos in (change.range.start, change.range.end):
        if pos.line < len(lines):
            body, seen = lines[pos.line].rstrip("\n"), 0
            for char in body:
                if seen == pos.character:
                    break
                seen += UNITS.width(char)
                if seen > pos.character:
                    return False
    return True


@settings(max_examples=300, deadline=None)
@given(st.data(), TEXTS)
def test_edits_give_the_same_text_as_pygls_and_the_same_directives_as_a_scan(data: st.DataObject, text: str) -> None:
    reference = TextDocument("file:///t.py", text, version=1)
    doc = OpenDoc("file:///t.py", text, 1, "python")
    doc.directives()  # kept from now on from the edits
    for version in range(2, 6):
        change = data.draw(edit(reference.source))
        if not _on_char_boundaries(reference.source, change):
            continue
        reference.apply_change(change)
        doc.apply(change, UNITS)
        doc.version = version
        assert doc.text == reference.source
        assert doc.directives().all() == find_directives(doc.text, "python")


def test_a_change_far_away_moves_directives_without_rescanning_them() -> None:
    lines = split_lines("# one AI!\nx = 1\n# two AI?\n")
    found = DirectiveMap(lines, "python")
    lines = split_lines("import os\nimport sys\n# one AI!\nx = 1\n# two AI?\n")
    found.replaced(0, 0, lines)  # two lines inserted at the top
    assert [(d.line, d.instruction) for d in found.all()] == [(2, "one"), (4, "two")]
    assert found.on_line(2) is not None and found.on_line(2).range.start.line == 2  # type: ignore[union-attr]
    snapshot = found.snapshot()
    found.replaced(4, 1, split_lines("import os\nimport sys\n# one AI!\nx = 1\n# gone\n"))
    assert [d.line for d in found.all()] == [2] and sorted(snapshot) == [2, 4]  # the snapshot stays


def test_directives_in_lines_numbers_by_index_and_scans_only_the_span() -> None:
    lines = ["# a AI!\n", "x\n", "# b AI!\n"]
    assert [d.line for d in directives_in_lines(lines, "python", 1)] == [2]
    assert [d.line for d in directives_in_lines(lines, "python", 0, 1)] == [0]


def test_units_clamp_and_count_surrogate_pairs() -> None:
    assert UNITS.to_points("a😀b\n", 3) == 2 and UNITS.to_units("a😀b\n", 2) == 3
    assert UNITS.to_points("abc\n", 99) == 3 and Units("utf-8").to_points("é!", 2) == 1
    assert split_lines("a\nb") == ["a\n", "b"] and split_lines("a\n") == ["a\n"] and split_lines("") == []


def test_a_snapshot_keeps_its_version_while_unlooked_edits_go_in_place() -> None:
    doc = OpenDoc("file:///t.py", "a\nb\nc\n", 1, "python")
    taken = doc.snapshot()
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=1, character=0), end=types.Position(line=1, character=1)), text="B")
    doc.apply(change, UNITS)
    assert taken == ["a\n", "b\n", "c\n"] and doc.lines == ["a\n", "B\n", "c\n"]
    before = doc.lines
    doc.apply(types.TextDocumentContentChangePartial(range=change.range, text="x"), UNITS)
    assert doc.lines is before and doc.text == "a\nx\nc\n"  # nobody held it: changed in place
