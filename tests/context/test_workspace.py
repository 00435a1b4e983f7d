from __future__ import annotations

import threading
from pathlib import Path

from modelroute.context.workspace import WorkspaceIndex
from tests.context.conftest import WriteFiles


def built(root: Path, exclude: tuple[str, ...] = ()) -> WorkspaceIndex:
    index = WorkspaceIndex(root, exclude=exclude)
    index.build()
    return index


def test_nested_gitignore_and_skipped_folders(workspace: WriteFiles) -> None:
    root = workspace(
        {
            ".gitignore": "build/\n*.log\n/only_top.txt\n",
            "only_top.txt": "x",
            "src/only_top.txt": "kept: the pattern is anchored to the root",
            "src/.gitignore": "!keep.log\ngenerated/\nsecret_*.py\n",
            "src/keep.log": "kept by negation",
            "src/drop.log": "ignored",
            "src/app.py": "print(1)",
            "src/secret_key.py": "KEY = 1",
            "src/generated/out.py": "x = 1",
            "src/deep/.gitignore": "*.tmp\n",
            "src/deep/a.tmp": "ignored",
            "src/deep/b.py": "y = 2",
            "other/a.tmp": "not ignored here",
            "build/out.js": "ignored",
            "node_modules/react/index.js": "skipped without any .gitignore",
            ".git/config": "[core]",
        }
    )
    index = built(root)
    assert index.files == (
        ".gitignore",
        "other/a.tmp",
        "src/.gitignore",
        "src/app.py",
        "src/deep/.gitignore",
        "src/deep/b.py",
        "src/keep.log",
        "src/only_top.txt",
    )
    assert index.file_count == 8
    assert index.is_ignored("src/drop.log")
    assert index.is_ignored("build/new.py")
    assert not index.is_ignored("src/keep.log")


def test_git_info_exclude_and_privacy_exclude(workspace: WriteFiles) -> None:
    root = workspace(
        {
            ".git/info/exclude": "local_notes.md\n",
            "local_notes.md": "x",
            ".env.local": "K=1",
            "a.py": "",
            "k/x.pem": "",
        }
    )
    index = built(root, exclude=(".env*", "**/*.pem"))
    assert index.files == ("a.py",)


def test_markers(workspace: WriteFiles) -> None:
    root = workspace(
        {
            "Dockerfile": "FROM python:3.11",
            "services/api/Dockerfile.prod": "FROM x",
            "docker-compose.yml": "services: {}",
            "Makefile": "all:\n\techo hi",
            "tools/rules.mk": "x:=1",
            ".github/workflows/ci.yml": "on: push",
            ".github/workflows/README.md": "not a workflow",
            ".gitlab-ci.yml": "stages: []",
            "Jenkinsfile": "pipeline {}",
            ".circleci/config.yml": "version: 2",
            "azure-pipelines.yml": "trigger: []",
            "scripts/deploy.sh": "#!/bin/sh\necho",
            "scripts/run": "#!/usr/bin/env bash\necho",
            "package.json": '{"dependencies": {"react": "^18", "next": "14"},'
            ' "devDependencies": {"tailwindcss": "3"}}',
            "web/admin/package.json": '{"dependencies": {"vue": "3", "left-pad": "1"}}',
            "broken/package.json": "{not json",
            "src/app.py": "x = 1",
            "tests/test_app.py": "def test_x(): pass",
            "web/Button.test.tsx": "it('x', () => {})",
        }
    )
    m = built(root).markers()
    assert m.dockerfiles == ("Dockerfile", "docker-compose.yml", "services/api/Dockerfile.prod")
    assert m.makefiles == ("Makefile", "tools/rules.mk")
    assert m.ci_configs == (
        ".circleci/config.yml",
        ".github/workflows/ci.yml",
        ".gitlab-ci.yml",
        "Jenkinsfile",
        "azure-pipelines.yml",
    )
    assert m.shell_scripts == 2
    assert m.ui_frameworks == ("next", "react", "tailwind", "vue")
    assert m.test_files == 2
    assert m.languages["python"] == 2
    assert m.languages["shellscript"] == 2
    assert m.languages["typescriptreact"] == 1


def test_referencing_files_whole_identifiers(workspace: WriteFiles) -> None:
    root = workspace(
        {
            "pkg/core.py": "def parse_config(path):\n    return path\n",
            "pkg/cli.py": "from pkg.core import parse_config\nparse_config('x')\n",
            "pkg/other.py": "parse_config_v2 = 1  # not the same identifier\n",
            "web/app.ts": "import { parse_config } from './x'\n",
            "docs/notes.md": "Call parse_config first.\n",
            "img.bin": b"\x00\x01parse_config\x00",
            "big.py": "parse_config = 1\n" + "x" * 600_000,
        }
    )
    index = built(root)
    everywhere = ["docs/notes.md", "pkg/cli.py", "pkg/core.py", "web/app.ts"]
    assert index.referencing_files("parse_config") == everywhere
    assert index.referencing_files("parse_config", exclude_file="pkg/core.py") == [
        "docs/notes.md", "pkg/cli.py", "web/app.ts"
    ]  # fmt: skip
    assert index.referencing_count("parse_config", exclude_file="pkg/core.py") == 3
    assert index.referencing_files("parse_config", limit=2) == ["docs/notes.md", "pkg/cli.py"]
    assert index.referencing_files("missing_name") == []
    assert index.referencing_files("return") == []  # keywords are not indexed
    assert index.referencing_files("café") == []
    assert "big.py" in index.files and "img.bin" in index.files  # listed, not content-indexed
    assert index.size_of("pkg/core.py") == len("def parse_config(path):\n    return path\n")


