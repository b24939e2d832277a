"""Find the places worth resolving: ``receiver.member`` with a catalogued member name.

Only these candidates are sent to jedi, which is what keeps the analysis fast: parso's index
of used names gives them without walking the tree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from parso.python.tree import Name
from parso.tree import BaseNode, NodeOrLeaf

from torchls.analysis.findings import Position


def code_of(nodes: list[NodeOrLeaf]) -> str:
    """Source text of consecutive nodes without leading whitespace or comments, on one line."""
    text = "".join(node.get_code(include_prefix=i > 0) for i, node in enumerate(nodes))
    return " ".join(text.split())


@dataclass(frozen=True)
class MemberAccess:
    """``receiver.member`` inside an ``atom_expr``; ``member`` is the name leaf."""

    expr: BaseNode
    index: int  # position of the ``.member`` trailer in ``expr.children``
    member: Name

    @property
    def name(self) -> str:
        """The member name."""
        return self.member.value

    @property
    def receiver_nodes(self) -> list[NodeOrLeaf]:
        """The atom and trailers left of ``.member``."""
        return list(self.expr.children[: self.index])

    @property
    def following(self) -> list[NodeOrLeaf]:
        """The trailers right of ``.member``."""
        return list(self.expr.children[self.index + 1 :])

    @property
    def call_trailer(self) -> BaseNode | None:
        """The ``(...)`` trailer right after the member, if the member is called."""
        following = self.following
        if following and following[0].type == "trailer" and following[0].children[0] == "(":  # type: ignore[attr-defined]
            return following[0]  # type: ignore[return-value]
        return None

    @property
    def receiver_text(self) -> str:
        """The receiver as written, e.g. ``self.model``."""
        return code_of(self.receiver_nodes)

    @property
    def text(self) -> str:
        """The access as written, e.g. ``self.model.parameters``."""
        return f"{self.receiver_text}.{self.name}"


@dataclass(frozen=True)
class GradModeUse:
    """A ``with`` item that names a grad-mode class without instantiating it (``with torch.no_grad:``)."""

    expr: NodeOrLeaf
    name: Name

    @property
    def text(self) -> str:
        """The expression as written, e.g. ``torch.no_grad``."""
        return code_of([self.expr])


def used_names(node: BaseNode, skipped: frozenset[Position] = frozenset()) -> dict[str, list[Name]]:
    """The name leaves under ``node`` by name, except in the statements and definitions starting at ``skipped``.

    parso's ``get_used_names`` walks the whole module after every edit; skipping the units whose
    findings are kept (a module's or class body's statements, at their start) makes a keystroke in a
    5,000-line file walk only what is analysed again.
    """
    found: dict[str, list[Name]] = {}
    pending = [node]
    while pending:
        current = pending.pop()
        container = current.type in ("file_input", "suite")
        for child in current.children:  # type: ignore[attr-defined]
            if isinstance(child, Name):
                found.setdefault(child.value, []).append(child)
            elif hasattr(child, "children"):
                if container and child.start_pos in skipped:
                    continue
                pending.append(child)
    return found


def member_accesses(used: dict[str, list[Name]], names: frozenset[str]) -> Iterator[MemberAccess]:
    """Every ``x.name`` among the ``used`` names whose ``name`` is in ``names``, in source order."""
    leaves: list[Name] = [leaf for name in names & used.keys() for leaf in used[name]]
    for leaf in sorted(leaves, key=lambda leaf: leaf.start_pos):
        access = access_of(leaf)
        if access is not None:
            yield access


def access_of(leaf: Name) -> MemberAccess | None:
    """The ``x.name`` whose member is ``leaf`` (None: ``leaf`` is not a member name)."""
    trailer = leaf.parent
    if trailer is None or trailer.type != "trailer" or trailer.children[0] != ".":
        return None
    expr = trailer.parent
    if expr is None or expr.type not in ("atom_expr", "power"):
        return None
    if expr.children[0] == "await":  # `await x.y`: the receiver starts after the keyword
        return None
    return MemberAccess(expr=expr, index=expr.children.index(trailer), member=leaf)


def bare_attribute_statements(used: dict[str, list[Name]]) -> Iterator[MemberAccess]:
    """Every statement that is only ``x.name`` (``trainer.fit``), in source order."""
    leaves = [leaf for found in used.values() for leaf in found]
    for leaf in sorted(leaves, key=lambda leaf: leaf.start_pos):
        trailer = leaf.parent
        if trailer is None or trailer.type != "trailer" or trailer.children[0] != ".":
            continue
        expr = trailer.parent
        if expr is None or expr.type != "atom_expr" or expr.children[-1] is not trailer or expr.children[0] == "await":
            continue
        if expr.parent is not None and expr.parent.type == "simple_stmt":
            yield MemberAccess(expr=expr, index=len(expr.children) - 1, member=leaf)


# A statement that is only `x.name` (`trainer.fit`): a method of any class may be left uncalled there.
BARE_ATTRIBUTE = re.compile(r"^[ \t]*[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+[ \t]*(?:#[^\n]*)?$", re.MULTILINE)
GRAD_MODE_NAMES = frozenset({"no_grad", "enable_grad", "inference_mode"})


def may_hold_candidates(source: str, names: frozenset[str]) -> bool:
    """False only when ``source`` cannot hold a candidate.

    That is: no ``.name`` for any of ``names``, no grad-mode name anywhere and no statement that is only
    ``x.name``. A text search, far cheaper than parsing and inferring a file.
    """
    return _candidate_pattern(names).search(source) is not None or BARE_ATTRIBUTE.search(source) is not None


@cache
def _candidate_pattern(names: frozenset[str]) -> re.Pattern[str]:
    members = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    grad_modes = "|".join(sorted(GRAD_MODE_NAMES))
    # Between `.` and the name Python allows whitespace, line continuations and, in brackets, comments.
    # A comment runs to its line's end: matched whole, so that a `#####` banner cannot be split in
    # exponentially many ways (it hung the search on ordinary files).
    return re.compile(rf"\.(?:\s|\\\n|#[^\n]*\n)*(?:{members})\b|\b(?:{grad_modes})\b")


def grad_mode_uses(used: dict[str, list[Name]]) -> Iterator[GradModeUse]:
    """``with`` items that are a bare grad-mode name such as ``torch.no_grad`` or ``no_grad``."""
    for name in sorted(GRAD_MODE_NAMES & used.keys()):
        for leaf in used[name]:
            expr: NodeOrLeaf = leaf
            if leaf.parent is not None and leaf.parent.type == "trailer":
                trailer = leaf.parent
                if trailer.parent is None or trailer.parent.children[-1] is not trailer:
                    continue  # called or followed by more trailers
                expr = trailer.parent
            parent = expr.parent
            if parent is None:
                continue
            if parent.type == "with_item" and parent.children[0] is expr:
                yield GradModeUse(expr=expr, name=leaf)
            elif parent.type == "with_stmt" and expr in parent.children[1:-2]:
                yield GradModeUse(expr=expr, name=leaf)
