"""Load and score the held-out texts (tests/classify/heldout.jsonl)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from modelroute.classify import classify
from modelroute.context.model import ActionContext
from tests.classify.scenarios import language_for

HELDOUT = Path(__file__).with_name("heldout.jsonl")


def load_heldout() -> list[dict[str, Any]]:
    lines = HELDOUT.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def context_for(rec: dict[str, Any]) -> ActionContext:
    file = rec.get("file", "")
    return ActionContext(workspace="/heldout", file=file, language=rec.get("language") or language_for(file),
                         instruction=rec["text"])


def score() -> tuple[float, Counter[tuple[str, str]], list[tuple[dict[str, Any], str]]]:
    pairs: Counter[tuple[str, str]] = Counter()
    misses = []
    for rec in load_heldout():
        got = classify(context_for(rec)).label.value
        pairs[(rec["label"], got)] += 1
        if got != rec["label"]:
            misses.append((rec, got))
    total = sum(pairs.values())
    return 1 - len(misses) / total, pairs, misses


if __name__ == "__main__":
    acc, pairs, misses = score()
    for rec, got in misses:
        print(f"MISS want {rec['label']:<20} got {got:<20} {rec['text'][:110]!r}")
    print(f"accuracy {acc:.3f} on {sum(pairs.values())}")
