"""What a test's process must not inherit from the developer's shell, and where its user state goes.

One rule, used by the session-wide isolation (tests/conftest.py), every test that starts a server
or an editor, and the benchmarks: provider keys, endpoints and tokens are dropped by name pattern, so
a provider added to the catalog later is covered without editing a list (a test checks every
built-in provider's variable against it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

# Keys (`ANTHROPIC_API_KEY`, `MOONSHOT_API_KEY`, ...), endpoints the SDKs honour
# (`ANTHROPIC_BASE_URL`, `OPENAI_BASE_URL`), bearer tokens (`ANTHROPIC_AUTH_TOKEN`) and the OpenAI
# account selectors. A real key in the developer's shell must never reach a test's SDK call.
_PROVIDER_VARIABLE = re.compile(r"_(API_KEY|BASE_URL|AUTH_TOKEN)$|^OPENAI_(ORG_ID|ORGANIZATION|PROJECT_ID)$")
# Variables that point modelroute's own state somewhere else than the isolated folders.
_STATE_VARIABLES = ("MODELROUTE_DATA_DIR",)
USER_DIRS = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")


def is_provider_variable(name: str) -> bool:
    """Whether `name` carries a provider key, endpoint or account (never inherited by tests)."""
    return _PROVIDER_VARIABLE.search(name) is not None


def scrubbed_env(base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """`base` (default: this process's environment) without provider variables, plus `extra`."""
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if not is_provider_variable(k)}
    env.update(extra)
    return env


def user_dirs(home: Path) -> dict[str, str]:
    """XDG config/data/cache/state folders under `home`: where a process keeps its user state."""
    return {name: str(home / name.removeprefix("XDG_").removesuffix("_HOME").lower()) for name in USER_DIRS}


def isolate(environ: dict[str, str] | os._Environ[str], home: Path) -> None:
    """Drop provider and state variables from `environ` and point its user folders under `home`."""
    for name in [k for k in environ if is_provider_variable(k) or k in _STATE_VARIABLES]:
        del environ[name]
    environ.update(user_dirs(home))
