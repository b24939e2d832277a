"""Which parts of a file an edit can have changed, so that only those are analysed again.

A file is cut into units: each top-level statement, each function (decorators and header included),
and each statement and method of a top-level class (nested functions and classes belong to the
unit around them). The skeleton is what is left: class headers and decorators.

Each unit is cut into statements (a compound statement's header is one, its body's statements are
others), and each unit says what it *exports*: the names other code may see change when it changes.
A function exports its own name (its return type: the return and yield statements, its docstring,
its header; only its header when jedi infers its return annotation) and every attribute it may
assign (``self.fc = ...``); a module- or class-level statement exports every name it binds (an
import reads none); anything exports the list or set it adds to (``xs.append``: jedi reads those),
unless it is a function's own local. An export's *slice* is the statements it rests on: its seeds,
the statements binding what those read (and every enclosing ``if``/``for``/``with``/``try`` header,
which narrows types), transitively. An edit that leaves an
export's slice as it was leaves that export as it was.

After an edit, units are matched with the previous ones by their tokens (comments and whitespace
outside strings do not count). The units to analyse again are the changed ones and, transitively,
those that read (as a word) a name whose export changed (``reads_changed``), and the functions that
any of those calls with a parameter nothing annotates (``called_from``: call sites type it; what
changed for such a function is the parameters a call passes something changed to, by position or
keyword), and those that name a receiver whose uses changed where evidence from use reads them
(``self.model`` in a class, a module-level name in the file). A method that reads a name only as
``self.name`` does not depend on changes made by methods of classes unrelated to its own (no base
or subclass of it among the file's classes). Every other unit keeps its findings, moved with its
tokens; inside a unit analysed again, so do the statements whose slice neither the edit nor what
changed for the unit reached (``_statements_kept``).

A class changes as a whole when its header (bases, decorators) changed, was added or removed, or
reads a changed name, or when a method other code reaches without naming it changed (``forward``:
calling an instance runs it; dunder methods other than ``__init__``): then its units are analysed
again, and its name counts as changed. The whole file is analysed again for what is reached unseen
at module level: ``global`` and ``nonlocal``, ``import *``, a module-level dunder or ``forward``.

Names are words of the code, words in strings included: more dependencies than the code has,
never fewer. Units whose text did not change reuse their previous cut (``UnitInfo``): a keystroke
costs a walk of the edited unit only.
"""

from __future__ import annotations

import keyword
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cached_property
from typing import NamedTuple

from parso.python.tree import Module
from parso.tree import BaseNode, Leaf, NodeOrLeaf
from parso.utils import split_lines

from torchls.analysis.findings import Position

BOUND = "="  # the detail of an evidence entry that counts a name's bindings
IMPLICIT = ("forward",)  # reached by calling the module, not by name
WORD = re.compile(r"[^\W\d]\w*")
KEYWORDS = frozenset(keyword.kwlist) - {"None", "True", "False"}
# A `global` or `nonlocal` statement (or the word in a string: cheap and safe) rebinds outer names.
SCOPE_STATEMENT = re.compile(r"\b(?:global|nonlocal)\b|\bimport\s*\*")
# In broken code, `.name` as an assignment target: `x.name =`, `x.name +=`, `x.name: T =`,
# `x.name, y = ...`. (A colon ending a line is a block's: `if x.ready:`.)
ASSIGNED_ATTRIBUTE = re.compile(
    r"\.\s*([^\W\d]\w*)\s*(?:,|:(?![ \t]*(?:#|$))|(?:[-+*/%&|^@]|//|\*\*|<<|>>)?=(?!=))", re.MULTILINE
)
# jedi adds what `xs.append(v)` (extend, insert; add, update for sets) puts into the list `xs`.
TYPE_COMMENT = re.compile(r"#\s*type:[^\r\n]*")
# The captured dot says the mutated object is an attribute (`self.xs.append`), not a name.
MUTATION = re.compile(r"(\.\s*)?([^\W\d]\w*)\s*\.\s*(?:append|extend|insert|add|update)\s*\(")
# Statement-bearing compound statements: their header is a statement, their bodies hold more.
_COMPOUND = ("if_stmt", "for_stmt", "while_stmt", "try_stmt", "with_stmt")
# Statements that narrow or unbind names: they count as binding every name they read.
_FLOW = ("assert_stmt", "del_stmt")
_TEXT = ("string", "fstring_string")
_SCOPES = ("sync_comp_for", "comp_for", "lambdef", "funcdef", "classdef", "error_node")


@dataclass(frozen=True)
class Export:
    """What one exported name rests on inside its unit."""

    key: str  # the slice's statements, tokens only: equal keys, equal export
    reads: frozenset[str]  # the words the slice reads (outer names among them)


class Call(NamedTuple):
    """A call of a name in a statement, ``name(...)`` or ``receiver.name(...)``: the words of its parts."""

    name: str
    method: bool  # `receiver.name(...)`: a method's first parameter is the receiver
    receiver: frozenset[str]  # the words before the name: when one changed, another method may be called
    bare: str  # the receiver when it is one name (`Runner.fit(...)`: called on a class, unbound), else ""
    positional: tuple[frozenset[str], ...]
    keywords: tuple[tuple[str, frozenset[str]], ...]
    spread: bool  # a `*args` or `**kwargs` argument: any parameter may take it


class StatementInfo(NamedTuple):
    """One statement of a unit (a compound statement's header is one), as the dependency rule sees it."""

    tokens: str
    words: frozenset[str]
    binds: frozenset[str]  # what it defines, and all it reads when it narrows
    ancestors: tuple[int, ...]  # the enclosing compound statements' headers (indices in the unit)
    start: Position  # relative to the unit's start, as `UnitInfo.boundaries`
    end: Position
    scope: bool  # a nested function or class: its parameters are typed where it is called
    calls: tuple[Call, ...]  # the calls of names in it (none in broken code: `loose` has all its words)
    loose: frozenset[str]  # the words it reads otherwise than as a called name (`map(f, xs)`: `map` is not)


@dataclass(frozen=True)
class UnitInfo:
    """Everything about a unit that depends only on its text (shared by units of equal text)."""

    tokens: str  # its code without comments and whitespace (structure kept): what a match compares
    boundaries: tuple[int, ...]  # leaf starts and ends, flat (line, column) pairs relative to the unit
    words: frozenset[str]  # every word of its code
    defines: frozenset[str]  # every name it binds
    shadows: frozenset[str]  # module-level names it binds for sure (a function: its name)
    exports: dict[str, Export]
    statements: tuple[StatementInfo, ...]
    scoped: bool  # `global`, `nonlocal` or `import *`: it changes names other code reads unseen
    typed_by_callers: bool  # a function with a parameter nothing annotates: its calls say its type
    parameters: tuple[str, ...]  # a function's, in order (`self` too); empty when one is `*args` or `**kwargs`
    annotated: bool  # a function with a return annotation and no `yield`: jedi may read only its header
    own_attributes: frozenset[str]  # words a method reads only as `self.word`: its own class's attributes
    evidence: frozenset[tuple[str, str, int]]  # what evidence from use reads here: see `_evidence`


