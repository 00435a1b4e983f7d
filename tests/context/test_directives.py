from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelroute.context.directives import find_directives


def one(text: str, language: str) -> tuple[int, str, str]:
    found = find_directives(text, language)
    assert len(found) == 1, found
    return found[0].line, found[0].kind, found[0].instruction


@pytest.mark.parametrize(
    ("language", "text", "kind", "instruction"),
    [
        ("python", "# split this module by concern AI!", "do", "split this module by concern"),
        ("python", "x = 1  # ai? why one", "ask", "why one"),
        ("typescript", "// AI? what does this do", "ask", "what does this do"),
        ("typescriptreact", "const a = 1; // make it a prop Ai!", "do", "make it a prop"),
        ("shellscript", "rsync -a src dst  # add --delete AI!", "do", "add --delete"),
        ("shellscript", "echo ${#arr[@]} # count AI?", "ask", "count"),
        ("html", "<!-- AI! add a footer -->", "do", "add a footer"),
        ("markdown", "Intro text <!-- summarise this section AI! -->", "do", "summarise this section"),
        ("sql", "-- ai! index this table", "do", "index this table"),
        ("sql", "SELECT 1; -- AI? is this slow", "ask", "is this slow"),
        ("lua", "local x = 1 -- cache this AI!", "do", "cache this"),
        ("lua", "--[[ AI? what is a metatable ]]", "ask", "what is a metatable"),
        ("elisp", ";; AI! bind this to C-c r", "do", "bind this to C-c r"),
        ("elisp", "(setq x 1) ; AI? buffer-local", "ask", "buffer-local"),
        ("c", "int n; /* AI! use size_t */", "do", "use size_t"),
        ("c", "int n; // AI!: use size_t", "do", "use size_t"),
        ("cpp", "/// AI? ownership here", "ask", "ownership here"),
        ("rust", "let s = 'a'; // AI! char to string", "do", "char to string"),
        ("go", "x := `# not` // AI? backticks", "ask", "backticks"),
        ("yaml", "image: nginx  # pin the digest AI!", "do", "pin the digest"),
        ("dockerfile", "RUN apt-get update # AI! combine layers", "do", "combine layers"),
        ("css", "a { color: red; } /* AI? specificity */", "ask", "specificity"),
        ("unknown-lang", "; whatever AI!", "do", "whatever"),
    ],
)
def test_directive_forms(language: str, text: str, kind: str, instruction: str) -> None:
    assert one(text, language) == (0, kind, instruction)


def test_range_covers_the_comment_and_line_numbers_count() -> None:
    text = "import os\r\n\nvalue = 2  # double it AI!\nprint(value)\n"
    (d,) = find_directives(text, "python")
    assert d.line == 2
    assert (d.range.start.line, d.range.start.character) == (2, 11)
    assert d.range.end.character == len("value = 2  # double it AI!")
    assert d.marker_at == "end"


def test_several_directives_in_order() -> None:
    text = "# AI! one\nx = 1\n# two AI?\n# three ai!\n"
    assert [(d.line, d.kind, d.instruction) for d in find_directives(text, "python")] == [
        (0, "do", "one"),
        (2, "ask", "two"),
        (3, "do", "three"),
    ]


def test_bare_marker_gives_empty_instruction() -> None:
    assert one("    # AI!", "python") == (0, "do", "")


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("python", "# the AI! thing is in the middle of prose"),
        ("python", 's = "# fix this AI!"'),
        ("python", "s = '// AI! nope'  # plain comment"),
        ("typescript", 'const url = "http://x/AI!"; // fine'),
        ("javascript", "const t = `// AI? in a template`;"),
        ("python", "# OPENAI!"),
        ("python", "# MAI? no"),
        ("python", "print('AI!')"),
        ("shellscript", "echo a#AI!"),
        ("sql", "SELECT '-- AI! not a comment' FROM t;"),
        ("markdown", "Our AI! product is great"),
        ("html", "<p>AI? yes</p>"),
        ("python", "# AI!!"),
    ],
)
def test_not_directives(language: str, text: str) -> None:
    assert find_directives(text, language) == []


def test_ten_thousand_lines_with_near_misses() -> None:
    """Lines that mention AI without a directive marker are skipped; speed: bench/bench_directives.py."""
    body = "\n".join(f"def f{i}(x):  # helper {i}\n    return x * {i}  # 'quoted' AI" for i in range(5000))
    text = body + "\n# finally AI!\n"
    found = find_directives(text, "python")
    assert [d.instruction for d in found] == ["finally"]
    assert found[0].line == 10_000


def test_ten_thousand_directive_lines() -> None:
    text = "\n".join(f"x{i} = {i}  # step {i} AI?" for i in range(10_000))
    found = find_directives(text, "python")
    assert len(found) == 10_000
    assert (found[-1].line, found[-1].instruction, found[-1].kind) == (9999, "step 9999", "ask")


_ALPHABET = list("aiAI!?#/-;*<>\"'`\\ \n\r\tx{}")
_LANGS = st.sampled_from(["python", "typescript", "html", "sql", "lua", "elisp", "c", "shellscript", "x"])


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(_ALPHABET), max_size=200), lang=_LANGS)
def test_never_raises_and_ranges_are_in_bounds(text: str, lang: str) -> None:
    lines = text.split("\n")
    for d in find_directives(text, lang):
        assert 0 <= d.line < len(lines)
        assert 0 <= d.range.start.character <= d.range.end.character <= len(lines[d.line])
        assert "ai!" not in d.instruction.lower()[:3]


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300), lang=_LANGS)
def test_never_raises_on_any_text(text: str, lang: str) -> None:
    find_directives(text, lang)
