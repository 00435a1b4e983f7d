"""The built-in models' library facts in the user cache: a warm process builds the same catalog without
importing genai-prices; a stale, damaged or hostile file is rebuilt from the library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

import modelroute.catalog.builtin as builtin_module
from modelroute.catalog.builtin import BUILTINS
from modelroute.catalog.facts_cache import FactsCache, LibraryFacts, fingerprint
from modelroute.catalog.load import _library_facts

DAY = date(2026, 11, 1)
IDS = [spec.id for spec in BUILTINS]
CATALOG_IN_CHILD = """
import json, sys
from modelroute.catalog import load_catalog
from modelroute.policy.schema import Settings
catalog = load_catalog(Settings())
print(json.dumps({"models": [m.model_dump(mode="json") for m in catalog.models],
                  "library_imported": "genai_prices" in sys.modules}))
"""


def catalog_in_child(cache_home: Path) -> tuple[list[object], bool]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    done = subprocess.run([sys.executable, "-c", CATALOG_IN_CHILD], env=env, capture_output=True, text=True,
                          check=True, timeout=120)  # fmt: skip
    out = json.loads(done.stdout)
    return out["models"], out["library_imported"]


def library_facts() -> dict[str, LibraryFacts]:
    return {spec.id: _library_facts(spec, DAY) for spec in BUILTINS}


def test_a_warm_process_builds_the_same_catalog_without_the_price_library(tmp_path: Path) -> None:
    cold, imported = catalog_in_child(tmp_path)
    assert imported
    assert (tmp_path / "modelroute" / "catalog" / "builtin-facts.json").is_file()
    warm, imported = catalog_in_child(tmp_path)
    assert warm == cold and not imported


def test_facts_round_trip_exactly(tmp_path: Path) -> None:
    cache = FactsCache(tmp_path / "catalog" / "facts.json")
    facts = library_facts()
    assert cache.save(DAY, facts)
    assert cache.load(DAY, IDS) == facts
    assert (tmp_path / "catalog").stat().st_mode & 0o077 == 0


def test_another_day_or_another_code_is_a_miss(tmp_path: Path) -> None:
    cache = FactsCache(tmp_path / "facts.json")
    cache.save(DAY, library_facts())
    assert cache.load(date(2026, 11, 2), IDS) is None
    raw = json.loads(cache.path.read_bytes())
    raw["key"] = "0" * 64  # written by another version of modelroute or genai-prices
    cache.path.write_text(json.dumps(raw))
    assert cache.load(DAY, IDS) is None
    cache.save(DAY, library_facts())
    assert cache.load(DAY, [*IDS, "a-model-added-since"]) is None


def test_the_fingerprint_follows_the_sources() -> None:
    assert fingerprint() == fingerprint()
    source = Path(builtin_module.__file__)
    before = fingerprint()
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    try:
        assert fingerprint() != before
    finally:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _tampered(cache: FactsCache, change: object) -> None:
    raw = json.loads(cache.path.read_bytes())
    first = raw["facts"][IDS[0]]
    assert callable(change)
    change(first)
    cache.path.write_text(json.dumps(raw))


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.update(context_window=-5),
        lambda f: f.update(context_window=1.5),
        lambda f: f.update(context_window=True),
        lambda f: f.update(limits_source=None),
        lambda f: f["price"]["tiers"][0].update(input_mtok=float("nan")),
        lambda f: f["price"]["tiers"][0].update(output_mtok=-1.0),
        lambda f: f["price"]["tiers"][0].update(input_mtok="cheap"),
        lambda f: f["price"].update(tiers=[]),
        lambda f: f["price"]["tiers"][0].update(above_input_tokens=100),
        lambda f: f.clear(),
    ],
)
def test_impossible_facts_are_a_miss(tmp_path: Path, change: object) -> None:
    cache = FactsCache(tmp_path / "facts.json")
    cache.save(DAY, library_facts())
    _tampered(cache, change)
    assert cache.load(DAY, IDS) is None


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b"null", b'{"key": 1}', b"[" * 100_000, os.urandom(512)])
def test_a_damaged_file_is_a_miss(tmp_path: Path, content: bytes) -> None:
    cache = FactsCache(tmp_path / "facts.json")
    cache.path.write_bytes(content)
    assert cache.load(DAY, IDS) is None


def test_a_cache_file_cannot_make_a_model_local_or_change_its_strengths(tmp_path: Path) -> None:
    """Only library numbers are read from the file: extra fields are not part of any entry."""
    catalog_in_child(tmp_path)
    path = tmp_path / "modelroute" / "catalog" / "builtin-facts.json"
    raw = json.loads(path.read_bytes())
    for facts in raw["facts"].values():
        facts.update(local=True, open_weight=True, strengths={})
    path.write_text(json.dumps(raw))
    models, imported = catalog_in_child(tmp_path)
    assert not imported
    for model in models:
        assert isinstance(model, dict)
        assert model["local"] is False and len(model["strengths"]) == 7


def test_a_damaged_file_is_rebuilt_by_the_next_process(tmp_path: Path) -> None:
    cold, _ = catalog_in_child(tmp_path)
    path = tmp_path / "modelroute" / "catalog" / "builtin-facts.json"
    path.write_bytes(b"\x00garbage")
    again, imported = catalog_in_child(tmp_path)
    assert again == cold and imported
    assert catalog_in_child(tmp_path) == (cold, False)


def test_a_symlinked_or_shared_cache_is_not_read(tmp_path: Path) -> None:
    catalog_in_child(tmp_path)
    folder = tmp_path / "modelroute" / "catalog"
    folder.chmod(0o777)
    assert catalog_in_child(tmp_path)[1]
    folder.chmod(0o700)
    real = folder / "builtin-facts.json"
    moved = tmp_path / "elsewhere.json"
    real.rename(moved)
    real.symlink_to(moved)
    assert catalog_in_child(tmp_path)[1]