def test_incremental_update_and_remove(workspace: WriteFiles) -> None:
    root = workspace({"a.py": "def widget(): pass\n", "b.py": "widget()\n", "Dockerfile": "FROM x"})
    index = built(root)
    assert index.referencing_count("widget") == 2

    (root / "b.py").write_text("gadget()\n")
    index.update("b.py")
    assert index.referencing_files("widget") == ["a.py"]
    assert index.referencing_files("gadget") == ["b.py"]

    (root / "c").mkdir()
    (root / "c" / "d.py").write_text("widget(); gadget()\n")
    index.update("c/d.py")
    assert index.referencing_files("widget") == ["a.py", "c/d.py"]
    assert index.file_count == 4

    (root / "c" / "d.py").unlink()
    index.update("c/d.py")  # a deletion reported as a change
    assert index.referencing_files("widget") == ["a.py"]

    index.remove("Dockerfile")
    assert index.markers().dockerfiles == ()
    assert "Dockerfile" not in index.files
    assert index.file_count == 2


def test_update_folder_and_remove_folder(workspace: WriteFiles) -> None:
    root = workspace({"a.py": "alpha = 1\n"})
    index = built(root)
    for i in range(3):
        (root / "new" / "sub").mkdir(parents=True, exist_ok=True)
        (root / "new" / "sub" / f"m{i}.py").write_text("alpha\n")
    index.update("new")
    assert index.referencing_count("alpha") == 4
    index.remove("new")
    assert index.files == ("a.py",)
    assert index.referencing_files("alpha") == ["a.py"]


def test_update_respects_gitignore_and_rejects_escapes(workspace: WriteFiles) -> None:
    root = workspace({".gitignore": "dist/\n*.tmp\n", "sub/.gitignore": "local.py\n", "a.py": ""})
    index = built(root)
    for rel in ("dist/x.py", "b.tmp", "sub/local.py", "sub/ok.py", "node_modules/z.js"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("")
        index.update(rel)
    assert "sub/ok.py" in index.files
    assert not {"dist/x.py", "b.tmp", "sub/local.py", "node_modules/z.js"} & set(index.files)
    index.update("../outside.py")
    index.update("/etc/passwd")
    index.remove("../a.py")
    assert "a.py" in index.files


def test_new_gitignore_applies_to_later_updates(workspace: WriteFiles) -> None:
    root = workspace({"a.py": ""})
    index = built(root)
    (root / "gen").mkdir()
    (root / "gen" / ".gitignore").write_text("*.py\n")
    index.update("gen/.gitignore")
    (root / "gen" / "x.py").write_text("")
    index.update("gen/x.py")
    assert "gen/x.py" not in index.files
    assert "gen/.gitignore" in index.files


def test_many_updates_compact_postings(workspace: WriteFiles) -> None:
    root = workspace({f"m{i}.py": f"shared_name = {i}\n" for i in range(20)})
    index = built(root)
    for round_ in range(120):
        rel = f"m{round_ % 20}.py"
        (root / rel).write_text(f"shared_name = {round_}\nround_{round_} = 1\n")
        index.update(rel)
    assert index.referencing_count("shared_name") == 20
    assert index.referencing_count("shared_name", exclude_file="m3.py") == 19
    assert index.referencing_files("round_119") == ["m19.py"]
    assert index.referencing_files("round_0") == []


def test_missing_root_builds_empty(tmp_path: Path) -> None:
    index = built(tmp_path / "nope")
    assert index.file_count == 0
    assert index.is_built


def test_symlinks_are_not_followed(workspace: WriteFiles, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("token = 1")
    root = workspace({"a.py": ""})
    (root / "link").symlink_to(outside)
    (root / "link.py").symlink_to(outside / "secret.py")
    assert built(root).files == ("a.py",)


def test_updates_during_a_background_build_are_kept(workspace: WriteFiles) -> None:
    root = workspace({f"d{i // 100}/f{i}.py": f"name_{i} = 1\n" for i in range(600)})
    index = WorkspaceIndex(root)
    worker = threading.Thread(target=index.build)
    worker.start()
    (root / "late.py").write_text("late_name = 1\n")
    index.update("late.py")
    (root / "d0" / "f0.py").unlink()
    index.remove("d0/f0.py")
    worker.join()
    assert index.is_built
    assert index.referencing_files("late_name") == ["late.py"]
    assert index.referencing_files("name_0") == []
    assert index.file_count == 600


def test_max_files_truncates(workspace: WriteFiles) -> None:
    root = workspace({f"f{i}.py": "" for i in range(30)})
    index = WorkspaceIndex(root, max_files=10)
    index.build()
    assert index.file_count == 10
    assert index.truncated
