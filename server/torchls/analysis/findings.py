"""What the analysis reports: findings, their fixes and positions.

Positions are ``(line, column)`` with 1-based lines and 0-based columns counted in Unicode
code points, as parso and jedi count them. Only ``lsp/convert.py`` and the CLI's output
turn them into other units.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from enum import Enum
from typing import Any, TypeVar

Position = tuple[int, int]
E = TypeVar("E")


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
class Facts:
    """What a finding states, as data: its message is rendered from these, and the notebook's
    variant and the truth tests (which run the code under torch) read them, not the wording.
    """

    usage: str = ""  # how the code uses the member: a ``usage.UsageKind`` value, or "call" (TL002)
    subject: str = ""  # the expression as written: `model.parameters`
    raises: str = ""  # the exception the code raises ("TypeError"); "" where it misbehaves silently
    error_texts: tuple[str, ...] = ()  # what that exception says (any one of these), where the message quotes it
    effect: str = ""  # for a bare statement: what it fails to do (", so the gradients are not reset ...")
    callee: str = "method"  # what is not called: "method" or "function"
    needs_arguments: bool = False  # `()` alone would raise too: so no automatic fix
    note: str = ""  # how the receiver is known, where no annotation says it


@dataclass(frozen=True)
class Finding:
    """One problem in the source, pointing at the member name (``parameters`` in ``model.parameters``)."""

    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    fix: Fix | None = None
    facts: Facts = Facts()

    def noted(self, note: str) -> Finding:
        """The finding, its message ending with ``note`` (how the receiver is known)."""
        return replace(self, message=f"{self.message} {note}", facts=replace(self.facts, note=note))

    def moved(self, lines: int) -> Finding:
        """The same finding ``lines`` lines further down (its code moved by an edit above it)."""
        if not lines:
            return self
        fix = self.fix
        if fix is not None:
            fix = replace(fix, edits=tuple(replace(edit, span=edit.span.moved(lines)) for edit in fix.edits))
        return replace(self, span=self.span.moved(lines), fix=fix)


# A fix as plain data: the one shape of the CLI's JSON, the results cache and an LSP diagnostic's
# ``data``. Each writes an edit in its own units (1-based columns, code points, LSP text edits).


def fix_to_data(fix: Fix, edit_to_data: Callable[[Edit], Any]) -> dict[str, Any]:
    """``fix`` as plain data, each edit written by ``edit_to_data``."""
    return {
        "title": fix.title,
        "applicability": fix.applicability.value,
        "edits": [edit_to_data(edit) for edit in fix.edits],
    }


def fix_from_data(data: dict[str, Any], edit_from_data: Callable[[Any], E]) -> tuple[str, Applicability, list[E]]:
    """Title, applicability and edits of a fix written by :func:`fix_to_data` (KeyError, ValueError if not one)."""
    return str(data["title"]), Applicability(data["applicability"]), [edit_from_data(e) for e in data["edits"]]


def finding_to_data(finding: Finding) -> dict[str, Any]:
    """``finding`` as plain data, positions as parso counts them (read back by :func:`finding_from_data`)."""
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "message": finding.message,
        "span": [finding.span.start, finding.span.end],
        "fix": None
        if finding.fix is None
        else fix_to_data(finding.fix, lambda e: [[e.span.start, e.span.end], e.content]),
        "facts": asdict(finding.facts),
    }


def finding_from_data(data: dict[str, Any]) -> Finding:
    """The finding :func:`finding_to_data` wrote."""

    def span(raw: list[list[int]]) -> Span:
        return Span((raw[0][0], raw[0][1]), (raw[1][0], raw[1][1]))

    fix = None
    if data["fix"] is not None:
        title, applicability, edits = fix_from_data(data["fix"], lambda raw: Edit(span(raw[0]), raw[1]))
        fix = Fix(title, applicability, tuple(edits))
    facts = Facts(**{**data["facts"], "error_texts": tuple(data["facts"]["error_texts"])})
    severity = Severity(data["severity"])
    return Finding(data["code"], data["name"], severity, data["message"], span(data["span"]), fix, facts)
