"""A file past the 1 MB window: the context holds whole lines around the requested line, the true
line count, and a note that says which lines were read; the prompt numbers them as in the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelroute.categories import Category
from modelroute.context import excerpt as excerpt_module
from modelroute.context.excerpt import excerpt_of_file, excerpt_of_text
from modelroute.context.gather import ActionRequest, gather_context
from modelroute.context.model import Position
from modelroute.context.workspace import WorkspaceIndex
from modelroute.policy.schema import PrivacySettings
from modelroute.prompt import build_request

FUNCTIONS = 200_000  # 3 lines each: 600,000 lines, about 9 MB


def module(functions: int) -> str:
    return "".join(f"def handler_{i}(event):\n    return event.value + {i}\n\n" for i in range(functions))


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big")
    (root / "handlers.py").write_text(module(FUNCTIONS))
    return root


def gather(root: Path, line: int, character: int = 4, **extra: object) -> object:
    index = WorkspaceIndex(root)
    index.build()
    request = ActionRequest(file="handlers.py", cursor=Position(line=line, character=character), **extra)
    return gather_context(index, None, request)


def test_the_cursor_deep_in_a_large_file_works_on_its_own_function(big: Path) -> None:
    line = 3 * 150_000 + 1  # inside handler_150000
    ctx = gather(big, line, instruction="make this return a float")
    assert ctx.cursor == Position(line=line, character=4)
    assert ctx.enclosing == "handler_150000"
    assert ctx.prefix.endswith("def handler_150000(event):\n    ")
    assert ctx.file_line_count == 3 * FUNCTIONS and ctx.file_line_count_exact
    assert 0 < ctx.file_first_line < line < ctx.file_first_line + ctx.file_text.count("\n")
    assert len(ctx.file_text.encode()) <= 1_000_000
    file_lines = module(FUNCTIONS).split("\n")
    shown = ctx.file_text.split("\n")[:-1]  # whole lines: the text ends with a newline
    assert shown == file_lines[ctx.file_first_line : ctx.file_first_line + len(shown)]
    note = next(n for n in ctx.notes if "handlers.py is large" in n)
    assert f"{3 * FUNCTIONS:,} lines" in note and f"only lines {ctx.file_first_line + 1:,}-" in note


def test_the_prompt_numbers_the_window_as_in_the_file(big: Path) -> None:
    line = 3 * 150_000 + 1
    ctx = gather(big, line, instruction="make this return a float")
    prompt = build_request(ctx, Category.QUICK_EDIT, "gpt-5-mini", PrivacySettings()).messages[0].content
    assert f"of {3 * FUNCTIONS})" in prompt
    assert f"{line}| def handler_150000(event):" in prompt  # 1-based line numbers of the file itself
    assert f"{line + 1}|     return event.value + 150000" in prompt


def test_a_line_past_the_end_of_a_large_file_is_its_last_line(big: Path) -> None:
    ctx = gather(big, 10_000_000, 0)
    assert ctx.cursor == Position(line=3 * FUNCTIONS, character=0)  # the empty line after the last newline
    assert any("cursor 10000000:0 was outside the text" in n for n in ctx.notes)
    assert ctx.file_text.endswith(f"return event.value + {FUNCTIONS - 1}\n\n")


def test_a_selection_that_leaves_the_window_is_cut_at_it_and_says_so(big: Path) -> None:
    ctx = gather(big, 30, 0, selection_end=Position(line=3 * 190_000, character=0))
    assert ctx.selection is not None and ctx.selection.end.line < 3 * 190_000
    assert any("selection end 570000:0 was outside the part of the file that was read" in n for n in ctx.notes)


def test_an_editor_buffer_past_the_window_is_windowed_the_same_way(big: Path) -> None:
    text = module(FUNCTIONS)
    line = 3 * 120_000
    from_buffer = gather(big, line, 0, document_text=text)
    from_disk = gather(big, line, 0)
    assert from_buffer.file_text == from_disk.file_text and from_buffer.file_first_line == from_disk.file_first_line
    assert from_buffer.enclosing == "handler_120000"
    assert any("characters" in n and "handlers.py is large" in n for n in from_buffer.notes)


def test_one_line_longer_than_the_window(tmp_path: Path) -> None:
    (tmp_path / "bundle.min.js").write_text("header();\n" + "var a=1;" * 300_000 + "\nfooter();\n")
    index = WorkspaceIndex(tmp_path)
    index.build()
    ctx = gather_context(index, None, ActionRequest(file="bundle.min.js", cursor=Position(line=1, character=5)))
    assert ctx.file_line_count == 3 and ctx.cursor == Position(line=1, character=5)
    assert ctx.file_first_line == 0 and ctx.file_text.startswith("header();\nvar a=1;var a=1;")
    assert len(ctx.file_text) <= 1_000_000 and "footer" not in ctx.file_text
    assert any("bundle.min.js is large (2,400,021 bytes, 3 lines): only lines 1-2" in n for n in ctx.notes)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.text(alphabet="ab é\r", max_size=12), min_size=1, max_size=60),
    trailing_newline=st.booleans(),
    target=st.integers(min_value=0, max_value=80),
)
def test_a_window_is_whole_lines_of_the_file_holding_the_target(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], trailing_newline: bool, target: int
) -> None:
    """With a 32-byte window and 8-byte chunks: both readers agree with a plain split of the file."""
    text = "\n".join(lines) + ("\n" if trailing_newline else "")
    path = tmp_path_factory.mktemp("x") / "f.txt"
    path.write_bytes(text.encode())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(excerpt_module, "MAX_BYTES", 32)
        patch.setattr(excerpt_module, "LEAD", 8)
        patch.setattr(excerpt_module, "_CHUNK", 8)
        from_file = excerpt_of_file(path, target)
        from_text = excerpt_of_text(text, target)
    all_lines = text.split("\n")
    expected_count = text.count("\n") + (0 if text.endswith("\n") else 1) if text else 0
    for got, size in ((from_file, len(text.encode())), (from_text, len(text))):
        assert got.line_count == expected_count
        if got.complete:
            assert got.text == text and got.first_line == 0 and size <= 32
            continue
        clamped = min(target, len(all_lines) - 1)
        shown = got.lines()
        assert got.first_line <= clamped <= got.first_line + len(shown) - 1  # the target line is in it
        truth = all_lines[got.first_line : got.first_line + len(shown)]
        assert shown[:-1] == truth[:-1]  # whole lines of the file, numbered as in the file
        assert truth[-1].startswith(shown[-1])  # the last one whole, or cut where the window ends
    if not from_file.complete and text.isascii():
        assert (from_file.text, from_file.first_line) == (from_text.text, from_text.first_line)
