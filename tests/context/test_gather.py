from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelroute.context.gather import ActionRequest, ContextError, gather_context
from modelroute.context.git import GitReader
from modelroute.context.model import Diagnostic, Position, Range
from modelroute.context.workspace import WorkspaceIndex
from tests.context.conftest import WriteFiles, git, git_init

SERVICE = """import os


class OrderService:
    def __init__(self, store):
        self.store = store

    def total(self, order_id):
        order = self.store.load(order_id)
        return sum(line.price for line in order.lines)


def helper():
    return OrderService(None)
"""


def pos(line: int, character: int) -> Position:
    return Position(line=line, character=character)


def setup(root: Path) -> tuple[WorkspaceIndex, GitReader]:
    index = WorkspaceIndex(root)
    index.build()
    return index, GitReader(root)


@pytest.fixture
def project(workspace: WriteFiles) -> Path:
    root = workspace(
        {
            "shop/service.py": SERVICE,
            "shop/api.py": "from shop.service import OrderService\n\napi = OrderService(db)\n",
            "shop/report.py": "def report(s: 'OrderService'): ...\n",
            "web/client.ts": "// calls OrderService over HTTP\n",
            "tests/test_service.py": "from shop.service import OrderService\n",
            "Dockerfile": "FROM python:3.11\n",
        }
    )
    git_init(root)
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    return root


def test_cursor_in_a_method(project: Path) -> None:
    index, reader = setup(project)
    ctx = gather_context(index, reader, ActionRequest(file="shop/service.py", cursor=pos(8, 12)))
    assert ctx.workspace == str(project.resolve())
    assert ctx.file == "shop/service.py" and ctx.language == "python"
    assert ctx.enclosing == "total"
    assert ctx.symbol.name == "order" and ctx.selection is None
    assert ctx.prefix.endswith("    def total(self, order_id):\n        orde")
    assert ctx.suffix.startswith("r = self.store.load(order_id)\n")
    assert ctx.file_text == SERVICE and ctx.file_line_count == 14
    assert ctx.git.is_repo and not ctx.git.file_changed
    assert ctx.markers.dockerfiles == ("Dockerfile",)
    assert ctx.file_count == 6 and not ctx.is_test_file
    assert ctx.notes == ()


def test_selection_of_a_class_finds_its_references(project: Path) -> None:
    index, reader = setup(project)
    request = ActionRequest(file="shop/service.py", cursor=pos(3, 0), selection_end=pos(9, 54))
    ctx = gather_context(index, reader, request)
    assert ctx.selection == Range(start=pos(3, 0), end=pos(9, 54))
    assert ctx.selected_text.startswith("class OrderService:")
    assert ctx.selected_text.endswith("for line in order.lines)")
    assert ctx.symbol.name == "OrderService"
    assert ctx.symbol.defined_here
    assert ctx.symbol.reference_files == 4
    assert [r.path for r in ctx.related] == [
        "shop/api.py",
        "shop/report.py",
        "tests/test_service.py",
        "web/client.ts",
    ]
    assert ctx.related[0].size_bytes == (project / "shop/api.py").stat().st_size


def test_reversed_selection_is_normalised(project: Path) -> None:
    index, reader = setup(project)
    ctx = gather_context(
        index, reader, ActionRequest(file="shop/service.py", cursor=pos(9, 10), selection_end=pos(8, 8))
    )
    assert ctx.selection == Range(start=pos(8, 8), end=pos(9, 10))
    assert ctx.selected_text == "order = self.store.load(order_id)\n        re"


def test_editor_buffer_overrides_disk_and_git_sees_changes(project: Path) -> None:
    index, reader = setup(project)
    (project / "shop" / "api.py").write_text("changed = True\n")
    reader.invalidate()
    buffer = "def brand_new():\n    pass  # AI! make it async\n"
    ctx = gather_context(
        index, reader, ActionRequest(file="shop/api.py", cursor=pos(1, 4), document_text=buffer)
    )
    assert ctx.file_text == buffer
    assert ctx.enclosing == "brand_new"
    assert ctx.git.file_changed
    assert (ctx.instruction, ctx.directive) == ("make it async", "do")


