"""Which command checks an attempt, and what its exit code says. Pure.

`detect_verify(files)` reads the few files a caller collects from the workspace root (VERIFY_FILES:
name -> text; directory markers such as "tests/" map to "") and proposes the command that runs the
project's tests: pytest (pytest.ini, conftest.py, the pytest sections of pyproject.toml / setup.cfg /
tox.ini, pytest among the dependencies, or a tests/ folder in a Python project), the package.json
`test` script through the lockfile's package manager, `cargo test`, `go test ./...`, a Makefile or
justfile `test` target, RSpec / rake, Maven / Gradle, `mix test`, composer, deno. The policy's
`[verify] command` always wins. With several ecosystems, a Makefile/justfile test target (which
usually covers them all) wins; otherwise the edited file's language decides, then a fixed order.

Detected commands are fixed forms (`npm test`, `cargo test`), never text copied from a repository
file, except a tox/nox test command whose program is a known test runner and that holds no shell
syntax. Whatever the source, the command runs in the sandbox and through the approval rules.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from modelroute.strategy.model import Verified

VERIFY_FILES: tuple[str, ...] = (
    "pyproject.toml", "pytest.ini", "setup.cfg", "tox.ini", "noxfile.py", "conftest.py", "requirements-dev.txt",
    "requirements-test.txt", "setup.py", "package.json", "pnpm-lock.yaml", "yarn.lock", "bun.lockb", "bun.lock",
    "package-lock.json", "deno.json", "deno.jsonc", "Cargo.toml", "go.mod", "Makefile", "makefile", "GNUmakefile",
    "justfile", "Justfile", ".justfile", "Gemfile", "Rakefile", ".rspec", "pom.xml", "build.gradle",
    "build.gradle.kts", "gradlew", "mix.exs", "composer.json", "phpunit.xml", "phpunit.xml.dist",
    "tests/", "test/", "spec/",
)
NPM_PLACEHOLDER = "no test specified"
_SHELL_SYNTAX = re.compile(r"[;&|`$<>(){}\\\n]")
_KNOWN_RUNNERS = (
    ("pytest",), ("py.test",), ("python", "-m", "pytest"), ("python3", "-m", "pytest"), ("python", "-m", "unittest"),
    ("python3", "-m", "unittest"), ("coverage", "run", "-m", "pytest"), ("coverage", "run", "-m", "unittest"),
)
# The edited file's language (LSP language id or extension) -> ecosystem.
_ECOSYSTEM_OF = {
    "python": "python", "py": "python",
    "javascript": "node", "typescript": "node", "javascriptreact": "node", "typescriptreact": "node", "js": "node",
    "ts": "node", "jsx": "node", "tsx": "node", "vue": "node", "svelte": "node",
    "rust": "rust", "rs": "rust", "go": "go", "ruby": "ruby", "rb": "ruby",
    "java": "jvm", "kotlin": "jvm", "kt": "jvm", "scala": "jvm", "groovy": "jvm",
    "elixir": "elixir", "ex": "elixir", "exs": "elixir", "php": "php",
}
ORDER = ("python", "node", "deno", "rust", "go", "ruby", "jvm", "elixir", "php")


class VerifyCommand(BaseModel):
    model_config = ConfigDict(frozen=True)

    command: str
    source: str  # readable: "package.json scripts.test", "[verify] command"
    ecosystem: str = ""
    alternatives: tuple[str, ...] = ()  # other commands found, for the reasons

    def describe(self) -> str:
        also = f" (also found: {', '.join(f'`{a}`' for a in self.alternatives)})" if self.alternatives else ""
        return f"`{self.command}` from {self.source}{also}"


class _Found(BaseModel):
    command: str
    source: str
    ecosystem: str


def _toml(files: Mapping[str, str], name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(files.get(name, ""))
    except tomllib.TOMLDecodeError:
        return {}


def _json(files: Mapping[str, str], name: str) -> dict[str, Any]:
    try:
        data = json.loads(files.get(name, "") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _ini_sections(text: str) -> set[str]:
    return {m.group(1).strip() for m in re.finditer(r"^\s*\[([^\]]+)\]", text, re.MULTILINE)}


def _mentions_pytest(files: Mapping[str, str]) -> bool:
    pyproject = files.get("pyproject.toml", "")
    return any(re.search(r"(^|[\s\"'\[,])pytest\b", files.get(name, ""), re.MULTILINE)
               for name in ("requirements-dev.txt", "requirements-test.txt", "setup.py")) or bool(
        re.search(r"[\"']pytest\b", pyproject))


def _runner_command(text: str) -> str | None:
    """A tox/nox command if it is a plain call of a known test runner."""
    cleaned = text.replace("{posargs}", "").strip()
    if not cleaned or _SHELL_SYNTAX.search(cleaned):
        return None
    try:
        words = shlex.split(cleaned)
    except ValueError:
        return None
    if any(tuple(words[: len(runner)]) == runner for runner in _KNOWN_RUNNERS):
        return " ".join(shlex.quote(w) for w in words)
    return None


def _tox_command(text: str) -> str | None:
    match = re.search(r"^\[testenv\]\s*$(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
    if not match:
        return None
    commands = re.search(r"^commands\s*=\s*(.*?)(?=^\S|\Z)", match.group(1), re.MULTILINE | re.DOTALL)
    if not commands:
        return None
    first = next((line.strip() for line in commands.group(1).splitlines() if line.strip()), "")
    return _runner_command(first)


def _nox_command(text: str) -> str | None:
    for call in re.finditer(r"session\.run\(\s*([^)]*)\)", text):
        args = re.findall(r"[\"']([^\"']+)[\"']", call.group(1))
        command = _runner_command(" ".join(args)) if args else None
        if command:
            return command
    return None


def _python(files: Mapping[str, str]) -> _Found | None:
    pyproject = _toml(files, "pyproject.toml")
    tool = pyproject.get("tool", {}) if isinstance(pyproject.get("tool"), dict) else {}
    if "pytest.ini" in files:
        return _Found(command="pytest -q", source="pytest.ini", ecosystem="python")
    if "pytest" in tool:
        return _Found(command="pytest -q", source="pyproject.toml [tool.pytest]", ecosystem="python")
    if "tool:pytest" in _ini_sections(files.get("setup.cfg", "")):
        return _Found(command="pytest -q", source="setup.cfg [tool:pytest]", ecosystem="python")
    if "pytest" in _ini_sections(files.get("tox.ini", "")):
        return _Found(command="pytest -q", source="tox.ini [pytest]", ecosystem="python")
    if "conftest.py" in files:
        return _Found(command="pytest -q", source="conftest.py", ecosystem="python")
    tox = _tox_command(files.get("tox.ini", ""))
    if tox:  # run what tox would run, in place: tox itself builds environments from the network
        return _Found(command=tox, source="tox.ini [testenv] commands", ecosystem="python")
    nox = _nox_command(files.get("noxfile.py", ""))
    if nox:
        return _Found(command=nox, source="noxfile.py", ecosystem="python")
    python_project = any(name in files for name in ("pyproject.toml", "setup.py", "setup.cfg"))
    if python_project and _mentions_pytest(files):
        return _Found(command="pytest -q", source="pytest in the project's dependencies", ecosystem="python")
    if python_project and ("tests/" in files or "test/" in files):
        return _Found(command="pytest -q", source="a Python project with a tests folder", ecosystem="python")
    return None


def _node(files: Mapping[str, str]) -> _Found | None:
    scripts = _json(files, "package.json").get("scripts")
    test = scripts.get("test") if isinstance(scripts, dict) else None
    if not isinstance(test, str) or not test.strip() or NPM_PLACEHOLDER in test:
        return None
    if "pnpm-lock.yaml" in files:
        manager = "pnpm test"
    elif "yarn.lock" in files:
        manager = "yarn test"
    elif "bun.lockb" in files or "bun.lock" in files:
        manager = "bun run test"
    else:
        manager = "npm test"
    return _Found(command=manager, source="package.json scripts.test", ecosystem="node")


def _deno(files: Mapping[str, str]) -> _Found | None:
    for name in ("deno.json", "deno.jsonc"):
        if name in files:
            tasks = _json(files, name).get("tasks")
            if isinstance(tasks, dict) and "test" in tasks:
                return _Found(command="deno task test", source=f"{name} tasks.test", ecosystem="deno")
            return _Found(command="deno test", source=name, ecosystem="deno")
    return None


def _rust(files: Mapping[str, str]) -> _Found | None:
    if "Cargo.toml" not in files:
        return None
    workspace = "workspace" in _toml(files, "Cargo.toml")
    return _Found(command="cargo test --workspace" if workspace else "cargo test", source="Cargo.toml",
                  ecosystem="rust")


def _go(files: Mapping[str, str]) -> _Found | None:
    return _Found(command="go test ./...", source="go.mod", ecosystem="go") if "go.mod" in files else None


def _ruby(files: Mapping[str, str]) -> _Found | None:
    if ".rspec" in files or ("spec/" in files and "Gemfile" in files):
        return _Found(command="bundle exec rspec", source=".rspec" if ".rspec" in files else "spec/", ecosystem="ruby")
    if "Rakefile" in files and re.search(r"Rake::TestTask|task\s+:?test\b", files["Rakefile"]):
        return _Found(command="bundle exec rake test", source="Rakefile test task", ecosystem="ruby")
    return None


def _jvm(files: Mapping[str, str]) -> _Found | None:
    if "pom.xml" in files:
        return _Found(command="mvn -q test", source="pom.xml", ecosystem="jvm")
    if "gradlew" in files:
        return _Found(command="./gradlew test", source="gradlew", ecosystem="jvm")
    if "build.gradle" in files or "build.gradle.kts" in files:
        return _Found(command="gradle test", source="build.gradle", ecosystem="jvm")
    return None


def _elixir(files: Mapping[str, str]) -> _Found | None:
    return _Found(command="mix test", source="mix.exs", ecosystem="elixir") if "mix.exs" in files else None


def _php(files: Mapping[str, str]) -> _Found | None:
    scripts = _json(files, "composer.json").get("scripts")
    if isinstance(scripts, dict) and "test" in scripts:
        return _Found(command="composer test", source="composer.json scripts.test", ecosystem="php")
    if "phpunit.xml" in files or "phpunit.xml.dist" in files:
        return _Found(command="vendor/bin/phpunit", source="phpunit.xml", ecosystem="php")
    return None


_DETECTORS = {"python": _python, "node": _node, "deno": _deno, "rust": _rust, "go": _go, "ruby": _ruby,
              "jvm": _jvm, "elixir": _elixir, "php": _php}
_TARGET_NAMES = ("test", "tests", "check")


def make_target(files: Mapping[str, str]) -> _Found | None:
    """A Makefile (or justfile) test target: `make test`, `just test`."""
    for name in ("Makefile", "makefile", "GNUmakefile"):
        targets = re.findall(r"^([A-Za-z0-9_.\-]+)\s*:(?!=)", files.get(name, ""), re.MULTILINE)
        for target in _TARGET_NAMES:
            if target in targets:
                return _Found(command=f"make {target}", source=f"{name} target `{target}`", ecosystem="make")
    for name in ("justfile", "Justfile", ".justfile"):
        recipes = re.findall(r"^@?([A-Za-z0-9_\-]+)[^:\n=]*:(?!=)", files.get(name, ""), re.MULTILINE)
        for target in _TARGET_NAMES:
            if target in recipes:
                return _Found(command=f"just {target}", source=f"{name} recipe `{target}`", ecosystem="make")
    return None


def detect_verify(
    files: Mapping[str, str], configured: str | None = None, language: str | None = None
) -> VerifyCommand | None:
    """The command that checks an attempt: `configured` ([verify] command) if set, else one detected
    from the workspace's own files, else None (no check). `language` is the edited file's language
    (LSP language id or file extension), used when the workspace holds several ecosystems."""
    found = [f for f in (_DETECTORS[e](files) for e in ORDER) if f is not None]
    target = make_target(files)
    if configured and configured.strip():
        others = tuple(f.command for f in (*found, *(t for t in (target,) if t)))
        return VerifyCommand(command=configured.strip(), source="[verify] command", alternatives=others)
    pick = _pick(found, target, language)
    if pick is None:
        return None
    rest = tuple(f.command for f in (*found, *(t for t in (target,) if t)) if f.command != pick.command)
    return VerifyCommand(command=pick.command, source=pick.source, ecosystem=pick.ecosystem, alternatives=rest)


def _pick(found: Sequence[_Found], target: _Found | None, language: str | None) -> _Found | None:
    ecosystems = {f.ecosystem for f in found}
    if target is not None and (not found or len(ecosystems) > 1):
        return target
    wanted = _ECOSYSTEM_OF.get((language or "").lower().lstrip("."))
    preferred = next((f for f in found if f.ecosystem == wanted), None)
    return preferred or (found[0] if found else None)


class CheckResult(BaseModel):
    """What a verify command's exit says about an attempt."""

    model_config = ConfigDict(frozen=True)

    verified: Verified
    reason: str