@dataclass(frozen=True)
class Unit:
    """One top-level statement, function, or statement or method of a top-level class."""

    start: Position
    end: Position
    text: str  # the source, as written
    container: str  # the class it is in ("" at module level)
    name: str  # a function's name ("" for a statement)
    info: UnitInfo

    @property
    def key(self) -> str:
        """What must be equal for a unit to keep its findings."""
        return f"{self.container}\0{self.info.tokens}"

    @property
    def implicit(self) -> bool:
        """Other code may run it without naming it."""
        dunder = self.name.startswith("__") and self.name.endswith("__") and self.name != "__init__"
        return self.name in IMPLICIT or dunder


@dataclass(frozen=True)
class ClassHeader:
    """A class's decorators and header, tokens only: a part of the skeleton."""

    container: str  # its members' container (``.Outer.Name``)
    tokens: str
    words: frozenset[str]

    @property
    def key(self) -> str:
        """What must be equal for the class to count as unchanged."""
        return f"{self.container}\0{self.tokens}"


@dataclass(frozen=True)
class Layout:
    """A file cut into its skeleton and its units."""

    skeleton: tuple[ClassHeader, ...]  # in the file's order
    units: tuple[Unit, ...]
    starts: tuple[Position, ...]
    classes: dict[str, str]  # class name -> container name of its methods (for `__init__`)
    keys: list[str]  # each unit's key

    @cached_property
    def bindings(self) -> Counter[str]:
        """How often the file binds each name (evidence from use gives up on a name bound twice)."""
        found: Counter[str] = Counter()
        for unit in self.units:
            for name, detail, count in unit.info.evidence:
                if detail == BOUND:
                    found[name] += count
        return found

    @cached_property
    def uses(self) -> dict[tuple[str, str], dict[str, int]]:
        """Per (scope, evidence key): how often each use evidence from use reads is there, once or
        more (a candidate's own use is left out of its evidence). The scope is a class's container
        for ``.attribute`` keys, "" (the file) for names.
        """
        found: dict[tuple[str, str], dict[str, int]] = {}
        for unit in self.units:
            for key, detail, count in unit.info.evidence:
                if detail != BOUND:
                    counts = found.setdefault((_evidence_scope(unit, key), key), {})
                    counts[detail] = min(counts.get(detail, 0) + count, 2)
        return found

    def unit_at(self, position: Position) -> int | None:
        """The index of the unit holding ``position``, or None for the skeleton."""
        index = bisect_right(self.starts, position) - 1
        return index if index >= 0 and position < self.units[index].end else None


def layout(module: Module, source: str, previous: Layout | None = None) -> Layout:
    """Cut ``source``, parsed as ``module``, into its skeleton and its units.

    Units whose text is that of a unit of ``previous`` reuse its cut.
    """
    known = {unit.text: unit.info for unit in previous.units} if previous is not None else {}
    found: list[tuple[NodeOrLeaf, str, str]] = []  # node, container, function name
    skeleton: list[ClassHeader] = []
    classes: dict[str, str] = {}
    if not source.startswith("\ufeff"):  # parso's positions skip a BOM: keep it simple, no units
        _collect(module, "", found, skeleton, classes)
    line_starts = [0]
    for line in split_lines(source, keepends=True):  # parso's idea of lines, not str.splitlines'
        line_starts.append(line_starts[-1] + len(line))

    def offset(position: Position) -> int:
        return line_starts[position[0] - 1] + position[1]

    units = []
    for node, container, name in found:
        start, end = node.start_pos, node.end_pos
        text = source[offset(start) : offset(end)]
        info = known.get(text)
        if info is None:
            info = _info(node, name)
        units.append(Unit(start, end, text, container, name, info))
    starts = tuple(unit.start for unit in units)
    keys = [unit.key for unit in units]
    return Layout(tuple(skeleton), tuple(units), starts, classes, keys)


def _header(node: NodeOrLeaf) -> tuple[list[NodeOrLeaf], BaseNode]:
    """A definition's decorators, keywords, name, parameters and annotations, and its funcdef or classdef."""
    header: list[NodeOrLeaf] = []
    while node.type not in ("funcdef", "classdef"):
        header += node.children[:-1]  # type: ignore[attr-defined]
        node = node.children[-1]  # type: ignore[attr-defined]
    return header + node.children[:-1], node  # type: ignore[attr-defined, return-value]


def _collect(
    node: BaseNode,
    container: str,
    found: list[tuple[NodeOrLeaf, str, str]],
    skeleton: list[ClassHeader],
    classes: dict[str, str],
) -> None:
    """The units among ``node``'s children; class headers go to the skeleton, class bodies are searched."""
    for child in node.children:
        definition = child.children[-1] if child.type in ("decorated", "async_stmt", "async_funcdef") else child  # type: ignore[attr-defined]
        if definition.type == "async_funcdef":
            definition = definition.children[-1]  # type: ignore[attr-defined]
        if definition.type == "classdef":
            name = definition.children[1].value  # type: ignore[attr-defined]
            inner = f"{container}.{name}"
            classes.setdefault(name, inner)
            tokens = " ".join(_tokens(_header(child)[0]))
            skeleton.append(ClassHeader(inner, tokens, frozenset(WORD.findall(tokens))))
            suite = definition.children[-1]  # type: ignore[attr-defined]
            if suite.type == "suite":
                _collect(suite, inner, found, skeleton, classes)
            else:  # `class A: pass`
                found.append((suite, inner, ""))
        elif definition.type == "funcdef":
            found.append((child, container, definition.children[1].value))  # type: ignore[attr-defined]
        elif child.type not in ("newline", "endmarker") and not (child.type == "error_leaf" and not child.value):  # type: ignore[attr-defined]
            found.append((child, container, ""))


# Cutting one unit ------------------------------------------------------------------------


@dataclass
class _Statement:
    tokens: str
    words: frozenset[str]
    defines: frozenset[str]  # names it really binds
    binds: frozenset[str]  # for slices: what it defines, and all it reads when it narrows (flow)
    ancestors: tuple[int, ...]  # the enclosing compound statements' headers
    seeds: frozenset[str]  # the exports it is a seed of
    shadows: frozenset[str]  # module-level names it binds for sure (jedi looks no further back)
    mutated: frozenset[str]  # the names whose list or set it adds to (`xs.append(v)`)
    start: Position
    end: Position
    scope: bool  # a nested function or class definition
    calls: tuple[Call, ...]
    loose: frozenset[str]


