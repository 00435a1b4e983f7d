"""Where each key of a TOML document is written: dotted path -> (line, column).

tomllib returns values without positions and tomlkit keeps none either, so this is a small
scanner. It runs only on text tomllib has accepted, so it can be lenient; it understands table
headers, arrays of tables, dotted and quoted keys, inline tables, arrays (recording each
element), and all four string forms. Lines and columns are 1-based; columns count characters.
"""

from __future__ import annotations

import bisect
import contextlib
import tomllib

Path = tuple[str | int, ...]
Position = tuple[int, int]

_BARE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_SCALAR_END = set(",]}\n#")


def key_positions(text: str) -> dict[Path, Position]:
    """Map every key path (and array element path) to where it first appears."""
    scanner = _Scanner(text)
    # Keep what was found on a surprise: positions are a help, not a contract.
    with contextlib.suppress(IndexError, ValueError, tomllib.TOMLDecodeError):
        scanner.document()
    return scanner.positions


def position_of(positions: dict[Path, Position], path: Path) -> Position | None:
    """Position of `path`, or of its nearest recorded ancestor."""
    for end in range(len(path), 0, -1):
        found = positions.get(path[:end])
        if found is not None:
            return found
    return None


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line_starts = [0] + [k + 1 for k, ch in enumerate(text) if ch == "\n"]
        self.positions: dict[Path, Position] = {}
        self.array_tables: dict[Path, int] = {}

    def at(self, index: int) -> Position:
        line = bisect.bisect_right(self.line_starts, index)
        return line, index - self.line_starts[line - 1] + 1

    def record(self, path: Path, index: int) -> None:
        self.positions.setdefault(path, self.at(index))

    def peek(self, offset: int = 0) -> str:
        k = self.i + offset
        return self.text[k] if k < len(self.text) else ""

    def skip_blank(self, newlines: bool = True) -> None:
        while self.i < len(self.text):
            ch = self.text[self.i]
            if ch in " \t\r" or (newlines and ch == "\n"):
                self.i += 1
            elif ch == "#":
                end = self.text.find("\n", self.i)
                self.i = len(self.text) if end < 0 else end
            else:
                return

    def document(self) -> None:
        table: Path = ()
        while True:
            self.skip_blank()
            if self.i >= len(self.text):
                return
            start = self.i
            if self.text.startswith("[[", self.i):
                self.i += 2
                table = self.header(array=True)
            elif self.peek() == "[":
                self.i += 1
                table = self.header(array=False)
            else:
                self.key_value(table)
            if self.i == start:
                self.i += 1

    def header(self, *, array: bool) -> Path:
        segments = self.key()
        self.skip_blank(newlines=False)
        self.i += 2 if array else 1
        path: Path = ()
        for n, (name, index) in enumerate(segments):
            path = (*path, name)
            last = n == len(segments) - 1
            if last and array:
                count = self.array_tables.get(path, 0)
                self.array_tables[path] = count + 1
                self.record(path, index)
                path = (*path, count)
            elif path in self.array_tables:
                path = (*path, self.array_tables[path] - 1)
            self.record(path, index)
        return path

    def key_value(self, table: Path) -> None:
        path = self.dotted(table)
        self.skip_blank(newlines=False)
        if self.peek() == "=":
            self.i += 1
        self.skip_blank(newlines=False)
        self.value(path)

    def dotted(self, prefix: Path) -> Path:
        path = prefix
        for name, index in self.key():
            path = (*path, name)
            self.record(path, index)
        return path

    def key(self) -> list[tuple[str, int]]:
        segments: list[tuple[str, int]] = []
        while True:
            self.skip_blank(newlines=False)
            start = self.i
            ch = self.peek()
            if ch in ('"', "'"):
                self.skip_string()
                raw = self.text[start : self.i]
                name = tomllib.loads(f"k = {raw}")["k"]
            else:
                while self.peek() in _BARE and self.peek():
                    self.i += 1
                name = self.text[start : self.i]
            segments.append((str(name), start))
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return segments
            self.i += 1

    def value(self, path: Path) -> None:
        ch = self.peek()
        if ch in ('"', "'"):
            self.skip_string()
        elif ch == "[":
            self.array(path)
        elif ch == "{":
            self.inline_table(path)
        else:
            while self.i < len(self.text) and self.text[self.i] not in _SCALAR_END:
                self.i += 1

    def array(self, path: Path) -> None:
        self.i += 1
        index = 0
        while self.i < len(self.text):
            self.skip_blank()
            if self.peek() == "]":
                self.i += 1
                return
            start = self.i
            self.record((*path, index), start)
            self.value((*path, index))
            index += 1
            self.skip_blank()
            if self.peek() == "," or self.i == start:
                self.i += 1

    def inline_table(self, path: Path) -> None:
        self.i += 1
        while self.i < len(self.text):
            self.skip_blank()
            if self.peek() == "}":
                self.i += 1
                return
            start = self.i
            self.key_value(path)
            self.skip_blank()
            if self.peek() == "," or self.i == start:
                self.i += 1

    def skip_string(self) -> None:
        quote = self.peek()
        triple = quote * 3
        if self.text.startswith(triple, self.i):
            self.i += 3
            while self.i < len(self.text):
                if quote == '"' and self.peek() == "\\":
                    self.i += 2
                elif self.text.startswith(triple, self.i):
                    self.i += 3
                    # A closing delimiter may be preceded by up to two quotes of content.
                    for _ in range(2):
                        if self.peek() == quote:
                            self.i += 1
                    return
                else:
                    self.i += 1
            return
        self.i += 1
        while self.i < len(self.text):
            ch = self.text[self.i]
            if quote == '"' and ch == "\\":
                self.i += 2
            elif ch == quote:
                self.i += 1
                return
            else:
                self.i += 1
