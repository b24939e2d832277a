r"""The one place where analysis positions (1-based line, code-point column) meet LSP positions
(0-based line, client units: utf-8, utf-16 or utf-32 as negotiated), and analysis results meet
protocol types.

Lines are split as parso and the LSP spec split them (``\\n``, ``\\r\\n``, ``\\r``), and pygls's
position codec converts columns to the negotiated encoding.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from lsprotocol.converters import get_converter
from parso.utils import split_lines
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from torchls.analysis.findings import Applicability, Edit, Finding, Position, Severity, Span, fix_from_data, fix_to_data
from torchls.analysis.rules import RULES

SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFORMATION: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}
_converter = get_converter()


class PositionConverter:
    """Converts positions for one version of one document."""

    def __init__(self, document: TextDocument) -> None:
        self.lines = split_lines(document.source, keepends=True)
        self.codec = document.position_codec

    def to_lsp_position(self, position: Position) -> types.Position:
        """Analysis position → LSP position in client units."""
        line, column = position
        return self.codec.position_to_client_units(self.lines, ServerTextPosition(line - 1, column))

    def to_lsp_range(self, span: Span) -> types.Range:
        """Analysis span → LSP range in client units."""
        start, end = span.start, span.end
        return self.codec.range_to_client_units(
            self.lines,
            ServerTextRange(ServerTextPosition(start[0] - 1, start[1]), ServerTextPosition(end[0] - 1, end[1])),
        )

    def from_lsp_position(self, position: types.Position) -> Position:
        """LSP position in client units → analysis position (clamped to the document)."""
        line = min(max(position.line, 0), max(len(self.lines) - 1, 0))
        clamped = types.Position(line=line, character=max(position.character, 0))
        server = self.codec.position_from_client_units(self.lines, clamped)
        text = self.lines[line] if self.lines else ""
        return line + 1, min(server.character, len(text.rstrip("\r\n")))

    def to_text_edits(self, edits: tuple[Edit, ...] | list[Edit]) -> list[types.TextEdit]:
        """Analysis edits → LSP text edits."""
        return [types.TextEdit(range=self.to_lsp_range(e.span), new_text=e.content) for e in edits]

    def to_diagnostic(self, finding: Finding, version: int | None) -> types.Diagnostic:
        """A finding as an LSP diagnostic; the fix travels in ``data`` for code actions."""
        rule = RULES[finding.code]
        data: dict[str, Any] | None = None
        if finding.fix is not None:
            lsp_edit = lambda edit: _converter.unstructure(self.to_text_edits([edit])[0])  # noqa: E731
            data = {"version": version, **fix_to_data(finding.fix, lsp_edit)}
        return types.Diagnostic(
            range=self.to_lsp_range(finding.span),
            message=finding.message,
            severity=SEVERITIES[finding.severity],
            code=finding.code,
            code_description=types.CodeDescription(href=rule.url),
            source="torchls",
            data=data,
        )


def diagnostic_fix(data: Any) -> tuple[str, Applicability, list[types.TextEdit], int | None] | None:
    """The fix a diagnostic carries in ``data`` (title, applicability, edits, document version)."""
    if not isinstance(data, dict) or "edits" not in data:
        return None
    try:
        title, applicability, edits = fix_from_data(data, lambda edit: _converter.structure(edit, types.TextEdit))
        return title, applicability, edits, data.get("version")
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
