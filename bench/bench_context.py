"""Benchmark the workspace index and gather_context on synthetic workspaces.

    .venv/bin/python bench/bench_context.py                 # 1k, 10k and 50k files
    .venv/bin/python bench/bench_context.py --sizes 1000 --git

Each size runs in its own process so the memory figures (RSS growth over the build, and the
Python heap the index keeps, from tracemalloc on a second build) do not mix. The first build walks
and saves the index (to a temporary cache folder); "load+check" is what the next process pays: load
the saved index and compare every folder and file by lstat (median of 5, nothing changed). The workspaces come
from modelroute_testing.workspaces (tests/support).
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))  # modelroute_testing

from modelroute.context.gather import gather_context
from modelroute.context.git import GitReader
from modelroute.context.index_cache import IndexCache
from modelroute.context.workspace import WorkspaceIndex
from modelroute_testing.workspaces import age, generate, requests, shared_names


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95)] * 1000


def measure(files: int, with_git: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="mr-bench-") as tmp:
        root = Path(tmp) / "ws"
        root.mkdir()
        cache = IndexCache(Path(tmp) / "cache", min_files=0)
        started = time.perf_counter()
        generate(root, files)
        generated = time.perf_counter() - started
        if with_git:
            env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
                   "GIT_COMMITTER_EMAIL": "b@b"}  # fmt: skip
            for args in (["init", "-q"], ["add", "."], ["-c", "gc.auto=0", "commit", "-qm", "init"]):  # no gc after
                subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
        age(root)  # files an hour old, as in a workspace opened again: outside the index's racy window
        gc.collect()
        rss_before = _rss_bytes()
        index = WorkspaceIndex(root, cache=cache)
        started = time.perf_counter()
        index.build()  # a walk, then saved
        build_s = time.perf_counter() - started
        gc.collect()
        rss_growth = _rss_bytes() - rss_before
        loads = []
        for _ in range(5):  # what the next process does: load the saved index and check it by lstat
            again = WorkspaceIndex(root, cache=cache)
            started = time.perf_counter()
            again.build()
            loads.append(time.perf_counter() - started)
            assert again.last_build is not None and again.last_build.files_read == 0

        reader = GitReader(root)
        sample = requests(index, 300)
        for request in sample[:30]:  # warm: git state cached, files in the page cache
            gather_context(index, reader, request)
        gather_times: list[float] = []
        for request in sample:
            t0 = time.perf_counter()
            gather_context(index, reader, request)
            gather_times.append(time.perf_counter() - t0)

        rng = random.Random(3)
        vocabulary = shared_names(files)
        symbols = [rng.choice(vocabulary) for _ in range(300)]
        ref_times: list[float] = []
        for symbol in symbols:
            t0 = time.perf_counter()
            index.referencing_files(symbol, exclude_file="Dockerfile")
            ref_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        common = index.referencing_count("result")
        common_s = time.perf_counter() - t0

        del index, again
        gc.collect()
        tracemalloc.start()
        traced = WorkspaceIndex(root, cache=None)
        traced.build()
        gc.collect()
        heap = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        saved_mb = sum(f.stat().st_size for f in (Path(tmp) / "cache").glob("*.idx")) / 1e6

        gather_med, gather_p95 = _ms(gather_times)
        ref_med, ref_p95 = _ms(ref_times)
        return {
            "files": traced.file_count,
            "symbols": traced.symbol_count,
            "generate_s": generated,
            "build_s": build_s,
            "load_s": statistics.median(loads),
            "saved_mb": saved_mb,
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
        "| files | identifiers | walk+save s | saved index MB | load+check s | RSS growth MB | index heap MB "
        "| gather median ms | gather p95 ms | referencing_files median ms | p95 ms | count of a word in every file ms |"
    )
    print(header)
    print("|" + " --- |" * (header.count("|") - 1))
    for r in rows:
        print(
            f"| {r['files']:,} | {r['symbols']:,} | {r['build_s']:.2f} | {r['saved_mb']:.1f} | {r['load_s']:.3f} "
            f"| {r['rss_growth_mb']:.0f} "
            f"| {r['heap_mb']:.0f} | {r['gather_median_ms']:.2f} | {r['gather_p95_ms']:.2f} "
            f"| {r['refs_median_ms']:.4f} | {r['refs_p95_ms']:.4f} | {r['common_count_ms']:.3f} "
            f"({r['common_count']:,} files) |"
        )


if __name__ == "__main__":
    main()
