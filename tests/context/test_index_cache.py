"""The persisted workspace index: a new process loads it and reads only what changed; it is keyed to
its folder and cannot be planted, swapped or damaged into another workspace's index."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelroute.context import index_cache
from modelroute.context.index_cache import IndexCache
from modelroute.context.workspace import WorkspaceIndex
from modelroute_testing.workspaces import age
from tests.context.conftest import WriteFiles

FILES = {
    ".gitignore": "build/\n",
    "app/orders.py": "def load_orders(store):\n    return store.all()\n",
    "app/report.py": "from app.orders import load_orders\n\nrows = load_orders(db)\n",
    "web/ui.ts": "export const ordersView = () => load_orders();\n",
    "scripts/deploy": "#!/bin/sh\necho deploy\n",
    "Dockerfile": "FROM python:3.11\n",
    "package.json": '{"dependencies": {"react": "18"}}\n',
    "build/out.js": "ignored",
}


@pytest.fixture
def cache(tmp_path: Path) -> IndexCache:
    return IndexCache(tmp_path / "cache" / "index", min_files=0)


@pytest.fixture
def root(workspace: WriteFiles) -> Path:
    root = workspace(FILES)
    age(root)
    return root


def built(root: Path, cache: IndexCache | None) -> WorkspaceIndex:
    index = WorkspaceIndex(root, cache=cache)
    index.build()
    return index


def same_answers(a: WorkspaceIndex, b: WorkspaceIndex) -> None:
    assert a.files == b.files and a.file_count == b.file_count
    assert a.markers() == b.markers()
    for name in ("load_orders", "store", "ordersView", "deploy", "nothing_here", "alpha_one", "beta_two",
                 "gamma_three", "changed", "a_a", "b_c"):
        # the same files; their order is index order, where a file read again comes last
        assert sorted(a.referencing_files(name)) == sorted(b.referencing_files(name)), name
        assert a.referencing_count(name) == b.referencing_count(name), name


def test_a_second_process_loads_the_index_and_reads_nothing(root: Path, cache: IndexCache) -> None:
    first = built(root, cache)
    assert first.last_build is not None and first.last_build.kind == "walked" and first.last_build.saved
    second = built(root, cache)
    assert second.last_build is not None
    assert (second.last_build.kind, second.last_build.files_read, second.last_build.folders_listed) == (
        "refreshed", 0, 0)
    same_answers(second, built(root, None))
    assert second.markers().ui_frameworks == ("react",) and second.markers().shell_scripts == 1


def test_a_changed_file_is_read_again_and_only_it(root: Path, cache: IndexCache) -> None:
    built(root, cache)
    (root / "app/orders.py").write_text("def fetch_orders(store):\n    return store.all()\n")
    later = built(root, cache)
    assert later.last_build is not None and later.last_build.files_read == 1
    assert later.referencing_files("fetch_orders") == ["app/orders.py"]
    assert "app/orders.py" not in later.referencing_files("load_orders")
    same_answers(later, built(root, None))


def test_same_size_and_restored_mtime_is_still_seen_through_ctime(root: Path, cache: IndexCache) -> None:
    built(root, cache)
    path = root / "app/orders.py"
    before = path.stat()
    path.write_text(path.read_text().replace("load_orders", "load_ORDERS"))  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `touch -r` or a tool keeping mtimes would
    later = built(root, cache)
    assert later.referencing_files("load_ORDERS") == ["app/orders.py"]


def test_files_added_removed_and_folders_renamed(root: Path, cache: IndexCache) -> None:
    built(root, cache)
    (root / "app" / "billing.py").write_text("def load_orders_total(): ...\n")
    (root / "web" / "ui.ts").unlink()
    (root / "scripts").rename(root / "tools")
    later = built(root, cache)
    assert later.last_build is not None and later.last_build.files_read <= 3  # billing.py, tools/deploy
    assert "app/billing.py" in later.files and "web/ui.ts" not in later.files
    assert "tools/deploy" in later.files and "scripts/deploy" not in later.files
    assert later.markers().shell_scripts == 1
    same_answers(later, built(root, None))


def test_a_new_gitignore_walks_its_folder_again_reusing_unchanged_files(root: Path, cache: IndexCache) -> None:
    built(root, cache)
    (root / "app" / ".gitignore").write_text("report.py\n")
    later = built(root, cache)
    assert later.last_build is not None and later.last_build.trees_walked == 1
    assert later.last_build.files_read == 1  # the new .gitignore itself; orders.py is reused
    assert "app/report.py" not in later.files and "app/orders.py" in later.files
    same_answers(later, built(root, None))


def test_an_edited_gitignore_and_info_exclude_change_what_is_indexed(root: Path, cache: IndexCache) -> None:
    built(root, cache)
    (root / ".gitignore").write_text("")  # build/ is no longer ignored
    (root / ".git" / "info").mkdir(parents=True)
    (root / ".git" / "info" / "exclude").write_text("Dockerfile\n")
    later = built(root, cache)
    assert "build/out.js" in later.files and "Dockerfile" not in later.files
    assert later.markers().dockerfiles == ()
    same_answers(later, built(root, None))


def test_a_file_changed_right_after_the_save_is_read_again(root: Path, cache: IndexCache) -> None:
    """Within a timestamp tick of the walk, an unchanged lstat does not prove unchanged content."""
    path = root / "app/orders.py"
    path.write_text("def load_orders(store):\n    return store.all()\n")  # mtime: now
    built(root, cache)
    again = built(root, cache)
    assert again.last_build is not None and again.last_build.files_read >= 1


def test_edits_from_the_editor_during_the_session_are_not_lost(root: Path, cache: IndexCache) -> None:
    index = built(root, cache)
    (root / "app" / "new.py").write_text("def brand_new(): ...\n")
    index.update("app/new.py")
    assert index.referencing_files("brand_new") == ["app/new.py"]
    assert built(root, cache).referencing_files("brand_new") == ["app/new.py"]


def test_small_workspaces_are_not_saved(root: Path, tmp_path: Path) -> None:
    small = IndexCache(tmp_path / "small-cache", min_files=100)
    index = built(root, small)
    assert index.last_build is not None and not index.last_build.saved
    assert not (tmp_path / "small-cache").exists()


# --- keyed to its folder, and safe against other writers ------------------------------------------------


def test_each_workspace_has_its_own_file_named_by_its_path(workspace: WriteFiles, cache: IndexCache) -> None:
    a = workspace({"a/x.py": "def only_in_a(): ...\n"}, name="a")
    b = workspace({"b/y.py": "def only_in_b(): ...\n"}, name="b")
    assert cache.path_for(a.resolve(), (), 200_000) != cache.path_for(b.resolve(), (), 200_000)
    built(a, cache)
    index_b = built(b, cache)
    assert index_b.files == ("b/y.py",) and index_b.referencing_files("only_in_a") == []
    assert cache.path_for(a.resolve(), ("*.secret",), 200_000) != cache.path_for(a.resolve(), (), 200_000)


def test_an_index_planted_under_another_workspace_name_is_refused(workspace: WriteFiles, cache: IndexCache) -> None:
    a = workspace({"x.py": "def planted(): ...\n"}, name="a")
    b = workspace({"y.py": "def real(): ...\n"}, name="b")
    built(a, cache)
    planted = cache.path_for(a.resolve(), (), 200_000)
    planted.replace(cache.path_for(b.resolve(), (), 200_000))
    index_b = built(b, cache)
    assert index_b.last_build is not None and index_b.last_build.kind == "walked"
    assert index_b.files == ("y.py",) and index_b.referencing_files("planted") == []


def test_a_folder_recreated_at_the_same_path_is_not_trusted(root: Path, cache: IndexCache, tmp_path: Path) -> None:
    built(root, cache)
    moved = tmp_path / "elsewhere"
    root.rename(moved)
    root.mkdir()
    (root / "only.py").write_text("def fresh(): ...\n")
    index = built(root, cache)
    assert index.last_build is not None and index.last_build.kind == "walked"
    assert index.files == ("only.py",)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],
        lambda data: b"garbage" + data,
        lambda data: data.replace(b"app/orders.py", b"../../../etc"),
        lambda data: data.replace(b"app/orders.py", b"/etc/passwd/x"),
        lambda data: b"",
    ],
    ids=["truncated", "garbage", "dotdot-path", "absolute-path", "empty"],
)
def test_a_damaged_or_tampered_file_is_ignored_and_rebuilt(root: Path, cache: IndexCache, damage: object) -> None:
    built(root, cache)
    path = cache.path_for(root.resolve(), (), 200_000)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    index = built(root, cache)
    assert index.last_build is not None and index.last_build.kind == "walked"
    same_answers(index, built(root, None))
    assert all(not p.startswith(("/", "..")) for p in index.files)


def test_a_file_id_past_the_files_is_skipped_where_it_is_read(root: Path, cache: IndexCache) -> None:
    built(root, cache)
    path = cache.path_for(root.resolve(), (), 200_000)
    data = path.read_bytes()
    path.write_bytes(data[:-4] + b"\xff\xff\xff\x7f")  # the last posting's last id, far past the files
    index = built(root, cache)
    names = {w for text in FILES.values() for w in re.findall(r"[A-Za-z_]\w+", text)}
    for name in names:
        assert set(index.referencing_files(name)) <= set(index.files), name


def test_a_cache_folder_others_can_write_is_not_used(root: Path, cache: IndexCache) -> None:
    built(root, cache)
    cache.folder.chmod(0o777)
    index = built(root, cache)
    assert index.last_build is not None and index.last_build.kind == "walked" and not index.last_build.saved


def test_an_index_file_that_is_a_symlink_is_not_followed(root: Path, cache: IndexCache, tmp_path: Path) -> None:
    built(root, cache)
    path = cache.path_for(root.resolve(), (), 200_000)
    real = tmp_path / "real.idx"
    path.replace(real)
    path.symlink_to(real)
    assert cache.load(path, root.resolve()) is None


def test_files_are_private_and_old_ones_are_pruned(root: Path, cache: IndexCache) -> None:
    cache.folder.mkdir(parents=True, mode=0o700)
    stale = cache.folder / ("0" * 32 + ".idx")
    stale.write_bytes(b"old")
    month_ago = time.time() - 40 * 86400
    os.utime(stale, (month_ago, month_ago))
    extra = []
    for i in range(index_cache.KEEP + 5):
        f = cache.folder / f"{i + 1:032x}.idx"
        f.write_bytes(b"x")
        os.utime(f, (time.time() - 3600 - i, time.time() - 3600 - i))
        extra.append(f)
    built(root, cache)
    path = cache.path_for(root.resolve(), (), 200_000)
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    assert cache.folder.stat().st_mode & 0o022 == 0
    assert not stale.exists()
    assert len(list(cache.folder.glob("*.idx"))) == index_cache.KEEP


def test_names_with_newlines_and_odd_bytes_round_trip(workspace: WriteFiles, cache: IndexCache) -> None:
    root = workspace({"ok.py": "x = 1\n"})
    (root / "line\nbreak.py").write_text("def odd_name(): ...\n")
    (root / os.fsdecode(b"latin-\xe9.py")).write_text("def latin_name(): ...\n")
    (root / "back\\slash.py").write_text("def back_slash(): ...\n")
    age(root)
    built(root, cache)
    again = built(root, cache)
    assert again.last_build is not None and again.last_build.kind == "refreshed"
    same_answers(again, built(root, None))
    assert again.referencing_files("odd_name") == ["line\nbreak.py"]


_NAMES = ("a", "b", "c")
_OPS = st.lists(
    st.tuples(
        st.sampled_from(["write", "delete", "gitignore", "rename", "mkdir"]),
        st.sampled_from(_NAMES),
        st.sampled_from(_NAMES),
        st.sampled_from(["alpha_one", "beta_two", "gamma_three", "*.py", "b/", "!a.py"]),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_OPS)
def test_after_any_changes_the_loaded_index_answers_as_a_fresh_walk(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, str, str, str]]
) -> None:
    root = tmp_path_factory.mktemp("ws")
    cache = IndexCache(tmp_path_factory.mktemp("cache"), min_files=0)
    for folder in _NAMES:
        (root / folder / "b").mkdir(parents=True)
        for name in _NAMES:
            (root / folder / f"{name}.py").write_text(f"def {folder}_{name}(): return alpha_one\n")
            (root / folder / "b" / f"{name}.txt").write_text(f"beta_two {folder} {name}\n")
    age(root)
    built(root, cache)
    for op, folder, name, word in ops:
        target = root / folder
        if op == "write" and target.is_dir():
            (target / f"{name}.py").write_text(f"def changed(): return {word.strip('*!/.')}\n")
        elif op == "delete" and (target / f"{name}.py").exists():
            (target / f"{name}.py").unlink()
        elif op == "gitignore" and target.is_dir():
            (target / ".gitignore").write_text(f"{word}\n")
        elif op == "rename" and target.is_dir() and not (root / f"{folder}{name}").exists():
            target.rename(root / f"{folder}{name}")
        elif op == "mkdir":
            (root / folder / name / "new").mkdir(parents=True, exist_ok=True)
            (root / folder / name / "new" / "n.py").write_text(f"{word.strip('*!/.')} = 1\n")
    same_answers(built(root, cache), built(root, None))
