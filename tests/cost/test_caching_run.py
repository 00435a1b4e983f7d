"""A whole run with prompt caching: the fake provider reports cache reads on later turns, the run
costs less than the same run without caching, and the estimate (which counts the expected cache
reads) holds the actual cost inside its range."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cost.caching_run import measure

from modelroute_testing.fakeprovider.server import FakeProvider


@pytest.mark.parametrize("model_id", ["claude-sonnet-4-6", "gpt-5.4"])
async def test_caching_lowers_a_runs_cost_and_the_estimate_holds_it(model_id: str, tmp_path: Path) -> None:
    with FakeProvider() as fake:
        row = await measure(model_id, tmp_path, fake)
    assert row["cache_read_tokens"] > 0 and row["uncached_cache_read_tokens"] == 0
    assert row["cost_cached_usd"] < row["cost_uncached_usd"]
    assert row["estimate_expected_cache_read_tokens"] > 0  # the estimate counted later turns' reads
    low, high = row["estimate_range_usd"]
    assert low <= row["cost_cached_usd"] <= high  # within the estimate's band, with caching on
