"""classify(ActionContext) -> Classification: a transparent weighted-evidence model.

Why this design: the label must be explainable (reasons are shown in the editor), deterministic,
offline and well under a millisecond, and it must generalise from a developer's one-liner to a
pasted GitHub issue. So:

1. The instruction's wording carries most of the weight. A lexicon of weighted cues (cues.py)
   reads the lead clause (imperative verb or question form), the head (intent words: "review",
   "everywhere", "write a script", "create a landing page") and, for long pastes, the body
   (tracebacks, "Expected behavior"/"Actual behavior", version lines). Per label, positive cues add
   up with decaying rank weights, so ten synonyms do not outvote one clear intent.
2. A small multinomial naive Bayes model (bayes.py), trained at import on a corpus shipped in the
   package (corpus.py), adds a bounded vote for phrasing the cues miss.
3. Context (context_cues.py) adds evidence: error diagnostics -> debugging, a Dockerfile/Makefile/CI
   file -> shell, a near-empty UI file + creation verb -> UI, a small selection -> quick edit,
   an uncommitted diff -> review, a symbol used in many files -> refactor, AI? -> explain. Its
   weight is doubled when the instruction is vague, so "make this work" on a failing test is
   debugging and "clean this up" on a selection is a quick edit.
4. Scores are the summed evidence plus small priors; confidence maps the margin between the top two
   scores through a logistic and is lowered when the winner's evidence is thin.

classify never raises: any unexpected error yields a low-confidence fallback with that reason.
"""

from __future__ import annotations

import math

from modelroute.categories import Category
from modelroute.classify import bayes
from modelroute.classify.context_cues import add_context
from modelroute.classify.cues import (
    CUES,
    EDIT_REQUEST,
    FAILURE_VERB,
    POLITE,
    QUESTION_START,
    WHY_OWN,
    YES_NO_THIS,
    Cue,
)
from modelroute.classify.long_text import is_task_scaffold, position_factor, title_symptom
from modelroute.classify.model import Classification
from modelroute.classify.prefilter import Probe, may_match
from modelroute.classify.signals import Evidence
from modelroute.classify.text import BODY_CHARS, HEAD_CHARS, first_sentence, intent_view, normalize
from modelroute.context.model import ActionContext

D, E, R = Category.DEBUGGING, Category.EXPLAIN, Category.CODE_REVIEW
S, U, M, Q = (Category.SHELL_AUTOMATION, Category.UI_GREENFIELD, Category.MULTI_FILE_REFACTOR,
              Category.QUICK_EDIT)
_DOING = (S, U, M, Q)
_PRIORS: dict[Category, float] = {Category.QUICK_EDIT: 0.4, Category.EXPLAIN: 0.2}
_NB_WEIGHT = 2.0
_MAX_REASONS = 4


def classify(ctx: ActionContext) -> Classification:
    """Label an editor action with one of the seven categories, with reasons. Pure; never raises."""
    try:
        return _classify(ctx)
    except Exception as exc:  # pragma: no cover - defensive: the editor must always get an answer
        return _fallback(f"classifier error ({type(exc).__name__}); defaulting")


def classify_text(instruction: str, *, file: str = "", language: str = "") -> Classification:
    """Classify an instruction with an otherwise empty context (benchmarks, held-out tests)."""
    ctx = ActionContext(workspace="/", file=file, language=language, instruction=instruction)
    return classify(ctx)


def _classify(ctx: ActionContext) -> Classification:
    raw = ctx.instruction or ""
    head = normalize(raw, HEAD_CHARS).strip()
    ev = Evidence()
    if head:
        body = normalize(raw, BODY_CHARS) if len(raw) > HEAD_CHARS else head
        _instruction_evidence(intent_view(head) or head, body, ev)
    else:
        _empty_instruction(ctx, ev)
    strength = max(ev.totals().values(), default=0.0)
    scale = 2.0 if strength < 2.0 else 1.4 if strength < 3.5 else 1.0
    add_context(ctx, ev, scale=scale, instruction=head)
    return _decide(ev)


def _lead(head: str) -> tuple[str, bool]:
    """The lead clause with request framing removed, and whether that framing was there."""
    lead = first_sentence(head)
    stripped = POLITE.sub("", lead, count=1)
    return stripped, stripped != lead.lstrip(" \t\n#>*-`")


