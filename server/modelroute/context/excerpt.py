"""The part of a file an action works on: the whole file when it is small, else a window of whole
lines around the requested line, with the true line count of the file.

A file past MAX_BYTES is not cut at its first MAX_BYTES: that would put a request on line 2,000,000
of a 100 MB file outside the text, clamp it to the last line read and make the action work on the
wrong function. The file is streamed once to count its lines (up to MAX_COUNT_BYTES) and to find
where the requested line starts; only the window around it is decoded.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import AnyStr, BinaryIO

MAX_BYTES = 1_000_000  # the window: bytes of a file, characters of an editor buffer
LEAD = MAX_BYTES // 4  # of the window, before the requested line; the rest after it
MAX_COUNT_BYTES = 1 << 30  # counting lines stops here (the requested line is always found)
_CHUNK = 1 << 20
_BINARY_SNIFF = 8192


class NotText(Exception):
    """The file is binary (a NUL byte near its start)."""


@dataclass(frozen=True)
class Excerpt:
    text: str  # whole lines of the file, from `first_line`
    first_line: int  # 0-based line number of the text's first line in the file
    line_count: int  # lines in the whole file (a lower bound when not `count_exact`)
    complete: bool  # the text is the whole file
    size: int  # the file's size in bytes (an editor buffer: its length in characters)
    at_end: bool = True  # the text runs to the end of the file
    count_exact: bool = True
    invalid_utf8: bool = False

    def lines(self) -> list[str]:
        """The text's lines for positions: a window that stops inside the file ends with a whole line,
        not with the empty start of the next one."""
        lines = self.text.split("\n")
        if not self.at_end and len(lines) > 1 and lines[-1] == "":
            lines.pop()
        return lines

    def describe(self, rel: str, unit: str = "bytes") -> str | None:
        """The note a user reads when this is a window of the file; None for the whole file."""
        if self.complete:
            return None
        last = self.first_line + _line_count(self.text)
        count = f"{self.line_count:,} lines" if self.count_exact else f"more than {self.line_count:,} lines"
        return (
            f"{rel} is large ({self.size:,} {unit}, {count}): only lines {self.first_line + 1:,}-{last:,} "
            f"around the requested line were read"
        )


def excerpt_of_file(path: Path, line: int) -> Excerpt:
    """`path` whole, or a window of whole lines around 0-based `line` (clamped to the file).
    Raises OSError, NotText."""
    with open(path, "rb") as fh:
        head = fh.read(MAX_BYTES + 1)
        if b"\0" in head[:_BINARY_SNIFF]:
            raise NotText(str(path))
        if len(head) <= MAX_BYTES:
            text, bad = _decode(head, final=True, mid_character=False)
            return Excerpt(text, 0, _line_count(text), True, len(head), True, invalid_utf8=bad)
        size = fh.seek(0, 2)
        newlines, start, counted_all = _scan(fh, line)
        begin = max(0, min(start - LEAD, size - MAX_BYTES))
        fh.seek(begin)
        window = fh.read(MAX_BYTES)
        fh.seek(size - 1)
        ends_with_newline = fh.read(1) == b"\n"
    data, first_line = _whole_lines(window, b"\n", begin, start, min(line, newlines), size)
    at_end = begin + len(window) >= size
    text, bad = _decode(data, final=at_end, mid_character=begin > 0)
    count = newlines + (0 if ends_with_newline else 1)
    return Excerpt(text, first_line, count, False, size, at_end, counted_all, bad)


def excerpt_of_text(text: str, line: int) -> Excerpt:
    """The same window over an editor buffer (sizes in characters)."""
    if len(text) <= MAX_BYTES:
        return Excerpt(text, 0, _line_count(text), True, len(text), True)
    newlines = text.count("\n")
    target = min(line, newlines)
    start = _nth_line_start(text, "\n", target)
    begin = max(0, min(start - LEAD, len(text) - MAX_BYTES))
    window, first_line = _whole_lines(text[begin : begin + MAX_BYTES], "\n", begin, start, target, len(text))
    return Excerpt(window, first_line, _line_count(text), False, len(text), begin + MAX_BYTES >= len(text))


def _scan(fh: BinaryIO, line: int) -> tuple[int, int, bool]:
    """(newlines counted, offset where `line` starts, whether the whole file was counted). A file
    with fewer lines gives its last line's start."""
    fh.seek(0)
    newlines = pos = 0
    start: int | None = 0 if line == 0 else None
    last_start = 0
    while chunk := fh.read(_CHUNK):
        found = chunk.count(b"\n")
        if start is None and newlines + found >= line:
            start = pos + _nth_line_start(chunk, b"\n", line - newlines)
        if found:
            last_start = pos + chunk.rfind(b"\n") + 1
        newlines += found
        pos += len(chunk)
        if start is not None and pos >= MAX_COUNT_BYTES:
            return newlines, start, False
    return newlines, start if start is not None else last_start, True


def _whole_lines(
    window: AnyStr, newline: AnyStr, begin: int, start: int, line: int, size: int
) -> tuple[AnyStr, int]:
    """The window (which starts at offset `begin` of the file) cut to whole lines, and the line
    number of its first line. Line `line` starts at offset `start`, inside the window. A line longer
    than the window is kept in part."""
    at = start - begin
    lo, hi = 0, len(window)
    if begin > 0:
        cut = window.find(newline, 0, at)
        lo = cut + 1 if cut >= 0 else at
    if begin + len(window) < size:
        cut = window.rfind(newline)
        if cut >= at:
            hi = cut + 1
    return window[lo:hi], line - window.count(newline, lo, at)


def _nth_line_start(data: AnyStr, newline: AnyStr, n: int) -> int:
    """Offset where 0-based line `n` of `data` starts: just after its n-th newline."""
    at = -1
    for _ in range(n):
        at = data.find(newline, at + 1)
        if at < 0:
            return len(data)
    return at + 1


def _decode(data: bytes, *, final: bool, mid_character: bool) -> tuple[str, bool]:
    """UTF-8 text (BOM dropped) and whether bytes had to be replaced. A window that starts or ends
    inside a character drops that character: it is a cut, not invalid UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    while mid_character and data and 0x80 <= data[0] < 0xC0:
        data = data[1:]
    try:
        return codecs.getincrementaldecoder("utf-8")("strict").decode(data, final=final), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), True


def _line_count(text: str) -> int:
    if not text:
        return 0
    return text.count("\n") + (0 if text.endswith("\n") else 1)
