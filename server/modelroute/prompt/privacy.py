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
