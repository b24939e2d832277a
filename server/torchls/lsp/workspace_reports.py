"""Workspace diagnostics: every file of the workspace's folders analysed, with progress and cancellation."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.workspace import TextDocument

from torchls.files import FileError, discover, read_source
from torchls.lsp.convert import PositionConverter

if TYPE_CHECKING:
    from torchls.lsp.server import TorchlsServer


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