def _info(node: NodeOrLeaf, name: str) -> UnitInfo:
    leaves = list(_leaves(node))
    first_line, first_column = node.start_pos

    def relative(position: Position) -> Position:
        line, column = position
        return line - first_line, column - first_column if line == first_line else column

    boundaries: list[int] = []
    for leaf in leaves:
        for position in (leaf.start_pos, leaf.end_pos):
            boundaries += relative(position)
    statements: list[_Statement] = []
    local: frozenset[str] = frozenset()
    typed_by_callers = annotated = False
    first_parameter = ""
    ordered: tuple[str, ...] = ()
    if name:
        header, definition = _header(node)
        local = _local_names(definition)
        parameters = definition.get_params()  # type: ignore[attr-defined]
        first_parameter = parameters[0].name.value if parameters else ""
        if not any(parameter.star_count for parameter in parameters):
            ordered = tuple(parameter.name.value for parameter in parameters)
        annotated = definition.annotation is not None and not definition.is_generator()  # type: ignore[attr-defined]
        if parameters and parameters[0].name.value in ("self", "cls"):
            parameters = parameters[1:]  # jedi knows them
        typed_by_callers = any(parameter.annotation is None for parameter in parameters)
        # The header: decorators, parameters, annotations. It binds the parameters.
        statements.append(_statement(header, (), flow=False, seeds=frozenset({name}), function=name))
        body = definition.children[-1]  # type: ignore[attr-defined]
        _statements(body, (), statements, name)
        first = body.children[1] if body.type == "suite" and len(body.children) > 1 else body  # type: ignore[attr-defined]
        if len(statements) > 1 and first.get_first_leaf().type in ("string", "fstring_start"):  # type: ignore[attr-defined]
            statements[1].seeds = statements[1].seeds | {name}  # jedi reads types from docstrings
    else:
        _statements(node, (), statements, "")
    # Adding to a function's own local list is seen by no other code; to any other, by all of it.
    for statement in statements:
        statement.seeds = statement.seeds | (statement.mutated - local)
    binders: dict[str, list[int]] = {}
    for index, statement in enumerate(statements):
        for bound in statement.binds:
            binders.setdefault(bound, []).append(index)
    exports = {export: _export(statements, binders, export) for s in statements for export in s.seeds}
    tokens = "\n".join(s.tokens for s in statements)
    return UnitInfo(
        tokens=tokens,
        boundaries=tuple(boundaries),
        words=frozenset().union(*(s.words for s in statements)),
        defines=frozenset().union(*(s.defines for s in statements)),
        shadows=frozenset({name}) if name else frozenset().union(*(s.shadows for s in statements)),
        exports=exports,
        statements=tuple(
            StatementInfo(
                s.tokens, s.words, s.binds, s.ancestors, relative(s.start), relative(s.end), s.scope, s.calls, s.loose
            )
            for s in statements
        ),
        scoped=SCOPE_STATEMENT.search(tokens) is not None,
        typed_by_callers=typed_by_callers,
        parameters=ordered,
        annotated=annotated,
        own_attributes=_own_attributes(leaves, first_parameter) if name else frozenset(),
        evidence=_evidence(leaves, first_parameter),
    )


def _own_attributes(leaves: list[Leaf], first_parameter: str) -> frozenset[str]:
    """The words a method reads only as ``self.word`` (``self``: its first parameter), nowhere else."""
    through_self: set[str] = set()
    elsewhere: set[str] = set()
    for leaf in leaves:
        if leaf.type in _TEXT:
            elsewhere.update(WORD.findall(leaf.value))  # type: ignore[attr-defined]
        if leaf.type != "name":
            continue
        trailer = leaf.parent
        if trailer is not None and trailer.type == "trailer" and trailer.children[0] == ".":
            before = trailer.get_previous_sibling()
            if before is not None and before.type == "name" and before.value == first_parameter:  # type: ignore[union-attr]
                through_self.add(leaf.value)  # type: ignore[attr-defined]
                continue
        elsewhere.add(leaf.value)  # type: ignore[attr-defined]
    return frozenset(through_self - elsewhere)


def _evidence_scope(unit: Unit, key: str) -> str:
    return unit.container if key.startswith(".") else ""


def _evidence(leaves: list[Leaf], first_parameter: str) -> frozenset[tuple[str, str, int]]:
    """What evidence from use (evidence.py) reads in a unit: (key, use, how often, up to 2).

    A method's ``self.model.train()`` is read for every ``self.model`` of its class: key ``.model``.
    Module-level code's ``model`` is judged by every ``model.member`` use in the file, and by how
    often the file binds ``model`` (use ``BOUND``, not capped): key ``model``. (In a function, a plain
    name's uses are its own.) A use seen twice stays evidence for either of them (each leaves its
    own use out): more than twice says no more.
    """
    uses: Counter[tuple[str, str]] = Counter()
    for leaf in leaves:
        expression = leaf.parent
        if leaf.type != "name" or expression is None:
            continue
        if leaf.is_definition():  # type: ignore[attr-defined]
            uses[leaf.value, BOUND] += 1  # type: ignore[attr-defined]
        if expression.type not in ("atom_expr", "power") or expression.children[0] is not leaf:
            continue
        children = expression.children
        receiver = [leaf.value]  # type: ignore[attr-defined]
        for position in (1, 2):
            trailer = children[position] if len(children) > position else None
            if trailer is None or trailer.type != "trailer" or trailer.children[0] != ".":  # type: ignore[attr-defined]
                break
            following = children[position + 1] if len(children) > position + 1 else None
            called = following is not None and following.type == "trailer" and following.children[0] == "("  # type: ignore[attr-defined]
            member = trailer.children[1].value  # type: ignore[attr-defined]
            use = ".".join([*receiver, member]) + ("()" if called else "")
            if position == 1:
                uses[receiver[0], use] += 1
            elif receiver[0] == first_parameter:
                uses[f".{receiver[1]}", use] += 1
            receiver.append(member)
    return frozenset((key, use, count if use == BOUND else min(count, 2)) for (key, use), count in uses.items())


def _statements(
    node: NodeOrLeaf, ancestors: tuple[int, ...], out: list[_Statement], function: str, plain: bool = True
) -> None:
    """Cut ``node`` (a suite, a statement) into statements, appended to ``out``.

    ``plain``: only ``for`` and ``with`` blocks around it (jedi takes what is bound there as bound).
    """
    if node.type == "suite":
        for child in node.children:  # type: ignore[attr-defined]
            if child.type != "newline":
                _statements(child, ancestors, out, function, plain)
        return
    if node.type == "async_stmt" and node.children[-1].type in _COMPOUND:  # type: ignore[attr-defined]
        node = node.children[-1]  # type: ignore[attr-defined]
        # (the `async` keyword is not kept: `async for` and `for` bind alike)
    if node.type in _COMPOUND:
        bodies = [c for c in node.children if c.type in ("suite", "simple_stmt")]  # type: ignore[attr-defined]
        header = [c for c in node.children if c.type not in ("suite", "simple_stmt")]  # type: ignore[attr-defined]
        plain = plain and node.type in ("for_stmt", "with_stmt")
        out.append(_statement(header, ancestors, True, frozenset(), function, len(ancestors), plain))
        inner = (*ancestors, len(out) - 1)
        for body in bodies:
            _statements(body, inner, out, function, plain)
        return
    flow = node.type in _FLOW or (node.type == "simple_stmt" and node.children[0].type in _FLOW)  # type: ignore[attr-defined]
    out.append(_statement([node], ancestors, flow, frozenset(), function, len(ancestors), plain))