def test_explicit_instruction_wins_over_directive(project: Path) -> None:
    index, reader = setup(project)
    buffer = "x = 1  # AI? why\n"
    request = ActionRequest(file="shop/api.py", document_text=buffer, instruction="rename x")
    ctx = gather_context(index, reader, request)
    assert (ctx.instruction, ctx.directive) == ("rename x", None)


def test_unsaved_new_file_from_buffer(project: Path) -> None:
    index, reader = setup(project)
    ctx = gather_context(index, reader, ActionRequest(file="shop/new_module.py", document_text="a = 1\n"))
    assert ctx.file == "shop/new_module.py" and ctx.file_text == "a = 1\n"


def test_diagnostics_and_test_file(project: Path) -> None:
    index, reader = setup(project)
    diag = Diagnostic(range=Range(start=pos(0, 0), end=pos(0, 4)), message="unused import", severity=2)
    ctx = gather_context(index, reader, ActionRequest(file="tests/test_service.py", diagnostics=(diag,)))
    assert ctx.diagnostics == (diag,)
    assert ctx.is_test_file


def test_positions_out_of_range_are_clamped(project: Path) -> None:
    index, reader = setup(project)
    request = ActionRequest(file="shop/api.py", cursor=pos(99, 5), selection_end=pos(0, 500))
    ctx = gather_context(index, reader, request)
    assert ctx.cursor == pos(3, 0)
    assert ctx.selection == Range(start=pos(0, 37), end=pos(3, 0))
    assert len(ctx.notes) == 2 and all("moved to" in n for n in ctx.notes)


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ("missing.py", "file not found"),
        ("shop", "is a folder"),
        ("../outside.py", "outside the workspace"),
        ("shop/../../outside.py", "outside the workspace"),
        ("/etc/passwd", "outside the workspace"),
        ("", "no file"),
        (".", "is a folder"),
    ],
)
def test_clear_errors(project: Path, file: str, message: str) -> None:
    index, reader = setup(project)
    with pytest.raises(ContextError, match=message):
        gather_context(index, reader, ActionRequest(file=file))


def test_missing_workspace(tmp_path: Path) -> None:
    index, reader = setup(tmp_path / "gone")
    with pytest.raises(ContextError, match="workspace folder does not exist"):
        gather_context(index, reader, ActionRequest(file="a.py"))