def judge_exit(command: str, exit_code: int | None, *, timed_out: bool = False) -> CheckResult:
    """Exit 0 passes; a timeout or any other exit fails; but a check that could not run at all
    (command not found, not executable, no sandbox, pytest or unittest finding no tests) is no
    check: `none`, so a cascade does not escalate because the tools are missing."""
    if timed_out:
        return CheckResult(verified="fail", reason=f"`{command}` timed out")
    if exit_code == 0:
        return CheckResult(verified="pass", reason=f"`{command}` passed")
    if exit_code in (126, 127):
        why = f"exit {exit_code}: not found or not executable"
        return CheckResult(verified="none", reason=f"`{command}` could not run ({why})")
    if exit_code == 125:
        return CheckResult(verified="none", reason=f"`{command}` could not run: no sandbox could be set up")
    if exit_code == 5 and re.search(r"\bpytest\b|\bpy\.test\b", command):
        return CheckResult(verified="none", reason=f"`{command}` collected no tests (exit 5)")
    if exit_code is None:
        return CheckResult(verified="none", reason=f"`{command}` did not report an exit code")
    return CheckResult(verified="fail", reason=f"`{command}` failed (exit {exit_code})")


__all__ = ["ORDER", "VERIFY_FILES", "CheckResult", "VerifyCommand", "detect_verify", "judge_exit", "make_target"]
