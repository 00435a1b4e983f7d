"""The one settings schema (DESIGN 2.4). JSON schema, VS Code settings and the docs table derive from it.

Every model forbids unknown keys: a typo is an error, never silently ignored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from modelroute.categories import Category

Objective = Literal["quality", "balanced", "cost"]
ApprovalPolicy = Literal["untrusted", "on-request", "never"]
SandboxMode = Literal["read-only", "workspace-write", "off"]
ApiKind = Literal["anthropic-messages", "openai-responses", "openai-chat"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class BudgetSettings(_Section):
    per_request_usd: float = Field(2.0, ge=0, description="Ask before a run estimated above this (USD).")
    daily_usd: float = Field(
        20.0, ge=0, description="Hard cap on spend per day, enforced against the ledger."
    )
    monthly_usd: float = Field(200.0, ge=0, description="Hard cap on spend per calendar month.")
    team_daily_usd: float | None = Field(
        None,
        ge=0,
        description="Hard cap on the whole team's spend per day, enforced against the shared ledger; "
        "unset: no team cap.",
    )
    team_monthly_usd: float | None = Field(
        None, ge=0, description="Hard cap on the whole team's spend per calendar month; unset: no team cap."
    )


class CustomModel(_Section):
    """A model the catalog does not know, added by the user."""

    provider: str = Field(description="Key of the [providers.NAME] entry that serves it.")
    api_model: str | None = Field(None, description="Model name sent to the API; defaults to the id.")
    display_name: str | None = Field(None, description="Name shown in code actions; defaults to the id.")
    context_window: int = Field(128_000, gt=0, description="Input plus output tokens the model accepts.")
    max_output_tokens: int = Field(16_384, gt=0, description="Most output tokens per call.")
    input_usd_per_mtok: float = Field(0.0, ge=0, description="Price of a million input tokens (USD).")
    output_usd_per_mtok: float = Field(0.0, ge=0, description="Price of a million output tokens (USD).")
    strengths: dict[Category, float] = Field(
        default_factory=dict, description="Score 0..100 per category; missing ones get the documented prior."
    )


class ModelsSettings(_Section):
    allow: list[str] = Field(default_factory=lambda: ["*"], description="Globs over catalog ids.")
    deny: list[str] = Field(default_factory=list, description="Globs over catalog ids; deny beats allow.")
    add: dict[str, CustomModel] = Field(default_factory=dict, description="Models to add to the catalog.")
    strengths: dict[str, dict[Category, float]] = Field(
        default_factory=dict, description="Override strength scores (0..100) per model id and category."
    )


class CategoryRoute(_Section):
    pin: str | None = Field(None, description="Always use this model id for the category (if allowed).")
    prefer: list[str] = Field(default_factory=list, description="Model ids to favour, in order.")


class RouteSettings(_Section):
    tie_break_cheapest: bool = Field(
        False, description="When the classifier is unsure, route to the cheapest allowed model."
    )
    low_confidence: float = Field(0.5, ge=0, le=1, description="Below this confidence a label is 'unsure'.")
    multi_file_refactor: CategoryRoute = Field(
        default_factory=CategoryRoute, description="Pin or preferences for multi_file_refactor actions."
    )
    shell_automation: CategoryRoute = Field(
        default_factory=CategoryRoute, description="Pin or preferences for shell_automation actions."
    )
    ui_greenfield: CategoryRoute = Field(
        default_factory=CategoryRoute, description="Pin or preferences for ui_greenfield actions."
    )
    code_review: CategoryRoute = Field(
        default_factory=CategoryRoute, description="Pin or preferences for code_review actions."
    )
    debugging: CategoryRoute = Field(
        default_factory=CategoryRoute, description="Pin or preferences for debugging actions."
    )
    quick_edit: CategoryRoute = Field(
        default_factory=CategoryRoute, description="Pin or preferences for quick_edit actions."
    )
    explain: CategoryRoute = Field(
        default_factory=CategoryRoute, description="Pin or preferences for explain actions."
    )

    def for_category(self, category: Category) -> CategoryRoute:
        route: CategoryRoute = getattr(self, category.value)
        return route


class ProviderSettings(_Section):
    base_url: str | None = Field(None, description="Endpoint; OpenAI-compatible unless `api` says otherwise.")
    api_key_env: str | None = Field(None, description="Name of the environment variable holding the key.")
    api: ApiKind = Field("openai-chat", description="Wire protocol of the endpoint.")
    models: list[str] = Field(default_factory=list, description="Catalog ids this provider serves.")
    local: bool = Field(False, description="Runs on this machine or network; may see `local_only` files.")
    timeout_s: float = Field(120.0, gt=0, description="Seconds before a request to this endpoint gives up.")
    max_retries: int = Field(3, ge=0, le=10, description="Retries on rate limits and transient errors.")
    service_tier: Literal["standard", "priority", "fast"] = Field(
        "standard",
        description="Interactive tier to request and price: 'priority' (OpenAI priority processing) or "
        "'fast' (Anthropic fast mode; OpenAI treats it as priority). Models the price library has no "
        "such price for stay standard. Never batch.",
    )


class ApprovalSettings(_Section):
    policy: ApprovalPolicy = Field("on-request", description="When to ask before running a command.")
    allow: list[str] = Field(default_factory=list, description="Command patterns that run without asking.")
    ask: list[str] = Field(default_factory=list, description="Command patterns that always ask.")
    deny: list[str] = Field(default_factory=list, description="Command patterns that never run.")
    timeout_s: float = Field(120.0, gt=0, description="An unanswered prompt is a deny after this long.")


class SandboxSettings(_Section):
    mode: SandboxMode = Field(
        "workspace-write",
        description="How far a command may write; 'off' is honoured only from the user file.",
    )
    network: bool = Field(False, description="Allow network access inside the sandbox.")
    deny_read: list[str] = Field(default_factory=list, description="Extra paths hidden inside the sandbox.")
    timeout_s: float = Field(300.0, gt=0, description="Kill the command's process group after this long.")
    max_output_bytes: int = Field(1_000_000, gt=0, description="Output kept from a command; the rest is cut.")
    max_processes: int = Field(256, gt=0, description="Most processes a command may start (cgroup pids.max).")


DEFAULT_EXCLUDE = [
    ".env*",
    "**/*.pem",
    "**/*.key",
    "**/id_rsa*",
    "**/id_ed25519*",
    "**/.ssh/**",
    "**/.aws/**",
    "**/.netrc",
    "**/secrets/**",
]


class PrivacySettings(_Section):
    exclude: list[str] = Field(
        default_factory=lambda: list(DEFAULT_EXCLUDE), description="Never read into a prompt."
    )
    local_only: list[str] = Field(
        default_factory=list, description="Files only endpoints marked `local` may see."
    )
    redact_secrets: bool = Field(True, description="Replace secret-looking values before sending.")


class RunSettings(_Section):
    max_turns: int = Field(8, ge=1, le=50, description="Tool-use turns per run before it stops.")
    stream: bool = Field(True, description="Stream model output as it arrives.")
    apply_timeout_s: float = Field(
        300.0,
        gt=0,
        description="Seconds an editor has to apply or reject a run's edit (workspace/applyEdit) when it "
        "does not answer; an edit its documents show is counted as applied at once. Unsettled after this: rejected.",
    )


class LedgerSettings(_Section):
    url: str | None = Field(
        None,
        description="A shared PostgreSQL ledger, `postgresql://user@host/db`; user file or client only. "
        "Unset: $MODELROUTE_LEDGER_URL, else SQLite in the user data directory.",
    )
    lease_s: float = Field(
        120.0,
        ge=1,
        le=3600,
        description="A reservation its process stops renewing for this long is released (the process "
        "died); renewed every quarter of it while the run lives.",
    )


class IdentitySettings(_Section):
    person: str | None = Field(
        None,
        description="Who runs are charged to (personal caps); user file or client only. "
        "Unset: $MODELROUTE_PERSON, else the login name.",
    )
    team: str | None = Field(
        None,
        description="The team whose caps apply (team_daily_usd, team_monthly_usd); user file or client "
        "only. Unset: $MODELROUTE_TEAM, else everyone on the ledger.",
    )


class TelemetrySettings(_Section):
    export_content: bool = Field(
        False,
        description="Put prompts and model output on OpenTelemetry spans; user file or client only. "
        "Export itself is configured by the standard OTEL_* variables.",
    )


class VerifySettings(_Section):
    """How an attempt's result is checked before it is offered (and before a cascade escalates)."""

    command: str | None = Field(
        None,
        description="Command that judges an attempt (exit 0 = pass), run in the sandbox against the attempt's "
        "changes and through the approval rules. Unset: detected from the workspace's own files "
        "(pytest, npm test, cargo test, go test, make test), else no check.",
    )
    detect: bool = Field(
        True,
        description="Detect a check from the workspace's own files when no command is set. false: no check "
        "unless a command is set (or given with `modelroute run --verify`).",
    )
    protect_tests: bool = Field(
        True,
        description="Flag an attempt that changes, deletes or skips tests or test-runner config: it is shown "
        "apart, never counts as verified, and a cascade escalates.",
    )
    timeout_s: float = Field(
        600.0, gt=0, description="Seconds before the verify command is killed (a timeout fails the check)."
    )
    lint: str | None = Field(
        None,
        description="Optional linter or type checker run after the check; its findings are shown with the "
        "result and do not fail the check.",
    )


