"""LSP notebook document sync: a notebook's code cells are analysed together, each cell gets its own
diagnostics, hovers and quick fixes, in push and pull mode."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from .helpers import TIMEOUT_S, apply_edits, current_diagnostics, uses_pull

CELLS = [
    "import torch\n%matplotlib inline\nmodel = torch.nn.Linear(2, 2)\n",
    "# A markdown cell comes next\n",
    "model.eval",
    "for p in model.parameters:\n    print(p.shape)\n",
]
KINDS = [
    types.NotebookCellKind.Code,
    types.NotebookCellKind.Markup,
    types.NotebookCellKind.Code,
    types.NotebookCellKind.Code,
]


@pytest.fixture(params=["push", "pull"])
def diagnostics(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def capabilities(capabilities: types.ClientCapabilities) -> types.ClientCapabilities:
    """The shared capabilities, with notebook document sync."""
    capabilities.notebook_document = types.NotebookDocumentClientCapabilities(
        synchronization=types.NotebookDocumentSyncClientCapabilities()
    )
    return capabilities


async def test_cells_are_analysed_together(client: LanguageClient, tmp_path: Path) -> None:
    notebook = (tmp_path / "train.ipynb").as_uri()
    # Cell URIs as VS Code makes them: percent-encoded (pygls keys its documents by the decoded URI).
    cells = [f"vscode-notebook-cell:{tmp_path / 'train.ipynb'}#W{n}sZmlsZQ%3D%3D" for n in range(len(CELLS))]
    client.notebook_document_did_open(
        types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(
                uri=notebook,
                notebook_type="jupyter-notebook",
                version=1,
                cells=[types.NotebookCell(kind=kind, document=uri) for kind, uri in zip(KINDS, cells, strict=True)],
            ),
            cell_text_documents=[
                types.TextDocumentItem(uri, "python" if kind == types.NotebookCellKind.Code else "markdown", 1, text)
                for uri, kind, text in zip(cells, KINDS, CELLS, strict=True)
            ],
        )
    )
    # `model` comes from the first cell. Pushed diagnostics arrive for all cells at once: read what the
    # client recorded (waiting for one notification after another could miss some of the burst).
    if uses_pull(client):
        results = {uri: await current_diagnostics(client, uri, 1) for uri in cells if uri != cells[1]}
    else:
        results = await pushed(client, lambda diagnostics: all(uri in diagnostics for uri in cells[2:]))
    assert list(results[cells[0]]) == []
    [displayed] = results[cells[2]]
    assert "is only displayed (a notebook shows the value of a cell's last line" in displayed.message
    [loop] = results[cells[3]]
    assert (loop.range.start.line, loop.range.start.character, loop.code) == (0, 15, "TL001")

    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(cells[3]), types.Position(0, 18))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "generator over all parameters" in hover.contents.value

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(cells[3]), loop.range, types.CodeActionContext(diagnostics=[loop])
        )
    )
    preferred = next(a for a in actions or [] if isinstance(a, types.CodeAction) and a.is_preferred)
    assert preferred.edit is not None and preferred.edit.changes is not None
    fixed = apply_edits(CELLS[3], preferred.edit.changes[cells[3]], "utf-16")
    assert fixed.startswith("for p in model.parameters():")

    client.notebook_document_did_change(
        types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(version=2, uri=notebook),
            change=types.NotebookDocumentChangeEvent(
                cells=types.NotebookDocumentCellChanges(
                    text_content=[
                        types.NotebookDocumentCellContentChanges(
                            document=types.VersionedTextDocumentIdentifier(uri=cells[3], version=2),
                            changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)],
                        )
                    ]
                )
            ),
        )
    )
    if uses_pull(client):
        assert list(await current_diagnostics(client, cells[3], 2)) == []
    else:
        await pushed(client, lambda diagnostics: len(diagnostics[cells[3]]) == 0)


async def pushed(client: LanguageClient, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The diagnostics the client has recorded per URI, once ``done`` says they are complete."""

    async def wait() -> dict[str, Any]:
        while not done(client.diagnostics):
            await asyncio.sleep(0.05)
        return client.diagnostics

    return await asyncio.wait_for(wait(), TIMEOUT_S)
