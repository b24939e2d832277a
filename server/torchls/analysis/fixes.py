"""Apply fixes to source text: non-overlapping, all edits of a fix or none (as ruff isolates fixes)."""

from __future__ import annotations

from collections.abc import Iterable

from parso.grammar import load_grammar
from parso.utils import split_lines

from torchls.analysis.findings import Applicability, Edit, Finding, Position


def offsets(source: str) -> list[int]:
    """String offset at which each line (1-based, so index line - 1) starts, as parso splits lines."""
    starts = [0]
    for line in split_lines(source, keepends=True)[:-1]:
        starts.append(starts[-1] + len(line))
    return starts


def to_offset(line_starts: list[int], position: Position) -> int:
    """String offset of a (1-based line, code-point column) position."""
    line, column = position
    return line_starts[line - 1] + column


def apply_edits(source: str, edits: Iterable[Edit]) -> str:
    """``source`` with the (non-overlapping) edits applied."""
    starts = offsets(source)
    ordered = sorted(edits, key=lambda e: (e.span.start, e.span.end), reverse=True)
    text = source
    for edit in ordered:
        begin, end = to_offset(starts, edit.span.start), to_offset(starts, edit.span.end)
        text = text[:begin] + edit.content + text[end:]
    return text


def applicable(
    findings: Iterable[Finding], allowed: frozenset[Applicability] = frozenset({Applicability.SAFE})
) -> list[Edit]:
    """The edits of every fix with an allowed applicability that does not overlap an earlier one."""
    accepted: list[Edit] = []
    for finding in findings:
        fix = finding.fix
        if fix is None or fix.applicability not in allowed or not fix.edits:
            continue
        if any(_overlaps(edit, other) for edit in fix.edits for other in accepted):
            continue
        accepted.extend(fix.edits)
    return accepted


def _overlaps(a: Edit, b: Edit) -> bool:
    if a.span.start == a.span.end == b.span.start == b.span.end:
        return True  # two insertions at one point: their order would be arbitrary
    return a.span.start < b.span.end and b.span.start < a.span.end


def syntax_error_count(source: str) -> int:
    """How many syntax errors parso finds; a fix must not add any."""
    grammar = load_grammar()
    return len(list(grammar.iter_errors(grammar.parse(source))))
