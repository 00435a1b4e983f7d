"""Split an instruction that holds several independent tasks into steps, without a planner. Pure.

Models drop instructions when given several at once; one task at a time, each routed by its own
kind, does better. This finds the tasks the user already separated, and nothing else:
- a numbered or bulleted list whose items are tasks (each starts with an imperative verb, or the
  list follows "Fix these:"-style words and each item describes a problem);
- sentences that start with "Also", "Additionally", "Separately", "Then", "Next", "Finally", ...;
- two clauses joined by ", then", "; also", "and also", when each names its own target (a file,
  an identifier) and the second does not lean on the first ("... then fix it", "... then update
  the callers", "... then run the tests").
A single task is never split: when in doubt, the instruction stays whole. Nothing is lost: each
piece keeps its text; the list's intro and closing lines are context every step receives.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from importlib.resources import files

from pydantic import BaseModel, ConfigDict, Field

_ITEM = re.compile(
    r"^(?P<indent>[ \t]*)(?P<mark>\d{1,2}[.)]|\(\d{1,2}\)|[a-z][.)]|[-*•+]|step\s+\d{1,2}\s*[:.)\-])\s+(?P<text>\S.*)$",
    re.IGNORECASE,
)
_POLITE = re.compile(
    r"^(?:please|pls|kindly|can you|could you|would you|will you|i need you to|i want you to|i'd like you to|"
    r"we need to|we should|you should|let's|lets|go ahead and|and|now|also|then|first(?:ly)?|to start)\b[,:]?\s*",
    re.IGNORECASE,
)
_INDEPENDENT = (
    r"also|additionally|separately|plus|in addition|on top of that|while you're at it|unrelated(?:ly)?|another thing"
)
_SEQUENCE = r"then|next|after that|afterwards|finally|lastly|second(?:ly)?|third(?:ly)?"
_MARKER = re.compile(rf"^(?P<lead>(?:and\s+)?(?P<word>{_INDEPENDENT}|{_SEQUENCE})\b\s*[,:]?\s*)(?P<rest>\S.*)$",
                     re.IGNORECASE | re.DOTALL)
_INLINE = re.compile(r"(?P<sep>\s*(?:,\s*then|;\s*then|;\s*also|,?\s+and also|;\s*and\s+then|,\s*and\s+then)\s+)",
                     re.IGNORECASE)
_QUESTION = re.compile(r"^(?:why|what|how|where|when|which|who|is|are|does|do|can|could|should)\b.*\?\s*$",
                       re.IGNORECASE | re.DOTALL)
_PRONOUN_OBJECT = re.compile(
    r"^\S+\s+(?:it|them|that|this|those|these|its|their|everything|whatever|the (?:result|results|output|same))\b",
    re.IGNORECASE,
)
_FOLLOW_UP = re.compile(
    r"^(?:re-?run|run|verify|check|confirm|make sure|ensure|commit|push|test)\b|"
    r"\b(?:callers?|call sites?|usages?|references|imports|accordingly|the rest|everywhere else|to match)\b",
    re.IGNORECASE,
)
_TARGET = re.compile(
    r"`[^`]+`|[\w./\-]+\.[A-Za-z]{1,6}\b|\b[A-Z][a-z0-9]+[A-Z]\w*\b|\b[a-z][a-z0-9]*_[a-z0-9_]+\b|--[a-z][\w-]*|"
    r"\b(?:README|CHANGELOG|Dockerfile|Makefile|LICENSE|Jenkinsfile|Procfile|Gemfile|Cargo\.toml|package\.json)\b"
)
_TASK_LIST_INTRO = re.compile(
    r"\b(?:fix|address|resolve|handle|do|complete|implement|tackle|apply|make)\b[^.\n]*(?:following|these|this list|"
    r"below|issues|bugs|problems|comments|changes|items|things)\b[^\n]*:\s*$",
    re.IGNORECASE,
)
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|approx|cf|incl|Mr|Ms|Dr|No)\.|\.\.\.)$", re.IGNORECASE)
MIN_WORDS = 3


class Piece(BaseModel):
    model_config = ConfigDict(frozen=True)

    lead: str = ""  # what introduced it in the text: a bullet, a number, "Also,", ", then"
    text: str


class Split(BaseModel):
    model_config = ConfigDict(frozen=True)

    intro: str = ""  # shared context before a list ("In src/cart.py:")
    pieces: tuple[Piece, ...] = Field(min_length=2)
    outro: str = ""  # shared context after a list ("Keep the public API unchanged.")
    how: str

    def instructions(self) -> tuple[str, ...]:
        """Each step's instruction, with the shared context around it."""
        return tuple("\n\n".join(p for p in (self.intro, piece.text, self.outro) if p.strip()) for piece in self.pieces)


