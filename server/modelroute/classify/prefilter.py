"""A cheap, exact prefilter for the cue regexes: literals that every match must contain.

Most of the ~115 cue patterns cannot match a given text, yet each regex search walks the whole
3,000-character head. From each pattern's parse tree we derive literal sets such that *any* match
contains a literal from each set (`\\b(?:crash(?:es)?|hangs)\\b` needs "crash" or "hangs"; adjacent
fixed parts are joined: `(?:is|does) not` needs "is not" or "does not"). Per text, its 4-character
grams are hashed once (`Probe`); a set none of whose literals has its rarest gram in the text is
rejected with one set-disjointness test, and small sets are then confirmed by substring search.
The derivation is conservative (a part with no fixed text contributes nothing; a pattern with none
is always searched), so the prefilter never changes a result: it only skips searches that would fail.
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# The regex parser is internal (re._parser since 3.11, sre_parse before); only its parse tree is used.
sre_parse: Any = importlib.import_module("re._parser" if hasattr(re, "_parser") else "sre_parse")
_C = sre_parse  # constants (LITERAL, IN, BRANCH, ...) live on the parser module's namespace
_MAX_CLASS = 6  # a small character class ([.?!]) still gives single-character literals
_MAX_LITERALS = 64  # cap for joining adjacent sets (a product grows fast)
_MAX_REQUIRED = 256  # a set with more alternatives costs about as much to test as the regex itself
_GRAM = 4  # literal presence is first looked up by its leading 4 characters in a hashed set
_GRAM_TEXT = 4000  # longer texts (the body window) are probed by plain substring search
_MAX_SETS = 3  # the most selective few sets reject nearly everything the rest would
# Short words found in nearly every text: a literal made only of one is a weak filter.
_COMMON = frozenset({"the", "is", "are", "do", "in", "to", "a", "an", "of", "it", "this", "that", "and",
                     "or", "for", "on", "with", "not", "be", "from", "at", "as", "by", "if", "you", "i"})

Literals = frozenset[str]
Requirement = tuple[Literals, ...]  # every set must have a literal in the text; () means always search
Exact = frozenset[str] | None  # every string an item can match, when that set is small


def required_literals(pattern: re.Pattern[str]) -> Requirement:
    """Literal sets such that every match of `pattern` contains a literal from each set."""
    alternatives = required_alternatives(pattern)
    return alternatives[0] if len(alternatives) == 1 else ()


def required_alternatives(pattern: re.Pattern[str]) -> tuple[Requirement, ...]:
    """Per top-level alternative of `pattern` (`a|b`, or `\\b(?:a|b)\\b`), its required literal sets:
    every match satisfies all the sets of at least one alternative. () when nothing is required."""
    if pattern.flags & re.IGNORECASE:
        return ()
    try:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # pragma: no cover - a compiled pattern always parses
        return ()
    out: list[Requirement] = []
    single: set[str] = set()  # alternatives that need one literal set merge into one union set
    for branch in _top_branches(list(tree)):
        sets = [_prune(found) for found in _analyse(branch)[1] if len(found) <= _MAX_REQUIRED]
        if not sets:
            return ()  # one alternative can match anything: always search
        sets.sort(key=_selectivity, reverse=True)
        if len(sets) == 1:
            single |= sets[0]
        else:
            out.append(tuple(sets[:_MAX_SETS]))
    if single:
        out.insert(0, (_prune(frozenset(single)),))
    return tuple(out)


def _top_branches(items: list[tuple[Any, Any]]) -> list[list[tuple[Any, Any]]]:
    """The alternatives of a pattern that is one alternation (zero-width assertions around it are
    dropped: they consume nothing), else the whole pattern as the only alternative."""
    core = [(op, arg) for op, arg in items if op not in (_C.AT, _C.ASSERT, _C.ASSERT_NOT)]
    if len(core) == 1:
        op, arg = core[0]
        if op is _C.SUBPATTERN and len(arg[-1]) == 1:
            op, arg = next(iter(arg[-1]))
        if op is _C.BRANCH:
            return [list(branch) for branch in arg[1]]
    return [items]


@dataclass(frozen=True)
class SetTest:
    """One required literal set, stored for a cheap test: the rarest 4-character gram of each long
    literal (one set-disjointness test against the text's grams) and the short literals."""

    literals: Literals
    grams: frozenset[str]
    short: tuple[str, ...]
    by_gram: Mapping[str, tuple[str, ...]]  # the long literals indexed under each gram


@dataclass(frozen=True)
class Prefilter:
    """A pattern's alternatives, each a conjunction of literal-set tests; () means always search."""

    alternatives: tuple[tuple[SetTest, ...], ...] = ()


def prefilter_for(pattern: re.Pattern[str], gram_counts: Mapping[str, int]) -> Prefilter:
    """The prefilter of one pattern. Each long literal is indexed by its rarest 4-character gram
    (fewest texts in `gram_counts`, e.g. the learned vote's corpus): any gram of a literal that occurs
    occurs too, and a rare one rejects more texts than "the "."""
    return Prefilter(tuple(tuple(_set_test(lits, gram_counts) for lits in sets)
                           for sets in required_alternatives(pattern)))


def _set_test(lits: Literals, gram_counts: Mapping[str, int]) -> SetTest:
    by_gram: dict[str, list[str]] = {}
    for lit in sorted(lits):
        if len(lit) >= _GRAM:
            by_gram.setdefault(_rarest_gram(lit, gram_counts), []).append(lit)
    return SetTest(lits, frozenset(by_gram), tuple(lit for lit in sorted(lits) if len(lit) < _GRAM),
                   {gram: tuple(found) for gram, found in by_gram.items()})


def gram_counts(texts: Iterable[str]) -> Counter[str]:
    """In how many of `texts` each 4-character gram occurs."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({text[i:i + _GRAM] for i in range(len(text) - _GRAM + 1)})
    return counts


def _rarest_gram(lit: str, counts: Mapping[str, int]) -> str:
    return min((lit[i:i + _GRAM] for i in range(len(lit) - _GRAM + 1)), key=lambda g: counts.get(g, 0))


class Probe:
    """One text, prepared for many prefilter tests: its 4-character grams are hashed once."""

    __slots__ = ("grams", "text")

    def __init__(self, text: str, *, hashed: bool = True) -> None:
        self.text = text
        # few cues read the body, which can be 20,000 characters: hashing it costs more than it saves
        self.grams = (frozenset(text[i:i + _GRAM] for i in range(len(text) - _GRAM + 1))
                      if hashed and len(text) <= _GRAM_TEXT else None)


def may_match(pf: Prefilter, probe: Probe) -> bool:
    """False only when the regex behind `pf` certainly has no match in the probe's text (a literal
    that occurs has its rarest gram among the text's grams)."""
    return not pf.alternatives or any(_all_hit(tests, probe) for tests in pf.alternatives)


def _all_hit(tests: tuple[SetTest, ...], probe: Probe) -> bool:
    text, grams = probe.text, probe.grams
    for test in tests:
        if grams is None:
            if not any(lit in text for lit in test.literals):
                return False
            continue
        if any(lit in text for lit in test.short):
            continue
        shared = test.grams & grams  # usually empty; else confirm only the literals behind those grams
        if not any(lit in text for gram in shared for lit in test.by_gram[gram]):
            return False
    return True


def _prune(found: Literals) -> Literals:
    """"crash" already covers "crashes": a superstring's test is redundant."""
    return frozenset(lit for lit in found if not any(o != lit and o in lit for o in found))


def _analyse(items: list[tuple[Any, Any]]) -> tuple[Exact, list[Literals]]:
    """A sequence's exact strings (when few) and its required literal sets. Adjacent items whose
    exact strings are known are joined into longer literals ("is|does" then " not" gives "is not",
    "does not"); zero-width assertions consume nothing and are transparent."""
    required: list[Literals] = []
    run: Exact = frozenset({""})
    whole: Exact = frozenset({""})
    for op, arg in items:
        exact, req = _item(op, arg)
        if exact is not None and run is not None:
            joined = _join(run, exact)
            if joined is not None:
                run = joined
                whole = _join(whole, exact) if whole is not None else None
                continue
        whole = None
        _flush(run, required)
        run = exact if exact is not None and len(exact) <= _MAX_LITERALS else frozenset({""})
        required.extend(req)
    _flush(run, required)
    return whole, required


def _join(left: frozenset[str], right: frozenset[str]) -> Exact:
    if len(left) * len(right) > _MAX_LITERALS:
        return None
    return frozenset(a + b for a in left for b in right)


def _flush(run: Exact, required: list[Literals]) -> None:
    if run and "" not in run:
        required.append(run)


def _item(op: Any, arg: Any) -> tuple[Exact, list[Literals]]:
    """(exact strings, required literal sets) of one parse-tree item."""
    if op is _C.LITERAL:
        return frozenset({chr(arg)}), [frozenset({chr(arg)})]
    if op in (_C.AT, _C.ASSERT, _C.ASSERT_NOT):
        return frozenset({""}), []
    if op is _C.SUBPATTERN:
        return _analyse(list(arg[-1]))
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT):
        low, high, sub = arg
        exact, req = _analyse(list(sub))
        if low == high == 1:
            return exact, req
        if low == 0 and high == 1 and exact is not None:
            return exact | {""}, []
        return None, req if low >= 1 else []
    if op is _C.BRANCH:
        return _branch(arg[1])
    if op is _C.IN:
        chars = frozenset(chr(a) for o, a in arg if o is _C.LITERAL)
        if len(chars) == len(arg) and 0 < len(chars) <= _MAX_CLASS:
            return chars, [chars]
    return None, []


def _branch(branches: list[Any]) -> tuple[Exact, list[Literals]]:
    """An alternation: each alternative contributes its most selective set; the union is required."""
    exact: set[str] | None = set()
    union: set[str] = set()
    for branch in branches:
        b_exact, b_req = _analyse(list(branch))
        exact = exact | b_exact if exact is not None and b_exact is not None else None
        options: list[Literals] = list(b_req)
        if b_exact is not None and "" not in b_exact:
            options.append(b_exact)
        if not options:
            return (None, [])
        best: Literals = max(options, key=_selectivity)
        union |= best
    if exact is not None and len(exact) > _MAX_LITERALS:
        exact = None
    return (frozenset(exact) if exact is not None else None), [frozenset(union)]


def _selectivity(lits: Literals) -> tuple[int, int]:
    """Prefer sets whose weakest literal is longest (rarer), then fewer alternatives."""
    return min(_rarity(lit) for lit in lits), -len(lits)


def _rarity(lit: str) -> int:
    word = lit.strip()
    return len(word) - 3 if word in _COMMON else len(word)
