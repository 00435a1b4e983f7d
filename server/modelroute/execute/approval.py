"""Approval rules, the approval prompt and the one-time approval book (pure; the LSP layer sends it).

Rules are intent, not a boundary: whatever runs, runs in the sandbox. Deny beats ask beats allow, and
a command is auto-allowed only when every sub-command is plain (not opaque, not sudo) and allowed.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import secrets
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from modelroute.execute.shellparse import ParsedCommand, SubCommand
from modelroute.policy.schema import ApprovalSettings, SandboxSettings

Action = Literal["allow", "ask", "deny"]
DecidedBy = Literal["rule", "user", "timeout"]

# Obviously destructive commands: denied whatever the settings say (documented in docs/security.md).
BUILTIN_DENY: tuple[str, ...] = (
    "rm -rf /",
    "rm -rf /*",
    "rm -fr /",
    "rm -fr /*",
    "rm -rf ~",
    "rm -rf ~/*",
    "rm -fr ~",
    "rm -r* /",
    "rm -r* ~",
    "rm -r* $HOME",
    "rm -r* --no-preserve-root*",
    "mkfs*",
    "dd * of=/dev/*",
    "shutdown*",
    "reboot*",
    "halt*",
    "poweroff*",
    "chmod -R * /",
    "chown -R * /",
    "git push --force*",
    "git push -f*",
)

RUN_SANDBOXED = "Run in sandbox"
DENY = "Deny"
RUN_UNSANDBOXED = "Run without sandbox"
LINE_LIMIT = 400


@dataclass(frozen=True)
class SubVerdict:
    subcommand: SubCommand
    action: Action
    reason: str


@dataclass(frozen=True)
class Verdict:
    action: Action
    reasons: tuple[str, ...]
    subcommands: tuple[SubVerdict, ...]
    decided_by: DecidedBy = "rule"


def matches(pattern: str, text: str) -> bool:
    """Glob over the normalized sub-command text; a pattern without a glob also matches as a prefix."""
    pattern = " ".join(pattern.split())
    if fnmatch.fnmatchcase(text, pattern):
        return True
    return not any(c in pattern for c in "*?[") and (text == pattern or text.startswith(pattern + " "))


def _matching(patterns: Sequence[str], sub: SubCommand) -> str | None:
    texts = (sub.normalized, " ".join(sub.text.split()))
    for pattern in patterns:
        if any(matches(pattern, t) for t in texts):
            return pattern
    return None


def _judge(sub: SubCommand, settings: ApprovalSettings, prefixes: Sequence[str]) -> SubVerdict:
    denied = _matching([*BUILTIN_DENY, *settings.deny], sub)
    if denied is not None:
        return SubVerdict(sub, "deny", f"{sub.normalized!r} matches deny rule {denied!r}")
    asked = _matching(settings.ask, sub)
    if asked is not None:
        return SubVerdict(sub, "ask", f"{sub.normalized!r} matches ask rule {asked!r}")
    if sub.opaque:
        return SubVerdict(sub, "ask", f"{sub.normalized!r} cannot be checked: {sub.opaque_reason}")
    if sub.sudo:
        return SubVerdict(sub, "ask", f"{sub.normalized!r} asks for root (sudo)")
    allowed = _matching([*settings.allow, *prefixes], sub)
    if allowed is not None:
        return SubVerdict(sub, "allow", f"{sub.normalized!r} matches allow rule {allowed!r}")
    return SubVerdict(sub, "ask", f"{sub.normalized!r} is not in the allow list")


def evaluate(
    parsed: ParsedCommand, approval_settings: ApprovalSettings, always_allowed_prefixes: Sequence[str] = ()
) -> Verdict:
    policy = approval_settings.policy
    subs = tuple(_judge(s, approval_settings, always_allowed_prefixes) for s in parsed.subcommands)
    reasons = [v.reason for v in subs if v.action != "allow"]
    reasons += [f"cannot be checked: {r}" for r in parsed.opaque_reasons]
    if any(v.action == "deny" for v in subs):
        return Verdict("deny", tuple(reasons), subs)
    if parsed.over_caps:
        return Verdict("deny" if policy == "never" else "ask", tuple(reasons), subs)
    if not subs:
        reasons.append("no command found")
    fully_allowed = bool(subs) and not parsed.opaque and all(v.action == "allow" for v in subs)
    if policy == "untrusted":
        return Verdict("ask", ("policy 'untrusted' asks before every command", *reasons), subs)
    if fully_allowed:
        return Verdict("allow", tuple(v.reason for v in subs), subs)
    if policy == "never":
        return Verdict("deny", ("policy 'never' never asks: not fully allowed", *reasons), subs)
    return Verdict("ask", tuple(reasons), subs)


# ---------------------------------------------------------------- prompt


def escape_visible(text: str) -> str:
    """Make control, format (bidi, zero-width) and separator characters visible as escapes."""
    out: list[str] = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch == "\t":
            out.append("\\t")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif cat in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") or (cat == "Zs" and ch != " "):
            out.append(_escape_code(ord(ch)))
        else:
            out.append(ch)
    return "".join(out)


def _escape_code(code: int) -> str:
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _clip(line: str, limit: int) -> str:
    if len(line) <= limit:
        return line
    return f"{line[:limit]} … ({len(line) - limit} more characters; full text in the details)"


@dataclass(frozen=True)
class PromptSpec:
    message: str
    actions: tuple[str, ...]
    full_text: str  # every sub-command escaped and uncut, for a "details" view
    always_prefix: str | None = None


def always_label(prefix: str) -> str:
    return f"Always allow `{escape_visible(prefix)}` here (sandboxed)"


def suggest_prefix(parsed: ParsedCommand, verdict: Verdict | None = None) -> str | None:
    """A prefix for "always allow": only when exactly one plain program needs approval."""
    pending = (
        [v.subcommand for v in verdict.subcommands if v.action != "allow"]
        if verdict
        else list(parsed.subcommands)
    )
    if parsed.opaque or parsed.over_caps or len({s.argv[:2] for s in pending}) != 1:
        return None
    sub = pending[0]
    if sub.sudo or sub.assignments or not sub.argv:
        return None
    words = [sub.argv[0]]
    if (
        len(sub.argv) > 1
        and sub.argv[1].replace("-", "").replace("_", "").isalnum()
        and not sub.argv[1].startswith("-")
    ):
        words.append(sub.argv[1])
    return " ".join(words)


def build_prompt(
    model: str,
    reason: str,
    parsed: ParsedCommand,
    cwd: Path | str,
    sandbox: SandboxSettings,
    allow_unsandboxed: bool,
    *,
    verdict: Verdict | None = None,
    line_limit: int = LINE_LIMIT,
) -> PromptSpec:
    lines = [f"{escape_visible(model)} wants to run a shell command.", f"Why: {escape_visible(reason)}"]
    full: list[str] = []
    subs = parsed.subcommands
    lines.append(f"Sub-commands ({len(subs)}):")
    for i, sub in enumerate(subs, 1):
        shown = escape_visible(sub.normalized)
        via = f" (via {' → '.join(sub.wrappers)})" if sub.wrappers else ""
        flags = " [CANNOT BE CHECKED: " + escape_visible(sub.opaque_reason) + "]" if sub.opaque_reason else ""
        flags += " [SUDO]" if sub.sudo else ""
        full.append(f"{i}. {shown}{via}{flags}")
        lines.append(_clip(f"{i}. {shown}{via}{flags}", line_limit))
    for r in parsed.opaque_reasons:
        lines.append(f"! {escape_visible(r)}")
    source = escape_visible(parsed.text)
    full.append(f"Full command text: {source}")
    lines.append(_clip(f"Full command text: {source}", line_limit))
    lines.append(f"Folder: {escape_visible(str(cwd))}")
    lines.append(f"Sandbox: {sandbox.mode}; network {'ON' if sandbox.network else 'off'}")
    prefix = suggest_prefix(parsed, verdict)
    actions = [RUN_SANDBOXED]
    if prefix is not None:
        actions.append(always_label(prefix))
    actions.append(DENY)
    if allow_unsandboxed:
        actions.append(RUN_UNSANDBOXED)
    return PromptSpec("\n".join(lines), tuple(actions), "\n".join(full), prefix)


# ---------------------------------------------------------------- approval book


def binding_hash(parsed: ParsedCommand, cwd: Path | str, sandbox: SandboxSettings) -> str:
    """sha256 over the exact text, every argv, the folder and the sandbox settings."""
    payload = {
        "text": parsed.text,
        "argv": [list(s.argv) for s in parsed.subcommands],
        "cwd": str(cwd),
        "sandbox": sandbox.model_dump(mode="json"),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


Outcome = Literal["run_sandboxed", "run_unsandboxed", "deny", "ignored"]


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    decided_by: DecidedBy | None
    stored_prefix: str | None = None


@dataclass
class _Pending:
    binding: str
    workspace: str
    deadline: float
    prefix: str | None
    allow_unsandboxed: bool
    outcome: Outcome | None = None
    used: bool = False


@dataclass
class ApprovalBook:
    """One-time approvals bound to (command, folder, sandbox settings); per-workspace "always" prefixes."""

    timeout_s: float = 120.0
    clock: Callable[[], float] = time.monotonic
    _pending: dict[str, _Pending] = field(default_factory=dict)
    _always: dict[str, list[str]] = field(default_factory=dict)

    def open(self, binding: str, workspace: Path | str, prompt: PromptSpec, allow_unsandboxed: bool) -> str:
        token = secrets.token_urlsafe(16)
        self._pending[token] = _Pending(
            binding, str(workspace), self.clock() + self.timeout_s, prompt.always_prefix, allow_unsandboxed
        )
        return token

    def answer(self, token: str, choice: str | None) -> Answer:
        """Record the user's button (None = no answer). A second answer for a token is ignored."""
        entry = self._pending.get(token)
        if entry is None or entry.outcome is not None:
            return Answer("ignored", None)
        if choice is None or self.clock() > entry.deadline:
            entry.outcome = "deny"
            return Answer("deny", "timeout")
        stored = None
        if choice == RUN_SANDBOXED:
            entry.outcome = "run_sandboxed"
        elif entry.prefix is not None and choice == always_label(entry.prefix):
            entry.outcome = "run_sandboxed"
            stored = entry.prefix
            self.add_always(entry.workspace, entry.prefix)
        elif choice == RUN_UNSANDBOXED and entry.allow_unsandboxed:
            entry.outcome = "run_unsandboxed"  # a one-off human decision: never stored
        else:
            entry.outcome = "deny"
        return Answer(entry.outcome, "user", stored)

    def consume(self, token: str, binding: str) -> Outcome:
        """Use an approval once, only for the command it was given for; anything else is a deny."""
        entry = self._pending.get(token)
        if entry is None or entry.used or entry.binding != binding or entry.outcome is None:
            return "deny"
        entry.used = True
        del self._pending[token]
        return entry.outcome if entry.outcome != "ignored" else "deny"

    def expire(self) -> list[str]:
        """Deny every prompt past its deadline; returns their tokens."""
        now = self.clock()
        late = [t for t, e in self._pending.items() if e.outcome is None and now > e.deadline]
        for token in late:
            self._pending[token].outcome = "deny"
        return late

    def add_always(self, workspace: Path | str, prefix: str) -> None:
        prefixes = self._always.setdefault(str(workspace), [])
        if prefix not in prefixes:
            prefixes.append(prefix)

    def always_prefixes(self, workspace: Path | str) -> list[str]:
        return list(self._always.get(str(workspace), []))
