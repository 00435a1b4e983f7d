"""Benchmark the workspace index and gather_context on synthetic workspaces.

    .venv/bin/python bench/bench_context.py                 # 1k, 10k and 50k files
    .venv/bin/python bench/bench_context.py --sizes 1000 --git

Each size runs in its own process so the memory figures (RSS growth over the build, and the
Python heap the index keeps, from tracemalloc on a second build) do not mix. Files are small
source files in Python, TypeScript and Go (40 to 120 lines) in folders of about 40 files, with
identifiers drawn from a shared vocabulary, so references spread like in a real code base.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from modelroute.context.gather import ActionRequest, gather_context
from modelroute.context.git import GitReader
from modelroute.context.model import Position
from modelroute.context.workspace import WorkspaceIndex

_WORDS = [
    "order",
    "user",
    "account",
    "invoice",
    "cart",
    "item",
    "price",
    "total",
    "store",
    "cache",
    "client",
    "server",
    "request",
    "response",
    "config",
    "parser",
    "token",
    "session",
    "event",
    "handler",
    "queue",
    "worker",
    "job",
    "task",
    "report",
    "metric",
    "log",
    "error",
    "retry",
    "payment",
    "shipment",
    "address",
    "product",
    "catalog",
    "search",
    "index",
    "page",
    "layout",
    "button",
    "form",
    "field",
    "value",
    "stream",
    "buffer",
    "reader",
    "writer",
    "file",
    "path",
    "node",
    "tree",
    "graph",
    "edge",
    "batch",
    "record",
    "schema",
    "table",
    "query",
]


def _names(rng: random.Random, count: int) -> list[str]:
    found: set[str] = set()
    while len(found) < count:
        a, b = rng.choice(_WORDS), rng.choice(_WORDS)
        found.add(f"{a}_{b}_{rng.randrange(1000)}")
    return sorted(found)


def _python(rng: random.Random, own: list[str], shared: list[str]) -> str:
    out = ["import os", "from typing import Any", ""]
    for name in own:
        used = rng.sample(shared, 3)
        out += [
            f"def {name}(value: Any, limit: int = 10) -> Any:",
            f'    """Compute {name.replace("_", " ")}."""',
            f"    result = {used[0]}(value)",
            "    for step in range(limit):",
            f"        result = {used[1]}(result, step)",
            "        if result is None:",
            f"            return {used[2]}(value)",
            "    return result",
            "",
        ]
    return "\n".join(out)


def _typescript(rng: random.Random, own: list[str], shared: list[str]) -> str:
    out = ["import { helper } from './util';", ""]
    for name in own:
        used = rng.sample(shared, 3)
        out += [
            f"export function {name}(value: number, limit = 10): number {{",
            f"  let result = {used[0]}(value);",
            "  for (let step = 0; step < limit; step++) {",
            f"    result = {used[1]}(result, step);",
            "    if (result < 0) {",
            f"      return {used[2]}(value);",
            "    }",
            "  }",
            "  return result;",
            "}",
            "",
        ]
    return "\n".join(out)


def _go(rng: random.Random, own: list[str], shared: list[str]) -> str:
    out = ["package main", "", 'import "fmt"', ""]
    for name in own:
        used = rng.sample(shared, 3)
        out += [
            f"func {name}(value int, limit int) int {{",
            f"\tresult := {used[0]}(value)",
            "\tfor step := 0; step < limit; step++ {",
            f"\t\tresult = {used[1]}(result, step)",
            "\t\tif result < 0 {",
            f"\t\t\treturn {used[2]}(value)",
            "\t\t}",
            "\t}",
            '\tfmt.Println("done")',
            "\treturn result",
            "}",
            "",
        ]
    return "\n".join(out)


_KINDS = ((".py", _python), (".ts", _typescript), (".go", _go))


def generate(root: Path, files: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    shared = _names(rng, max(200, files // 5))
    (root / ".gitignore").write_text("build/\n*.log\n")
    (root / "Dockerfile").write_text("FROM python:3.11\n")
    (root / "package.json").write_text('{"dependencies": {"react": "18"}}\n')
    per_dir = 40
    for i in range(files - 3):
        folder = root / f"pkg{i // (per_dir * 25)}" / f"mod{(i // per_dir) % 25}"
        if i % per_dir == 0:
            folder.mkdir(parents=True, exist_ok=True)
        ext, make = _KINDS[i % 3]
        own = [f"{rng.choice(_WORDS)}_{i}_{k}" for k in range(rng.randint(4, 10))]
        prefix = "test_" if i % 10 == 0 and ext == ".py" else ""
        (folder / f"{prefix}file_{i}{ext}").write_text(make(rng, own, shared))


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _requests(index: WorkspaceIndex, count: int, seed: int = 11) -> list[ActionRequest]:
    rng = random.Random(seed)
    files = [f for f in index.files if f.endswith((".py", ".ts", ".go"))]
    out: list[ActionRequest] = []
    for _ in range(count):
        file = rng.choice(files)
        line = rng.randrange(4, 30)
        if rng.random() < 0.3:
            cursor = Position(line=line, character=0)
            out.append(
                ActionRequest(file=file, cursor=cursor, selection_end=Position(line=line + 8, character=0))
            )
        else:
            out.append(ActionRequest(file=file, cursor=Position(line=line, character=rng.randrange(2, 20))))
    return out


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95)] * 1000


def measure(files: int, with_git: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="mr-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        generate(root, files)
        generated = time.perf_counter() - started
        if with_git:
            env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
                   "GIT_COMMITTER_EMAIL": "b@b"}  # fmt: skip
            for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "init"]):
                subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
        gc.collect()
        rss_before = _rss_bytes()
        index = WorkspaceIndex(root)
        started = time.perf_counter()
        index.build()
        build_s = time.perf_counter() - started
        gc.collect()
        rss_growth = _rss_bytes() - rss_before

        reader = GitReader(root)
        requests = _requests(index, 300)
        for request in requests[:30]:  # warm: git state cached, files in the page cache
            gather_context(index, reader, request)
        gather_times: list[float] = []
        for request in requests:
            t0 = time.perf_counter()
            gather_context(index, reader, request)
            gather_times.append(time.perf_counter() - t0)

        rng = random.Random(3)
        symbols = [rng.choice(_names(random.Random(7), max(200, files // 5))) for _ in range(300)]
        ref_times: list[float] = []
        for symbol in symbols:
            t0 = time.perf_counter()
            index.referencing_files(symbol, exclude_file="Dockerfile")
            ref_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        common = index.referencing_count("result")
        common_s = time.perf_counter() - t0

        del index
        gc.collect()
        tracemalloc.start()
        traced = WorkspaceIndex(root)
        traced.build()
        gc.collect()
        heap = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()

        gather_med, gather_p95 = _ms(gather_times)
        ref_med, ref_p95 = _ms(ref_times)
        return {
            "files": traced.file_count,
            "symbols": traced.symbol_count,
            "generate_s": generated,
            "build_s": build_s,
            "rss_growth_mb": rss_growth / 1e6,
            "heap_mb": heap / 1e6,
            "gather_median_ms": gather_med,
            "gather_p95_ms": gather_p95,
            "refs_median_ms": ref_med,
            "refs_p95_ms": ref_p95,
            "common_count_ms": common_s * 1000,
            "common_count": common,
        }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 50_000])
    parser.add_argument("--git", action="store_true", help="make each workspace a git repository")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.git)))
        return
    rows = []
    for size in args.sizes:
        cmd = [sys.executable, __file__, "--child", str(size), *(["--git"] if args.git else [])]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    header = (
        "| files | identifiers | build s | RSS growth MB | index heap MB | gather median ms | gather p95 ms "
        "| referencing_files median ms | p95 ms | count of a word in every file ms |"
    )
    print(header)
    print("|" + " --- |" * (header.count("|") - 1))
    for r in rows:
        print(
            f"| {r['files']:,} | {r['symbols']:,} | {r['build_s']:.2f} | {r['rss_growth_mb']:.0f} "
            f"| {r['heap_mb']:.0f} | {r['gather_median_ms']:.2f} | {r['gather_p95_ms']:.2f} "
            f"| {r['refs_median_ms']:.4f} | {r['refs_p95_ms']:.4f} | {r['common_count_ms']:.3f} "
            f"({r['common_count']:,} files) |"
        )


if __name__ == "__main__":
    main()
