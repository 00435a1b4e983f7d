"""The session's one decision cache, on a real server object, real Engine and real documents: a hit
per version, an earlier version's decision answering at once after an edit while the new one is made
once the typing pauses, one copy of a document's text held whatever the edit history, and >512 open
documents."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls.workspace import Workspace

from modelroute.context.directives import Directive
from modelroute.lsp.documents import DocumentQuery
from modelroute.lsp.server import ModelrouteServer
from modelroute.lsp.session import Entry

TEXT = "import json\n\n\ndef load(path):\n    # add type hints to this function AI!\n    return json.load(open(path))\n"


def server_for(root: Path) -> ModelrouteServer:
    server = ModelrouteServer()
    server.protocol._workspace = Workspace(root.as_uri())
    server.protocol.client_capabilities = types.ClientCapabilities()  # no client to pull settings from
    state, _ = server.session.registry.add_folder(root)
    server.start_state(state)  # settings and the index, as `initialized` does
    return server


def open_doc(server: ModelrouteServer, uri: str, text: str = TEXT) -> None:
    server.session.documents.opened(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))


def edit(server: ModelrouteServer, uri: str, version: int, line: int, text: str) -> None:
    server.session.documents.changed(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=0)),
            text=text)],
    ), server.session.units)


async def directive_entry(server: ModelrouteServer, uri: str, *, stale_ok: bool = True
                          ) -> tuple[DocumentQuery, Directive, Entry]:
    """The decision on the document's one directive, with the query and the directive."""
    query = server.session.query(uri)
    assert isinstance(query, DocumentQuery)
    [directive] = query.directives()
    key, make = query.request(start=directive.range.start, end=None, instruction=directive.instruction,
                              directive=directive)
    return query, directive, await server.session.decisions.get(query, key, make, stale_ok=stale_ok)


async def directive_decision(server: ModelrouteServer, uri: str, *, stale_ok: bool = True) -> tuple[object, object]:
    query, _, entry = await directive_entry(server, uri, stale_ok=stale_ok)
    return entry, query.version


async def test_one_decision_per_version_and_the_previous_one_answers_after_an_edit(tmp_path: Path) -> None:
    server = server_for(tmp_path)
    await server.idle()
    uri = (tmp_path / "store.py").as_uri()
    open_doc(server, uri)
    decisions = server.session.decisions
    entry, version = await directive_decision(server, uri)
    again, _ = await directive_decision(server, uri)
    assert again is entry and decisions.count == 1 and entry.version == version  # type: ignore[attr-defined]

    edit(server, uri, 2, 6, "\nprint('more')\n")  # below the directive
    stale, version2 = await directive_decision(server, uri)
    assert stale is entry and entry.pending is not None  # type: ignore[attr-defined]  # at once; the new one follows
    await server.idle()
    assert decisions.count == 2
    fresh, _ = await directive_decision(server, uri)
    assert fresh is not entry and fresh.version == version2 and decisions.count == 2  # type: ignore[attr-defined]

    edit(server, uri, 3, 0, "# a comment\n")  # above: the directive moves a line down
    exact, version3 = await directive_decision(server, uri, stale_ok=False)  # commands wait for the current one
    assert exact.version == version3 and decisions.count == 3  # type: ignore[attr-defined]
    query = server.session.query(uri)
    assert query is not None and query.directive_on(5) is not None and query.directive_on(4) is None
    await server.idle()


async def test_a_long_edit_session_holds_one_copy_of_the_text(tmp_path: Path) -> None:
    server = server_for(tmp_path)
    await server.idle()
    uri = (tmp_path / "store.py").as_uri()
    open_doc(server, uri, TEXT + "x = 1\n" * 2000)
    decisions = server.session.decisions
    for version in range(2, 30):  # typing: no pause, so no decision is made meanwhile
        edit(server, uri, version, 7, f"# edit {version}\n")
        await directive_decision(server, uri)
        assert len(decisions.texts_held(uri)) <= 1
    assert decisions.count == 1
    await server.idle()  # the pause: one decision for the newest version
    assert decisions.count == 2 and decisions.texts_held(uri) == {29}
    server.session.documents.closed(uri)
    decisions.forget(uri)
    assert decisions.texts_held(uri) == set()


async def test_more_than_512_open_documents_keep_their_decisions(tmp_path: Path) -> None:
    server = server_for(tmp_path)
    await server.idle()
    uris = [(tmp_path / f"m{i}.py").as_uri() for i in range(600)]
    for uri in uris:
        open_doc(server, uri)
        await directive_decision(server, uri)
    count = server.session.decisions.count
    await directive_decision(server, uris[0])
    assert server.session.decisions.count == count == 600  # the first one is still cached
    await server.idle()
