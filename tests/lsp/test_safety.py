"""The server never executes the user's code: opening, hovering and a workspace report over a workspace
whose modules would leave a marker file when imported (or run) must not create it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from ..helpers import booby_trapped_workspace
from .helpers import TIMEOUT_S, wait_for_diagnostics


async def test_server_never_runs_workspace_code(client: LanguageClient, tmp_path: Path) -> None:
    marker = booby_trapped_workspace(tmp_path)
    uri = (tmp_path / "main.py").as_uri()
    text = (tmp_path / "main.py").read_text()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text)))
    diagnostics = await wait_for_diagnostics(client, uri, 1)
    assert [d.code for d in diagnostics] == ["TL001"]
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), diagnostics[0].range.start)
    )
    assert hover is not None
    # The workspace's diagnostics are answered once the server has analysed every file in it.
    report = await asyncio.wait_for(
        client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[])), TIMEOUT_S
    )
    analysed = {Path(item.uri).name for item in report.items}
    assert {"helpers.py", "conftest.py", "sitecustomize.py", "setup.py", "main.py"} <= analysed
    assert not marker.exists()
