"""Measurements of a running process, read from /proc (Linux; psutil is not a dependency)."""

from __future__ import annotations

import os
from pathlib import Path


def rss_mb(pid: int | None = None) -> float:
    """Resident set size of process `pid` (default: this one) in MB, from /proc/PID/status."""
    for line in Path(f"/proc/{pid or os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmRSS for pid {pid}")
