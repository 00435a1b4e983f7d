"""Approval rules, the approval prompt and the one-time approval book (pure; the LSP layer sends it).

Rules are intent, not a boundary: whatever runs, runs in the sandbox. Deny beats ask beats allow. A
command is approved by a rule (or an "always allow" prefix) only when the parser found nothing it could
not account for, its shape is a list or pipeline of simple literal commands, every program in it passes
its grammar (execute/grammar.py), and a rule names each program: the program itself, and every wrapper
that is not transparent (`xargs`, `find -exec`, `npx`). A rule matched at a wrapper's words approves the
program it runs only when the rule spells that program out literally: `timeout 5 pytest*` approves
pytest, `timeout*` does not. Files run by path (`./script`, `python3 tool.py`) need a rule that spells
the file out, and are never approved through a wrapper.
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

from modelroute.execute.shellparse import ParsedCommand, SubCommand, display_word
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
MAX_SHOWN_REASONS = 12
_GLOB = "*?["


@dataclass(frozen=True)
class SubVerdict:
    subcommand: SubCommand
    action: Action
    reason: str
    needs_rule: tuple[int, ...] = ()  # layers (len(layers) = the program) that only lack a rule


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
    return not any(c in pattern for c in _GLOB) and (text == pattern or text.startswith(pattern + " "))


def literal_words(pattern: str) -> int:
    """How many leading words of a pattern are spelled out (no `*`, `?`, `[`)."""
    words = pattern.split()
    if not any(c in pattern for c in _GLOB):
        return len(words)
    count = 0
    for word in words:
        if any(c in word for c in _GLOB):
            break
        count += 1
    return count


# ---------------------------------------------------------------- matching rules to layers


def _join(words: Sequence[str]) -> str:
    return " ".join(display_word(w) for w in words)


def _texts(sub: SubCommand, i: int, *, allow: bool) -> list[str]:
    """What a rule may match at layer i (a wrapper, or the program when i == len(layers))."""
    n = len(sub.layers)
    if i == n:
        bare = _join(sub.argv) + (" <stdin-args>" if sub.stdin_args else "")
        out = [sub.normalized] if sub.assignments else [bare]
        if sub.assignments and (sub.harmless_assignments or not allow):
            out.append(bare)
        return out
    contiguous = all(layer.inner_at is not None for layer in sub.layers[i:])
    text = _join(sub.layers[i].words) + (" <stdin-args>" if sub.stdin_args and contiguous else "")
    return [text]


def _offset(sub: SubCommand, i: int, j: int) -> int | None:
    """Where layer j's program word sits among layer i's words (None: not as written)."""
    total = 0
    for layer in sub.layers[i:j]:
        if layer.inner_at is None:
            return None
        total += layer.inner_at
    return total


def _rule_for(sub: SubCommand, j: int, patterns: Sequence[str]) -> str | None:
    """A pattern that approves layer j, matched at j or at an outer layer that spells it out."""
    n = len(sub.layers)
    through = sub.literal_through if j == n else None
    for i in range(j, -1, -1):
        offset = _offset(sub, i, j)
        if offset is None:
            continue
        need = 0 if i == j and through is None else offset + (through or 0) + 1
        for text in _texts(sub, i, allow=True):
            for pattern in patterns:
                if matches(pattern, text) and literal_words(pattern) >= need:
                    return pattern
    return None


def _matching_any(patterns: Sequence[str], sub: SubCommand) -> str | None:
    """A deny or ask pattern matching any layer's words, or the source text."""
    texts = [t for i in range(len(sub.layers) + 1) for t in _texts(sub, i, allow=False)]
    texts.append(" ".join(sub.text.split()))
    for pattern in patterns:
        if any(matches(pattern, t) for t in texts):
            return pattern
    return None


