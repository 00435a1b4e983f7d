"""`modelroute doctor`: which providers can run, whether settings load, whether the sandbox holds."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console


@dataclass(frozen=True)
class Finding:
    area: str
    name: str
    ok: bool
    detail: str
    optional: bool = False  # not ok, but not a failure either: shown as "--" (a missing key or file)


def _settings_findings(engine_root: Path) -> tuple[list[Finding], object | None]:
    from modelroute.pipeline import Engine

    engine = Engine(engine_root)
    findings = [Finding("settings", e.file or "settings", False, e.format()) for e in engine.resolved.errors]
    findings += [
        Finding("settings", w.file or "settings", True, "warning: " + w.format()) for w in engine.resolved.warnings
    ]
    if not engine.resolved.errors:
        findings.append(_file_finding("user file", engine.user_file))
        findings.append(_file_finding("workspace file", engine.workspace_file))
    return findings, engine


def _file_finding(name: str, path: Path) -> Finding:
    """A settings file is ok when it exists and loaded; a missing one is optional, never "ok"."""
    if path.is_file():
        return Finding("settings", name, True, f"{path}: loaded")
    return Finding("settings", name, False, f"{path}: not found (optional; built-in defaults apply)", optional=True)


def _provider_findings(engine: object) -> list[Finding]:
    from modelroute.pipeline import Engine

    assert isinstance(engine, Engine)
    findings = []
    for name, hint in sorted(engine.availability().items()):
        served = [m.display_name for m in engine.catalog.models if m.provider == name]
        detail = f"serves {', '.join(served) or 'no catalog model'}"
        findings.append(
            Finding("provider", name, hint is None, detail if hint is None else f"{hint}; {detail}", optional=True)
        )
    return findings


def _sandbox_findings(workspace: Path, engine: object | None) -> list[Finding]:
    """The self-test under the workspace's own sandbox settings (network, limits, deny_read)."""
    from modelroute.execute.sandbox import SandboxUnavailable, self_test
    from modelroute.pipeline import Engine
    from modelroute.policy.schema import SandboxSettings

    settings = engine.settings.sandbox if isinstance(engine, Engine) else SandboxSettings()
    findings = []
    if settings.mode == "off":  # "Run in sandbox" still means workspace-write; test that
        findings.append(
            Finding(
                "sandbox",
                "mode",
                True,
                'mode "off" (user file): "Run without sandbox" is '
                "offered per command; approved commands still default to the sandbox",
            )
        )
        settings = settings.model_copy(update={"mode": "workspace-write"})
    try:
        checks = self_test(workspace, settings)
    except SandboxUnavailable as exc:
        return [*findings, Finding("sandbox", "setup", False, str(exc))]
    return findings + [Finding("sandbox", c.name, c.ok, c.detail) for c in checks]


def run_doctor(workspace: Path, *, as_json: bool = False) -> int:
    """Exit 0 when settings load and the sandbox holds; providers without keys are reported, not failed."""
    findings, engine = _settings_findings(workspace)
    if engine is not None:
        findings += _provider_findings(engine)
    findings += _sandbox_findings(workspace, engine)
    failed = [f for f in findings if not f.ok and not f.optional]
    if as_json:
        print(json.dumps({"ok": not failed, "findings": [asdict(f) for f in findings]}, indent=2))
    else:
        console = Console()
        for f in findings:
            mark = "[green]ok[/green]  " if f.ok else ("[yellow]--[/yellow]  " if f.optional else "[red]FAIL[/red]")
            console.print(f"{mark} {f.area:<9} {f.name:<22} {f.detail}", highlight=False, soft_wrap=True)
    return 1 if failed else 0
