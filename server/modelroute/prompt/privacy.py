"""Which workspace paths may be read into a prompt, and by whom (gitignore-style globs)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import pathspec


@lru_cache(maxsize=64)
def _spec(patterns: tuple[str, ...]) -> pathspec.PathSpec[pathspec.Pattern]:
    return pathspec.PathSpec.from_lines("gitignore", patterns)


def matches(path: str, patterns: Sequence[str]) -> bool:
    """True when the workspace-relative POSIX path matches any gitignore-style pattern."""
    if not patterns:
        return False
    return _spec(tuple(patterns)).match_file(path.lstrip("/"))


def withheld(path: str, exclude: Sequence[str], local_only: Sequence[str], *, model_is_local: bool) -> str | None:
    """Why a model may not see `path` (privacy.exclude, or privacy.local_only for a remote model), or
    None. The one privacy rule: the run's file reader and the agent's tools both ask it."""
    if matches(path, exclude):
        return f"{path} is withheld by the user's privacy settings (privacy.exclude)"
    if not model_is_local and matches(path, local_only):
        return f"{path} may only be sent to local models (privacy.local_only)"
    return None
