"""Measure the redactor: false positives on real Python code, and speed on a 10k-line file.

    .venv/bin/python -m tests.trust.measure_redaction [ROOT ...] [--examples N]

ROOT defaults to the venv's site-packages. Every replacement in that code counts as a false positive
unless it is in a file that is plainly test data for secrets (few are); examples are printed so a
person can judge. Not a pytest test: it reads a few hundred MB.
"""

from __future__ import annotations

import argparse
import re
import sys
import sysconfig
import time
from collections import Counter
from pathlib import Path

from modelroute.prompt.redact import redact
from modelroute_testing.canaries import CANARIES

_MARK = re.compile(r"\[REDACTED:([a-z0-9-]+)\]")


def false_positives(roots: list[Path], examples: int) -> None:
    files = lines = hit_files = hits = 0
    kinds: Counter[str] = Counter()
    shown: list[str] = []
    started = time.perf_counter()
    for root in roots:
        for path in root.rglob("*.py"):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            files += 1
            lines += text.count("\n") + 1
            out, n = redact(text)
            if not n:
                continue
            hit_files += 1
            hits += n
            out_lines = out.splitlines()
            for line in out_lines:
                for kind in _MARK.findall(line):
                    kinds[kind] += 1
                    if len(shown) < examples:
                        shown.append(f"{path.relative_to(root)}: {line.strip()[:140]}")
    elapsed = time.perf_counter() - started
    print(f"files {files}, lines {lines}, {elapsed:.1f} s ({lines / elapsed / 1000:.0f}k lines/s)")
    print(f"files with a replacement {hit_files} ({hit_files / max(files, 1):.2%}), "
          f"replacements {hits} ({hits / max(lines, 1) * 1e6:.0f} per million lines)")
    for kind, n in kinds.most_common():
        print(f"  {kind}: {n}")
    for line in shown:
        print("  e.g.", line)


def speed() -> None:
    ordinary = Path(__file__).with_name("canaries.py").read_text(encoding="utf-8").splitlines()
    secret_lines = [line for c in CANARIES for line in c.text.splitlines()]
    body = [*ordinary] * (10_000 // len(ordinary) + 1)
    body = body[:10_000]
    for i in range(0, 10_000, 200):  # one secret every 200 lines
        body[i] = secret_lines[i // 200 % len(secret_lines)]
    text = "\n".join(body)
    best = min(_timed(text) for _ in range(5))
    print(f"10,000 lines ({len(text) / 1e6:.2f} MB, 50 secrets): {best * 1000:.1f} ms (best of 5)")


def _timed(text: str) -> float:
    t = time.perf_counter()
    redact(text)
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("roots", nargs="*", type=Path)
    parser.add_argument("--examples", type=int, default=40)
    args = parser.parse_args()
    roots = args.roots or [Path(sysconfig.get_paths()["purelib"])]
    false_positives(roots, args.examples)
    speed()
    return 0


if __name__ == "__main__":
    sys.exit(main())
