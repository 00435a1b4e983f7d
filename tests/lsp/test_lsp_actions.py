"""End to end over stdio with the VS Code 1.65 and Neovim 0.7 capability profiles:
code actions on directives, explain/review on a selection, hover, route/run/explainRoute."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import pytest_lsp
from lsp_helpers import (
    DIRECTIVE_LINE,
    PROFILES,
    code_actions,
    command,
    config,
    make_workspace,
    range_json,
    rng,
    start,
    uri,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

TITLE = re.compile(
    r"^(Refactor|Automate|Build UI|Review|Debug|Edit|Explain) with .+ · (~\$[0-9.]+|\$0|<\$0\.0001) \([a-z -]+\)"
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("ws"))


@pytest_lsp.fixture(config=config(), scope="module", params=PROFILES)
async def client(lsp_client: LanguageClient, workspace: Path, request: pytest.FixtureRequest):
    await start(lsp_client, workspace, request.param)
    yield
    await lsp_client.shutdown_session()


@pytest.mark.parametrize("rel", sorted(DIRECTIVE_LINE))
async def test_directive_actions_are_priced_and_routed_first(client: LanguageClient, workspace: Path, rel: str):
    line = DIRECTIVE_LINE[rel]
    actions = await code_actions(client, uri(workspace, rel), rng(line, 3))
    routed = await command(
        client,
        "modelroute.route",
        {"uri": uri(workspace, rel), "range": range_json(rng(line, 0)), "instruction": _instruction(actions)},
    )
    priced = [a for a in actions if a.command and a.command.command == "modelroute.run"]
    assert len(priced) >= 2, [a.title for a in actions]
    for action in priced:
        assert TITLE.match(action.title), action.title
        assert action.command.arguments[0]["uri"] == uri(workspace, rel)
        assert action.command.arguments[0]["range"]["start"]["line"] == line
    first = priced[0]
    assert first.command.arguments[0]["model"] == routed["model"]
    assert routed["display_name"] in first.title
    if client.capabilities.text_document.code_action.is_preferred_support:
        assert first.is_preferred is True
    assert not any(a.is_preferred for a in priced[1:])
    assert [a.title for a in actions][-1] == "Why this model?"
    assert actions[-1].command.command == "modelroute.explainRoute"
    models = [a.command.arguments[0]["model"] for a in priced]
    assert len(set(models)) == len(models)
    # No provider has a key here: every model is still an enabled action (VS Code hides disabled ones
    # from the lightbulb) that says which variable to set.
    assert all(a.disabled is None for a in actions)
    assert all(re.search(r" — needs [A-Z_]+_API_KEY$", a.title) for a in priced), [a.title for a in priced]


async def test_categories_follow_the_instruction(client: LanguageClient, workspace: Path):
    titles = {}
    for rel, line in DIRECTIVE_LINE.items():
        titles[rel] = (await code_actions(client, uri(workspace, rel), rng(line, 0)))[0].title
    assert "(shell automation)" in titles["scripts/build.sh"]
    assert "(ui greenfield)" in titles["web/index.html"]
    assert "(explain)" in titles["web/greet.ts"]


async def test_selection_without_directive_offers_explain_and_review(client: LanguageClient, workspace: Path):
    actions = await code_actions(client, uri(workspace, "app/store.py"), rng(10, 0, 11, 40))
    titles = [a.title for a in actions]
    assert len(actions) == 2, titles
    assert titles[0].startswith("Explain with ") and titles[0].endswith("(explain)")
    assert titles[1].startswith("Review with ") and titles[1].endswith("(code review)")
    assert [a.command.arguments[0]["instruction"] for a in actions] == ["Explain this code", "Review this code"]


async def test_empty_range_off_directive_has_no_actions(client: LanguageClient, workspace: Path):
    assert await code_actions(client, uri(workspace, "app/store.py"), rng(10, 2)) == []


async def test_only_filter_is_honoured(client: LanguageClient, workspace: Path):
    doc = uri(workspace, "app/store.py")
    assert await code_actions(client, doc, rng(4, 0), only=[types.CodeActionKind.SourceOrganizeImports]) == []
    refactors = await code_actions(client, doc, rng(4, 0), only=[types.CodeActionKind.Refactor])
    assert refactors and all(a.kind.startswith("refactor") for a in refactors)
    why = await code_actions(client, doc, rng(4, 0), only=["modelroute.why"])
    assert [a.title for a in why] == ["Why this model?"]


async def test_resolve_adds_a_breakdown_and_keeps_the_command(client: LanguageClient, workspace: Path):
    action = (await code_actions(client, uri(workspace, "app/store.py"), rng(4, 0)))[0]
    resolved = await client.code_action_resolve_async(action)
    assert resolved.command == action.command
    breakdown = resolved.data["breakdown"]
    assert breakdown["input_tokens"] > 0 and breakdown["estimated_cost_usd"] >= 0


async def test_hover_on_directive_shows_the_decision(client: LanguageClient, workspace: Path):
    doc = uri(workspace, "scripts/build.sh")
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=doc), position=types.Position(line=2, character=5)
        )
    )
    assert hover is not None and "modelroute" in hover.contents.value
    assert "shell_automation" in hover.contents.value
    if hover.contents.kind == types.MarkupKind.Markdown:  # no client may render the amounts as TeX math
        value = hover.contents.value  # amounts in code spans, any other dollar escaped
        assert "`~$" in value and re.search(r"(?<!\\)\$", re.sub(r"`[^`]*`", "", value)) is None
    assert hover.range.start.line == 2
    none = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=doc), position=types.Position(line=3, character=1)
        )
    )
    assert none is None


async def test_route_command_returns_decision_json(client: LanguageClient, workspace: Path):
    result = await command(
        client,
        "modelroute.route",
        {
            "uri": uri(workspace, "app/store.py"),
            "range": range_json(rng(10, 0, 11, 0)),
            "instruction": "rename total to order_total in every file that uses it",
        },
    )
    for key in (
        "category",
        "confidence",
        "model",
        "provider",
        "estimated_cost_usd",
        "estimated_cost_range_usd",
        "estimated_tokens",
        "alternatives",
        "reasons",
    ):
        assert key in result
    assert result["reasons"]


async def test_explain_route_shows_a_markdown_document(client: LanguageClient, workspace: Path):
    before = len(client.shown_documents), len(client.messages)
    result = await command(
        client,
        "modelroute.explainRoute",
        {
            "uri": uri(workspace, "app/store.py"),
            "range": range_json(rng(4, 0)),
            "instruction": "add type hints and a docstring",
        },
    )
    assert "## Why this model" in result["markdown"]
    path = Path(result["uri"].removeprefix("file://"))
    assert path.read_text() == result["markdown"] and path.suffix == ".md"
    if client.capabilities.window.show_document and client.capabilities.window.show_document.support:
        assert len(client.shown_documents) == before[0] + 1
        assert client.shown_documents[-1].uri == result["uri"]
        assert client.shown_documents[-1].external in (False, None)
    else:  # Neovim 0.7: no showDocument, the text comes as a message
        assert len(client.shown_documents) == before[0]
        assert "## Why this model" in client.messages[-1].message


async def test_run_with_an_unknown_model_says_so(client: LanguageClient, workspace: Path):
    with pytest.raises(JsonRpcException, match="whatever is not in the catalog"):
        await command(
            client,
            "modelroute.run",
            {
                "uri": uri(workspace, "app/store.py"),
                "range": range_json(rng(4, 0)),
                "instruction": "add type hints and a docstring",
                "model": "whatever",
            },
        )
    assert "whatever is not in the catalog" in client.messages[-1].message


async def test_edit_moves_the_directive(client: LanguageClient, workspace: Path):
    doc = uri(workspace, "app/store.py")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=doc, version=2),
            content_changes=[types.TextDocumentContentChangePartial(range=rng(0, 0), text="import os\n")],
        )
    )
    assert await code_actions(client, doc, rng(4, 0)) == []
    assert (await code_actions(client, doc, rng(5, 0)))[0].title


def _instruction(actions: list[types.CodeAction]) -> str:
    return actions[0].command.arguments[0]["instruction"]


async def test_one_decision_serves_actions_hover_and_route_on_a_line(client: LanguageClient, workspace: Path):
    doc = uri(workspace, "web/greet.ts")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(  # a new version: nothing cached
            text_document=types.VersionedTextDocumentIdentifier(uri=doc, version=7),
            content_changes=[types.TextDocumentContentChangePartial(range=rng(4, 0), text="\n")],
        )
    )
    before = (await command(client, "modelroute.idle"))["decisions"]
    for character in (0, 5, 20):
        await code_actions(client, doc, rng(1, character))
    await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=doc), position=types.Position(line=1, character=9)
        )
    )
    instruction = (await code_actions(client, doc, rng(1, 0)))[0].command.arguments[0]["instruction"]
    await command(client, "modelroute.route", {"uri": doc, "range": range_json(rng(1, 0)), "instruction": instruction})
    after = (await command(client, "modelroute.idle"))["decisions"]
    assert after - before == 1
