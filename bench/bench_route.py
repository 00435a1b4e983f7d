"""Whole-decision latency (context + classify + prompt + tokens + route) against workspace size.

    .venv/bin/python bench/bench_route.py [--sizes 1000 10000 50000] [--requests 200] [--git]

Each size gets a generated workspace (modelroute_testing.workspaces), one Engine with a warm index, and the
same request mix; the table gives the median and p95 per stage and in total. The first decision of a
size is reported apart: it pays for imports and the catalog build. With --git the workspace is a git
repository and a second table gives the first decision after a save (the file changed on disk, the
Engine told, then a decision on it), 20 times. User state goes to a temporary folder.

Run with another checkout's sources first on PYTHONPATH for the figures before a change.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))  # modelroute_testing

from modelroute.classify import classify
from modelroute.context.gather import ActionRequest, gather_context
from modelroute.cost import count_tokens
from modelroute.pipeline import Engine
from modelroute.prompt import build_request
from modelroute_testing.env import user_dirs
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


def measure(files: int, count: int, with_git: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(user_dirs(Path(tmp) / "home"))  # the index cache, too, stays in here
        root = Path(tmp) / "ws"
        root.mkdir()
        generate(root, files)
        if with_git:
            _commit_all(root)
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
        after_save = _after_saves(engine, requests[:20]) if with_git else [0.0]
        return {
            "after_save_ms": statistics.median(after_save),
            "after_save_max_ms": max(after_save),
            "files": files,
            "index_s": index_s,
            "first_ms": first_ms,
            "median_ms": statistics.median(total),
            "p95_ms": _pct(total, 0.95),
            "gather_ms": statistics.median(gather),
            "classify_ms": statistics.median(cls),
            "prompt_tokens_ms": statistics.median(tok),
        }


def _commit_all(root: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@b"}  # fmt: skip
    for args in (["init", "-q"], ["add", "."], ["-c", "gc.auto=0", "commit", "-qm", "init"]):  # no gc left running
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def _after_saves(engine: Engine, requests: list[ActionRequest]) -> list[float]:
    """The first decision after each save: the file is changed on disk and the Engine told, as the
    server does on a didChangeWatchedFiles, then a decision on that file."""
    out = []
    for i, request in enumerate(requests):
        path = engine.root / request.file
        path.write_text(path.read_text() + f"# saved {i}\n")
        engine.file_event(request.file, "changed")
        t0 = time.perf_counter()
        engine.decide(request)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--git", action="store_true", help="also time the first decision after a save")
    args = parser.parse_args()
    print("| files | index build s | first decision ms | median ms | p95 ms | gather | classify | prompt+tokens |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    saves = []
    for size in args.sizes:
        r = measure(size, args.requests, args.git)
        print(f"| {size:,} | {r['index_s']:.2f} | {r['first_ms']:.1f} | {r['median_ms']:.2f} | {r['p95_ms']:.2f} "
              f"| {r['gather_ms']:.2f} | {r['classify_ms']:.2f} | {r['prompt_tokens_ms']:.2f} |", flush=True)
        saves.append(f"| {size:,} | {r['after_save_ms']:.2f} | {r['after_save_max_ms']:.2f} |")
    if args.git:
        print("\n| files | first decision after a save, median ms | max ms |\n| ---: | ---: | ---: |")
        print("\n".join(saves))
    return 0


if __name__ == "__main__":
    sys.exit(main())
