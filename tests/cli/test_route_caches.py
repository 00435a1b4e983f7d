"""`modelroute route` with its user caches (token counts, catalog facts): the JSON a user sees is the same
byte for byte whether the caches are empty, warm, or damaged, and the caches stay in the user cache
folder. (bench/compare_route.py holds the same output to main's on the dev scenarios.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from modelroute_testing.env import scrubbed_env, user_dirs

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
ASK = ["--file", "src/shop/users.py", "--line", "17", "--character", "8", "--json"]


def route(home: Path, instruction: str) -> str:
    done = subprocess.run([sys.executable, "-m", "modelroute", "route", "--workspace", str(SHOP), *ASK,
                           "--instruction", instruction], capture_output=True, text=True, timeout=120,
                          env=scrubbed_env(**user_dirs(home)), check=True)  # fmt: skip
    return done.stdout


def test_the_same_json_cold_warm_and_with_new_words(tmp_path: Path) -> None:
    first = route(tmp_path / "a", "move discount_for into billing.py and update every caller")
    assert route(tmp_path / "a", "move discount_for into billing.py and update every caller") == first
    caches = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert any("tokens" in p.parts for p in caches) and any("catalog" in p.parts for p in caches)
    new = "explain why quux_zebrafish antidisestablishmentarianism breaks the discount rules"
    assert route(tmp_path / "a", new) == route(tmp_path / "b", new)  # warm caches vs none


def test_damaged_caches_change_nothing_the_user_sees(tmp_path: Path) -> None:
    instruction = "rename discount_for to price_after_discount everywhere"
    want = route(tmp_path, instruction)
    for path in tmp_path.rglob("*"):
        if path.is_file() and ("tokens" in path.parts or "catalog" in path.parts):
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    assert route(tmp_path, instruction) == want
    assert route(tmp_path, instruction) == want
