"""One workspace's engine: the I/O edge that feeds the pure core (classify, prompt, cost, route).

The CLI and the LSP server both decide through `Engine.decide`, so `modelroute route` gathers context
exactly as the server does.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from modelroute.catalog import Catalog, default_providers, load_catalog
from modelroute.catalog.model import ModelEntry
from modelroute.categories import Category
from modelroute.classify import classify
from modelroute.classify.model import Classification
from modelroute.context.gather import ActionRequest, gather_context
from modelroute.context.git import GitReader
from modelroute.context.model import ActionContext
from modelroute.context.workspace import WorkspaceIndex
from modelroute.cost import Calibration, count_tokens
from modelroute.cost.estimate import estimate_tokens, run_input_tokens
from modelroute.cost.model import CostEstimate
from modelroute.policy import Resolved, resolve_settings, user_config_path
from modelroute.policy.schema import ProviderSettings, Settings
from modelroute.prompt import PromptRequest, build_request
from modelroute.prompt.privacy import matches
from modelroute.providers import availability
from modelroute.route import Decision, RouteInput, Spend, Unroutable, decide
from modelroute.route.format import money, tokens

WORKSPACE_FILE = ".modelroute.toml"
BYTES_PER_TOKEN = 4.0  # files the model is expected to read are sized, not tokenized, to stay fast


@dataclass(frozen=True)
class Routed:
    decision: Decision
    prompt: PromptRequest
    context: ActionContext
    classification: Classification
    runner_up: Decision | None = None  # the decision for the second kind when the classifier calls it close


@dataclass(frozen=True)
class RunPlan:
    """What running one model on a routed action needs: the model, its endpoint, its own prompt
    and its estimate from the routing table."""

    model: ModelEntry
    provider: ProviderSettings
    category: Category
    prompt: PromptRequest
    estimate: CostEstimate
    prior_output_tokens: int  # the uncalibrated prior, for the ledger's calibration


class RunUnavailable(Exception):
    """The picked model cannot run this action (unknown, or blocked by a hard limit: `limited`)."""

    def __init__(self, message: str, *, limited: bool = False) -> None:
        super().__init__(message)
        self.limited = limited


class Engine:
    """Owns a workspace's index, git reader, settings and catalog."""

    def __init__(
        self,
        root: Path,
        *,
        user_file: Path | None = None,
        env: Mapping[str, str] | None = None,
        spend: Spend | None = None,
        git: bool = True,
    ) -> None:
        """`git=False`: no git state in the context (a loose file's folder may be $HOME)."""
        self.root = root.resolve()
        self.user_file = user_file if user_file is not None else user_config_path()
        self.env: Mapping[str, str] = env if env is not None else os.environ
        self.spend = spend or Spend()
        self.calibration: Calibration | None = None
        self._client_settings: Mapping[str, Any] | None = None
        self._lock = threading.Lock()
        self.resolved: Resolved = resolve_settings(
            user_file=self.user_file, workspace_file=self.workspace_file, client=None
        )
        self.catalog: Catalog = load_catalog(self.resolved.settings)
        self.index = WorkspaceIndex(self.root, exclude=self.settings.privacy.exclude)
        self.git = GitReader(self.root) if git else None

    @property
    def workspace_file(self) -> Path:
        return self.root / WORKSPACE_FILE

    @property
    def settings(self) -> Settings:
        return self.resolved.settings

    def build_index(self) -> None:
        self.index.build()

    def load_spend(self) -> None:
        """Today's and this month's spend and the estimate calibration from the ledger, so budgets
        and calibration hold from the first decision (LedgerError when the ledger cannot be read)."""
        from modelroute.ledger import open_ledger

        with open_ledger(self.resolved.settings) as ledger:
            self.spend = Spend(today_usd=ledger.spent("day"), month_usd=ledger.spent("month"))
            self.calibration = ledger.calibration()

    def reload_settings(self, client: Mapping[str, Any] | None = None) -> Resolved:
        """Re-read the settings files (and client settings if given); keep the last valid ones on error."""
        with self._lock:
            if client is not None:
                self._client_settings = client
            self.resolved = resolve_settings(
                user_file=self.user_file,
                workspace_file=self.workspace_file,
                client=self._client_settings,
                previous=self.resolved.settings,
            )
            self.catalog = load_catalog(self.resolved.settings)
            return self.resolved

    def file_event(self, rel_path: str, kind: Literal["created", "changed", "deleted"]) -> None:
        if kind == "deleted":
            self.index.remove(rel_path)
        else:
            self.index.update(rel_path)
        if self.git is not None:
            self.git.invalidate(rel_path)
        if rel_path == WORKSPACE_FILE:
            self.reload_settings()

    def providers(self) -> dict[str, ProviderSettings]:
        merged = default_providers()
        for name, provider in self.settings.providers.items():
            base = merged.get(name)
            if base is None:
                merged[name] = provider
            else:
                fields = provider.model_dump(exclude_unset=True)
                merged[name] = base.model_copy(update=fields)
        return merged

    def availability(self) -> dict[str, str | None]:
        """Provider -> None when usable, else what to set."""
        result: dict[str, str | None] = {}
        for name, provider in self.providers().items():
            ok, hint = availability(provider, self.env)
            result[name] = None if ok else hint
        return result

    def decide(self, request: ActionRequest, *, category: Category | None = None) -> Routed:
        """Route one action. `category` overrides the classifier (a plan's step names its own kind)."""
        settings = self.settings
        ctx = gather_context(self.index, self.git, request)
        classification = classify(ctx)
        if category is not None and category != classification.label:
            classification = classification.model_copy(update={
                "label": category, "reasons": (f"the step says {category.words}", *classification.reasons)})
        category = classification.label
        draft = build_request(ctx, category, "draft", settings.privacy)
        reads = int(sum(r.size_bytes for r in ctx.related if r.path in draft.expected_reads) / BYTES_PER_TOKEN)
        prompt_tokens = count_tokens(draft.text_for_counting())
        local_only = matches(ctx.file, settings.privacy.local_only)
        inp = RouteInput(
            classification=classification,
            input_tokens=run_input_tokens(prompt_tokens, reads, category),
            context_tokens=prompt_tokens + reads,
            local_only_file=local_only,
            spend=self.spend,
            calibration=self.calibration,
        )
        decision = decide(inp, self.catalog.models, settings, self.availability())
        if ctx.notes:  # truncations and clamped positions belong in what the user reads
            decision = decision.model_copy(update={"notes": (*ctx.notes, *decision.notes)})
        chosen = self.catalog.get(decision.model)
        if local_only and chosen is not None and chosen.local:
            prompt = build_request(ctx, category, decision.model, settings.privacy, model_is_local=True)
        else:  # the draft already is the request: only local models see local_only files
            prompt = draft.model_copy(update={"model": decision.model})
        runner_up = self._runner_up(classification, prompt_tokens, reads, local_only)
        return Routed(decision=decision, prompt=prompt, context=ctx, classification=classification,
                      runner_up=runner_up)

    def _runner_up(self, cls: Classification, prompt_tokens: int, reads: int, local_only: bool) -> Decision | None:
        """When the top two kinds are close, the runner-up's own routed decision, so both can be offered,
        each priced. Its input is estimated from the same prompt (the kinds' prompts differ only slightly)."""
        if not cls.close or cls.runner_up is None:
            return None
        other = cls.model_copy(update={"label": cls.runner_up, "confidence": cls.runner_up_confidence})
        inp = RouteInput(classification=other, input_tokens=run_input_tokens(prompt_tokens, reads, cls.runner_up),
                         context_tokens=prompt_tokens + reads, local_only_file=local_only, spend=self.spend,
                         calibration=self.calibration)
        try:
            return decide(inp, self.catalog.models, self.settings, self.availability())
        except Unroutable:
            return None

    def explain_markdown(self, routed: Routed) -> str:
        return explain_markdown(routed)

    def prepare_run(self, routed: Routed, model_id: str | None = None) -> RunPlan:
        """The plan for running `model_id` (default: the routed model) on a routed action. Another
        model than the routed one gets a prompt built for it (a local model may see local_only
        files) and its own candidate's estimate."""
        decision = routed.decision
        wanted = model_id or decision.model
        candidate = next((c for c in decision.candidates if c.model == wanted), None)
        model = self.catalog.get(wanted)
        if candidate is None or model is None:
            raise RunUnavailable(f"{wanted} is not in the catalog allowed for this workspace")
        if not candidate.eligible:
            raise RunUnavailable(f"{model.display_name} cannot run this action: {'; '.join(candidate.blocked_by)}",
                                 limited=True)
        provider = self.providers().get(model.provider)
        if provider is None:
            raise RunUnavailable(f"{model.display_name}: no [providers.{model.provider}] endpoint is configured")
        if wanted == decision.model:
            prompt = routed.prompt
        else:
            prompt = build_request(
                routed.context, decision.category, wanted, self.settings.privacy, model_is_local=model.local
            )
        prior = estimate_tokens(0, decision.category, model, None)  # output does not depend on input
        return RunPlan(
            model=model,
            provider=provider,
            category=decision.category,
            prompt=prompt,
            estimate=candidate.cost,
            prior_output_tokens=prior.output + prior.reasoning,
        )


