"""What prompt caching saves on a run, and how close the estimate (which counts it) comes.

    .venv/bin/python bench/bench_caching.py [--models claude-sonnet-4-6,gpt-5.4,kimi-k2.5] [--json]

For each model, one debugging action on a copy of modelroute's own ledger package (real code of a
few thousand tokens a file) goes through the product's own path: the
Engine gathers context, routes and estimates it (the estimate counts the expected cache reads of
later turns), and the agent loop (`execute.agent.run_agent`) runs it through the real SDK against
the fake provider on 127.0.0.1. The fake model reads three files, one per turn, then answers: five
turns. The fake provider caches as the APIs do (modelroute_testing/fakeprovider/cache.py: Anthropic only up to
the request's cache_control breakpoints, OpenAI by prompt_cache_key / prefix, nothing under 1,024
tokens) and reports the usage; the actual cost is priced from that usage with the catalog's
genai-prices rates.

The same run is made twice: with caching (what modelroute sends, to a provider that caches) and
without (requests without breakpoints or cache key, to a provider that caches nothing: what the
estimate assumed before caching was priced). For Anthropic the breakpoints are what turns caching
on; OpenAI and the compatible endpoints cache a repeated prefix on their own, and the stable order
and cache key are what make later turns hit it. The ratio of the two costs is the saving; it is
measured in the same run, so it does not depend on the machine. The fake model's output tokens are
scripted to add up to the estimate's own output point, so the estimate-vs-actual figure isolates
the input side, which is what caching changes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for modelroute_testing.fakeprovider

from tests.cost.caching_run import measure

from modelroute_testing.fakeprovider.server import FakeProvider


async def main_async(models: list[str]) -> list[dict[str, Any]]:
    with FakeProvider() as fake, tempfile.TemporaryDirectory() as scratch:
        return [await measure(model_id, Path(scratch), fake) for model_id in models]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="claude-sonnet-4-6,gpt-5.4,kimi-k2.5")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = asyncio.run(main_async(args.models.split(",")))
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'model':20} {'cached $':>10} {'uncached $':>10} {'ratio':>6} {'cache read':>10} "
          f"{'est $':>9} {'est/act':>7} {'in range':>8}")
    for r in rows:
        print(f"{r['model']:20} {r['cost_cached_usd']:>10.4f} {r['cost_uncached_usd']:>10.4f} "
              f"{r['cached_over_uncached']:>6.3f} {r['cache_read_tokens']:>10,} {r['estimate_usd']:>9.4f} "
              f"{r['estimate_over_actual']:>7.3f} {'yes' if r['actual_within_range'] else 'no':>8}")


if __name__ == "__main__":
    main()