def _instruction_evidence(head: str, body: str, ev: Evidence) -> None:
    lead, framed = _lead(head)
    question = not framed and (bool(QUESTION_START.match(lead)) or lead.rstrip().endswith("?"))
    asks_edit = bool(EDIT_REQUEST.search(head[len(first_sentence(head)):]))
    hits = _cue_hits(lead, head, body)
    spec = is_task_scaffold(head, body) and not any(cue.name in _NOT_ENV_TASK for cue, _, _ in hits)
    intent: dict[Category, float] = {c: 0.0 for c in Category}
    for cue, _, factor in hits:
        if not cue.topic and cue.name != "no_edit":
            for cat, w in cue.weights.items():
                intent[cat] = max(intent[cat], w * factor)
    if spec:
        intent[S] = max(intent[S], 2.5)
    constraint = _is_constraint(intent)
    if not constraint and any(cue.name == "no_edit" for cue, _, _ in hits):
        intent[R] = max(intent[R], 2.5)
    fails = question and _question_evidence(lead, asks_edit, intent, ev)
    subject = _failure_is_subject(hits, ev)
    for cue, snippet, factor in hits:
        if cue.name == "no_edit" and constraint:
            continue
        weights = {c: w * factor for c, w in _topic_weights(cue, intent).items()}
        if fails:  # "why does my docker build fail": docker is the subject, the failure is the request
            weights = {c: w * 0.5 if c in _DOING and w > 0 else w for c, w in weights.items()}
        if subject and cue.name not in _SUBJECT_CUES:  # the pasted failure is what the request is about
            weights = {c: w * 0.5 if c in subject and w > 0 else w for c, w in weights.items()}
        if spec and cue.window != "body":  # "exit 1 on a missing file", "write a CSV with a header": specs
            weights = {c: w * 0.5 if c in (D, U) and w > 0 else w for c, w in weights.items()}
        ev.add(weights, cue.reason.format(m=snippet), "instruction")
    _structure_evidence(head, len(body), question, spec, ev)
    vote = bayes.predict(head)
    best = max(vote, key=lambda c: vote[c])
    ev.add({c: _NB_WEIGHT * p for c, p in vote.items()},
           f"wording resembles {best.words} requests", "model")


def _structure_evidence(head: str, raw_len: int, question: bool, spec: bool, ev: Evidence) -> None:
    """What the shape of a long text says: an issue title stating a misbehaviour, a terminal task."""
    title = None if question else title_symptom(head, raw_len)
    if title:
        ev.add({D: 3.0, E: -1.0}, f"issue title states a misbehaviour ('{_snip(title, 7)}')", "instruction")
    if spec:
        ev.add({S: 2.5}, "a terminal task statement: paths in the environment and requirements to meet",
               "instruction")


def _cue_hits(lead: str, head: str, body: str) -> list[tuple[Cue, str, float]]:
    """Matching cues, each with a weight factor: intent found only late in a long text counts less."""
    hits: list[tuple[Cue, str, float]] = []
    probes = {"head": Probe(head), "body": Probe(body, hashed=False)}
    for cue in CUES:
        if cue.window == "lead":  # one short clause: the regex is cheaper than any prefilter
            found = cue.pattern.search(lead)
        else:
            probe = probes[cue.window]
            found = cue.pattern.search(probe.text) if may_match(cue.prefilter, probe) else None
        if found:
            factor = position_factor(len(head), found.start()) if cue.window == "head" else 1.0
            hits.append((cue, _snip(found.group(0).strip(), 6), factor))
    return hits


def _question_evidence(lead: str, asks_edit: bool, intent: dict[Category, float], ev: Evidence) -> bool:
    """Questions lean explain, unless they ask about a failure of the user's own code (debugging) or
    ask for a yes/no judgement of this code (review). Updates `intent` to match what it adds; True
    when the question asks why the user's own thing fails."""
    if asks_edit:
        ev.add({E: 0.5}, "a question that also asks for a change", "instruction")
        return False
    if WHY_OWN.match(lead) and (intent[D] >= 2.0 or FAILURE_VERB.search(lead)):
        ev.add({D: 3.0, E: 0.5}, f"asks why their own code fails ('{_snip(lead, 5)} ...')", "instruction")
        intent[D] = max(intent[D], 3.0)
        return True
    elif YES_NO_THIS.match(lead) and intent[E] < 3.0:
        ev.add({R: 2.5, E: 1.0}, f"a yes/no question about this code ('{_snip(lead, 5)} ...')", "instruction")
        intent[R] = max(intent[R], 2.5)
    else:
        ev.add({E: 2.5}, f"instruction asks a question ('{_snip(lead, 4)} ...') and requests no change",
               "instruction")
        intent[E] = max(intent[E], 2.5)
    return False


_NOT_ENV_TASK = frozenset({"code_bug_fix", "code_task"})  # a terminal task whose deliverable is code
_SUBJECT_CUES = frozenset({"env_error", "env_ask", "understand_ask", "understand_strong", "error_wording",
                           "ask_reasoning", "code_is_fine", "env_fix"})
