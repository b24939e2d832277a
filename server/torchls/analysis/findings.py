"""What the analysis reports: findings, their fixes and positions.

Positions are ``(line, column)`` with 1-based lines and 0-based columns counted in Unicode
code points, as parso and jedi count them. Only ``lsp/convert.py`` and the CLI's output
turn them into other units.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

Position = tuple[int, int]


class Severity(str, Enum):
    """How bad a finding is: ``error`` where the code raises, ``warning`` where it silently misbehaves."""

    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"
    HINT = "hint"


class Applicability(str, Enum):
    """Whether a fix may be applied without asking (as in ruff).

    ``safe`` fixes do what the code evidently meant and are applied by ``--fix`` and fix-all;
    ``unsafe`` fixes change behaviour in a way the user should review; ``display-only`` fixes are
    suggestions shown to the user and never applied automatically.
    """

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


@dataclass(frozen=True)
class Span:
    """A range of source text, end exclusive."""

    start: Position
    end: Position

    def moved(self, lines: int) -> Span:
        """The same span ``lines`` lines further down (up when negative)."""
        return Span((self.start[0] + lines, self.start[1]), (self.end[0] + lines, self.end[1]))


@dataclass(frozen=True)
class Edit:
    """Replace the text in ``span`` by ``content``."""

    span: Span
    content: str


@dataclass(frozen=True)
class Fix:
    """A set of edits that fixes one finding."""

    title: str
    applicability: Applicability
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Finding:
    """One problem in the source, pointing at the member name (``parameters`` in ``model.parameters``)."""

    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    fix: Fix | None = None

    def moved(self, lines: int) -> Finding:
        """The same finding ``lines`` lines further down (its code moved by an edit above it)."""
        if not lines:
            return self
        fix = self.fix
        if fix is not None:
            fix = replace(fix, edits=tuple(replace(edit, span=edit.span.moved(lines)) for edit in fix.edits))
        return replace(self, span=self.span.moved(lines), fix=fix)
