"""pytest fixture for the fake provider. Use it from any test module or conftest:

    from modelroute_testing.fakeprovider.fixtures import fake_provider  # noqa: F401  (a fixture)

then `def test_x(fake_provider): fake_provider.queue(Reply(text="hi"))` and point the SDKs at
`fake_provider.anthropic_base_url` / `fake_provider.openai_base_url`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modelroute_testing.fakeprovider.server import FakeProvider


@pytest.fixture
def fake_provider() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake
