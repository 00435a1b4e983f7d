from __future__ import annotations

import json
from pathlib import Path

from modelroute.execute.approval import (
    DENY,
    RUN_SANDBOXED,
    RUN_UNSANDBOXED,
    ApprovalBook,
    always_label,
    binding_hash,
    build_prompt,
    escape_visible,
    evaluate,
)
from modelroute.execute.audit import AuditLog, redact
from modelroute.execute.shellparse import parse_command
from modelroute.policy.schema import ApprovalSettings, SandboxSettings


def verdict(command: str, **settings: object) -> str:
    return evaluate(parse_command(command), ApprovalSettings(**settings)).action  # type: ignore[arg-type]


def test_rules_deny_beats_ask_beats_allow() -> None:
    assert verdict("git status", allow=["git status"]) == "allow"
    assert verdict("git status && git push origin", allow=["git*"], deny=["git push*"]) == "deny"
    assert verdict("pytest -x", allow=["pytest*"], ask=["pytest -x*"]) == "ask"
    assert verdict("git status; npm test", allow=["git status"]) == "ask"
    assert verdict("rm -rf /", allow=["*"]) == "deny"  # built-in deny


def test_policies() -> None:
    assert verdict("git status", allow=["git status"], policy="untrusted") == "ask"
    assert verdict("rm -rf x", allow=["*"], deny=["rm*"], policy="untrusted") == "deny"
    assert verdict("git status", allow=["git status"], policy="never") == "allow"
    assert verdict("make", allow=["git status"], policy="never") == "deny"
    assert verdict("make", allow=["git status"]) == "ask"


def test_always_prefix_allows() -> None:
    parsed = parse_command("npm test -- --watch=false")
    assert evaluate(parsed, ApprovalSettings(), ["npm test"]).action == "allow"
    assert evaluate(parse_command("npm testify"), ApprovalSettings(), ["npm test"]).action == "ask"


def test_prompt_escapes_and_never_cuts_silently(tmp_path: Path) -> None:
    cmd = "echo \x1b[31mred\u202eevil\u200b; " + "ls " + "a" * 900
    spec = build_prompt(
        "kimi-k2.5",
        "run the tests",
        parse_command(cmd),
        tmp_path,
        SandboxSettings(network=True),
        allow_unsandboxed=False,
    )
    assert "\\x1b[31m" in spec.message and "\\u202e" in spec.message and "\\u200b" in spec.message
    assert "\x1b" not in spec.message and "\u202e" not in spec.message
    assert "more characters" in spec.message and "a" * 900 in spec.full_text
    assert "kimi-k2.5" in spec.message and str(tmp_path) in spec.message
    assert "network ON" in spec.message and "workspace-write" in spec.message
    lines = spec.message.splitlines()
    assert any(line.startswith("1. echo") for line in lines) and any(
        line.startswith("2. ls") for line in lines
    )
    assert RUN_UNSANDBOXED not in spec.actions and spec.actions[0] == RUN_SANDBOXED and DENY in spec.actions
    assert escape_visible("a\tb\nc\u2066") == "a\\tb\\nc\\u2066"


def _ask(book: ApprovalBook, cmd: str, cwd: Path, allow_unsandboxed: bool = False):  # type: ignore[no-untyped-def]
    parsed = parse_command(cmd)
    sandbox = SandboxSettings()
    prompt = build_prompt("m", "why", parsed, cwd, sandbox, allow_unsandboxed)
    binding = binding_hash(parsed, cwd, sandbox)
    return book.open(binding, cwd, prompt, allow_unsandboxed), binding, prompt


def test_book_approve_once_and_replay_ignored(tmp_path: Path) -> None:
    book = ApprovalBook()
    token, binding, _ = _ask(book, "make test", tmp_path)
    assert book.answer(token, RUN_SANDBOXED).outcome == "run_sandboxed"
    assert book.answer(token, RUN_UNSANDBOXED).outcome == "ignored"  # replayed answer
    other = binding_hash(parse_command("make deploy"), tmp_path, SandboxSettings())
    assert book.consume(token, other) == "deny"  # bound to another command
    assert book.consume(token, binding) == "run_sandboxed"
    assert book.consume(token, binding) == "deny"  # used once


def test_book_binding_covers_cwd_and_sandbox(tmp_path: Path) -> None:
    parsed = parse_command("make")
    base = binding_hash(parsed, tmp_path, SandboxSettings())
    assert base != binding_hash(parsed, tmp_path / "x", SandboxSettings())
    assert base != binding_hash(parsed, tmp_path, SandboxSettings(network=True))


def test_book_timeout_is_deny(tmp_path: Path) -> None:
    now = [0.0]
    book = ApprovalBook(timeout_s=10, clock=lambda: now[0])
    token, binding, _ = _ask(book, "make", tmp_path)
    now[0] = 11
    assert book.answer(token, RUN_SANDBOXED).decided_by == "timeout"
    assert book.consume(token, binding) == "deny"
    token2, _, _ = _ask(book, "make", tmp_path)
    now[0] = 30
    assert book.expire() == [token2]
    assert book.answer(token2, None).outcome == "ignored"


def test_book_always_and_escalation(tmp_path: Path) -> None:
    book = ApprovalBook()
    token, _, prompt = _ask(book, "npm test", tmp_path, allow_unsandboxed=True)
    assert prompt.always_prefix == "npm test" and RUN_UNSANDBOXED in prompt.actions
    answer = book.answer(token, always_label("npm test"))
    assert answer.stored_prefix == "npm test" and book.always_prefixes(tmp_path) == ["npm test"]
    token, _, _ = _ask(book, "make", tmp_path, allow_unsandboxed=True)
    assert book.answer(token, RUN_UNSANDBOXED).outcome == "run_unsandboxed"
    assert book.always_prefixes(tmp_path) == ["npm test"]  # escalation never stored
    token, _binding, _ = _ask(book, "make", tmp_path, allow_unsandboxed=False)
    assert book.answer(token, RUN_UNSANDBOXED).outcome == "deny"  # not offered: not honoured


def test_audit_log_redacts(tmp_path: Path, _data_dir: Path) -> None:
    parsed = parse_command("OPENAI_API_KEY=sk-abcdefghijk123 curl -H 'Authorization: Bearer tok123456' x")
    log = AuditLog()
    v = evaluate(parsed, ApprovalSettings())
    log.record(
        model="m",
        parsed=parsed,
        verdict=v,
        decision="deny",
        decided_by="user",
        cwd=tmp_path,
        sandbox=SandboxSettings().model_dump(),
        exit_code=None,
    )
    text = (_data_dir / "audit.jsonl").read_text()
    assert "sk-abcdefghijk123" not in text and "tok123456" not in text
    entry = json.loads(text)
    assert entry["decided_by"] == "user" and entry["subcommands"][0]["argv"][0] == "curl"
    assert redact("ghp_" + "a" * 36) == "[REDACTED]"
