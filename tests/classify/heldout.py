"""Load and score labelled text sets (tests/classify/*.jsonl).

Run: PYTHONPATH=. .venv/bin/python -m tests.classify.heldout [heldout|blind|blind2|blind3 ...]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from modelroute.classify import classify
from modelroute.context.model import ActionContext
from tests.classify.scenarios import language_for

HERE = Path(__file__).parent
HELDOUT = HERE / "heldout.jsonl"
Record = dict[str, Any]


def load_set(name: str) -> list[Record]:
    lines = (HERE / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def load_heldout() -> list[Record]:
    return load_set("heldout")


def context_for(rec: Record) -> ActionContext:
    file = rec.get("file", "")
    return ActionContext(workspace="/heldout", file=file, language=rec.get("language") or language_for(file),
                         instruction=rec["text"])


def score(records: list[Record] | None = None) -> tuple[float, Counter[tuple[str, str]], list[tuple[Record, str]]]:
    pairs: Counter[tuple[str, str]] = Counter()
    misses = []
    for rec in load_heldout() if records is None else records:
        got = classify(context_for(rec)).label.value
        pairs[(rec["label"], got)] += 1
        if got != rec["label"]:
            misses.append((rec, got))
    total = sum(pairs.values())
    return 1 - len(misses) / total, pairs, misses


def _confusion(pairs: Counter[tuple[str, str]]) -> str:
    labels = sorted({a for a, _ in pairs} | {b for _, b in pairs})
    short = {lab: lab[:6] for lab in labels}
    head = "want\\got".ljust(20) + " ".join(short[b].rjust(6) for b in labels)
    rows = [head]
    for a in labels:
        rows.append(a.ljust(20) + " ".join(str(pairs.get((a, b), 0) or ".").rjust(6) for b in labels))
    return "\n".join(rows)


def main(names: list[str]) -> None:
    for name in names or ["heldout"]:
        acc, pairs, misses = score(load_set(name))
        for rec, got in misses:
            print(f"MISS want {rec['label']:<20} got {got:<20} {rec['text'][:110]!r}")
        print(_confusion(pairs))
        print(f"{name}: accuracy {acc:.3f} ({sum(pairs.values()) - len(misses)}/{sum(pairs.values())})")


if __name__ == "__main__":
    main(sys.argv[1:])
