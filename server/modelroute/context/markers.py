"""Workspace markers (Dockerfiles, Makefiles, CI, shell scripts, UI frameworks, tests, languages),
kept as running totals so adding or removing one file costs O(1)."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from modelroute.context.languages import SHELL_LANGUAGES, is_test_path
from modelroute.context.model import WorkspaceMarkers

# package.json dependency -> framework label
UI_PACKAGES: dict[str, str] = {
    "react": "react",
    "react-dom": "react",
    "preact": "preact",
    "vue": "vue",
    "svelte": "svelte",
    "@sveltejs/kit": "sveltekit",
    "@angular/core": "angular",
    "solid-js": "solid",
    "next": "next",
    "nuxt": "nuxt",
    "@remix-run/react": "remix",
    "astro": "astro",
    "gatsby": "gatsby",
    "lit": "lit",
    "ember-source": "ember",
    "@builder.io/qwik": "qwik",
    "react-native": "react-native",
    "expo": "expo",
    "tailwindcss": "tailwind",
    "@mui/material": "mui",
    "@chakra-ui/react": "chakra",
    "bootstrap": "bootstrap",
    "styled-components": "styled-components",
    "@emotion/react": "emotion",
    "alpinejs": "alpine",
    "htmx.org": "htmx",
    "electron": "electron",
}
_DEP_KEYS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")

_CI_EXACT = frozenset(
    {
        ".gitlab-ci.yml",
        "azure-pipelines.yml",
        "azure-pipelines.yaml",
        ".travis.yml",
        "bitbucket-pipelines.yml",
        ".drone.yml",
        "appveyor.yml",
        ".woodpecker.yml",
        "cloudbuild.yaml",
        "cloudbuild.yml",
    }
)
_CI_PATTERN = re.compile(
    r"^(?:\.github/workflows/[^/]+\.ya?ml|\.circleci/.+|\.buildkite/.+|\.woodpecker/.+"
    r"|\.gitlab/ci/.+\.ya?ml|(?:.*/)?Jenkinsfile(?:\.[^/]+)?)$"
)
_COMPOSE = re.compile(r"^(?:docker-)?compose(?:\.[\w-]+)?\.ya?ml$")


def is_ci_config(rel_path: str) -> bool:
    return rel_path in _CI_EXACT or _CI_PATTERN.match(rel_path) is not None


def frameworks_in_package_json(data: bytes) -> frozenset[str]:
    """UI frameworks named in a package.json's dependencies; nothing for a broken file."""
    try:
        doc = json.loads(data)
    except ValueError:
        return frozenset()
    if not isinstance(doc, dict):
        return frozenset()
    found: set[str] = set()
    for key in _DEP_KEYS:
        deps = doc.get(key)
        if isinstance(deps, dict):
            found.update(UI_PACKAGES[name] for name in deps if name in UI_PACKAGES)
    return frozenset(found)


class MarkerTotals:
    def __init__(self) -> None:
        self.dockerfiles: set[str] = set()
        self.makefiles: set[str] = set()
        self.ci_configs: set[str] = set()
        self.shell_scripts = 0
        self.test_files = 0
        self.languages: Counter[str] = Counter()
        self.frameworks: dict[str, frozenset[str]] = {}  # package.json path -> frameworks
        self._cache: WorkspaceMarkers | None = None

    def to_json(self) -> dict[str, Any]:
        """The running totals as plain JSON (the persisted index stores them)."""
        return {
            "dockerfiles": sorted(self.dockerfiles),
            "makefiles": sorted(self.makefiles),
            "ci_configs": sorted(self.ci_configs),
            "shell_scripts": self.shell_scripts,
            "test_files": self.test_files,
            "languages": dict(self.languages),
            "frameworks": {path: sorted(names) for path, names in self.frameworks.items()},
        }

    @classmethod
    def from_json(cls, data: Any) -> MarkerTotals:
        """Totals read back from `to_json`; ValueError for anything else."""
        try:
            totals = cls()
            totals.dockerfiles = set(_strings(data["dockerfiles"]))
            totals.makefiles = set(_strings(data["makefiles"]))
            totals.ci_configs = set(_strings(data["ci_configs"]))
            totals.shell_scripts = _count(data["shell_scripts"])
            totals.test_files = _count(data["test_files"])
            totals.languages = Counter({str(k): _count(v) for k, v in dict(data["languages"]).items()})
            totals.frameworks = {
                str(path): frozenset(_strings(names)) for path, names in dict(data["frameworks"]).items()
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not marker totals: {exc}") from exc
        return totals

    def add(self, rel_path: str, language: str) -> None:
        self._count(rel_path, language, +1)

    def remove(self, rel_path: str, language: str) -> None:
        self._count(rel_path, language, -1)
        self.frameworks.pop(rel_path, None)

    def set_frameworks(self, rel_path: str, frameworks: frozenset[str]) -> None:
        if self.frameworks.get(rel_path) != frameworks:
            self.frameworks[rel_path] = frameworks
            self._cache = None

    def snapshot(self) -> WorkspaceMarkers:
        if self._cache is None:
            ui: set[str] = set()
            for names in self.frameworks.values():
                ui.update(names)
            self._cache = WorkspaceMarkers(
                dockerfiles=tuple(sorted(self.dockerfiles)),
                makefiles=tuple(sorted(self.makefiles)),
                ci_configs=tuple(sorted(self.ci_configs)),
                shell_scripts=self.shell_scripts,
                ui_frameworks=tuple(sorted(ui)),
                test_files=self.test_files,
                languages=dict(self.languages.most_common()),
            )
        return self._cache

    def _count(self, rel_path: str, language: str, step: int) -> None:
        self._cache = None
        name = rel_path.rsplit("/", 1)[-1]
        if language == "dockerfile" or _COMPOSE.match(name):
            _toggle(self.dockerfiles, rel_path, step)
        if language == "makefile":
            _toggle(self.makefiles, rel_path, step)
        if is_ci_config(rel_path):
            _toggle(self.ci_configs, rel_path, step)
        if language in SHELL_LANGUAGES:
            self.shell_scripts += step
        if is_test_path(rel_path):
            self.test_files += step
        if language != "plaintext":
            self.languages[language] += step
            if self.languages[language] <= 0:
                del self.languages[language]


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return value


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("expected a count")
    return value


def _toggle(items: set[str], rel_path: str, step: int) -> None:
    if step > 0:
        items.add(rel_path)
    else:
        items.discard(rel_path)
