"""The one place the run core reaches the sandbox and the host's files (`modelroute.sandbox`).

- `Overlay`: an attempt's copy-on-write workspace (run/workspace.py makes one per attempt);
- `run_unsandboxed`: a command a human chose to run outside the sandbox, once;
- `apply_change_set`: the apply guard, the only way a run's change set is written to the host
  (`modelroute run --apply`): no-follow, directory-relative writes, nothing that acts on the host
  later, refusals returned, never dropped;
- `refusal_of`: the guard's path rules, asked when a staged edit is put in a change set.
"""

from __future__ import annotations

from pathlib import Path

from modelroute.changeset import ChangeSet
from modelroute.sandbox import (
    ApplyResult,
    Overlay,
    PathRefused,
    SandboxResult,
    SandboxSpec,
    SandboxUnavailable,
    apply_change_set,
    run_unsandboxed,
)
from modelroute.sandbox.apply import change_refusal, marker_check


def refusal_of(root: Path, rel: str) -> str | None:
    """Why the apply guard would refuse writing `rel` under `root` (protected, outside, ...), or None."""
    return change_refusal(rel, marker_check(root, ChangeSet()))


__all__ = [
    "ApplyResult",
    "Overlay",
    "PathRefused",
    "SandboxResult",
    "SandboxSpec",
    "SandboxUnavailable",
    "apply_change_set",
    "refusal_of",
    "run_unsandboxed",
]