_ENV_CONTEXT = frozenset({"containers", "ci", "pipeline", "packages", "infra", "servers", "shell_file", "env_fix",
                          "env_ask", "code_is_fine", "build_tools", "containerize", "task_statement"})
_ENV_ASK = frozenset({"env_ask", "env_fix", "code_is_fine"})
_CODE_FIX = frozenset({"fix_code", "code_bug_fix"})
_FIX_ASK = _CODE_FIX | _ENV_ASK | {"debug_verbs", "env_ask"}


def _failure_is_subject(hits: list[tuple[Cue, str, float]], ev: Evidence) -> frozenset[Category]:
    """Labels whose evidence is halved because a pasted failure is the subject, not the request:
    an environment failure whose fix is in the set-up (Compose networking, a CI runner, a missing
    system package), a question asked to understand an error, or a request to change how an error is
    reported. Adds the evidence for what is asked instead."""
    names = {cue.name for cue, _, _ in hits}
    if "understand_strong" in names or ("understand_ask" in names and not names & _FIX_ASK):
        return frozenset({D, *_DOING})
    if "error_wording" in names:
        return frozenset({D})
    env_named = names & _ENV_ASK or len(names & _ENV_CONTEXT) >= 2
    if "env_error" in names and env_named and not names & _CODE_FIX:
        ev.add({S: 3.0}, "an environment failure with the set-up named: the fix is in the environment",
               "instruction")
        return frozenset({D})
    return frozenset()


def _is_constraint(intent: dict[Category, float]) -> bool:
    """'Do not modify the tests' next to a clear task is a constraint on the task, not a request for a
    review."""
    doing = max(intent[c] for c in (*_DOING, D))
    return doing >= 2.5 and doing > intent[R] and intent[E] < 3.0


def _topic_weights(cue: Cue, intent: dict[Category, float]) -> dict[Category, float]:
    """Topic words ("nginx", "button") count half when another label has a clear intent and theirs has none:
    a bug report about a cron job is still a bug report."""
    if not cue.topic:
        return dict(cue.weights)
    out: dict[Category, float] = {}
    for cat, w in cue.weights.items():
        rival = max(v for c, v in intent.items() if c != cat)
        bar = 2.0 if cat is U else 2.5  # UI words in a bug report or an edit are usually its subject
        out[cat] = w * 0.5 if w > 0 and intent[cat] < 1.0 and rival >= bar else w
    return out


def _empty_instruction(ctx: ActionContext, ev: Evidence) -> None:
    """No words: a selection gets explain by default (DESIGN 2.3); context decides the rest."""
    what = "a selection" if ctx.selection is not None and not ctx.selection.is_empty else "no selection"
    ev.add({Category.EXPLAIN: 1.0, Category.CODE_REVIEW: 0.5}, f"no instruction, {what}: explain by default",
           "instruction")


def _decide(ev: Evidence) -> Classification:
    totals = ev.totals()
    scores = {c: round(totals[c] + _PRIORS.get(c, 0.0), 4) for c in Category}
    ranked = sorted(Category, key=lambda c: (-scores[c], list(Category).index(c)))
    label, second = ranked[0], ranked[1]
    margin = scores[label] - scores[second]
    confidence = 1.0 / (1.0 + math.exp(-(margin - 0.5) * 1.2))
    support = sum(s.weights.get(label, 0.0) for s in ev.signals if s.source != "model")
    if support < 2.0:
        confidence *= 0.6
    reasons = _reasons(ev, label)
    return Classification(label=label, confidence=round(min(max(confidence, 0.02), 0.99), 3),
                          reasons=reasons, scores=scores)


def _reasons(ev: Evidence, label: Category) -> tuple[str, ...]:
    ranked = sorted((s for s in ev.signals if s.weights.get(label, 0.0) > 0.3
                     and (s.source != "model" or label.words in s.reason)),
                    key=lambda s: (s.source == "model", -s.weights[label]))
    out: list[str] = []
    for sig in ranked:
        if sig.reason not in out:
            out.append(sig.reason)
        if len(out) == _MAX_REASONS:
            break
    return tuple(out) or ("no strong signal; default",)


def _fallback(reason: str) -> Classification:
    scores = {c: 0.0 for c in Category}
    scores[Category.QUICK_EDIT] = 0.1
    return Classification(label=Category.QUICK_EDIT, confidence=0.05, reasons=(reason,), scores=scores)


def _snip(text: str, words: int) -> str:
    parts = text.split()
    short = " ".join(parts[:words])
    return short[:60]
