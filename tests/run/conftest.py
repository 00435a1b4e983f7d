"""Fixtures the run core's tests share: one fake provider per module, a fresh bench per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelroute_testing.fakeprovider.server import FakeProvider
from tests.run.helpers import Bench


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def bench(tmp_path: Path, fake: FakeProvider) -> Bench:
    fake.reset()
    return Bench(tmp_path, fake)
