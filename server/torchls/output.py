"""How ``torchls check`` reports findings: text (like ruff), JSON (stable, for tools), SARIF 2.1.0
(code scanning) and GitHub Actions annotations.

All use 1-based lines and 1-based columns counted in Unicode code points (SARIF says so with
``columnKind``). In a notebook, lines count within the code cell, and the cell's number is given.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from torchls import __version__
from torchls.analysis.findings import Applicability, Finding, Position, Severity, fix_to_data
from torchls.analysis.rules import RULES
from torchls.check import FileReport


def _column(position: Position) -> int:
    return position[1] + 1


def where(report: FileReport) -> str:
    """``path``, or ``path:cell N`` for a notebook cell."""
    return f"{report.path}:cell {report.cell}" if report.cell is not None else str(report.path)


def finding_to_json(report: FileReport, finding: Finding) -> dict[str, Any]:
    """One finding as the stable JSON object documented in the README (``cell`` only in notebooks)."""
    fix = finding.fix
    return {
        "path": str(report.path),
        **({"cell": report.cell} if report.cell is not None else {}),
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
        else fix_to_data(
            fix,
            lambda edit: {
                "line": edit.span.start[0],
                "column": _column(edit.span.start),
                "end_line": edit.span.end[0],
                "end_column": _column(edit.span.end),
                "content": edit.content,
            },
        ),
    }


def format_json(results: Sequence[FileReport]) -> str:
    """A JSON array with one object per finding."""
    return json.dumps([finding_to_json(report, f) for report in results for f in report.findings], indent=2)


def format_text(
    results: Sequence[FileReport],
    fixed: int = 0,
    sources: Mapping[tuple[Path, int | None], str] | None = None,
    quiet: bool = False,
    errors: int = 0,
) -> str:
    """``path:line:col: CODE message`` lines, each with its fix, then a summary unless ``quiet``.

    With ``sources`` (by path and cell), each finding also shows its source line with a caret under the member.
    ``errors``: how many errors (a file not checked, a fix not applied) went to stderr.
    """
    lines: list[str] = []
    total = fixable = 0
    for report in results:
        key = (report.path, report.cell)
        source_lines = sources[key].splitlines() if sources and key in sources else None
        for finding in report.findings:
            total += 1
            line, column = finding.span.start[0], _column(finding.span.start)
            lines.append(f"{where(report)}:{line}:{column}: {finding.code} {finding.message}")
            if source_lines is not None and line <= len(source_lines):
                lines += _snippet(source_lines[line - 1], finding, line)
            if finding.fix is not None:
                lines.append(f"  fix ({finding.fix.applicability.value}): {finding.fix.title}")
                fixable += finding.fix.applicability == Applicability.SAFE
    if not quiet:
        lines.append(summary(total, fixable, fixed, errors))
    return "\n".join(lines)


def _snippet(text: str, finding: Finding, line: int) -> list[str]:
    start = finding.span.start[1]
    end = finding.span.end[1] if finding.span.end[0] == line else len(text)
    gutter = " " * len(str(line))
    return [f"{gutter} |", f"{line} | {text}", f"{gutter} | {' ' * start}{'^' * max(end - start, 1)}"]


def format_statistics(results: Sequence[FileReport]) -> str:
    """Counts per rule, most frequent first, with how many have a safe fix."""
    counts: Counter[str] = Counter()
    fixable: Counter[str] = Counter()
    for report in results:
        for finding in report.findings:
            counts[finding.code] += 1
            fixable[finding.code] += finding.fix is not None and finding.fix.applicability == Applicability.SAFE
    return "\n".join(
        f"{count:5} {code} {RULES[code].name} ({fixable[code]} fixable)" for code, count in counts.most_common()
    )


GITHUB_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def format_github(results: Sequence[FileReport]) -> str:
    """GitHub Actions workflow commands: one annotation per finding.

    A notebook cell's lines are not lines of the ``.ipynb`` file: there the cell and line go in the title.
    """

    def data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(text: str) -> str:
        return data(text).replace(":", "%3A").replace(",", "%2C")

    lines = []
    for report in results:
        for f in report.findings:
            level = GITHUB_LEVELS.get(f.severity, "notice")
            position = [
                f"line={f.span.start[0]}",
                f"col={_column(f.span.start)}",
                f"endLine={f.span.end[0]}",
                f"endColumn={_column(f.span.end)}",
            ]
            title = f"{f.code} {f.name}"
            if report.cell is not None:
                position, title = [], f"{title} (cell {report.cell}, line {f.span.start[0]})"
            properties = ",".join([f"file={prop(report.path.as_posix())}", *position, f"title={prop(title)}"])
            lines.append(f"::{level} {properties}::{data(f.message)}")
    return "\n".join(lines)


SARIF_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def format_sarif(results: Sequence[FileReport]) -> str:
    """A SARIF 2.1.0 log with one run, the rules' metadata and a result per finding.

    In a notebook, regions count lines within the cell (its number is in the message and the result's
    properties), and fixes are left out: their regions would not be regions of the ``.ipynb`` file.
    """
    codes = list(RULES)
    rules = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.section("What it does")},
            "help": {"text": rule.doc, "markdown": rule.doc},
            "helpUri": rule.url,
        }
        for rule in RULES.values()
    ]

    def region(start: Position, end: Position) -> dict[str, int]:
        return {"startLine": start[0], "startColumn": _column(start), "endLine": end[0], "endColumn": _column(end)}

    sarif_results = []
    for report in results:
        location = {"uri": report.path.as_posix()}
        for f in report.findings:
            result: dict[str, Any] = {
                "ruleId": f.code,
                "ruleIndex": codes.index(f.code),
                "level": SARIF_LEVELS.get(f.severity, "note"),
                "message": {"text": f.message if report.cell is None else f"cell {report.cell}: {f.message}"},
                "locations": [{"physicalLocation": {"artifactLocation": location, "region": region(*_pair(f))}}],
            }
            if report.cell is not None:
                result["properties"] = {"cell": report.cell}
            elif f.fix is not None and f.fix.applicability != Applicability.DISPLAY_ONLY:
                replacements = [
                    {"deletedRegion": region(e.span.start, e.span.end), "insertedContent": {"text": e.content}}
                    for e in f.fix.edits
                ]
                result["fixes"] = [
                    {
                        "description": {"text": f"{f.fix.title} ({f.fix.applicability.value})"},
                        "artifactChanges": [{"artifactLocation": location, "replacements": replacements}],
                    }
                ]
            sarif_results.append(result)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "torchls",
                        "version": __version__,
                        "informationUri": "https://github.com/torchls/torchls",
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": sarif_results,
            }
        ],
    }
    return json.dumps(log, indent=2)


def _pair(finding: Finding) -> tuple[Position, Position]:
    return finding.span.start, finding.span.end


def summary(total: int, fixable: int, fixed: int, errors: int = 0) -> str:
    """The last line of text output."""
    parts = []
    if fixed:
        parts.append(f"Fixed {fixed} finding{'s' * (fixed != 1)}.")
    if errors:  # never "All checks passed!" when something was not checked
        parts.append(f"{errors} error{'s' * (errors != 1)} (above): not everything was checked.")
    if total == 0 and errors:
        parts.append("No findings otherwise." if not fixed else "No findings left otherwise.")
    elif total == 0:
        parts.append("All checks passed!" if not fixed else "No findings left.")
    else:
        parts.append(f"Found {total} finding{'s' * (total != 1)}.")
        if fixable:
            parts.append(f"{fixable} fixable with `torchls check --fix`.")
    return " ".join(parts)
