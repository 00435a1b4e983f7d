"""Audit log: one JSON line per proposed command, in the user data directory. Never a secret."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from modelroute.execute.approval import Verdict
from modelroute.execute.shellparse import ParsedCommand

AUDIT_FILE = "audit.jsonl"
_SECRET_PATTERNS = (
    # KEY=value style assignments and flags whose name says secret
    re.compile(
        r"(?i)\b([A-Z0-9_-]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|CREDENTIALS?|AUTH)[A-Z0-9_-]*)"
        r"(=|\s*:\s*|\s+)(\"[^\"]*\"|'[^']*'|\S+)"
    ),
    re.compile(r"(?i)(authorization:\s*(?:bearer|basic|token)\s+)(\S+)"),
    re.compile(
        r"\b(sk-(?:ant-)?[A-Za-z0-9_-]{8,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|"
        r"AKIA[0-9A-Z]{16}|xox[abpr]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20}|AIza[0-9A-Za-z_-]{35})"
    ),
    re.compile(r"(?i)(https?://[^\s:/@]+:)([^\s@]+)(@)"),
)


def data_dir() -> Path:
    override = os.environ.get("MODELROUTE_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir("modelroute"))


def redact(text: str) -> str:
    """Replace secret-looking values (keys, tokens, passwords, URL credentials) with [REDACTED]."""
    text = _SECRET_PATTERNS[1].sub(lambda m: f"{m.group(1)}[REDACTED]", text)
    text = _SECRET_PATTERNS[0].sub(lambda m: f"{m.group(1)}{m.group(2)}[REDACTED]", text)
    text = _SECRET_PATTERNS[2].sub("[REDACTED]", text)
    return _SECRET_PATTERNS[3].sub(lambda m: f"{m.group(1)}[REDACTED]{m.group(3)}", text)


class AuditLog:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else data_dir() / AUDIT_FILE

    def record(
        self,
        *,
        model: str,
        parsed: ParsedCommand,
        verdict: Verdict | None,
        decision: str,
        decided_by: str,
        cwd: Path | str,
        sandbox: Mapping[str, Any],
        exit_code: int | None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "model": model,
            "command": redact(parsed.text),
            "subcommands": [
                {
                    "argv": [redact(a) for a in s.argv],
                    "wrappers": list(s.wrappers),
                    "opaque": s.opaque_reason,
                    "sudo": s.sudo,
                }
                for s in parsed.subcommands
            ],
            "opaque_reasons": [redact(r) for r in parsed.opaque_reasons],
            "verdict": verdict.action if verdict else None,
            "reasons": [redact(r) for r in verdict.reasons] if verdict else [],
            "decision": decision,
            "decided_by": decided_by,
            "cwd": str(cwd),
            "sandbox": dict(sandbox),
            "exit_code": exit_code,
        }
        if extra:
            entry.update({k: redact(v) if isinstance(v, str) else v for k, v in extra.items()})
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
        return entry

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]
