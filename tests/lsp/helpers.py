"""Helpers for driving torchls over stdio with pytest-lsp, as an editor would."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import PositionCodec
from pytest_lsp import LanguageClient

SERVER_COMMAND = [sys.executable, "-m", "torchls", "serve"]
TIMEOUT_S = 120  # the first analysis of a fresh machine parses torch's sources


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
