"""Estimate error before and after calibration, on runs replayed through the fake provider.

    .venv/bin/python bench/bench_estimate.py [--runs 60] [--seed 7]

Each run: a category, a model and a prompt size are drawn; modelroute estimates its cost
(`modelroute.cost.estimate`), reserves it in a temporary ledger, runs one agent turn through the
real SDK against the fake provider, and settles with the usage the API reported. The fake is
scripted with usage drawn from this distribution (documented, fixed seed):

- input tokens: the o200k count for OpenAI-tokenized models; times U(1.1, 1.3) for Claude models
  (the published range of Claude's tokenizer against o200k);
- output tokens: the category's prior times a per-model verbosity (VERBOSITY below: small models
  terse, reasoning models long) times lognormal noise (sigma 0.35), so the "truth" differs from
  the prior systematically per model and randomly per run.

The first half of the runs fills the ledger; `Ledger.calibration()` is read from it; then every
run of the second half (held out) is estimated again with the calibration. Printed: mean absolute
percentage error (estimated vs actual USD) over all runs before calibration, and on the held-out
half before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))  # modelroute_testing

from modelroute.catalog import default_providers, load_catalog
from modelroute.catalog.model import ModelEntry
from modelroute.categories import Category
from modelroute.cost import actual_cost_usd, estimate
from modelroute.cost.calibration import Calibration
from modelroute.cost.estimate import OUTPUT_PRIORS, REASONING_FACTOR
from modelroute.execute.agent import RunLimits, run_agent
from modelroute.ledger import Ledger, RunStart
from modelroute.policy.schema import BudgetSettings, PrivacySettings, Settings
from modelroute.prompt.model import Message, PromptRequest
from modelroute.providers import client_for
from modelroute_testing.fakeprovider.script import Reply
from modelroute_testing.fakeprovider.server import FakeProvider

MODELS = ("claude-haiku-4-5", "claude-sonnet-4-6", "gpt-5-mini", "deepseek-v4-flash")
VERBOSITY = {"claude-haiku-4-5": 0.55, "claude-sonnet-4-6": 1.3, "gpt-5-mini": 1.8, "deepseek-v4-flash": 0.8}
SIZES = (800, 3_000, 12_000, 40_000)
NOISE_SIGMA = 0.35
ENV = {"ANTHROPIC_API_KEY": "x", "OPENAI_API_KEY": "x", "DEEPSEEK_API_KEY": "x"}


@dataclass
class Run:
    category: Category
    model: ModelEntry
    input_o200k: int
    actual_input: int
    actual_output: int
    estimated_usd: float = 0.0
    actual_usd: float = 0.0


def draw(rng: random.Random, models: list[ModelEntry], n: int) -> list[Run]:
    runs = []
    for i in range(n):
        model = models[i % len(models)]
        category = list(Category)[rng.randrange(len(Category))]
        size = rng.choice(SIZES)
        factor = rng.uniform(1.1, 1.3) if model.claude_tokenizer else 1.0
        prior = OUTPUT_PRIORS[category]
        expected = prior.output + prior.reasoning * REASONING_FACTOR[model.reasoning]
        out = max(20, round(expected * VERBOSITY[model.id] * rng.lognormvariate(0.0, NOISE_SIGMA)))
        runs.append(Run(category, model, size, round(size * factor), min(out, model.max_output_tokens)))
    return runs


async def replay(runs: list[Run], ledger: Ledger, fake: FakeProvider) -> None:
    providers = default_providers()
    for run in runs:
        # One uncached request per run (max_turns=1 below): no prompt caching to count.
        est = estimate(run.input_o200k, run.category, run.model, cached_input_tokens=0)
        run.estimated_usd = est.usd
        start = RunStart(workspace="bench", category=run.category, model=run.model.id,
                         provider=run.model.provider, estimate=est)
        reservation = ledger.reserve(start, BudgetSettings(daily_usd=1e6, monthly_usd=1e6))
        base = fake.anthropic_base_url if run.model.api == "anthropic-messages" else fake.openai_base_url
        provider = providers[run.model.provider].model_copy(update={"base_url": base, "max_retries": 0})
        client = client_for(run.model, provider, ENV)
        fake.queue(Reply(text="ok", input_tokens=run.actual_input, output_tokens=run.actual_output))
        prompt = PromptRequest(model=run.model.id, system="bench", messages=(Message(role="user", content="go"),),
                               tools=(), included=())
        result = await run_agent(client, prompt, run.model, privacy=PrivacySettings(), read=lambda _: None,
                                 limits=RunLimits(max_turns=1, budget_usd=1e6,
                                                  max_output_tokens=run.model.max_output_tokens))
        run.actual_usd = actual_cost_usd(run.model, result.usage)
        ledger.settle(reservation, result.usage, result.cost_usd, "answered", 1)


def mape(runs: list[Run], calibration: Calibration | None) -> float:
    errors = []
    for run in runs:
        est = estimate(run.input_o200k, run.category, run.model, calibration, cached_input_tokens=0).usd
        errors.append(abs(est - run.actual_usd) / run.actual_usd)
    return 100 * sum(errors) / len(errors)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    catalog = load_catalog(Settings())
    models = [m for m in (catalog.get(i) for i in MODELS) if m is not None]
    runs = draw(random.Random(args.seed), models, max(args.runs, 40))
    half = len(runs) // 2
    train, held = runs[:half], runs[half:]
    with tempfile.TemporaryDirectory() as tmp, FakeProvider() as fake:
        with Ledger(Path(tmp) / "ledger.sqlite3") as ledger:  # the training half fills the ledger
            await replay(train, ledger, fake)
            calibration = ledger.calibration()
            rows = ledger.report().model_dump(mode="json")["estimate_error"]
        with Ledger(Path(tmp) / "held-out.sqlite3") as other:  # the held-out half never calibrates
            await replay(held, other, fake)
    print(f"runs replayed through the fake provider: {len(runs)} ({len(train)} calibrate, {len(held)} held out)")
    print(f"models: {', '.join(m.id for m in models)}; seed {args.seed}")
    print(f"MAPE before calibration, all runs:      {mape(runs, None):6.1f} %")
    print(f"MAPE before calibration, held-out half: {mape(held, None):6.1f} %")
    print(f"MAPE after calibration,  held-out half: {mape(held, calibration):6.1f} %")
    print(f"MAPE after calibration,  training half: {mape(train, calibration):6.1f} %")
    by_model = {m.id: [r for r in held if r.model.id == m.id] for m in models}
    for model_id, group in by_model.items():
        if group:
            print(f"  {model_id:20s} held-out MAPE {mape(group, None):6.1f} % -> {mape(group, calibration):6.1f} %"
                  f"  (true verbosity x{VERBOSITY[model_id]})")
    print(f"calibration cells: {len(calibration.entries)}; ledger report estimate_error rows: {len(rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
