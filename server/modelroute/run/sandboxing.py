"""The one place the run core reaches the sandbox.

Branch `sandbox` moves the sandbox to `modelroute.sandbox` (and adds the copy-on-write overlay);
when it lands, the import below is the only line of the run core that changes.
"""

from __future__ import annotations

from modelroute.execute.sandbox import (
    SandboxResult,
    SandboxSpec,
    SandboxUnavailable,
    run_sandboxed,
    run_unsandboxed,
)

__all__ = ["SandboxResult", "SandboxSpec", "SandboxUnavailable", "run_sandboxed", "run_unsandboxed"]
