"""The server's lifecycle, document and notebook sync, and configuration handlers.

Plain module-level functions of ``(ls, params)``: ``server.create_server`` registers them (with
those of hover.py, code_actions.py and diagnostic_reports.py), and a test may call them alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from torchls import lifetime
from torchls.lsp.warmup import preload, warm_up

if TYPE_CHECKING:
    from torchls.lsp.server import TorchlsServer


def initialize(ls: TorchlsServer, params: types.InitializeParams) -> None:
    """Apply the options, note the client's diagnostics model, and start loading torch."""
    lifetime.exit_when_gone(params.process_id)  # LSP: the server exits when the editor's process is gone
    ls.apply_options(params.initialization_options)
    ls.pull_diagnostics = params.capabilities.text_document is not None and (
        params.capabilities.text_document.diagnostic is not None
    )
    # Load torch while the client finishes initializing (nothing may be sent to it before that).
    ls.jedi_thread.submit(preload, ls)


async def initialized(ls: TorchlsServer, params: types.InitializedParams) -> None:
    """Index torch's types and report the server's state."""
    await warm_up(ls)


def did_open(ls: TorchlsServer, params: types.DidOpenTextDocumentParams) -> None:
    """Analyse an opened document at once."""
    ls.schedule(params.text_document.uri, 0)


def did_change(ls: TorchlsServer, params: types.DidChangeTextDocumentParams) -> None:
    """Analyse an edited document after the debounce delay."""
    ls.schedule(params.text_document.uri, ls.options.debounce_ms / 1000)


def did_save(ls: TorchlsServer, params: types.DidSaveTextDocumentParams) -> None:
    """A saved ``pyproject.toml`` re-checks everything; a saved module, the open files importing it."""
    ls.edited.set()
    if params.text_document.uri.endswith("pyproject.toml"):
        ls.refresh_all()
    elif params.text_document.uri.endswith(".py"):
        ls.refresh_dependents(params.text_document.uri)


def did_close(ls: TorchlsServer, params: types.DidCloseTextDocumentParams) -> None:
    """Drop a closed document's analysis; clear its pushed diagnostics (pulled ones go with it)."""
    ls.forget(params.text_document.uri, clear=not ls.pull_diagnostics)


def did_open_notebook(ls: TorchlsServer, params: types.DidOpenNotebookDocumentParams) -> None:
    """Analyse an opened notebook at once."""
    ls.schedule(params.notebook_document.uri, 0)


def did_change_notebook(ls: TorchlsServer, params: types.DidChangeNotebookDocumentParams) -> None:
    """Forget removed cells; analyse the edited notebook after the debounce delay."""
    structure = params.change.cells.structure if params.change.cells else None
    if structure is not None:
        for closed in structure.did_close or []:
            ls.forget(closed.uri, clear=True)
    ls.schedule(params.notebook_document.uri, ls.options.debounce_ms / 1000)


def did_close_notebook(ls: TorchlsServer, params: types.DidCloseNotebookDocumentParams) -> None:
    """Drop a closed notebook's analysis and clear its cells' diagnostics."""
    ls.forget(params.notebook_document.uri, clear=False)
    for cell in params.cell_text_documents:
        ls.forget(cell.uri, clear=True)


async def did_change_configuration(ls: TorchlsServer, params: types.DidChangeConfigurationParams) -> None:
    """New settings (sent, or asked for when the notification is empty): re-check everything."""
    settings = params.settings
    if not settings:
        try:
            items = await ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="torchls")])
            )
            settings = items[0] if items else None
        except Exception:
            settings = None
    if settings is not None:
        pythons = ls.options.pythons()
        ls.apply_options(settings)
        ls.refresh_all()
        if ls.options.pythons() != pythons:
            await warm_up(ls)  # another environment: index its torch and report the new status
