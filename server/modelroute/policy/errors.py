"""Settings problems with positions, formatted like compiler diagnostics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]

CLIENT_SOURCE = "workspace/configuration (modelroute)"
"""The `file` of a problem found in the client's settings, which have no file or lines."""


@dataclass(frozen=True)
class SettingsError:
    """One problem in one settings source.

    `line` and `column` are 1-based (as editors and compilers print them) and None when the
    source has no positions (client settings) or the problem has no place (unreadable file).
    `source_line` is the text of the offending line, shown under syntax errors.
    """

    file: str
    line: int | None
    column: int | None
    key: str
    message: str
    severity: Severity = "error"
    source_line: str | None = None
    syntax: bool = False
    rest_applies: bool = False
    """An error about one entry that was dropped while the rest of its file still applies (a `!`
    pattern in a workspace file's privacy list), rather than one that leaves the file out."""

    def format(self, *, show_source: bool | None = None) -> str:
        """`path:line:col: error: key: message`; syntax errors also show the line and a caret."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        head = f"{where}: {self.severity}: "
        head += f"{self.key}: {self.message}" if self.key else self.message
        show = self.syntax if show_source is None else show_source
        if not show or self.source_line is None or self.line is None:
            return head
        gutter = str(self.line)
        lines = [head, f" {gutter} | {self.source_line}"]
        if self.column is not None:
            caret_pad = _visual_prefix(self.source_line, self.column - 1)
            lines.append(f" {' ' * len(gutter)} | {caret_pad}^")
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "key": self.key,
            "message": self.message,
            "severity": self.severity,
        }


def _visual_prefix(text: str, width: int) -> str:
    # Keep tabs so the caret lines up under the offending character.
    return "".join("\t" if ch == "\t" else " " for ch in text[: max(width, 0)])
