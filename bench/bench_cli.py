"""`modelroute route` wall time, process start to exit, against a bare interpreter start in the same run.

    .venv/bin/python bench/bench_cli.py [--files 50000] [--runs 7] [--imports] [--baseline-src DIR]

Two workspaces: examples/shop (8 files) and a generated one of --files files
(modelroute_testing.workspaces). Each gets a fresh user cache folder, so the first `route` there is
cold (nothing cached); the next --runs are warm, alternated with `python -c pass` so that load from
other processes hits both alike. Goals (issue 16): under 0.5 s on the small workspace and under 1 s
on 50,000 files. --imports prints the 15 slowest imports of one warm run (`python -X importtime`);
--phases times the phases of a warm run on the small workspace (imports, Engine, index and git,
tokenizer load, decision), 3 runs, in a fresh process each.

--baseline-src DIR runs the same commands with another checkout's sources first on PYTHONPATH (e.g.
`git archive main server | tar -x -C /tmp/main && python -m compileall -q /tmp/main/server`, then
`--baseline-src /tmp/main/server`), alternated call by call with this checkout: before and after
measured in the same run, under the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import use_test_support

use_test_support()

from modelroute_testing.env import scrubbed_env, user_dirs  # noqa: E402
from modelroute_testing.workspaces import generate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "examples" / "shop"


def route_command(workspace: Path, file: str, line: int) -> list[str]:
    instruction = "move this into its own module and update every caller"
    return [
        sys.executable, "-m", "modelroute", "route", "--workspace", str(workspace), "--file", file,
        "--line", str(line), "--character", "8", "--instruction", instruction, "--json",
    ]  # fmt: skip


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(label: str, command: list[str], home: Path, runs: int, baseline_src: Path | None) -> list[str]:
    """Rows for this checkout and, when given, the baseline sources: first run, then warm runs
    alternated with each other and with a bare interpreter start."""
    envs = {"this checkout": scrubbed_env(**user_dirs(home / "this"))}
    if baseline_src is not None:
        envs["baseline"] = scrubbed_env(**user_dirs(home / "baseline"), PYTHONPATH=str(baseline_src))
    cold = {name: timed(command, env) for name, env in envs.items()}
    warm: dict[str, list[float]] = {name: [] for name in envs}
    bare: list[float] = []
    for _ in range(runs):
        for name, env in envs.items():
            warm[name].append(timed(command, env))
        bare.append(timed([sys.executable, "-c", "pass"], envs["this checkout"]))
    base = statistics.median(bare)
    rows = []
    for name in envs:
        median = statistics.median(warm[name])
        rows.append(
            f"| {label}, {name} | {cold[name]:.2f} | {median:.2f} | {max(warm[name]):.2f} | {base:.3f} "
            f"| {median / base:.1f} |"
        )
    if baseline_src is not None:
        ratio = statistics.median(warm["this checkout"]) / statistics.median(warm["baseline"])
        rows.append(f"| {label}: this checkout / baseline, warm medians | | {ratio:.2f} | | | |")
    return rows


def imports(command: list[str], home: Path, top: int = 15) -> list[str]:
    env = scrubbed_env(**user_dirs(home))
    done = subprocess.run([command[0], "-X", "importtime", *command[1:]], env=env, capture_output=True, text=True)
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
            if cumulative.isdigit():
                rows.append((int(cumulative), name))
    return [f"{us / 1000:8.1f} ms  {name}" for us, name in sorted(rows, reverse=True)[:top]]


PHASES = """
import json, sys, time
from pathlib import Path
marks = [("start", time.perf_counter())]
def mark(name): marks.append((name, time.perf_counter()))
import modelroute.cli; mark("import cli")
import pydantic; mark("import pydantic")
from modelroute.pipeline import Engine; mark("import pipeline")
from modelroute.context.gather import ActionRequest
from modelroute.context.model import Position
from modelroute.cost.tokens import tokenizer_name
engine = Engine(Path(sys.argv[1])); mark("Engine()")
engine.git.refresh_async(); engine.build_index(); mark("index and git")
tokenizer_name(); mark("tokenizer load")
routed = engine.decide(ActionRequest(file="src/shop/users.py", cursor=Position(line=17, character=8),
                                     instruction="move this into its own module and update every caller"))
json.dumps(routed.decision.to_json()); mark("decision")
print(json.dumps({b[0]: b[1] - a[1] for a, b in zip(marks, marks[1:])}))
"""


def phases(home: Path, runs: int = 3) -> list[str]:
    env = scrubbed_env(**user_dirs(home))
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", PHASES, str(SHOP)], env=env, capture_output=True, text=True,
                              check=True)  # fmt: skip
        for name, seconds in json.loads(done.stdout).items():
            samples.setdefault(name, []).append(seconds)
    return [f"| {name} | {statistics.median(s):.3f} | {min(s):.3f} | {max(s):.3f} |" for name, s in samples.items()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--imports", action="store_true", help="also print the slowest imports of a warm run")
    parser.add_argument("--baseline-src", type=Path, help="another checkout's server/ folder, measured alongside")
    parser.add_argument("--phases", action="store_true", help="also time the phases of a small warm run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="modelroute-bench-cli-") as tmp:
        base = Path(tmp)
        big = base / "big"
        big.mkdir()
        generate(big, args.files)
        target = next(p for p in sorted(big.rglob("*.py")) if not p.name.startswith("test_"))
        rows = [
            *measure("examples/shop (8 files)", route_command(SHOP, "src/shop/users.py", 17), base / "home-small",
                     args.runs, args.baseline_src),
            *measure(f"{args.files:,} generated files", route_command(big, str(target.relative_to(big)), 5),
                     base / "home-big", args.runs, args.baseline_src),
        ]  # fmt: skip
        print(f"load average {os.getloadavg()[0]:.1f}; {args.runs} warm runs each\n")
        print("| workspace | first run s | warm median s | warm max s | `python -c pass` s | ratio |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        print("\n".join(rows))
        if args.phases:
            print("\n| phase of a warm run on examples/shop | median s | min s | max s |\n| --- | ---: | ---: | ---: |")
            print("\n".join(phases(base / "home-small" / "this")))
        if args.imports:
            print("\nslowest imports (cumulative), warm run on the small workspace:")
            print("\n".join(imports(route_command(SHOP, "src/shop/users.py", 17), base / "home-small" / "this")))
        shutil.rmtree(big, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
