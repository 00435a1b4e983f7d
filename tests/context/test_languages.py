from __future__ import annotations

import pytest

from modelroute.context.languages import comment_syntax, is_test_path, language_for


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("src/app.py", "python"),
        ("web/App.tsx", "typescriptreact"),
        ("web/index.ts", "typescript"),
        ("web/x.jsx", "javascriptreact"),
        ("lib/a.mjs", "javascript"),
        ("main.go", "go"),
        ("src/lib.rs", "rust"),
        ("A.java", "java"),
        ("a.c", "c"),
        ("a.hpp", "cpp"),
        ("P.cs", "csharp"),
        ("x.rb", "ruby"),
        ("x.php", "php"),
        ("deploy.sh", "shellscript"),
        ("Dockerfile", "dockerfile"),
        ("docker/Dockerfile.prod", "dockerfile"),
        ("api.dockerfile", "dockerfile"),
        ("Makefile", "makefile"),
        ("GNUmakefile", "makefile"),
        ("rules.mk", "makefile"),
        ("ci.yml", "yaml"),
        ("package.json", "json"),
        ("pyproject.toml", "toml"),
        ("index.html", "html"),
        ("s.css", "css"),
        ("s.scss", "scss"),
        ("README.md", "markdown"),
        ("q.sql", "sql"),
        ("a.R", "r"),
        ("a.jl", "julia"),
        ("init.lua", "lua"),
        ("init.el", "elisp"),
        ("notes", "plaintext"),
    ],
)
def test_language_for(path: str, expected: str) -> None:
    assert language_for(path) == expected


def test_shebang_only_for_extensionless_files() -> None:
    assert language_for("bin/run", "#!/usr/bin/env bash") == "shellscript"
    assert language_for("bin/tool", "#!/usr/bin/python3") == "python"
    assert language_for("bin/tool", "#!/usr/bin/env -S node --flag") == "javascript"
    assert language_for("x.txt", "#!/bin/sh") == "plaintext"


def test_comment_syntax_known_and_generic() -> None:
    assert comment_syntax("python").line == ("#",)
    assert comment_syntax("sql").line == ("--",)
    assert ("<!--", "-->") in comment_syntax("html").block
    generic = comment_syntax("some-new-language")
    assert "#" in generic.line and "//" in generic.line


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_api.py", True),
        ("pkg/api_test.go", True),
        ("src/button.test.tsx", True),
        ("src/button.spec.js", True),
        ("src/test/java/FooTest.java", True),
        ("spec/user_spec.rb", True),
        ("tests/helpers.py", True),
        ("tests/fixtures/data.json", False),
        ("src/contest.py", False),
        ("src/latest.py", False),
    ],
)
def test_is_test_path(path: str, expected: bool) -> None:
    assert is_test_path(path) is expected
