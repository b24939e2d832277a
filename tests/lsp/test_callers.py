"""A function's callers in other files decide its parameters: the callee is diagnosed again when a caller
is saved, and an open caller's unsaved text is what counts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from .helpers import SERVER_COMMAND, TIMEOUT_S, wait_for_diagnostics

LIBRARY = "def count_parameters(model):\n    return sum(p.numel() for p in model.parameters)\n"
MODULE_CALLER = "from torch import nn\n\nfrom train_lib import count_parameters\n\ncount_parameters(nn.Linear(2, 2))\n"
PLAIN_CALLER = (
    "from train_lib import count_parameters\n\n\nclass Box:\n    parameters = [1]\n\n\ncount_parameters(Box())\n"
)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient, tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "train_lib.py").write_text(LIBRARY)
    (tmp_path / "main.py").write_text(PLAIN_CALLER)
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="project")],
        )
    )
    yield
    await lsp_client.shutdown_session()


async def republished(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """The next diagnostics pushed for ``uri`` (whatever their version)."""

    async def wait() -> list[types.Diagnostic]:
        while True:
            params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri:
                return list(params.diagnostics)

    return await asyncio.wait_for(wait(), TIMEOUT_S)


async def test_saving_a_caller_diagnoses_the_callee_again(client: LanguageClient, tmp_path: Path) -> None:
    library, main = (tmp_path / "train_lib.py").as_uri(), tmp_path / "main.py"
    opened = types.TextDocumentItem(library, "python", 1, LIBRARY)
    client.text_document_did_open(types.DidOpenTextDocumentParams(opened))
    assert list(await wait_for_diagnostics(client, library, 1)) == []  # the only caller passes a plain object

    # main.py open with unsaved text that passes a module: the callee's next analysis uses that text.
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(main.as_uri(), "python", 1, MODULE_CALLER))
    )
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=2, uri=library),
            [types.TextDocumentContentChangeWholeDocument(LIBRARY + "\n")],
        )
    )
    diagnostics = await wait_for_diagnostics(client, library, 2)
    assert [(d.range.start.line, d.code) for d in diagnostics] == [(1, "TL001")]
    assert "at the call of its function in `main.py`" in diagnostics[0].message

    # The caller is changed back and saved: the callee, unchanged, is diagnosed again.
    main.write_text(PLAIN_CALLER)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=2, uri=main.as_uri()),
            [types.TextDocumentContentChangeWholeDocument(PLAIN_CALLER)],
        )
    )
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(main.as_uri())))
    assert await republished(client, library) == []
