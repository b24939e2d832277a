"""Faults inside: jedi's environment process killed or frozen under a running server. The server
notices, restarts it, re-analyses, and the user sees at most a log line."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from .helpers import SERVER_COMMAND, wait_for_diagnostics

SOURCE = "import torch\nmodel = torch.nn.Linear(2, 2)\nmodel.eval\nx = torch.ones(2)\nx.shape(0)\n"


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER_COMMAND, server_env={**os.environ, "TORCHLS_HANG_TIMEOUT": "3"})
)
async def client(lsp_client: LanguageClient, tmp_path):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("visual-studio-code"), root_uri=tmp_path.as_uri())
    )
    yield
    await lsp_client.shutdown_session()


def jedi_processes(client: LanguageClient) -> list[int]:
    server = client._server  # the server process pytest-lsp started
    assert server is not None
    return [
        int(pid)
        for children in Path(f"/proc/{server.pid}/task").glob("*/children")
        for pid in children.read_text().split()
    ]


async def open_and_edit(client: LanguageClient, tmp_path: Path) -> tuple[str, list[int]]:
    uri = (tmp_path / "faults.py").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, SOURCE)))
    assert len(await wait_for_diagnostics(client, uri, 1)) == 2
    processes = jedi_processes(client)
    assert processes, "jedi's environment process runs beside the server"
    return uri, processes


def edit(client: LanguageClient, uri: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [types.TextDocumentContentChangeWholeDocument(text=SOURCE + "y = torch.zeros(2)\ny.backward\n")],
        )
    )


@pytest.mark.parametrize("fault", [signal.SIGKILL, signal.SIGSTOP], ids=["killed", "frozen"])
async def test_environment_process_fault(client: LanguageClient, tmp_path: Path, fault: signal.Signals) -> None:
    uri, processes = await open_and_edit(client, tmp_path)
    for pid in processes:
        os.kill(pid, fault)
    try:
        edit(client, uri)
        diagnostics = await wait_for_diagnostics(client, uri, 2)
        assert sorted(d.range.start.line for d in diagnostics) == [2, 4, 6]  # complete, as before the fault
        assert any("restarted" in m.message for m in client.log_messages)
        assert not client.messages  # no popup for the user
        assert set(jedi_processes(client)) - set(processes), "a new environment process took over"
    finally:
        for pid in processes:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