def test_symlink_out_of_the_workspace_is_refused(workspace: WriteFiles, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("key")
    root = workspace({"a.py": ""})
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    index, reader = setup(root)
    with pytest.raises(ContextError, match="outside the workspace"):
        gather_context(index, reader, ActionRequest(file="link.txt"))


def test_binary_non_utf8_bom_and_huge(workspace: WriteFiles) -> None:
    root = workspace(
        {
            "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00",
            "latin.py": "name = 'café'\n".encode("latin-1"),
            "bom.py": b"\xef\xbb\xbfx = 1\n",
            "huge.py": ("é" * 499_999 + "\n") * 2 + "tail = 1\n",
        }
    )
    index, reader = setup(root)
    with pytest.raises(ContextError, match="binary"):
        gather_context(index, reader, ActionRequest(file="logo.png"))
    latin = gather_context(index, reader, ActionRequest(file="latin.py"))
    assert latin.file_text == "name = 'caf\ufffd'\n"
    assert any("not valid UTF-8" in n for n in latin.notes)
    assert gather_context(index, reader, ActionRequest(file="bom.py")).file_text == "x = 1\n"
    huge = gather_context(index, reader, ActionRequest(file="huge.py", cursor=pos(5, 0)))
    assert len(huge.file_text.encode()) <= 1_000_000
    assert huge.file_text == "tail = 1\n" and huge.file_first_line == 2  # the window holds the cursor
    assert huge.cursor == pos(3, 0) and huge.file_line_count == 3  # the empty line after the last newline
    assert not any("UTF-8" in n for n in huge.notes)  # a character cut at the window is not an error
    assert any("huge.py is large (2,000,007 bytes, 3 lines): only lines 3-3" in n for n in huge.notes)
    assert any("cursor 5:0 was outside the text; moved to 3:0" in n for n in huge.notes)


def test_enclosing_in_other_languages(workspace: WriteFiles) -> None:
    files = {
        "a.ts": "export class Cart {\n  add(item: Item): void {\n    this.items.push(item);\n  }\n}\n",
        "b.go": "package x\n\nfunc (s *Server) Handle(w Writer) {\n\tif ok {\n\t\tw.Write(nil)\n\t}\n}\n",
        "c.rs": "impl Parser {\n    pub fn parse(&self) -> Ast {\n        let x = 1;\n    }\n}\n",
        "d.java": "class A {\n  public static int count(List<String> xs)\n  {\n    return 0;\n  }\n}\n",
        "e.el": "(defun my-save ()\n  (interactive)\n  (save-buffer))\n",
        "f.sql": "CREATE OR REPLACE VIEW active_users AS\nSELECT * FROM users\nWHERE active;\n",
        "g.lua": "local function render(t)\n  for i = 1, 3 do\n    print(i)\n  end\nend\n",
        "h.sh": "deploy() {\n  rsync -a . host:\n}\n",
        "i.md": "# Guide\n\n## Install\n\nRun it.\n",
        "j.js": "const onClick = async (e) => {\n  e.preventDefault();\n};\n",
    }
    root = workspace(dict(files))
    index, reader = setup(root)
    expected = {
        "a.ts": (2, "add"),
        "b.go": (4, "Handle"),
        "c.rs": (2, "parse"),
        "d.java": (3, "count"),
        "e.el": (2, "my-save"),
        "f.sql": (2, "active_users"),
        "g.lua": (2, "render"),
        "h.sh": (1, "deploy"),
        "i.md": (4, "Install"),
        "j.js": (1, "onClick"),
    }
    for file, (line, name) in expected.items():
        ctx = gather_context(index, reader, ActionRequest(file=file, cursor=pos(line, 2)))
        assert ctx.enclosing == name, file


def test_no_enclosing_at_top_level(project: Path) -> None:
    index, reader = setup(project)
    ctx = gather_context(index, reader, ActionRequest(file="shop/service.py", cursor=pos(0, 0)))
    assert ctx.enclosing is None


_POS = st.builds(Position, line=st.integers(0, 60), character=st.integers(0, 300))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(alphabet=st.sampled_from(list("ab_ (){}:#;/*\n\r\t\"'=é")), max_size=400),
    cursor=_POS,
    end=st.none() | _POS,
    language=st.sampled_from(["python", "typescript", "go", "sql", "elisp", "markdown", "lua", None]),
)
def test_any_buffer_and_positions_never_crash(
    project: Path, text: str, cursor: Position, end: Position | None, language: str | None
) -> None:
    index, reader = _shared_setup(project)
    request = ActionRequest(
        file="shop/scratch.txt", cursor=cursor, selection_end=end, document_text=text, language=language
    )
    ctx = gather_context(index, reader, request)
    lines = text.split("\n")
    assert ctx.cursor.line < len(lines)
    if ctx.selection is not None:
        assert ctx.selected_text == _reference_slice(lines, ctx.selection)


_SETUPS: dict[Path, tuple[WorkspaceIndex, GitReader]] = {}


def _shared_setup(root: Path) -> tuple[WorkspaceIndex, GitReader]:
    if root not in _SETUPS:
        _SETUPS[root] = setup(root)
    return _SETUPS[root]


def _reference_slice(lines: list[str], sel: Range) -> str:
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    text = "\n".join(lines)
    start = offsets[sel.start.line] + sel.start.character
    end = offsets[sel.end.line] + sel.end.character
    return text[start:end]