def _statement(
    nodes: list[NodeOrLeaf],
    ancestors: tuple[int, ...],
    flow: bool,
    seeds: frozenset[str],
    function: str,
    depth: int = 0,
    plain: bool = False,
) -> _Statement:
    tokens = " ".join(_tokens(nodes))
    leaves = [leaf for node in nodes for leaf in _leaves(node)]
    definitions = [leaf for leaf in leaves if leaf.type == "name" and leaf.is_definition()]  # type: ignore[attr-defined]
    # What it reads: its names that are not bound here, and the words of its strings and type comments.
    bound_here = {id(leaf) for leaf in definitions}
    words = frozenset(leaf.value for leaf in leaves if leaf.type == "name" and id(leaf) not in bound_here)  # type: ignore[attr-defined]
    words |= frozenset(WORD.findall(" ".join(leaf.value for leaf in leaves if leaf.type in _TEXT)))  # type: ignore[attr-defined]
    words |= frozenset(WORD.findall(" ".join(TYPE_COMMENT.findall(tokens)))) - KEYWORDS
    returns = any(leaf.type == "keyword" and leaf.value in ("return", "yield") for leaf in leaves)  # type: ignore[attr-defined]
    code = "".join(node.get_code(include_prefix=False) for node in nodes)
    defines = frozenset(leaf.value for leaf in definitions)  # type: ignore[attr-defined]
    # `x.name = ...` (parso's definitions, which jedi reads for attributes); broken code: any `.name =`.
    attributes = {leaf.value for leaf in definitions if leaf.parent is not None and leaf.parent.type == "trailer"}  # type: ignore[attr-defined]
    imports = [node.children[0] if node.type == "simple_stmt" else node for node in nodes]  # type: ignore[attr-defined]
    imports = [node for node in imports if node.type in ("import_name", "import_from")]
    if imports:
        defines = frozenset(WORD.findall(tokens)) - KEYWORDS  # `import a.b` binds `a`: every word, simply
        # An import reads no name of this file, except `from . import x`, which a package's own `x` answers.
        from_package = any(node.type == "import_from" and not node.get_from_names() for node in imports)  # type: ignore[union-attr]
        words = defines if from_package else frozenset()
    broken = any(node.type in ("error_node", "error_leaf") for node in nodes)
    if broken:
        # Broken code narrows nothing (jedi narrows in `if`, `while` and `assert` nodes, which a broken
        # line is not) and binds what parso calls definitions, and `x =` (as it may read it).
        defines |= {leaf.value for leaf in leaves if _assigned_in_error(leaf)}  # type: ignore[attr-defined]
        attributes |= set(ASSIGNED_ATTRIBUTE.findall(code))
    exported = set(seeds)
    if not function:
        exported |= defines  # a module or class attribute
    elif returns:
        exported.add(function)
    exported |= attributes
    mutations = MUTATION.findall(code)
    exported |= {name for dot, name in mutations if dot}  # an attribute's list (a name's: unless local)
    mutated = frozenset(name for _, name in mutations)
    calls = () if broken else _calls(leaves)
    named = Counter(leaf.value for leaf in leaves if leaf.type == "name")  # type: ignore[attr-defined]
    loose = words - {word for word, count in Counter(call.name for call in calls).items() if named[word] == count}
    return _Statement(
        tokens=f"{depth} {tokens}",
        shadows=_bound_for_sure(nodes) if plain and not function else frozenset(),
        words=words,
        defines=defines,
        binds=defines | words if flow else defines,
        ancestors=ancestors,
        seeds=frozenset(exported),
        mutated=mutated,
        start=nodes[0].start_pos,
        end=nodes[-1].end_pos,
        scope=any(
            _first_type(node) in ("funcdef", "classdef", "decorated", "async_stmt", "async_funcdef") for node in nodes
        ),
        calls=calls,
        loose=loose,
    )


def _calls(leaves: list[Leaf]) -> tuple[Call, ...]:
    """The calls of a name among ``leaves``: ``f(...)``, ``x.f(...)`` (not ``f(...)(...)``, ``x[0](...)``)."""
    found: list[Call] = []
    for leaf in leaves:
        if leaf.type != "operator" or leaf.value != "(" or leaf.parent is None or leaf.parent.type != "trailer":
            continue
        trailer = leaf.parent
        before = trailer.get_previous_sibling()
        if before is None:
            continue
        receiver: frozenset[str] = frozenset()
        bare = ""
        if before.type == "name":
            name, method = before.value, False
        elif (
            before.type == "trailer"
            and before.children[0].value == "."
            and before.children[1].type == "name"
            and trailer.parent is not None
        ):
            name, method = before.children[1].value, True
            head = trailer.parent.children[: trailer.parent.children.index(before)]
            receiver = frozenset().union(*map(_names, head))
            bare = head[0].value if len(head) == 1 and head[0].type == "name" else ""
        else:
            continue
        arguments = trailer.children[1] if len(trailer.children) == 3 else None
        items = [] if arguments is None else arguments.children if arguments.type == "arglist" else [arguments]
        positional: list[frozenset[str]] = []
        keywords: list[tuple[str, frozenset[str]]] = []
        spread = False
        for item in items:
            if item.type == "operator":  # a comma
                continue
            if item.type == "argument" and item.children[0].type == "operator":  # `*args`, `**kwargs`
                spread = True
            elif item.type == "argument" and len(item.children) == 3 and item.children[1].value == "=":
                keywords.append((item.children[0].value, _names(item.children[2])))
            else:
                positional.append(_names(item))  # (a generator argument is one positional)
        found.append(Call(name, method, receiver, bare, tuple(positional), tuple(keywords), spread))
    return tuple(found)


def _names(node: NodeOrLeaf) -> frozenset[str]:
    return frozenset(leaf.value for leaf in _leaves(node) if leaf.type == "name")  # type: ignore[attr-defined]


def _local_names(function: BaseNode) -> frozenset[str]:
    """The names bound in a function's own scope: not those of nested scopes, nor attributes.

    In a broken statement that opens no scope (``x = y *``), ``x =`` binds ``x`` too.
    """
    local: set[str] = set()
    for leaf in _leaves(function):
        parent = leaf.parent
        if leaf.type != "name" or parent is None or parent.type == "trailer":
            continue
        if not (_assigned_in_error(leaf) or leaf.is_definition()):  # type: ignore[attr-defined]
            continue
        scope: BaseNode | None = parent
        while scope is not None and (scope.type not in _SCOPES or _plain_error(scope)):
            scope = scope.parent
        if scope is function:
            local.add(leaf.value)  # type: ignore[attr-defined]
    return frozenset(local)


