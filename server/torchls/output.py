"""How ``torchls check`` prints findings: text (like ruff) or JSON (stable, for tools).

Both use 1-based lines and 1-based columns counted in Unicode code points.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from torchls.analysis.findings import Applicability, Finding, Position

FileFindings = tuple[Path, Sequence[Finding]]


def _column(position: Position) -> int:
    return position[1] + 1


def finding_to_json(path: Path, finding: Finding) -> dict[str, Any]:
    """One finding as the stable JSON object documented in the README."""
    fix = finding.fix
    return {
        "path": str(path),
        "line": finding.span.start[0],
        "column": _column(finding.span.start),
        "end_line": finding.span.end[0],
        "end_column": _column(finding.span.end),
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "message": finding.message,
        "fix": None
        if fix is None
        else {
            "title": fix.title,
            "applicability": fix.applicability.value,
            "edits": [
                {
                    "line": edit.span.start[0],
                    "column": _column(edit.span.start),
                    "end_line": edit.span.end[0],
                    "end_column": _column(edit.span.end),
                    "content": edit.content,
                }
                for edit in fix.edits
            ],
        },
    }


def format_json(results: Sequence[FileFindings]) -> str:
    """A JSON array with one object per finding."""
    return json.dumps([finding_to_json(path, f) for path, findings in results for f in findings], indent=2)


def format_text(results: Sequence[FileFindings], fixed: int = 0) -> str:
    """``path:line:col: CODE message`` lines, each with its fix, then a summary."""
    lines: list[str] = []
    total = fixable = 0
    for path, findings in results:
        for finding in findings:
            total += 1
            line, column = finding.span.start[0], _column(finding.span.start)
            lines.append(f"{path}:{line}:{column}: {finding.code} {finding.message}")
            if finding.fix is not None:
                lines.append(f"  fix ({finding.fix.applicability.value}): {finding.fix.title}")
                fixable += finding.fix.applicability == Applicability.SAFE
    lines.append(summary(total, fixable, fixed))
    return "\n".join(lines)


def summary(total: int, fixable: int, fixed: int) -> str:
    """The last line of text output."""
    parts = []
    if fixed:
        parts.append(f"Fixed {fixed} finding{'s' * (fixed != 1)}.")
    if total == 0:
        parts.append("All checks passed!" if not fixed else "No findings left.")
    else:
        parts.append(f"Found {total} finding{'s' * (total != 1)}.")
        if fixable:
            parts.append(f"{fixable} fixable with `torchls check --fix`.")
    return " ".join(parts)