def _judge(sub: SubCommand, settings: ApprovalSettings, prefixes: Sequence[str]) -> SubVerdict:
    shown = sub.normalized
    denied = _matching_any([*BUILTIN_DENY, *settings.deny], sub)
    if denied is not None:
        return SubVerdict(sub, "deny", f"{shown!r} matches deny rule {denied!r}")
    asked = _matching_any(settings.ask, sub)
    if asked is not None:
        return SubVerdict(sub, "ask", f"{shown!r} matches ask rule {asked!r}")
    if sub.opaque:
        return SubVerdict(sub, "ask", f"{shown!r} cannot be checked: {sub.opaque_reason}")
    if sub.sudo:
        return SubVerdict(sub, "ask", f"{shown!r} asks for root (sudo)")
    if sub.problems:
        more = f" (and {len(sub.problems) - 1} more)" if len(sub.problems) > 1 else ""
        return SubVerdict(sub, "ask", f"{shown!r}: {sub.problems[0]}{more}")
    allowed = [*settings.allow, *prefixes]
    missing = [j for j in _rule_layers(sub) if _rule_for(sub, j, allowed) is None]
    if missing:
        return SubVerdict(sub, "ask", _missing_reason(sub, missing), tuple(missing))
    rule = _rule_for(sub, len(sub.layers), allowed)
    return SubVerdict(sub, "allow", f"{shown!r} matches allow rule {rule!r}")


def _rule_layers(sub: SubCommand) -> list[int]:
    """The layers a rule must name: every wrapper that is not transparent, and the program."""
    return [j for j, layer in enumerate(sub.layers) if not layer.transparent] + [len(sub.layers)]


def _missing_reason(sub: SubCommand, missing: Sequence[int]) -> str:
    n = len(sub.layers)
    if missing == [n]:
        if sub.literal_through is not None:
            spelled = _join(sub.argv[: sub.literal_through + 1])
            return f"{sub.normalized!r} runs a file; only a rule spelling out {spelled!r} approves it"
        return f"{sub.normalized!r} is not in the allow list"
    names = ", ".join(f"`{sub.layers[j].program}`" if j < n else f"`{sub.program}`" for j in missing)
    return f"{sub.normalized!r} needs a rule for each program it runs through; none for {names}"


def evaluate(
    parsed: ParsedCommand, approval_settings: ApprovalSettings, always_allowed_prefixes: Sequence[str] = ()
) -> Verdict:
    policy = approval_settings.policy
    subs = tuple(_judge(s, approval_settings, always_allowed_prefixes) for s in parsed.subcommands)
    reasons = [v.reason for v in subs if v.action != "allow"]
    reasons += [f"cannot be checked: {r}" for r in parsed.opaque_reasons]
    reasons += [f"not approved by rules: {r}" for r in parsed.shape_reasons]
    if any(v.action == "deny" for v in subs):
        return Verdict("deny", tuple(reasons), subs)
    if parsed.over_caps:
        return Verdict("deny" if policy == "never" else "ask", tuple(reasons), subs)
    if not subs:
        reasons.append("no command found")
    fully_allowed = (
        bool(subs) and not parsed.opaque and not parsed.shape_reasons and all(v.action == "allow" for v in subs)
    )
    if policy == "untrusted":
        return Verdict("ask", ("policy 'untrusted' asks before every command", *reasons), subs)
    if fully_allowed:
        return Verdict("allow", tuple(v.reason for v in subs), subs)
    if policy == "never":
        return Verdict("deny", ("policy 'never' never asks: not fully allowed", *reasons), subs)
    return Verdict("ask", tuple(reasons), subs)


# ---------------------------------------------------------------- prompt

_ESCAPE_INTRODUCERS = frozenset("xuUtnr")


def escape_visible(text: str) -> str:
    """Make control, format (bidi, zero-width), unassigned and separator characters visible as escapes.

    For prose (the model's reason, its name, a folder): letters of every script stay as they are. A
    backslash that would read as the start of an escape is doubled, so `\\x1b` typed by the model
    never looks like an escaped ESC character.
    """
    return _escape(text, lambda ch: _invisible(ch))


def escape_exact(text: str) -> str:
    """Command text: every character outside printable ASCII as an escape (homoglyphs included)."""
    return _escape(text, lambda ch: not (" " <= ch <= "~"))