def _assigned_in_error(leaf: Leaf) -> bool:
    """``x`` in a broken ``x = y *``: parso calls it no definition, but it is one."""
    parent = leaf.parent
    return leaf.type == "name" and parent is not None and _plain_error(parent) and leaf.get_next_sibling() == "="


def _plain_error(node: BaseNode) -> bool:
    """A broken statement that opens no scope of its own (``x = y *``): what it binds is the function's."""
    return node.type == "error_node" and not any(
        leaf.type == "keyword" and leaf.value in ("def", "class", "lambda", "for")
        for leaf in _leaves(node)  # type: ignore[attr-defined]
    )


def _bound_for_sure(nodes: list[NodeOrLeaf]) -> frozenset[str]:
    """The names a module-level statement binds in the module's scope, unconditionally.

    Not those of comprehensions, lambdas or nested definitions; only what parso calls definitions.
    """
    bound: set[str] = set()
    for node in nodes:
        statement = node.children[0] if node.type == "simple_stmt" else node  # type: ignore[attr-defined]
        if statement.type in ("import_name", "import_from"):
            bound |= {name.value for name in statement.get_defined_names()}  # type: ignore[attr-defined, union-attr]
            continue
        for leaf in _leaves(node):
            if leaf.type != "name" or not leaf.is_definition():  # type: ignore[attr-defined]
                continue
            parent = leaf.parent
            while parent is not None and parent is not node and parent.type not in _SCOPES:
                parent = parent.parent
            if parent is None or parent is node:
                bound.add(leaf.value)  # type: ignore[attr-defined]
    return frozenset(bound)


def _first_type(node: NodeOrLeaf) -> str:
    """A node's type, or a simple statement's first small statement's."""
    return node.children[0].type if node.type == "simple_stmt" else node.type  # type: ignore[attr-defined]


def _export(statements: list[_Statement], binders: dict[str, list[int]], export: str) -> Export:
    """The slice of one export: its seeds and what they rest on."""
    pending = [index for index, statement in enumerate(statements) if export in statement.seeds]
    taken = set(pending)
    while pending:
        statement = statements[pending.pop()]
        for index in (*statement.ancestors, *(i for word in statement.words for i in binders.get(word, ()))):
            if index not in taken:
                taken.add(index)
                pending.append(index)
    chosen = [statements[index] for index in sorted(taken)]
    return Export("\n".join(s.tokens for s in chosen), frozenset().union(*(s.words for s in chosen)))


def _leaves(node: NodeOrLeaf) -> list[Leaf]:
    """The leaves under ``node`` in order."""
    if not hasattr(node, "children"):
        return [node]  # type: ignore[list-item]
    found: list[Leaf] = []
    pending: list[NodeOrLeaf] = [node]
    while pending:
        current = pending.pop()
        children = getattr(current, "children", None)
        if children is None:
            found.append(current)  # type: ignore[arg-type]
        else:
            pending.extend(reversed(children))
    return found


def _tokens(nodes: list[NodeOrLeaf]) -> list[str]:
    """The tokens of ``nodes`` without prefixes; blocks marked; type comments kept (jedi reads them)."""
    tokens: list[str] = []
    pending: list[NodeOrLeaf | str] = list(reversed(nodes))
    while pending:
        current = pending.pop()
        if isinstance(current, str):
            tokens.append(current)
            continue
        children = getattr(current, "children", None)
        if children is None:
            prefix = current.prefix  # type: ignore[attr-defined]
            if "type" in prefix:
                tokens += TYPE_COMMENT.findall(prefix)
            tokens.append(current.value)  # type: ignore[attr-defined]
        elif current.type == "suite":
            pending += ["}", *reversed(children), "{"]
        else:
            pending.extend(reversed(children))
    return tokens


# What an edit changed ----------------------------------------------------------------------


EVERYWHERE: Position = (0, 0)


@dataclass
class _Changes:
    """What an edit changed so far: per name, where each changed binding is (and by which unit)."""

    units: tuple[Unit, ...]
    bindings: dict[str, list[tuple[Position, int | None]]]
    exports: set[tuple[int, str]]  # (current unit, name) whose export changed
    shadowing: dict[str, list[int]]  # the current units binding a module-level name for sure
    annotation_holds: Callable[[Unit], bool]
    related: dict[str, set[str]]  # a class's container -> the classes it may share attributes with
    evidence: set[tuple[str, str]] = field(default_factory=set)  # (scope, key) of evidence that may have changed
    sources: dict[str, set[str]] = field(default_factory=dict)  # name -> containers of the units changing it
    _holds: dict[int, bool] = field(default_factory=dict)

    def reads(self, unit: Unit, export: str) -> frozenset[str]:
        """What ``export`` of ``unit`` rests on: a function's return type on its header alone when
        it has a return annotation jedi can infer (jedi then reads neither return nor docstring).
        """
        if export != unit.name or not unit.info.annotated:
            return unit.info.exports[export].reads
        if not any(export in other.info.words for other in self.units if other is not unit):
            return unit.info.exports[export].reads  # nothing else reads it: no need to ask jedi (costly)
        if id(unit) not in self._holds:
            self._holds[id(unit)] = self.annotation_holds(unit)
        return unit.info.statements[0].words if self._holds[id(unit)] else unit.info.exports[export].reads

    def add(self, name: str, at: Position, index: int | None, source: str = "") -> bool:
        """Record a changed binding of ``name`` at ``at`` by a unit in ``source``; False if it was known."""
        self.sources.setdefault(name, set()).add(source)
        if index is not None:
            if (index, name) in self.exports:
                return False
            self.exports.add((index, name))
        elif (at, None) in self.bindings.get(name, ()):
            return False
        self.bindings.setdefault(name, []).append((at, index))
        return True

    def shadowed(self, name: str, at: Position, reader: Unit) -> bool:
        """Whether an unchanged binding of ``name`` between ``at`` and ``reader`` hides the change.

        jedi resolves a module-level name from the nearest binding above the use that is certain
        (not in an ``if``, ``while`` or ``try``), and looks no further back. Changes seen everywhere
        (attributes, additions to a list, functions' and classes' names) are not bindings there.
        """
        if at == EVERYWHERE:
            return False
        for index in self.shadowing.get(name, ()):
            unit = self.units[index]
            if at < unit.start and unit.end <= reader.start and (index, name) not in self.exports:
                return True
        return False


def reads_changed(unit: Unit, changes: _Changes) -> set[str]:
    """The dependency rule: a unit depends on the names it reads; these changed (empty: none).

    Module-level code sees a module-level name only as bound above it and below its nearest certain
    binding (jedi resolves it so, as Python runs it); functions and class bodies see every binding.
    """
    words = unit.info.words
    if unit.container or unit.name:
        return {name for name in changes.bindings if name in words and not _elsewhere(name, unit, changes)}
    return {
        name
        for name, bindings in changes.bindings.items()
        if name in words and any(at < unit.end and not changes.shadowed(name, at, unit) for at, _ in bindings)
    }


