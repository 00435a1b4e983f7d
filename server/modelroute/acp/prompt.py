"""What an ACP prompt asks for: the instruction (its text) and the files it names (resource links,
embedded resources with the editor's unsaved text, a line range in the URI's fragment). Pure.

Clients mention files as `file://` URIs; a selection comes as a fragment, `#L12`, `#L12-20`,
`#L12:20` or `#L12-L20` (1-based lines, as Zed and others write them). An embedded resource without
a fragment is the editor's whole (maybe unsaved) text; with one, it is the selected lines only, and
the file itself is read. Anything the agent cannot use
(images, audio, binary resources, files outside the session's folder) is listed in `ignored` so the
user is told, never silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

_LINES = re.compile(r"^L?(\d+)(?:[-:]L?(\d+))?$")


@dataclass(frozen=True)
class Mention:
    """A file the prompt names: its path inside the workspace (POSIX, relative), the selected lines
    (0-based, inclusive) when the URI carries them, and the editor's text when it was embedded."""

    path: str
    start_line: int | None = None
    end_line: int | None = None
    text: str | None = None


@dataclass(frozen=True)
class Ask:
    instruction: str
    mentions: tuple[Mention, ...] = ()
    ignored: tuple[str, ...] = ()  # what the prompt held that the agent does not use, readable

    @property
    def document(self) -> Mention | None:
        """The action's document: the first file named (an embedded one wins, it is what the user sees)."""
        embedded = [m for m in self.mentions if m.text is not None]
        return embedded[0] if embedded else (self.mentions[0] if self.mentions else None)


def read_prompt(blocks: Sequence[Any], root: Path) -> Ask:
    """The instruction and the mentioned files of an ACP prompt, against the session's folder `root`."""
    texts: list[str] = []
    mentions: dict[str, Mention] = {}
    ignored: list[str] = []
    for block in blocks:
        kind = getattr(block, "type", None)
        if kind == "text":
            texts.append(str(block.text))
        elif kind == "resource_link":
            _mention(str(block.uri), None, root, mentions, ignored)
        elif kind == "resource":
            resource = block.resource
            text = getattr(resource, "text", None)
            if text is None:
                ignored.append(f"{_name(str(resource.uri))}: binary content is not read")
                continue
            _mention(str(resource.uri), str(text), root, mentions, ignored)
        else:
            ignored.append(f"{kind or 'unknown'} content is not read (text and files only)")
    instruction = _without_names("\n".join(t for t in texts if t.strip()), mentions.values())
    return Ask(instruction=instruction, mentions=tuple(mentions.values()), ignored=tuple(ignored))


def _without_names(text: str, mentions: Iterable[Mention]) -> str:
    """The text without the code spans that only name a mentioned file (Jupyter AI turns `@file:x.py`
    into `` `x.py` ``): a file's name is not an instruction; a prompt of names only is empty, and the
    file's own directive comment then says what to do."""
    for mention in mentions:
        for name in {mention.path, mention.path.rsplit("/", 1)[-1]}:
            text = text.replace(f"`{name}`", " ")
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _mention(uri: str, text: str | None, root: Path, found: dict[str, Mention], ignored: list[str]) -> None:
    parsed = urlparse(uri)
    if parsed.scheme not in ("file", ""):
        ignored.append(f"{uri}: only file URIs are read")
        return
    path = Path(unquote(parsed.path))
    if not path.is_absolute():
        path = root / path
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):
        ignored.append(f"{path}: outside the session's folder {root}, not read")
        return
    if rel == ".":
        ignored.append(f"{path}: a folder, not a file")
        return
    start, end = _lines(unquote(parsed.fragment))
    if start is not None:
        text = None  # an embedded selection carries the selected lines only: the file is read whole
    previous = found.get(rel)
    if previous is not None and previous.text is not None and text is None:
        return  # a link to a file already embedded adds nothing
    found[rel] = Mention(rel, start, end, text)


def _lines(fragment: str) -> tuple[int | None, int | None]:
    match = _LINES.match(fragment.strip())
    if match is None:
        return None, None
    first = max(int(match.group(1)), 1) - 1
    last = max(int(match.group(2) or match.group(1)), 1) - 1
    return min(first, last), max(first, last)


def _name(uri: str) -> str:
    return Path(unquote(urlparse(uri).path)).name or uri


__all__ = ["Ask", "Mention", "read_prompt"]