class Settings(_Section):
    objective: Objective = Field(
        "balanced",
        description="What routing favours: the strongest model (quality), value (balanced) or the "
        "cheapest adequate model (cost).",
    )
    budget: BudgetSettings = Field(
        default_factory=BudgetSettings, description="Spending limits in US dollars."
    )
    models: ModelsSettings = Field(
        default_factory=ModelsSettings,
        description="Which catalog models may be used, extra models, strength overrides.",
    )
    route: RouteSettings = Field(
        default_factory=RouteSettings, description="Routing knobs and per-category pins and preferences."
    )
    providers: dict[str, ProviderSettings] = Field(
        default_factory=dict,
        description="Endpoints by name; built-in providers can be overridden key by key.",
    )
    approval: ApprovalSettings = Field(
        default_factory=ApprovalSettings, description="When to ask before a shell command runs."
    )
    sandbox: SandboxSettings = Field(
        default_factory=SandboxSettings, description="How proposed shell commands are confined."
    )
    privacy: PrivacySettings = Field(
        default_factory=PrivacySettings, description="What may leave the machine in a prompt."
    )
    run: RunSettings = Field(default_factory=RunSettings, description="How a model run proceeds.")
    ledger: LedgerSettings = Field(
        default_factory=LedgerSettings, description="Where runs and spend are recorded."
    )
    identity: IdentitySettings = Field(
        default_factory=IdentitySettings, description="Who and which team runs are charged to."
    )
    telemetry: TelemetrySettings = Field(
        default_factory=TelemetrySettings, description="What OpenTelemetry spans may carry."
    )
    verify: VerifySettings = Field(
        default_factory=VerifySettings, description="How a run checks its own work before offering it."
    )