def _elsewhere(name: str, unit: Unit, changes: _Changes) -> bool:
    """A method reads ``name`` only as ``self.name`` and only methods of unrelated classes changed it."""
    if name not in unit.info.own_attributes:
        return False
    related = changes.related.get(unit.container, {unit.container})
    return all(source and source not in related for source in changes.sources.get(name, {""}))


def _related_classes(layouts: tuple[Layout, ...]) -> dict[str, set[str]]:
    """Per class (its container): itself, its bases and subclasses among the file's classes (by the
    names in its header, transitively), and the classes nested in it or around it.
    """
    containers = {header.container for layout in layouts for header in layout.skeleton}
    by_name: dict[str, set[str]] = {}
    for container in containers:
        by_name.setdefault(container.rsplit(".", 1)[-1], set()).add(container)
    bases: dict[str, set[str]] = {container: set() for container in containers}
    for layout in layouts:
        for header in layout.skeleton:
            for word in header.words:
                bases[header.container] |= by_name.get(word, set()) - {header.container}
    ancestors: dict[str, set[str]] = {}
    for container in containers:
        found: set[str] = set()
        pending = list(bases[container])
        while pending:
            base = pending.pop()
            if base not in found:
                found.add(base)
                pending.extend(bases.get(base, ()))
        ancestors[container] = found
    return {
        container: {
            other
            for other in containers
            if other == container
            or other in ancestors[container]
            or container in ancestors[other]
            or other.startswith(f"{container}.")
            or container.startswith(f"{other}.")
        }
        for container in containers
    }


def visible_from(unit: Unit, export: str, at: Position) -> Position:
    """Where a change of ``export`` of ``unit`` (made at ``at``) can be seen from."""
    module_name = export == unit.name if unit.name else export in unit.info.defines
    return at if not unit.container and module_name else EVERYWHERE


def called_from(current: Layout, affected: dict[int, set[str] | None], calls: set[str]) -> dict[int, set[str] | None]:
    """Reverse dependencies: the functions analysed-again code may pass something changed, transitively.

    A parameter nothing annotates takes its type from the arguments at the calls of its function
    (a class's ``__init__``: at the calls of the class). ``affected``: per unit analysed again, the
    names that changed for it (None: any); ``calls``: the words of the statements an edit changed,
    before and after. A function is analysed again when it is named there, or in a statement that
    reads a changed name or a name bound from one; what changed for it is then its parameters that
    such a call passes a changed name to (all of them when it is named otherwise than as a called
    name, or the call's receiver or a spread argument changed: ``_parameters_passed``). Functions
    whose parameters are all annotated are not affected. Only these units are added; what they
    export is not taken as changed. Returns ``affected`` with them: per unit, what changed for it.
    """
    named: dict[str, list[int]] = {}  # a function's name (a class's, for its `__init__`) -> its units
    class_names: dict[str, list[str]] = {}
    for name, container in current.classes.items():
        class_names.setdefault(container, []).append(name)
    for index, unit in enumerate(current.units):
        if unit.info.typed_by_callers:
            for name in class_names.get(unit.container, []) if unit.name == "__init__" else [unit.name]:
                named.setdefault(name, []).append(index)
    changed = dict(affected)
    pending: list[int | None] = [None, *changed]  # None: the edited statements
    while pending:
        caller = pending.pop()
        passing: list[tuple[StatementInfo | None, frozenset[str]]]  # a statement (None: any) and what it reads
        if caller is None:
            passing = [(None, frozenset(calls))]
        elif (names := changed[caller]) is None:
            passing = [(None, current.units[caller].info.words)]
        else:
            passing = _passing(current.units[caller].info.statements, names)
        for statement, reached in passing:
            words = statement.words if statement is not None else reached
            for word in words & named.keys():
                for callee in named[word]:
                    unit = current.units[callee]
                    parameters: AbstractSet[str] = unit.info.statements[0].binds - {"self", "cls"}
                    if statement is not None and word not in statement.loose:
                        passed = _parameters_passed(statement.calls, word, unit, reached)
                        if passed is not None:
                            parameters = passed & parameters
                            if not parameters:
                                continue  # nothing changed is passed to it here
                    before = changed.get(callee, set())
                    if callee not in changed or (before is not None and not parameters <= before):
                        _changed_for(changed, callee, parameters)
                        pending.append(callee)
    return changed


def _parameters_passed(calls: tuple[Call, ...], name: str, callee: Unit, reached: AbstractSet[str]) -> set[str] | None:
    """The parameters of ``callee`` to which the calls of ``name`` pass a word of ``reached``; None: any."""
    parameters = callee.info.parameters
    if not parameters:
        return None  # `*args` or `**kwargs`: where an argument goes is not said by position
    first = 1 if callee.name == "__init__" or (callee.container and parameters[0] in ("self", "cls")) else 0
    if callee.container and callee.name != "__init__" and not first:
        return None  # a method whose first parameter is not `self` or `cls` (a staticmethod?)
    found: set[str] = set()
    for call in calls:
        if call.name != name:
            continue
        if call.spread or not call.receiver.isdisjoint(reached):
            return None
        if parameters[0] == "self" and call.bare == callee.container.rsplit(".", 1)[-1]:
            return None  # `Runner.fit(runner, ...)`, unbound: its first argument is `self`
        offset = first if callee.name == "__init__" or call.method else 0
        for position, words in enumerate(call.positional):
            if not words.isdisjoint(reached):
                if offset + position >= len(parameters):
                    return None
                found.add(parameters[offset + position])
        for parameter, words in call.keywords:
            if not words.isdisjoint(reached):
                if parameter not in parameters:
                    return None
                found.add(parameter)
    return found


def _changed_for(affected: dict[int, set[str] | None], index: int, names: AbstractSet[str] | None) -> None:
    """Record that ``names`` changed for unit ``index`` (None: any name)."""
    if index not in affected or affected[index] is not None:
        before = affected.get(index) or set()
        affected[index] = None if names is None else before | names


def _passing(
    statements: tuple[StatementInfo, ...], names: set[str]
) -> list[tuple[StatementInfo | None, frozenset[str]]]:
    """The statements that read one of ``names``, or a name bound from one (transitively), each with
    those names.
    """
    reached = set(names)
    growing = True
    while growing:
        growing = False
        for statement in statements:
            if not statement.words.isdisjoint(reached) and not statement.binds <= reached:
                reached |= statement.binds
                growing = True
    frozen = frozenset(reached)
    return [(s, frozen) for s in statements if not s.words.isdisjoint(reached)]


