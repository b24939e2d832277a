"""Which parts of a file an edit can have changed, so that only those are analysed again.

A file is cut into units: the body of each top-level function and of each method of a top-level
class (nested functions and classes belong to the body around them). Everything else is the
skeleton: imports, module-level statements, class bodies, and every unit's header (decorators,
parameters, annotations). After an edit that leaves the skeleton as it was, the units to analyse
again are those whose body changed and, transitively, those that can see a changed unit: they use
its name or an attribute it may assign (``self.fc = ...``; the inferred type of a call or an
attribute comes from the body that defines it). Every other unit keeps its findings, moved by the
lines the edit added or removed above it.

When the skeleton uses a changed unit's names (``make = build``; a decorator), what the skeleton binds
may change too: the units using those names are analysed again. The whole file is analysed again
when the skeleton changed, or when a changed unit is reached without being named: ``forward``
(calling a module runs it), dunder methods other than ``__init__``, ``global`` and ``nonlocal``.

Names are found in the text, words in strings and comments included: more dependencies than the
code has, never fewer, and cheap enough for every keystroke on a 5,000-line file.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from parso.python.tree import Module
from parso.tree import BaseNode
from parso.utils import split_lines

from torchls.analysis.candidates import used_names
from torchls.analysis.findings import Position

# Where units are looked for: the module, and class bodies (through decorators and `async`).
_CONTAINERS = ("file_input", "classdef", "decorated", "async_stmt", "async_funcdef")
IMPLICIT = ("forward",)  # reached by calling the module, not by name
WORD = re.compile(r"[^\W\d]\w*")
# A `global` or `nonlocal` statement (or the word in a string: cheap and safe) rebinds outer names.
SCOPE_STATEMENT = re.compile(r"\b(?:global|nonlocal)\b")
# `.name` as an assignment target: `x.name =`, `x.name +=`, `x.name: T =`, `x.name, y = ...`.
# (A colon ending a line is a block's: `if x.ready:`.)
ASSIGNED_ATTRIBUTE = re.compile(
    r"\.\s*([^\W\d]\w*)\s*(?:,|:(?![ \t]*(?:#|$))|(?:[-+*/%&|^@]|//|\*\*|<<|>>)?=(?!=))", re.MULTILINE
)


@dataclass(frozen=True)
class Unit:
    """The body of one top-level function or method."""

    body: str  # the body's code, as written
    start: Position  # where the body starts (after the header's colon) and ends
    end: Position
    names: frozenset[str]  # what other code reaches it by: its name, the attributes it may assign
    used: frozenset[str]  # the words of its code
    implicit: bool  # other code may run it without naming it


@dataclass(frozen=True)
class Layout:
    """A file cut into its skeleton and its units."""

    skeleton: str
    skeleton_used: frozenset[str]  # names the skeleton reads (not those it only defines)
    skeleton_defined: frozenset[str]  # names the skeleton binds (module and class attributes, ...)
    units: tuple[Unit, ...]
    starts: tuple[Position, ...]

    def unit_at(self, position: Position) -> int | None:
        """The index of the unit holding ``position``, or None for the skeleton."""
        index = bisect_right(self.starts, position) - 1
        return index if index >= 0 and position < self.units[index].end else None


def layout(module: Module, source: str) -> Layout:
    """Cut ``source``, parsed as ``module``, into its skeleton and its units."""
    funcdefs: list[BaseNode] = []
    if not source.startswith("\ufeff"):  # parso's positions skip a BOM: keep it simple, no units
        _collect(module, funcdefs)
    line_starts = [0]
    for line in split_lines(source, keepends=True):  # parso's idea of lines, not str.splitlines'
        line_starts.append(line_starts[-1] + len(line))

    def offset(position: Position) -> int:
        return line_starts[position[0] - 1] + position[1]

    pieces: list[str] = []
    units: list[Unit] = []
    end = 0
    for index, funcdef in enumerate(funcdefs):
        body = funcdef.children[-1]
        start = offset(body.start_pos)
        pieces += [source[end:start], f"\0{index}"]
        end = offset(body.end_pos)
        header = source[offset(funcdef.start_pos) : start]  # its parameters' annotations and defaults count
        units.append(_unit(funcdef.children[1].value, header, source[start:end], body.start_pos, body.end_pos))  # type: ignore[attr-defined]
    pieces.append(source[end:])
    used: set[str] = set()
    defined: set[str] = set()
    for name, leaves in used_names(module, frozenset(unit.start for unit in units)).items():  # the skeleton's
        for leaf in leaves:
            if not leaf.is_definition():
                used.add(name)
            elif leaf.search_ancestor("import_name", "import_from", "param") is None:
                defined.add(name)  # imports and parameters do not depend on any unit
    starts = tuple(unit.start for unit in units)
    return Layout("".join(pieces), frozenset(used), frozenset(defined), tuple(units), starts)


def _collect(node: BaseNode, funcdefs: list[BaseNode]) -> None:
    for child in node.children:
        if child.type == "funcdef":
            funcdefs.append(child)  # type: ignore[arg-type]
        elif child.type in _CONTAINERS or (child.type == "suite" and node.type == "classdef"):
            _collect(child, funcdefs)  # type: ignore[arg-type]


def _unit(name: str, header: str, code: str, start: Position, end: Position) -> Unit:
    dunder = name.startswith("__") and name.endswith("__") and name != "__init__"
    return Unit(
        body=code,
        start=start,
        end=end,
        names=frozenset({name, *ASSIGNED_ATTRIBUTE.findall(code)}),
        used=frozenset(WORD.findall(header + code)),
        implicit=name in IMPLICIT or dunder or SCOPE_STATEMENT.search(code) is not None,
    )


def units_to_reuse(previous: Layout, current: Layout) -> set[int]:
    """Indices of the current units whose previous findings still hold (empty: analyse everything)."""
    if previous.skeleton != current.skeleton or len(previous.units) != len(current.units):
        return set()
    pairs = zip(previous.units, current.units, strict=True)
    changed = {index for index, (old, new) in enumerate(pairs) if old.body != new.body}
    affected = set(changed)
    names: set[str] = set()
    pending = list(changed)
    while pending:
        index = pending.pop()
        old, new = previous.units[index], current.units[index]
        unit_names = old.names | new.names
        if old.implicit or new.implicit:
            return set()
        names |= unit_names
        if unit_names & current.skeleton_used:  # `make = build`: what the skeleton binds may change
            names |= current.skeleton_defined
        for other_index, other in enumerate(current.units):
            if other_index not in affected and other.used & names:
                affected.add(other_index)
                pending.append(other_index)
    return set(range(len(current.units))) - affected
