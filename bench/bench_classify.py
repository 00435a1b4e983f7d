"""Latency of classify: median and p95 over the dev-set contexts and the held-out texts.

Run: PYTHONPATH=. .venv/bin/python bench/bench_classify.py
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

from tests.classify.heldout import context_for, load_heldout
from tests.classify.scenarios import load_dev

from modelroute.classify import classify
from modelroute.context.model import ActionContext


def _timings(contexts: Sequence[ActionContext], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        for ctx in contexts:
            start = time.perf_counter()
            classify(ctx)
            out.append((time.perf_counter() - start) * 1e6)
    return out


def _report(name: str, samples: list[float]) -> None:
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"{name:<28} n={len(samples):>5}  median {statistics.median(samples):7.1f} us"
          f"  p95 {p95:7.1f} us  max {samples[-1]:8.1f} us")


def main() -> None:
    dev = [ctx for _sc, ctx in load_dev()]
    held = [context_for(r) for r in load_heldout()]
    long_reports = [c for c in held if len(c.instruction) > 400]
    huge = [ActionContext(workspace="/", file="x.py", language="python",
                          instruction="Traceback (most recent call last)\n  File \"a.py\", line 1\n" * 3000)]
    classify(dev[0])  # warm-up
    _report("dev scenarios", _timings(dev, 20))
    _report("held-out texts", _timings(held, 5))
    _report("held-out long (>400 chars)", _timings(long_reports, 20))
    _report("huge paste (~150 KB)", _timings(huge, 20))


if __name__ == "__main__":
    main()
