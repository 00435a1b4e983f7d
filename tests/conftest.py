"""Session-wide isolation: the test session, and every process a test starts, keeps its user state
(settings, the ledger, the audit log, the workspace index cache, explain documents) under one
temporary folder instead of the developer's ~/.config, ~/.local/share, ~/.cache and ~/.local/state,
and never sees a provider key or endpoint from the developer's shell.

Tests that need their own folders or keys still set them explicitly; this only changes the default
they start from, before any test module is imported.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from modelroute_testing.env import isolate

_HOME = Path(tempfile.mkdtemp(prefix="modelroute-tests-"))


def pytest_configure(config: pytest.Config) -> None:
    isolate(os.environ, _HOME)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def session_home() -> Path:
    """The folder that holds this session's XDG config, data, cache and state folders."""
    return _HOME
