"""Check that `modelroute route --json` prints the same bytes as another checkout's sources, on
examples/shop and on every scenario of a folder, with the token count cache cold, then warm.

    git archive main server | tar -x -C /tmp/main && .venv/bin/python -m compileall -q /tmp/main/server
    .venv/bin/python bench/compare_route.py --baseline-src /tmp/main/server [/work/shared/scenarios/dev]

A start-up optimisation (caches, deferred imports) must not change what the user sees; this runs each
case with the baseline, then twice with this checkout in a fresh user cache (the first run learns, the
second reads what it learned) and reports every case whose output differs. Exit 1 when one does.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchlib import use_test_support

use_test_support()

from modelroute_testing.env import scrubbed_env, user_dirs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHOP_ARGS = ["--file", "src/shop/users.py", "--line", "17", "--character", "8",
             "--instruction", "move this into its own module and update every caller"]  # fmt: skip


def scenario_args(scenario: dict[str, object], workspace: Path) -> list[str]:
    cursor = scenario["cursor"]
    assert isinstance(cursor, dict)
    args = ["--file", cursor["file"], "--line", str(cursor.get("line", 0)),
            "--character", str(cursor.get("character", 0)), "--instruction", str(scenario["instruction"])]  # fmt: skip
    end = scenario.get("selection_end")
    if isinstance(end, dict):
        args += ["--end-line", str(end["line"]), "--end-character", str(end["character"])]
    if scenario.get("diagnostics"):
        diagnostics = workspace.parent / f"{workspace.name}.diagnostics.json"
        diagnostics.write_text(json.dumps(scenario["diagnostics"]), encoding="utf-8")
        args += ["--diagnostics", str(diagnostics)]
    return args


def materializer(scenarios: Path) -> Callable[[dict[str, object]], str]:
    """The scenarios' own helper that writes a scenario out as a workspace (materialize.py beside them)."""
    spec = importlib.util.spec_from_file_location("materialize", scenarios.resolve().parent / "materialize.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.materialize  # type: ignore[no-any-return]


def route(workspace: Path, args: list[str], env: dict[str, str]) -> bytes:
    command = [sys.executable, "-m", "modelroute", "route", "--workspace", str(workspace), *args, "--json"]
    done = subprocess.run(command, env=env, capture_output=True, check=False)
    return done.stdout + f"\nexit {done.returncode}".encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline-src", type=Path, required=True, help="another checkout's server/ folder")
    parser.add_argument("scenarios", nargs="*", type=Path, help="folders of scenario JSON files")
    args = parser.parse_args()
    differ = 0
    with tempfile.TemporaryDirectory(prefix="modelroute-compare-") as tmp:
        home = Path(tmp)
        baseline = scrubbed_env(**user_dirs(home / "baseline"), PYTHONPATH=str(args.baseline_src))
        this = scrubbed_env(**user_dirs(home / "this"))
        cases: list[tuple[str, Path, list[str], Path | None]] = [("examples/shop", ROOT / "examples" / "shop",
                                                                  SHOP_ARGS, None)]  # fmt: skip
        for folder in args.scenarios:
            materialize = materializer(folder)
            for path in sorted(folder.glob("*.json")):
                scenario = json.loads(path.read_text(encoding="utf-8"))
                workspace = Path(materialize(scenario))
                cases.append((path.stem, workspace, scenario_args(scenario, workspace), workspace))
        for name, workspace, case_args, cleanup in cases:
            want = route(workspace, case_args, baseline)
            cold, warm = route(workspace, case_args, this), route(workspace, case_args, this)
            same = want == cold == warm
            differ += not same
            print(f"{'same' if same else 'DIFFERENT'}  {name}")
            if cleanup is not None:
                shutil.rmtree(cleanup, ignore_errors=True)
    print(f"\n{len(cases) - differ} of {len(cases)} identical (baseline, cold cache, warm cache)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
