"""Helpers for driving torchls over stdio with pytest-lsp, as an editor would."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import default_converter
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import PositionCodec
from pytest_lsp import LanguageClient
from pytest_lsp.client import register_lsp_features

SERVER_COMMAND = [sys.executable, "-m", "torchls", "serve"]
TIMEOUT_S = 120  # the first analysis of a fresh machine parses torch's sources
STATUS_NOTIFICATION = "torchls/status"  # the server's state, for the editor's status display


class EditorClient(LanguageClient):
    """pytest-lsp's client, which also keeps the ``initialize`` result and every ``torchls/status``."""

    def __init__(self) -> None:
        super().__init__(converter_factory=default_converter)
        self.initialize_result: types.InitializeResult | None = None
        self.statuses: list[Any] = []


def make_editor_client() -> EditorClient:
    """The client of the shared ``client`` fixture (tests/lsp/conftest.py)."""
    client = EditorClient()
    register_lsp_features(client)  # pytest-lsp's recording of diagnostics, messages, progress...

    @client.feature(STATUS_NOTIFICATION)
    def record_status(params: Any) -> None:
        client.statuses.append(params)

    converter = client.protocol._converter
    # lsprotocol's converter has no hook for the `notebook` union of a notebook filter (microsoft/lsprotocol
    # issue 228): without one this client cannot read torchls's notebook capabilities. Editors are unaffected.
    notebook_filter = types.NotebookDocumentFilterWithCells.__attrs_attrs__.notebook.type  # type: ignore[attr-defined]
    converter.register_structure_hook(notebook_filter, lambda value, _: value)
    # pylsp's notebook capability omits the required `notebook` of its selectors: read it as "any notebook".
    strict = converter.get_structure_hook(types.NotebookDocumentSyncOptions)

    def lenient(data: dict[str, Any], cls: type) -> types.NotebookDocumentSyncOptions:
        selectors = [{"notebook": "*", **selector} for selector in data.get("notebookSelector", [])]
        return strict({**data, "notebookSelector": selectors}, cls)  # type: ignore[no-any-return]

    converter.register_structure_hook(types.NotebookDocumentSyncOptions, lenient)
    return client


def torchls_env(**variables: str) -> dict[str, str]:
    """The test process's environment with ``variables`` set, for the server."""
    return {**os.environ, **variables}


def with_pull_diagnostics(capabilities: types.ClientCapabilities, pull: bool = True) -> types.ClientCapabilities:
    """``capabilities`` advertising pull diagnostics (then the server does not push), or not."""
    assert capabilities.text_document is not None
    capabilities.text_document.diagnostic = types.DiagnosticClientCapabilities() if pull else None
    return capabilities


async def initialize(
    client: LanguageClient,
    folders: Sequence[Path],
    capabilities: types.ClientCapabilities,
    initialization_options: Any = None,
) -> types.InitializeResult:
    """The handshake as VS Code does it: the first folder as root, every folder as a workspace folder."""
    return await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=folders[0].as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=folder.as_uri(), name=folder.name) for folder in folders],
            initialization_options=initialization_options,
        )
    )


async def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = TIMEOUT_S) -> None:
    """Poll ``condition`` until it holds; fail, saying ``what`` never happened, after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s} s")
        await asyncio.sleep(0.05)


def server_pid(client: LanguageClient) -> int:
    server = client._server  # the server process pytest-lsp started
    assert server is not None
    return server.pid


def child_processes(pid: int) -> list[int]:
    """The processes ``pid`` started (from /proc)."""
    return [
        int(child)
        for children in Path(f"/proc/{pid}/task").glob("*/children")
        for child in children.read_text().split()
    ]


def worker_threads_cpu(pid: int) -> int:
    """CPU time (clock ticks) used by the threads of ``pid`` other than its main thread (the event loop).

    torchls's server computes only on its jedi thread; the others wait (pygls's stdin reader, watchdogs).
    """
    ticks = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        if task.name == str(pid):
            continue
        try:
            fields = (task / "stat").read_text().rpartition(")")[2].split()
        except OSError:  # the thread ended
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks


async def wait_for_diagnostics(client: LanguageClient, uri: str, version: int | None) -> Sequence[types.Diagnostic]:
    """The diagnostics published for ``uri`` at ``version`` (earlier versions are skipped)."""

    async def wait() -> Sequence[types.Diagnostic]:
        while True:
            params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri and params.version == version:
                return params.diagnostics  # type: ignore[no-any-return]

    return await asyncio.wait_for(wait(), TIMEOUT_S)


def uses_pull(client: LanguageClient) -> bool:
    """True when the client advertised pull diagnostics (then the server does not push)."""
    text_document = client.capabilities.text_document if client.capabilities else None
    return text_document is not None and text_document.diagnostic is not None


async def current_diagnostics(client: LanguageClient, uri: str, version: int) -> Sequence[types.Diagnostic]:
    """The diagnostics of ``version``, pulled or pushed as the client's capabilities say."""
    if not uses_pull(client):
        return await wait_for_diagnostics(client, uri, version)
    report = await asyncio.wait_for(
        client.text_document_diagnostic_async(types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri))),
        TIMEOUT_S,
    )
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert report.result_id is not None
    return report.items


def encoding_of(result: types.InitializeResult) -> str:
    """The position encoding the server chose."""
    return result.capabilities.position_encoding or types.PositionEncodingKind.Utf16


def units(text: str, encoding: str) -> int:
    """Length of ``text`` in the code units of an LSP position encoding."""
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def apply_edits(source: str, edits: Sequence[types.TextEdit], encoding: str) -> str:
    """Apply LSP text edits the way an editor does (last edit first), with pygls's own codec."""
    document = TextDocument("file:///tmp/edit.py", source, position_codec=PositionCodec(encoding))
    ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
    for edit in ordered:
        document.apply_change(types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text))
    return document.source