@dataclass(frozen=True)
class Plan:
    """What of the previous analysis still holds after an edit."""

    units: dict[int, int]  # current unit -> previous unit: all its findings hold
    # current unit -> (previous unit, {current statement -> previous statement}): an edited unit whose
    # other statements keep their findings (those an edit cannot reach, ``_statements_kept``)
    statements: dict[int, tuple[int, dict[int, int]]]


def units_to_reuse(
    previous: Layout,
    current: Layout,
    annotation_holds: Callable[[Unit], bool] = lambda unit: False,
    consulted: Mapping[int | None, set[str]] | None = None,
) -> dict[int, int] | None:
    """The current units whose previous findings still hold: current index -> previous index (``reuse_plan``)."""
    plan = reuse_plan(previous, current, annotation_holds, consulted)
    return plan.units if plan is not None else None


def reuse_plan(
    previous: Layout,
    current: Layout,
    annotation_holds: Callable[[Unit], bool] = lambda unit: False,
    consulted: Mapping[int | None, set[str]] | None = None,
) -> Plan | None:
    """The current units whose previous findings still hold: current index -> previous index.

    None when the whole file must be analysed again. ``annotation_holds`` says whether jedi infers a
    function's return annotation to something now (then jedi reads its return type from it alone).
    ``consulted``: per previous unit, the receivers its analysis asked evidence from use about
    (``model``; ``.model`` for ``self.model``); without it, every unit naming one counts as asking.
    """
    kept: dict[int, int] = {}
    affected: dict[int, set[str] | None] = {}  # analysed again -> the names that changed for it (None: any)
    calls: set[str] = set()  # the words of edited statements, old and new: the calls they make or made
    edits: dict[int, int] = {}  # a current unit -> the previous one it is an edit of
    shadowing: dict[str, list[int]] = {}
    for index, unit in enumerate(current.units):
        if not unit.container:
            for name in unit.info.shadows:
                shadowing.setdefault(name, []).append(index)
    changes = _Changes(current.units, {}, set(), shadowing, annotation_holds, _related_classes((previous, current)))
    # Classes changed as a whole: their header (bases, decorators), or a method other code reaches
    # without its name (``forward``: calling an instance). What reads the class's name is analysed again.
    classes: set[str] = set()
    old_headers, new_headers = previous.skeleton, current.skeleton
    for tag, old_start, old_end, new_start, new_end in _alignment(
        [h.key for h in old_headers], [h.key for h in new_headers]
    ):
        if tag != "equal":
            classes |= {h.container for h in (*old_headers[old_start:old_end], *new_headers[new_start:new_end])}
    end_of_file = (1 << 30, 0)
    for tag, old_start, old_end, new_start, new_end in _alignment(previous.keys, current.keys):
        if tag == "equal":
            kept.update(zip(range(new_start, new_end), range(old_start, old_end), strict=True))
            continue
        at = current.units[new_start].start if new_start < len(current.units) else end_of_file
        olds: list[int | None] = list(range(old_start, old_end))
        news: list[int | None] = list(range(new_start, new_end))
        pairs = max(len(olds), len(news))
        olds += [None] * (pairs - len(olds))
        news += [None] * (pairs - len(news))
        for old_index, new in zip(olds, news, strict=True):
            old = previous.units[old_index] if old_index is not None else None
            if not _compare(old, new, current, at, changes, classes):
                return None
            if (
                old_index is not None
                and new is not None
                and _place(previous.units[old_index]) == _place(current.units[new])
            ):
                edits[new] = old_index
            # What the edit changed in it: the names its changed statements bind, and the calls in them
            # (made or no longer made: a parameter's type is what all its calls pass).
            before = old.info.statements if old is not None else ()
            after = current.units[new].info.statements if new is not None else ()
            for tag, old_from, old_to, new_from, new_to in _alignment(
                [s.tokens for s in before], [s.tokens for s in after]
            ):
                if tag != "equal":
                    edited = (*before[old_from:old_to], *after[new_from:new_to])
                    calls.update(word for statement in edited for word in statement.words)
                    if new is not None:
                        _changed_for(affected, new, {name for statement in edited for name in statement.binds})
            if new is not None:
                _changed_for(affected, new, set())  # analysed again even if only its comments changed
    # What reads a changed export is analysed again; what it exports in turn may change.
    done: set[str] = set()
    growing = True
    while growing:
        growing = False
        for container in classes - done:
            done.add(container)
            changes.add(container.rsplit(".", 1)[-1], EVERYWHERE, None)
            for index, unit in enumerate(current.units):
                if unit.container == container or unit.container.startswith(f"{container}."):
                    _changed_for(affected, index, None)
        for header in new_headers:
            if header.container not in classes and not header.words.isdisjoint(changes.bindings):  # its bases
                classes.add(header.container)
                growing = True
        for index, unit in enumerate(current.units):
            names = reads_changed(unit, changes)
            if not names:
                continue
            _changed_for(affected, index, names)
            for name in unit.info.exports:
                if changes.reads(unit, name).isdisjoint(names):
                    continue
                if unit.implicit and name == unit.name:
                    if not unit.container:
                        return None
                    growing |= unit.container not in classes
                    classes.add(unit.container)
                growing |= changes.add(name, visible_from(unit, name, unit.start), index, unit.container)
    receivers = changed_evidence(previous, current, changes.evidence)
    if consulted is None:
        asking = {index for index, unit in enumerate(current.units) if _names_receiver(unit, receivers)}
    else:
        asking = {new for new, old in kept.items() if not consulted.get(old, set()).isdisjoint(receivers)}
    for index in asking:
        _changed_for(affected, index, {key.lstrip(".") for key in receivers})
    again = called_from(current, affected, calls)
    statements: dict[int, tuple[int, dict[int, int]]] = {}
    # An edited unit, or one analysed again for what changed around it (a name it reads, what its
    # callers pass): the statements that change does not reach keep their findings.
    for new, changed in again.items():
        old_index = edits.get(new, kept.get(new))
        if changed is not None and old_index is not None:
            kept_statements = _statements_kept(previous.units[old_index].info, current.units[new].info, changed)
            if kept_statements:
                statements[new] = (old_index, kept_statements)
    return Plan({new: old for new, old in kept.items() if new not in again}, statements)


def _place(unit: Unit) -> tuple[str, str]:
    return unit.container, unit.name