@lru_cache(maxsize=1)
def imperative_verbs() -> frozenset[str]:
    text = files("modelroute.strategy").joinpath("imperative_verbs.txt").read_text(encoding="utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


def _core(text: str) -> str:
    """The text without polite openers: "Please could you also fix ..." -> "fix ..."."""
    previous = None
    core = text.strip()
    while previous != core:
        previous = core
        core = _POLITE.sub("", core, count=1).strip()
    return core


def is_task(text: str) -> bool:
    """Starts with an imperative verb (after polite openers), or is a question about the code."""
    core = _core(text)
    words = core.split()
    if len(words) < 2:
        return False
    first = re.sub(r"[^a-z-]", "", words[0].lower())
    return first in imperative_verbs() or bool(_QUESTION.match(core))


def _dependent(text: str, sequence: bool) -> bool:
    """The clause leans on the one before: "fix it", "then update the callers", "then run the tests"."""
    core = _core(text)
    if _PRONOUN_OBJECT.match(core):
        return True
    return sequence and bool(_FOLLOW_UP.search(core))


def split_instruction(text: str) -> Split | None:
    """The instruction's independent tasks, or None when it is one task (or unclear)."""
    return _from_list(text) or _from_sentences(text)


def _from_list(text: str) -> Split | None:
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if _ITEM.match(line)), None)
    if start is None:
        return None
    indent = len(_ITEM.match(lines[start]).group("indent"))  # type: ignore[union-attr]
    items: list[tuple[str, list[str]]] = []
    end = len(lines)
    blank = False
    for i in range(start, len(lines)):
        line = lines[i]
        match = _ITEM.match(line)
        if match and len(match.group("indent")) == indent:
            items.append((match.group("mark"), [match.group("text")]))
            blank = False
        elif not line.strip():
            blank = True
        elif blank and len(line) - len(line.lstrip()) <= indent:
            end = i
            break
        else:
            items[-1][1].append(line.strip())
            blank = False
    intro = "\n".join(lines[:start]).strip()
    outro = "\n".join(lines[end:]).strip()
    pieces = tuple(Piece(lead=mark, text="\n".join(body).strip()) for mark, body in items)
    if len(pieces) < 2 or any(len(p.text.split()) < 2 for p in pieces):
        return None
    numbered = any(ch.isdigit() for ch in items[0][0])
    problems = bool(_TASK_LIST_INTRO.search(intro)) and all(len(p.text.split()) >= 4 for p in pieces)
    if not (all(is_task(p.text) for p in pieces) or problems):
        return None
    return Split(intro=intro, pieces=pieces, outro=outro, how="a numbered list" if numbered else "a bulleted list")


def _mask_code(text: str) -> str:
    """Code spans with their dots and semicolons hidden, same length, for finding boundaries."""
    return re.sub(r"`[^`]*`", lambda m: "`" + "x" * (len(m.group(0)) - 2) + "`", text)


def _sentences(text: str) -> list[str]:
    masked = _mask_code(text)
    cuts = [0]
    for match in re.finditer(r"(?<=[.!?])\s+(?=\S)", masked):
        before = masked[: match.start()]
        if _ABBREVIATION.search(before):
            continue
        cuts.append(match.end())
    cuts.append(len(text))
    return [text[a:b] for a, b in itertools.pairwise(cuts) if text[a:b].strip()]


def _from_sentences(text: str) -> Split | None:
    if "\n\n" in text.strip():
        return None  # paragraphs: too loose to tell tasks from explanation
    pieces: list[Piece] = []
    how = "separate sentences"
    for sentence in _sentences(text):
        marker = _MARKER.match(sentence.strip())
        if pieces and marker and _starts_new_task(marker, pieces[-1].text):
            pieces.append(Piece(lead=marker.group("lead").strip(), text=marker.group("rest").strip()))
        elif pieces:
            pieces[-1] = Piece(lead=pieces[-1].lead, text=f"{pieces[-1].text} {sentence.strip()}")
        else:
            pieces.append(Piece(text=sentence.strip()))
    if len(pieces) < 2:
        pieces, how = _inline(text), "clauses joined by 'then' or 'also'"
    if len(pieces) < 2 or not is_task(pieces[0].text):
        return None
    return Split(pieces=tuple(pieces), how=how)


def _starts_new_task(marker: re.Match[str], previous: str) -> bool:
    rest = marker.group("rest")
    sequence = re.fullmatch(_SEQUENCE, marker.group("word"), re.IGNORECASE) is not None
    return (is_task(rest) and len(rest.split()) >= MIN_WORDS and is_task(previous)
            and not _dependent(rest, sequence))


def _inline(text: str) -> list[Piece]:
    """Two or more clauses of one sentence, each a task with its own target."""
    masked = _mask_code(text)
    cuts = list(_INLINE.finditer(masked))
    if not cuts:
        return []
    pieces: list[Piece] = []
    start, lead = 0, ""
    for cut in cuts:
        pieces.append(Piece(lead=lead, text=text[start : cut.start()].strip()))
        start, lead = cut.end(), text[cut.start() : cut.end()].strip()
    pieces.append(Piece(lead=lead, text=text[start:].strip()))
    targets = [frozenset(m.group(0).strip("`") for m in _TARGET.finditer(p.text)) for p in pieces]
    for i, piece in enumerate(pieces):
        sequence = "then" in piece.lead.lower()
        if (not is_task(piece.text) or len(piece.text.split()) < MIN_WORDS + 1 or not targets[i]
                or (i and (_dependent(piece.text, sequence) or targets[i] <= targets[i - 1]))):
            return []
    return pieces


__all__ = ["Piece", "Split", "imperative_verbs", "is_task", "split_instruction"]
