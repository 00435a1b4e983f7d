"""Whole-decision latency (context + classify + prompt + tokens + route) against workspace size.

    .venv/bin/python bench/bench_route.py [--sizes 1000 10000 50000] [--requests 200]

Each size gets a generated workspace (modelroute_testing.workspaces), one Engine with a warm index, and the
same request mix; the table gives the median and p95 per stage and in total. The first decision of a
size is reported apart: it pays for imports and the catalog build.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))  # modelroute_testing

from modelroute.classify import classify
from modelroute.context.gather import gather_context
from modelroute.cost import count_tokens
from modelroute.pipeline import Engine
from modelroute.prompt import build_request
from modelroute_testing.workspaces import generate
from modelroute_testing.workspaces import requests as workspace_requests

INSTRUCTIONS = [
    "rename this function everywhere",
    "add a docstring",
    "why does this return None?",
    "write a Makefile target that runs the tests",
    "review this for thread safety",
]


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(files: int, count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        root.mkdir()
        generate(root, files)
        engine = Engine(root, user_file=Path(tmp) / "none.toml", env={})
        t0 = time.perf_counter()
        engine.build_index()
        index_s = time.perf_counter() - t0
        requests = [
            r.model_copy(update={"instruction": INSTRUCTIONS[i % len(INSTRUCTIONS)]})
            for i, r in enumerate(workspace_requests(engine.index, count))
        ]
        t0 = time.perf_counter()
        engine.decide(requests[0])
        first_ms = (time.perf_counter() - t0) * 1000
        total, gather, cls, tok = [], [], [], []
        for request in requests:
            t0 = time.perf_counter()
            engine.decide(request)
            total.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            ctx = gather_context(engine.index, engine.git, request)
            t1 = time.perf_counter()
            label = classify(ctx).label
            t2 = time.perf_counter()
            count_tokens(build_request(ctx, label, "m", engine.settings.privacy).text_for_counting())
            t3 = time.perf_counter()
            gather.append((t1 - t0) * 1000)
            cls.append((t2 - t1) * 1000)
            tok.append((t3 - t2) * 1000)
        return {
            "files": files,
            "index_s": index_s,
            "first_ms": first_ms,
            "median_ms": statistics.median(total),
            "p95_ms": _pct(total, 0.95),
            "gather_ms": statistics.median(gather),
            "classify_ms": statistics.median(cls),
            "prompt_tokens_ms": statistics.median(tok),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    print("| files | index build s | first decision ms | median ms | p95 ms | gather | classify | prompt+tokens |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in args.sizes:
        r = measure(size, args.requests)
        print(f"| {size:,} | {r['index_s']:.2f} | {r['first_ms']:.1f} | {r['median_ms']:.2f} | {r['p95_ms']:.2f} "
              f"| {r['gather_ms']:.2f} | {r['classify_ms']:.2f} | {r['prompt_tokens_ms']:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