def _statements_kept(old: UnitInfo, new: UnitInfo, changed: set[str]) -> dict[int, int]:
    """In an edited unit, the statements whose findings still hold: current index -> previous index.

    The slice rule, inside one unit: a statement keeps its findings when no statement it rests on
    (itself, the statements binding what it reads, transitively, and their enclosing headers) was
    edited or reads a name that changed for the unit (``changed``: what its edited statements bind,
    what other units changed, its parameters when its callers changed, the receivers whose uses
    changed). A nested function or class is analysed again when the code calling it is (call sites
    type its parameters). None is kept when the header or the first statement (a docstring types
    parameters) changed.
    """
    same: dict[int, int] = {}
    edited: set[int] = set()
    edited_words: set[str] = set()
    for tag, old_from, old_to, new_from, new_to in _alignment(
        [s.tokens for s in old.statements], [s.tokens for s in new.statements]
    ):
        if tag == "equal":
            same.update(zip(range(new_from, new_to), range(old_from, old_to), strict=True))
        else:
            edited.update(range(new_from, new_to))
            for statement in (*old.statements[old_from:old_to], *new.statements[new_from:new_to]):
                edited_words |= statement.words
    if not {0, 1}.isdisjoint(set(range(len(new.statements))) - set(same)):
        return {}
    names = changed | {key.lstrip(".") for key, _, _ in old.evidence ^ new.evidence}
    binders: dict[str, list[int]] = {}
    for index, statement in enumerate(new.statements):
        for bound in statement.binds:
            binders.setdefault(bound, []).append(index)
    dirty = edited | {index for index, statement in enumerate(new.statements) if not statement.words.isdisjoint(names)}
    growing = True
    while growing:
        growing = False
        reached = edited_words.union(*(new.statements[index].words for index in dirty))
        for index, statement in enumerate(new.statements):
            if index in dirty:
                continue
            if (
                not dirty.isdisjoint(statement.ancestors)
                or any(binder in dirty for word in statement.words for binder in binders.get(word, ()))
                or (statement.scope and not statement.binds.isdisjoint(reached))
            ):
                dirty.add(index)
                growing = True
    return {index: old_index for index, old_index in same.items() if index not in dirty}


def changed_evidence(previous: Layout, current: Layout, changed: set[tuple[str, str]]) -> set[str]:
    """The receivers whose evidence from use (``_evidence``) may differ after the edit.

    ``changed``: the (scope, key) pairs of the uses and bindings the changed units have or had. The
    uses of a scope as a whole decide; a name bound twice in the file has no evidence either way.
    """
    receivers: set[str] = set()
    for scope, key in changed:
        uses_changed = previous.uses.get((scope, key)) != current.uses.get((scope, key))
        if key.startswith("."):
            if uses_changed:
                receivers.add(key)
            continue
        bound_before, bound_now = min(previous.bindings[key], 2), min(current.bindings[key], 2)
        if min(bound_before, bound_now) < 2 and (uses_changed or bound_before != bound_now):
            receivers.add(key)
    return receivers


def _names_receiver(unit: Unit, receivers: set[str]) -> bool:
    """Whether a unit may ask evidence from use about one of ``receivers`` (module-level code only
    asks about names, functions about names of their own).
    """
    return any(
        key[1:] in unit.info.words if key.startswith(".") else not unit.name and key in unit.info.words
        for key in receivers
    )


def _alignment(old: list[str], new: list[str]) -> list[tuple[str, int, int, int, int]]:
    """Difflib's opcodes for two lists of unit keys; an edit is local, so the equal ends are skipped first."""
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    middle = SequenceMatcher(None, old[head : len(old) - tail], new[head : len(new) - tail], autojunk=False)
    opcodes = [("equal", 0, head, 0, head)] if head else []
    opcodes += [(tag, a + head, b + head, c + head, d + head) for tag, a, b, c, d in middle.get_opcodes()]
    if tail:
        opcodes.append(("equal", len(old) - tail, len(old), len(new) - tail, len(new)))
    return opcodes


def _compare(
    old: Unit | None,
    new_index: int | None,
    current: Layout,
    at: Position,
    changes: _Changes,
    classes: set[str],
) -> bool:
    """Record what changed between two units (None: deleted, inserted); False: analyse everything."""
    new = current.units[new_index] if new_index is not None else None
    exports: set[str] = set()
    for unit in (old, new):
        if unit is not None:
            if unit.info.scoped:
                return False
            exports |= unit.info.exports.keys()
    for unit in (old, new):
        if unit is not None:
            other = new if unit is old else old
            entries = unit.info.evidence - (other.info.evidence if other is not None else frozenset())
            changes.evidence |= {(_evidence_scope(unit, key), key) for key, _, _ in entries}
    old_exports = old.info.exports if old is not None else {}
    new_exports = new.info.exports if new is not None else {}
    for name in exports:
        if old_exports.get(name) == new_exports.get(name):
            continue
        if old is not None and new is not None and name == old.name == new.name and old.info.annotated:
            header_kept = old.info.statements[0].tokens == new.info.statements[0].tokens
            if header_kept and changes.reads(new, name) is new.info.statements[0].words:
                continue  # its return type is its annotation's, as before (a change above it: `reads`)
        for unit in (old, new):
            if unit is not None and unit.implicit and unit.name == name:
                if not unit.container:
                    return False  # a module-level `forward` or dunder: rare, kept simple
                classes.add(unit.container)
        if new is not None and name in new_exports:
            changes.add(name, visible_from(new, name, at), new_index, new.container)
        if old is not None and name in old_exports:
            changes.add(name, visible_from(old, name, at), None, old.container)
    return True


def statement_span(unit: Unit, statement: StatementInfo) -> tuple[Position, Position, str]:
    """A statement of ``unit``: where it starts and ends in the file, and its text."""
    lines = split_lines(unit.text, keepends=True)

    def absolute(position: Position) -> Position:
        line, column = position
        return unit.start[0] + line, column + (unit.start[1] if line == 0 else 0)

    def offset(position: Position) -> int:
        return sum(len(line) for line in lines[: position[0]]) + position[1]

    return (
        absolute(statement.start),
        absolute(statement.end),
        unit.text[offset(statement.start) : offset(statement.end)],
    )


def relocation(old: Unit, new: Unit) -> Callable[[Position, bool], Position | None]:
    """Where a position in ``old`` is in ``new``, a unit of the same tokens.

    ``end`` says the position ends a span (``shape(0)``'s ``)``): where one token ends and the next
    starts, it stays with the token it ends. None when the position is not at a token's edge, or when
    the edges it is at moved apart and ``end`` does not say which one it belongs to.
    """
    line_shift = new.start[0] - old.start[0]
    if old.text == new.text and old.start[1] == new.start[1]:

        def shifted(position: Position, end: bool = False) -> Position | None:
            return position[0] + line_shift, position[1]

        return shifted
    old_edges = old.info.boundaries
    index: dict[Position, list[int]] = {}
    for i in range(0, len(old_edges), 2):
        position = (old_edges[i] + old.start[0], old_edges[i + 1] + (old.start[1] if old_edges[i] == 0 else 0))
        index.setdefault(position, []).append(i)
    new_edges = new.info.boundaries

    def moved(position: Position, end: bool = False) -> Position | None:
        edges = index.get(position, [])
        ends = [i for i in edges if (i // 2) % 2 == 1]  # each leaf gives its start, then its end
        found = {
            (new_edges[i] + new.start[0], new_edges[i + 1] + (new.start[1] if new_edges[i] == 0 else 0))
            for i in (ends if end and ends else edges)
        }
        return found.pop() if len(found) == 1 else None

    return moved
