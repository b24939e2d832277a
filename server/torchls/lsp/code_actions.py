"""Code actions: each torchls diagnostic's quick fix and its "ignore on this line" action."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.workspace import TextDocument

from torchls.analysis.findings import Applicability, Finding
from torchls.analysis.fixes import applicable
from torchls.analysis.suppressions import ignore_comment_edit
from torchls.lsp.convert import PositionConverter, diagnostic_fix

ACTION_TIMEOUT_S = 2.0  # code actions wait this long for the current version's analysis, no longer
FIX_ALL_KIND = "source.fixAll.torchls"
CODE_ACTION_OPTIONS = types.CodeActionOptions(
    code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll, FIX_ALL_KIND],
    resolve_provider=False,
)

if TYPE_CHECKING:
    from torchls.lsp.server import TorchlsServer


async def code_action(ls: TorchlsServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    """Quick fixes and ignore comments for the diagnostics in the range; the file's safe fixes at once."""
    uri = params.text_document.uri
    if not ls.is_open(uri):
        return None
    document = ls.workspace.get_text_document(uri)
    only = params.context.only
    actions: list[types.CodeAction] = []
    if not only or any(types.CodeActionKind.QuickFix.value.startswith(k) or k.startswith("quickfix") for k in only):
        diagnostics = [d for d in params.context.diagnostics if d.source == "torchls"]
        if not diagnostics:  # some clients (ALE) send none: use ours in the range
            diagnostics = await diagnostics_in(ls, document, params.range)
        actions += quick_fixes(ls, document, diagnostics)
    if not only or any(FIX_ALL_KIND.startswith(k) for k in only):
        result = await ls.current_result(uri, ACTION_TIMEOUT_S)
        if result is not None:
            edits = applicable(result.findings)
            if edits:
                converter = PositionConverter(document)
                actions.append(
                    types.CodeAction(
                        title="torchls: fix all safe fixes",
                        kind=FIX_ALL_KIND,
                        edit=types.WorkspaceEdit(changes={uri: converter.to_text_edits(edits)}),
                    )
                )
    return actions or None


async def diagnostics_in(ls: TorchlsServer, document: TextDocument, lsp_range: types.Range) -> list[types.Diagnostic]:
    """The diagnostics of the current version that touch ``lsp_range``."""
    result = await ls.current_result(document.uri, ACTION_TIMEOUT_S)
    if result is None:
        return []
    converter = PositionConverter(document)
    start, end = converter.from_lsp_position(lsp_range.start), converter.from_lsp_position(lsp_range.end)
    return [
        converter.to_diagnostic(f, result.version)
        for f in result.findings
        if f.span.start <= end and start <= f.span.end
    ]


def quick_fixes(
    ls: TorchlsServer, document: TextDocument, diagnostics: Sequence[types.Diagnostic]
) -> list[types.CodeAction]:
    """A fix and an "ignore on this line" action for each torchls diagnostic in the request."""
    converter = PositionConverter(document)
    result = ls.results.get(document.uri)
    current = result.findings if result is not None and result.version == document.version else []
    actions: list[types.CodeAction] = []
    for diagnostic in diagnostics:
        if diagnostic.source != "torchls" or not isinstance(diagnostic.code, str):
            continue
        fix = _fix_for(converter, current, diagnostic, document.version)
        if fix is not None:
            title, applicability, edits = fix
            if applicability != Applicability.DISPLAY_ONLY:
                actions.append(
                    types.CodeAction(
                        title=title + (" (unsafe)" if applicability == Applicability.UNSAFE else ""),
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        is_preferred=applicability == Applicability.SAFE,
                        edit=types.WorkspaceEdit(changes={document.uri: edits}),
                    )
                )
        line_number = diagnostic.range.start.line
        if line_number < len(converter.lines):
            line = converter.lines[line_number]
            content = line.rstrip("\r\n")
            new_line = ignore_comment_edit(content, diagnostic.code)
            end = converter.to_lsp_position((line_number + 1, len(content)))
            actions.append(
                types.CodeAction(
                    title=f"Ignore {diagnostic.code} on this line",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=types.WorkspaceEdit(
                        changes={
                            document.uri: [
                                types.TextEdit(
                                    range=types.Range(start=types.Position(line=line_number, character=0), end=end),
                                    new_text=new_line,
                                )
                            ]
                        }
                    ),
                )
            )
    return actions


def _fix_for(
    converter: PositionConverter, findings: list[Finding], diagnostic: types.Diagnostic, version: int | None
) -> tuple[str, Applicability, list[types.TextEdit]] | None:
    """The fix of the finding behind a diagnostic: from the current results, else from its data."""
    for finding in findings:
        if finding.code == diagnostic.code and finding.fix and converter.to_lsp_range(finding.span) == diagnostic.range:
            return finding.fix.title, finding.fix.applicability, converter.to_text_edits(finding.fix.edits)
    carried = diagnostic_fix(diagnostic.data)
    if carried is not None and carried[3] in (None, version):
        return carried[0], carried[1], carried[2]
    return None