def explain_markdown(routed: Routed) -> str:
    """Reasons and the cost breakdown as a markdown document."""
    d = routed.decision
    t = d.cost.tokens
    lines = [
        f"# {d.category.verb} with {d.display_name}",
        "",
        f"**Category:** {d.category.words} (confidence {d.confidence:.2f})  ",
        f"**Estimated cost:** {money(d.cost.usd)} (range {money(d.cost.low_usd)} to {money(d.cost.high_usd)})  ",
        f"**Tokens:** {tokens(t.input)} input ({'exact' if t.exact_input else 'estimated for Claude'}), "
        f"{tokens(t.output)} output, {tokens(t.reasoning)} reasoning",
        "",
        "## Why this model",
        *[f"- {r.strip()}" for r in d.reasons],
    ]
    if d.notes:
        lines += ["", "## Notes", *[f"- {n}" for n in d.notes]]
    lines += [
        "",
        "## Candidates",
        "",
        "| model | score | strength | est. cost | status |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for c in d.candidates:
        status = "chosen" if c.model == d.model else ("ok" if c.eligible else "; ".join(c.blocked_by))
        if c.eligible and not c.available:
            status += f" — not configured: {c.setup_hint}"
        lines.append(
            f"| {c.display_name} | {c.score:.1f} | {c.quality:.1f} | {money(c.cost.usd)} | {status} |"
        )
    lines += ["", "## Evidence", *[f"- {c.display_name}: {c.evidence}" for c in d.candidates]]
    lines += ["", "## What would be sent", *[
        f"- `{f.path}` lines {f.start_line + 1}-{f.end_line + 1} ({f.reason})" for f in routed.prompt.included
    ]]
    if routed.prompt.withheld:
        lines += [f"- withheld: {w}" for w in routed.prompt.withheld]
    if routed.prompt.redactions:
        lines.append(f"- {routed.prompt.redactions} secret-looking value(s) replaced by a marker")
    return "\n".join(lines) + "\n"
