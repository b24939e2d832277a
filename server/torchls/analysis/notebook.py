"""Jupyter notebooks: code cells joined into one Python source, and findings mapped back to cells.

Cells are analysed together, as the kernel runs them: a model built in one cell is known in the
next. IPython syntax (``%magic``, ``!shell``, ``%%cell magic``, ``obj?``) is not Python; such lines
become ``pass`` (same indentation, same line count) so that positions stay put. A cell magic's
body is not Python either, except for the magics that run their body as Python in the kernel's
namespace (``%%time``...): there only the magic's line is masked.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import parso

from torchls.analysis.findings import Edit, Finding, Position, Span
from torchls.analysis.rules import missing_call

# `%magic`, `!shell`, `?name`, `name?`, `name??`
_IPYTHON_LINE = re.compile(r"^(\s*)([%!?]|[\w.]+\?\??\s*$)")
# Cell magics whose body is Python run in the notebook's namespace (what it defines stays defined).
_PYTHON_CELL_MAGICS = frozenset({"time", "capture", "prun"})  # not %%timeit: its body runs in a function


@dataclass(frozen=True)
class Cell:
    """One code cell: its number in the notebook (1-based, all cells counted) and its text."""

    number: int
    text: str
    first_line: int  # where the cell starts in the joined source (1-based)
    line_count: int


@dataclass(frozen=True)
class JoinedCells:
    """The code cells of a notebook as one Python source."""

    text: str
    cells: tuple[Cell, ...]

    def cell(self, number: int) -> Cell | None:
        """The cell with this number, if it is a code cell of the notebook."""
        return next((cell for cell in self.cells if cell.number == number), None)

    def to_joined(self, cell: Cell, position: Position) -> Position:
        """A position in ``cell`` as a position in the joined source."""
        return position[0] + cell.first_line - 1, position[1]

    def findings_by_cell(self, findings: list[Finding]) -> dict[int, list[Finding]]:
        """Findings of the joined source, per cell number, in cell coordinates.

        An uncalled method alone on a cell's last line is displayed by Jupyter, not discarded: its
        message says so.
        """
        result: dict[int, list[Finding]] = {cell.number: [] for cell in self.cells}
        displayed: dict[int, Position | None] = {}  # per cell, parsed once
        for finding in findings:
            line = finding.span.start[0]
            cell = next((c for c in self.cells if c.first_line <= line < c.first_line + c.line_count), None)
            if cell is None:
                continue
            moved = _moved(finding, 1 - cell.first_line)
            if cell.number not in displayed:
                displayed[cell.number] = _displayed_end(cell.text)
            if displayed[cell.number] == moved.span.end:
                moved = missing_call.as_displayed(moved)
            result[cell.number].append(moved)
        return result


def join_cells(cells: list[tuple[int, str]]) -> JoinedCells:
    """Join ``(number, source)`` code cells; each cell starts on a new line."""
    parts: list[str] = []
    joined: list[Cell] = []
    line = 1
    for number, text in cells:
        python = _without_ipython_syntax(text)
        if not python.endswith("\n"):
            python += "\n"
        count = python.count("\n")
        joined.append(Cell(number, text, line, count))
        parts.append(python)
        line += count
    return JoinedCells("".join(parts), tuple(joined))


def _without_ipython_syntax(text: str) -> str:
    lines = text.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):  # a cell magic: the whole cell is not Python...
        name = lines[0].lstrip()[2:].split(maxsplit=1)
        if not name or name[0] not in _PYTHON_CELL_MAGICS:
            return "\n".join("" for _ in lines)
        lines = ["pass", *lines[1:]]  # ...unless its body runs as Python
    masked = []
    for line in lines:
        match = _IPYTHON_LINE.match(line)
        masked.append(match.group(1) + "pass" if match else line)
    return "\n".join(masked)


def _moved(finding: Finding, lines: int) -> Finding:
    def span(s: Span) -> Span:
        return Span((s.start[0] + lines, s.start[1]), (s.end[0] + lines, s.end[1]))

    fix = finding.fix
    if fix is not None:
        fix = dataclasses.replace(fix, edits=tuple(Edit(span(e.span), e.content) for e in fix.edits))
    return dataclasses.replace(finding, span=span(finding.span), fix=fix)


def _displayed_end(cell_text: str) -> Position | None:
    """Where the value Jupyter displays ends: the cell's last statement, if it is a bare expression."""
    module = parso.parse(_without_ipython_syntax(cell_text).rstrip("\n") + "\n")  # a last line is a statement
    statements = [child for child in module.children if child.type != "endmarker"]
    if not statements or statements[-1].type != "simple_stmt":
        return None
    parts = statements[-1].children
    if len(parts) != 2 or parts[1].type != "newline":  # `a; b` or a trailing `;` hides the value
        return None
    expression = parts[0]  # an assignment, `del`, `assert`... is an *_stmt: nothing is displayed
    return None if expression.type.endswith("_stmt") else expression.end_pos
