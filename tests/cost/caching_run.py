"""One run of a debugging action with and without prompt caching, through the product's own path
(Engine -> estimate -> agent loop -> real SDK -> fake provider that caches as the APIs do).
Shared by tests/cost/test_caching_run.py and bench/bench_caching.py (which documents the method).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from modelroute.context.gather import ActionRequest
from modelroute.context.model import Position
from modelroute.cost.actual import Usage
from modelroute.execute.agent import RunLimits, run_agent
from modelroute.pipeline import Engine, RunPlan
from modelroute.providers import ModelClient, ModelRequest, client_for
from modelroute_testing.fakeprovider.script import Reply, ScriptedToolCall
from modelroute_testing.fakeprovider.server import FakeProvider

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "server" / "modelroute" / "ledger"
CURSOR_FILE = "ledger/store.py"
READS = ("ledger/budget.py", "ledger/sqlite.py", "ledger/report.py")
INSTRUCTION = (
    "reserve() lets a run through when the team cap is exactly reached by open reservations; "
    "the budget check must refuse it. Find the cause and fix it."
)
ENV = {"ANTHROPIC_API_KEY": "sk-bench", "OPENAI_API_KEY": "sk-bench", "MOONSHOT_API_KEY": "sk-bench"}


def _workspace(into: Path) -> Path:
    root = into / "project"
    shutil.copytree(SOURCE, root / "ledger", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _user_file(into: Path, fake: FakeProvider) -> Path:
    path = into / "config.toml"
    path.write_text(
        f'[providers.anthropic]\nbase_url = "{fake.anthropic_base_url}"\n'
        f'[providers.openai]\nbase_url = "{fake.openai_base_url}"\napi = "openai-responses"\n'
        f'[providers.moonshot]\nbase_url = "{fake.openai_base_url}"\napi_key_env = "MOONSHOT_API_KEY"\n',
        encoding="utf-8",
    )
    return path


def _script(plan: RunPlan) -> list[Reply]:
    """Three reads, then the answer; output tokens add up to the estimate's output point."""
    total_output = plan.estimate.tokens.output + plan.estimate.tokens.reasoning
    turns = len(READS) + 1
    per_turn = max(1, total_output // turns)
    replies = [
        Reply(
            tool_calls=[ScriptedToolCall(name="read_file", arguments={"path": path}, id=f"call_{i}")],
            output_tokens=per_turn,
            prompt_cache=True,
        )
        for i, path in enumerate(READS)
    ]
    last = total_output - per_turn * (turns - 1)
    replies.append(Reply(text="check_caps compares with > where it must refuse at the cap.", output_tokens=last,
                         prompt_cache=True))
    return replies


class _NoCache:
    """The same client with every request's caching marks left off."""

    def __init__(self, client: ModelClient) -> None:
        self._client = client

    async def turn(self, request: ModelRequest, **kwargs: Any) -> Any:
        return await self._client.turn(request.model_copy(update={"prompt_cache": False}), **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


async def _run(engine: Engine, plan: RunPlan, fake: FakeProvider, caching: bool) -> tuple[float, Usage]:
    fake.reset(caching=caching)  # an empty cache: each run starts cold
    fake.queue(*_script(plan))
    client = client_for(plan.model, plan.provider, ENV)
    runner: Any = client if caching else _NoCache(client)

    def read(path: str) -> str | None:
        target = engine.root / path
        return target.read_text(encoding="utf-8") if target.is_file() else None

    limits = RunLimits(max_turns=8, budget_usd=50.0, max_output_tokens=plan.model.max_output_tokens)
    result = await run_agent(runner, plan.prompt, plan.model, privacy=engine.settings.privacy, read=read, limits=limits)
    await client.aclose()
    return result.cost_usd, result.usage


async def measure(model_id: str, scratch: Path, fake: FakeProvider) -> dict[str, Any]:
    engine = Engine(_workspace(scratch / model_id), user_file=_user_file(scratch, fake), env=ENV)
    engine.build_index()
    routed = engine.decide(ActionRequest(file=CURSOR_FILE, cursor=Position(line=150, character=0),
                                         instruction=INSTRUCTION))
    plan = engine.prepare_run(routed, model_id)
    cached_usd, cached_usage = await _run(engine, plan, fake, caching=True)
    plain_usd, plain_usage = await _run(engine, plan, fake, caching=False)
    est = plan.estimate
    return {
        "model": model_id,
        "category": plan.category.value,
        "cost_cached_usd": round(cached_usd, 6),
        "cost_uncached_usd": round(plain_usd, 6),
        "cached_over_uncached": round(cached_usd / plain_usd, 3),
        "input_tokens": cached_usage.input_tokens,
        "cache_read_tokens": cached_usage.cache_read_tokens,
        "cache_write_tokens": cached_usage.cache_write_tokens,
        "uncached_cache_read_tokens": plain_usage.cache_read_tokens,
        "estimate_usd": round(est.usd, 6),
        "estimate_range_usd": [round(est.low_usd, 6), round(est.high_usd, 6)],
        "estimate_input_tokens": est.tokens.input,
        "estimate_expected_cache_read_tokens": est.tokens.cache_read,
        "estimate_output_tokens": est.tokens.output + est.tokens.reasoning,
        "output_tokens": cached_usage.output_tokens,
        "estimate_over_actual": round(est.usd / cached_usd, 3),
        "actual_within_range": est.low_usd <= cached_usd <= est.high_usd,
    }
