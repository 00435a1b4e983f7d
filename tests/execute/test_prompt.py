"""Class 6 of issue 11: the approval prompt shows the exact command, invisible characters made visible,
and never clips what the user cannot then see in full (the message carries the whole command)."""

from __future__ import annotations

import re
import unicodedata

import pytest

from modelroute.execute.approval import always_label, build_prompt, escape_exact, escape_visible, evaluate
from modelroute.execute.shellparse import parse_command
from modelroute.policy.schema import ApprovalSettings, SandboxSettings

HIDDEN = {
    "zero-width space": "\u200b",
    "zero-width non-joiner": "\u200c",
    "zero-width joiner": "\u200d",
    "word joiner": "\u2060",
    "byte order mark": "\ufeff",
    "soft hyphen": "\u00ad",
    "right-to-left override": "\u202e",
    "left-to-right isolate": "\u2066",
    "pop directional isolate": "\u2069",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "no-break space": "\u00a0",
    "ideographic space": "\u3000",
    "escape": "\x1b",
    "carriage return": "\r",
    "backspace": "\b",
    "delete": "\x7f",
    "C1 control CSI": "\x9b",
    "tag letter": "\U000e0041",
    "variation selector": "\ufe0f",
    "combining overlay": "\u0338",
    "cyrillic i (homoglyph)": "\u0456",
    "fullwidth semicolon": "\uff1b",
    "unassigned": "\u0378",
}


def prompt(command: str, reason: str = "tidy up", **settings: object) -> str:
    parsed = parse_command(command)
    verdict = evaluate(parsed, ApprovalSettings(**settings))  # type: ignore[arg-type]
    return build_prompt("model", reason, parsed, "/ws", SandboxSettings(), False, verdict=verdict).message


@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_every_hidden_character_in_a_command_is_shown_escaped(name: str) -> None:
    char = HIDDEN[name]
    message = prompt(f"echo safe{char}name && rm -rf build{char}")
    assert char not in message
    code = ord(char)
    shown = {"\r": "\\r"}.get(char) or (f"\\x{code:02x}" if code < 0x100 else
                                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    assert shown in message
    assert f"Full command text: echo safe{shown}name && rm -rf build{shown}" in message.splitlines()


def test_only_printable_ascii_reaches_the_prompt_for_commands() -> None:
    everything = "".join(HIDDEN.values()) + "ls é ü 中"
    message = prompt(everything)
    command_lines = [line for line in message.splitlines() if line.startswith(("1.", "Full command text"))]
    for line in command_lines:
        assert all(" " <= c <= "~" or c in "→…" for c in line), line


def test_the_models_reason_keeps_letters_but_not_hidden_characters() -> None:
    message = prompt("ls", reason="nettoyer le répertoire\u202e\u200b 中文")
    assert "Why: nettoyer le répertoire\\u202e\\u200b 中文" in message


def test_backslashes_are_unambiguous() -> None:
    # a literal backslash-x-1-b typed in the command must not look like an escaped ESC character
    assert escape_exact("printf '\\x1b'") == "printf '\\\\x1b'"
    assert escape_exact("a\x1b") == "a\\x1b"
    assert escape_exact("a\\\x1b") == "a\\\\\\x1b"
    assert escape_exact("find . -exec rm {} \\;") == "find . -exec rm {} \\;"
    assert escape_visible("C:\\new\\table") == "C:\\\\new\\\\table"
    for text in ("\\x1b", "\x1b", "\\\x1b", "\\\\x", "a\\", "\\u200b", "\u200b", "\\n", "\n", "\\\\\\n"):
        assert _decode(escape_exact(text)) == text, text


def _decode(shown: str) -> str:
    out = []
    i = 0
    while i < len(shown):
        if shown[i] != "\\" or i + 1 >= len(shown):
            out.append(shown[i])
            i += 1
            continue
        nxt = shown[i + 1]
        if nxt == "\\":
            out.append("\\")
            i += 2
        elif nxt in "tnr":
            out.append({"t": "\t", "n": "\n", "r": "\r"}[nxt])
            i += 2
        elif nxt in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[nxt]
            out.append(chr(int(shown[i + 2 : i + 2 + width], 16)))
            i += 2 + width
        else:
            out.append("\\")
            i += 1
    return "".join(out)


def test_a_long_command_is_carried_whole() -> None:
    tail = "".join(f"arg{i}\u200b " for i in range(800))  # ~6,000 characters, hidden characters throughout
    command = f"ls {tail}; touch pwned"
    message = prompt(command)
    assert f"Full command text: {escape_exact(command)}" in message.splitlines()
    clipped = [line for line in message.splitlines() if "more characters" in line]
    assert clipped and all("the whole command is shown below" in line for line in clipped)
    assert "2. touch pwned" in message


def test_why_it_asks_is_in_the_prompt() -> None:
    message = prompt("find . -exec ./script {} \\;", allow=["find"])
    assert "Asked because:" in message
    assert "runs a file through `find`" in message


def test_always_label_shows_the_exact_prefix() -> None:
    label = always_label("np\u200bm test")
    assert "\u200b" not in label and "np\\u200bm test" in label


def test_the_prompt_lists_each_program_and_what_it_runs_through() -> None:
    message = prompt("timeout 5 bash -c 'ls; curl x | sh'")
    lines = message.splitlines()
    assert "1. ls (via timeout → bash)" in lines
    assert any(line.startswith("2. curl x (via timeout → bash)") for line in lines)
    assert any(line.startswith("3. sh (via timeout → bash) [CANNOT BE CHECKED") for line in lines)


def test_categories_escaped_match_unicode_data() -> None:
    # every code point escaped in prose is a control, format, separator, surrogate, private or unassigned one
    for code in [*range(0x3000), 0xFEFF, 0xE0041, 0x10FFFF]:
        ch = chr(code)
        shown = escape_visible(ch)
        category = unicodedata.category(ch)
        hidden = category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") or (category == "Zs" and ch != " ")
        assert (shown != ch) == (hidden or ch in "\t\n\r"), (hex(code), category, shown)
        assert re.fullmatch(r"[^\x00-\x1f\x7f]*", shown), hex(code)
