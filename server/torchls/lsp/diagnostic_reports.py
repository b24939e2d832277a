"""Pulled diagnostics: a document's report, and the workspace's (every file of its folders analysed,
with progress and cancellation), under one result-id scheme.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.workspace import TextDocument

from torchls.files import FileError, discover, read_source
from torchls.lsp.convert import PositionConverter

if TYPE_CHECKING:
    from torchls.lsp.server import TorchlsServer

WORKSPACE_DIAGNOSTIC_WAIT_S = 60
# As it is: findings rest on the files a file imports, and workspace diagnostics are served (pygls would
# set this last one from the features anyway).
DIAGNOSTIC_OPTIONS = types.DiagnosticOptions(
    identifier="torchls", inter_file_dependencies=True, workspace_diagnostics=True
)


async def pull_diagnostics(ls: TorchlsServer, params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
    """The document's report: unchanged when the client has this result already."""
    uri = params.text_document.uri
    if not ls.is_open(uri):  # never opened: nothing to say
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    first_screen = await ls.first_screen(uri) if ls.refresh_supported() else None
    if first_screen is not None:  # the client is asked to pull again once the rest is analysed
        ls.refresh_when_complete(uri)
        converter = PositionConverter(ls.workspace.get_text_document(uri))
        items = [converter.to_diagnostic(f, first_screen.version) for f in first_screen.findings]
        return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=FIRST_SCREEN_RESULT_ID)
    result = await ls.current_result(uri)
    if result is None:  # the document changed while it was analysed: analyse the new version
        result = await ls.current_result(uri)
    if result is None:
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    document = ls.workspace.get_text_document(uri)
    result_id = report_id(result.generation, document.source)  # current_result: of this version
    if params.previous_result_id == result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    converter = PositionConverter(ls.workspace.get_text_document(uri))
    items = [converter.to_diagnostic(f, result.version) for f in result.findings]
    return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)


async def workspace_diagnostics(
    ls: TorchlsServer, params: types.WorkspaceDiagnosticParams
) -> types.WorkspaceDiagnosticReport:
    """Diagnostics for every Python file of the workspace, with progress; cancellable.

    Files whose result the client already has are reported unchanged without analysis. When all
    are unchanged, the answer waits for an edit (or a minute), as the protocol intends: VS Code
    asks again as soon as it has an answer, and would otherwise keep the server busy.
    """
    previous = {item.uri: item.value for item in params.previous_result_ids}
    token = params.work_done_token
    while True:
        ls.edited.clear()
        reports = await workspace_reports(ls, token, previous)
        token = None  # its progress ended
        full = [r for r in reports if isinstance(r, types.WorkspaceFullDocumentDiagnosticReport)]
        if full or not previous:
            return types.WorkspaceDiagnosticReport(items=reports)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(ls.edited.wait(), WORKSPACE_DIAGNOSTIC_WAIT_S)


FIRST_SCREEN_RESULT_ID = "first screen"  # never a full report's id: the next pull gets one


def report_id(generation: int, text: str) -> str:
    """The result id of a diagnostic report, the same for a document's pull and its workspace report.

    It names what the findings rest on, the text and the settings generation (bumped when settings
    or an imported file change), not the version: after an undo the client is told "unchanged".
    """
    return f"{generation}:{hashlib.sha1(text.encode('utf-8', 'surrogatepass')).hexdigest()}"


async def workspace_reports(
    ls: TorchlsServer, token: types.ProgressToken | None, previous: dict[str, str]
) -> list[types.WorkspaceDocumentDiagnosticReport]:
    """Analyse the workspace's files one by one, reporting progress, until done or cancelled.

    A file whose text and settings give the result id the client sent in ``previous`` is not analysed.
    """
    files: list[Path] = []
    for folder in ls.workspace_folders():
        files += [item for item in discover([folder], ls.settings.excluded) if isinstance(item, Path)]
    progress = ls.work_done_progress
    if token is not None:
        progress.begin(
            token,
            types.WorkDoneProgressBegin(
                title="torchls", message=f"0/{len(files)} files", cancellable=True, percentage=0
            ),
        )
    reports: list[types.WorkspaceDocumentDiagnosticReport] = []
    try:
        for index, path in enumerate(files):
            if token is not None and progress.tokens[token].cancelled():
                break
            uri = path.as_uri()
            if ls.is_open(uri):
                document = ls.workspace.get_text_document(uri)
            else:
                try:
                    source = read_source(path)
                except FileError:
                    continue
                document = TextDocument(uri, source.text, position_codec=ls.workspace.position_codec)
            settings = ls.settings_for(path)
            text, version = document.source, document.version
            result_id = report_id(ls.generation, text)
            if previous.get(uri) == result_id:
                reports.append(
                    types.WorkspaceUnchangedDocumentDiagnosticReport(uri=uri, version=version, result_id=result_id)
                )
                continue

            findings = await ls.run_analysis(text, path, settings)
            converter = PositionConverter(document)
            reports.append(
                types.WorkspaceFullDocumentDiagnosticReport(
                    uri=uri,
                    version=version,
                    items=[converter.to_diagnostic(f, version) for f in findings],
                    result_id=result_id,
                )
            )
            if token is not None:
                progress.report(
                    token,
                    types.WorkDoneProgressReport(
                        message=f"{index + 1}/{len(files)} files", percentage=(index + 1) * 100 // len(files)
                    ),
                )
    finally:
        if token is not None:
            progress.end(token, types.WorkDoneProgressEnd(message=f"{len(reports)} files analysed"))
            progress.tokens.pop(token, None)  # pygls keeps ended tokens forever
    return reports