def _invisible(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") or (cat == "Zs" and ch != " ")


def _escape(text: str, hide: Callable[[str], bool]) -> str:
    tokens = [_render(ch, hide) for ch in text]
    out: list[str] = []
    for i, token in enumerate(tokens):
        if token == "\\":  # a literal backslash: doubled when what follows could read as an escape
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            doubled = nxt.startswith("\\") or (nxt[:1] in _ESCAPE_INTRODUCERS and nxt != "")
            out.append("\\\\" if doubled else "\\")
        else:
            out.append(token)
    return "".join(out)


def _render(ch: str, hide: Callable[[str], bool]) -> str:
    if ch == "\\":
        return "\\"
    if ch in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[ch]
    return _escape_code(ord(ch)) if hide(ch) else ch


_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape_code(code: int) -> str:
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _clip(line: str, limit: int) -> str:
    if len(line) <= limit:
        return line
    return f"{line[:limit]} … ({len(line) - limit} more characters; the whole command is shown below)"


@dataclass(frozen=True)
class PromptSpec:
    message: str  # carries the whole command, escaped and uncut: no editor needs a details view
    actions: tuple[str, ...]
    full_text: str  # every sub-command escaped and uncut, for a "details" view
    always_prefix: str | None = None


def always_label(prefix: str) -> str:
    return f"Always allow `{escape_exact(prefix)}` here (sandboxed)"


def suggest_prefix(parsed: ParsedCommand, verdict: Verdict | None = None) -> str | None:
    """A prefix for "always allow": offered only when that one rule would approve what is asked."""
    if parsed.opaque or parsed.over_caps or parsed.shape_reasons:
        return None
    if verdict is not None:
        pending = [v for v in verdict.subcommands if v.action != "allow"]
        if not pending or any(not v.needs_rule for v in pending):
            return None
        candidates = {_prefix_for(v.subcommand, j) for v in pending for j in v.needs_rule}
    else:
        subs = list(parsed.subcommands)
        if not subs or any(not s.approvable or any(not layer.transparent for layer in s.layers) for s in subs):
            return None
        candidates = {_prefix_for(s, len(s.layers)) for s in subs}
    if len(candidates) != 1:
        return None
    return next(iter(candidates))


def _prefix_for(sub: SubCommand, j: int) -> str | None:
    """The words a stored rule for layer j spells out: the program, and a subcommand or the file it runs."""
    words = list(sub.layers[j].words[: (sub.layers[j].inner_at or len(sub.layers[j].words))]) \
        if j < len(sub.layers) else list(sub.argv)
    if not words:
        return None
    keep = 1
    if j == len(sub.layers) and sub.literal_through is not None:
        keep = sub.literal_through + 1
    elif len(words) > 1 and words[1].replace("-", "").replace("_", "").isalnum() and not words[1].startswith("-"):
        keep = 2
    chosen = words[:keep]
    if any(c in w for w in chosen for c in _GLOB) or any(display_word(w) != w for w in chosen):
        return None  # a stored rule is a pattern: it must not contain pattern characters
    return " ".join(chosen)


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
        shown = escape_exact(sub.normalized)
        via = f" (via {' → '.join(escape_exact(w) for w in sub.wrappers)})" if sub.wrappers else ""
        flags = " [CANNOT BE CHECKED: " + escape_exact(sub.opaque_reason) + "]" if sub.opaque_reason else ""
        flags += " [SUDO]" if sub.sudo else ""
        full.append(f"{i}. {shown}{via}{flags}")
        lines.append(_clip(f"{i}. {shown}{via}{flags}", line_limit))
    for r in parsed.opaque_reasons:
        lines.append(f"! {escape_exact(r)}")
    asked = [r for r in (verdict.reasons if verdict is not None else ())
             if r not in parsed.opaque_reasons and not r.startswith("policy '")]
    if verdict is not None and verdict.action != "allow" and asked:
        lines.append("Asked because:")
        lines += [f"- {escape_exact(r)}" for r in asked[:MAX_SHOWN_REASONS]]
        if len(asked) > MAX_SHOWN_REASONS:
            lines.append(f"- … and {len(asked) - MAX_SHOWN_REASONS} more")
    source = escape_exact(parsed.text)
    full.append(f"Full command text: {source}")
    lines.append(f"Full command text: {source}")  # never clipped: this is what runs
    if source != parsed.text:
        lines.append("(Characters outside printable ASCII are shown as \\x, \\u or \\U escapes; \\\\ is a backslash.)")
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
