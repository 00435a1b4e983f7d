"""classify(ActionContext) -> Classification: a learned linear model with readable reasons.

1. The request's text becomes named features (features.py): named cues, opening words, title words,
   words and word pairs with pasted code and logs masked, a length bucket.
2. A multinomial logistic regression trained on the corpus (train.py, data/model.zip) turns them into
   logits; temperatures fitted on held-out families calibrate them (one per length bucket).
3. Context signals (context.py) add documented log-odds: error diagnostics, the file's kind, a
   selection, uncommitted changes, a symbol used elsewhere, a notebook cell, a directive.
4. The softmax gives a probability per label; the top one is the label and its probability the
   confidence. When the runner-up is close, the Classification says so, so both can be offered.
5. Reasons come from the model's own weights: the features that most favour the label over the
   runner-up, in words ("cross-file scope ('every caller')", "1 error diagnostic at the cursor").

Pure, deterministic, offline; classify never raises.
"""

from __future__ import annotations

from collections.abc import Iterable

from modelroute.categories import Category
from modelroute.classify.context import ContextSignal, context_signals
from modelroute.classify.cues import CUES
from modelroute.classify.features import TextFeatures, text_features
from modelroute.classify.linear import LABELS, Contribution, shipped, softmax
from modelroute.classify.model import Classification
from modelroute.context.model import ActionContext

LOW_CONFIDENCE = 0.5  # below this the label is flagged as unsure in the reasons
CLOSE_RATIO = 0.5  # the runner-up is "close" at half the winner's probability or more...
CLOSE_MIN = 0.2  # ...and at least this likely, unless the winner itself is under LOW_CONFIDENCE
MAX_TEXT_REASONS = 3
MAX_CONTEXT_REASONS = 2
TINY_WORDS = 4  # the shortest length bucket: requests this short carry little evidence
FEW_WORDS = 3  # n / (n + FEW_WORDS): a three-word request counts half
_CUE_REASONS = {f"cue:{c.name}": c.reason for c in CUES}
_LENGTHS = {"len:tiny": "a very short request", "len:short": "a one-sentence request",
            "len:long": "a long, detailed text", "len:huge": "a long pasted text (an issue, a log or a task)"}


def classify(ctx: ActionContext) -> Classification:
    """Label an editor action with one of the seven categories, with reasons. Pure; never raises."""
    try:
        return _classify(ctx)
    except Exception as exc:  # pragma: no cover - defensive: the editor must always get an answer
        return _fallback(f"classifier error ({type(exc).__name__}); defaulting")


def classify_text(instruction: str, *, file: str = "", language: str = "") -> Classification:
    """Classify an instruction with an otherwise empty context (benchmarks, scoring text sets)."""
    return classify(ActionContext(workspace="/", file=file, language=language, instruction=instruction))


def _classify(ctx: ActionContext) -> Classification:
    model = shipped()
    instruction = (ctx.instruction or "").strip()
    feats = text_features(instruction) if instruction else TextFeatures()  # no words: context decides
    raw, rows = model.logits(feats.values) if instruction else ([0.0] * len(LABELS), [])
    temperature = model.temperature_for(feats.values) / _reliability(instruction)
    logits = [float(v) / temperature for v in raw]
    signals = context_signals(ctx)
    for sig in signals:
        for cat, w in sig.weights.items():
            logits[LABELS.index(cat)] += w
    probs = softmax(logits)
    order = sorted(range(len(LABELS)), key=lambda i: (-probs[i], i))
    top, second = order[0], order[1]
    text_reasons = model.contributions(rows, top, second)
    reasons = _reasons(text_reasons, feats.snippets, signals, LABELS[top], LABELS[second], temperature)
    p1, p2 = probs[top], probs[second]
    # a runner-up is worth offering when it is near the winner, or when the winner itself is unsure
    close = p2 >= CLOSE_RATIO * p1 and (p2 >= CLOSE_MIN or p1 < LOW_CONFIDENCE)
    if close or p1 < LOW_CONFIDENCE:  # first, so the route's reasons show it
        reasons.insert(0, f"unsure ({p1:.0%}): could also be {LABELS[second].words} ({p2:.0%})")
    return Classification(
        label=LABELS[top], confidence=round(p1, 4), reasons=tuple(reasons),
        scores={c: round(p, 4) for c, p in zip(LABELS, probs, strict=True)},
        runner_up=LABELS[second], runner_up_confidence=round(p2, 4), close=close)


def _reliability(instruction: str) -> float:
    """How far to trust the text model: a request of a few words ("make this work", "the retry loop") says
    little, and the corpus has few such texts (all clear by construction), so its logits shrink toward no
    opinion by n / (n + FEW_WORDS) and the context decides; longer requests are taken as calibrated."""
    n = len(instruction.split(maxsplit=TINY_WORDS))  # stops counting past the bucket: pastes can be huge
    return n / (n + FEW_WORDS) if 0 < n <= TINY_WORDS else 1.0


def _reasons(text: list[Contribution], snippets: dict[str, str], signals: list[ContextSignal],
             label: Category, against: Category, temperature: float) -> list[str]:
    """The strongest reasons for `label` over `against`: up to three from the text and two from the context."""
    scored: list[tuple[float, str]] = []
    wording: list[tuple[float, str]] = []
    for c in text[:12]:
        value = c.value / temperature
        if c.feature.startswith(("w:", "b:", "lead:", "title:")):
            wording.append((value, snippets.get(c.feature, c.feature.split(":", 1)[1])))
        elif c.feature in _CUE_REASONS:
            scored.append((value, f"{_CUE_REASONS[c.feature]} ('{_snip(snippets.get(c.feature, ''))}')"))
        elif c.feature in _LENGTHS:
            scored.append((value, _LENGTHS[c.feature]))
    if wording:
        words = _unique(w for _, w in sorted(wording, reverse=True))[:3]
        scored.append((sum(v for v, _ in wording[:3]), "wording: " + ", ".join(f"'{w}'" for w in words)))
    context = [(gain, sig.reason) for sig in signals
               if (gain := sig.weights.get(label, 0.0) - sig.weights.get(against, 0.0)) > 0]
    kept = _strongest(scored, MAX_TEXT_REASONS) + _strongest(context, MAX_CONTEXT_REASONS)
    out = [r for _, r in sorted(kept, key=lambda s: -s[0])]
    return out or ["no strong signal; the most likely label overall"]


def _strongest(scored: list[tuple[float, str]], limit: int) -> list[tuple[float, str]]:
    seen: set[str] = set()
    out = []
    for value, reason in sorted(scored, key=lambda s: -s[0]):
        if value > 0.05 and reason not in seen:
            seen.add(reason)
            out.append((value, reason))
    return out[:limit]


def _unique(items: Iterable[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _snip(text: str, words: int = 6) -> str:
    return " ".join(text.split()[:words])[:60]


def _fallback(reason: str) -> Classification:
    scores = {c: 0.0 for c in Category}
    scores[Category.QUICK_EDIT] = 1.0
    return Classification(label=Category.QUICK_EDIT, confidence=0.05, reasons=(reason,), scores=scores)
