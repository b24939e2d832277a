"""Evidence from use: what a receiver nobody typed is, judged by how its own scope uses it.

``def train(model, optimizer, loader)`` says nothing of ``model``; ``model.train()`` on line 12 and
``model.parameters()`` on line 14 do. A receiver jedi cannot infer is treated as the torch classes
whose catalogued members fit *every* use of it in its scope, when those uses name at least two
distinct catalogued members, or one that only one torch class has (``loss.backward()``); names
alone are never enough. A use that fits no torch class
(``model.fit(...)`` on a Tensor, ``args.train`` read as data) rules that class out; the user's own
methods on a model (``model.generate()``) are allowed only to ``nn.Module``, the one class users extend.
"""

from __future__ import annotations

from dataclasses import dataclass

from parso.python.tree import Name
from parso.tree import NodeOrLeaf

from torchls.analysis.candidates import code_of
from torchls.analysis.catalog import Catalog

MIN_MEMBERS = 2  # distinct catalogued members used before a receiver's class counts as known
OPEN_ROOT = "Module"  # the class users subclass with members of their own


@dataclass(frozen=True)
class Use:
    """``receiver.member`` somewhere in the scope: called (``()``) or read as data."""

    member: str
    called: bool


@dataclass(frozen=True)
class Evidence:
    """The torch classes a receiver's uses fit, and the uses that show it."""

    roots: tuple[str, ...]
    uses: tuple[Use, ...]


def receiver_uses(
    receiver: list[NodeOrLeaf], names: dict[str, list[Name]], skip: NodeOrLeaf | None
) -> list[Use] | None:
    """Every ``receiver.member`` among a scope's ``names`` (the trailer ``skip`` excepted), or None.

    ``receiver`` is a name (``model``) or a name and one attribute (``self.model``). None when a
    plain name is bound more than once in the scope: its uses may be of different objects.
    """
    first = receiver[0]
    if not isinstance(first, Name):
        return None
    text = code_of(receiver)
    size = len(receiver)
    uses = []
    bindings = 0
    for leaf in names.get(first.value, []):
        if size == 1 and leaf.is_definition():
            bindings += 1
            if bindings > 1:
                return None
        expr = leaf.parent
        if expr is None or expr.type not in ("atom_expr", "power") or expr.children[0] is not leaf:
            continue
        children = expr.children
        if len(children) <= size or code_of(children[:size]) != text:
            continue
        trailer = children[size]
        if trailer.type != "trailer" or trailer.children[0] != "." or trailer is skip:
            continue
        following = children[size + 1] if len(children) > size + 1 else None
        called = following is not None and following.type == "trailer" and following.children[0] == "("
        uses.append(Use(trailer.children[1].value, called))
    return uses


def judge(uses: list[Use], catalog: Catalog, exclude: str) -> Evidence | None:
    """The torch classes every use fits, if the uses name at least ``MIN_MEMBERS`` catalogued members.

    ``exclude`` is the member under judgement: its own questionable use is not evidence, but the
    same member used the other way elsewhere is (``model.state_dict()`` on line 40).
    """
    roots = []
    for root, members in catalog.members.items():
        fits = True
        for use in uses:
            member = members.get(use.member)
            if member is None:
                # A member torch has on another class rules this one out; a name unknown to torch is
                # the user's own, which only nn.Module subclasses add.
                if root != OPEN_ROOT or use.member in catalog.member_names:
                    fits = False
                    break
            elif use.called and not (member.is_method or member.callable):
                fits = False  # data called: not this class (an uncalled method may be a reference)
                break
        if fits:
            roots.append(root)
    # A member numpy's arrays have too (`shape`, `sum()`, `item()`) says nothing: code that looks like
    # tensor code is as often numpy code.
    shared = catalog.foreign_classes.get("numpy.ndarray", frozenset())
    known = {
        use.member for use in uses if _shows(use, catalog, roots) and use.member != exclude and use.member not in shared
    }
    same_member = any(use.member == exclude and _shows(use, catalog, roots) for use in uses)
    distinctive = len(roots) == 1 and any(_only_on(use, catalog) == roots[0] for use in uses if use.member in known)
    if not roots or (len(known) < MIN_MEMBERS and not (known and (same_member or distinctive))):
        return None
    return Evidence(tuple(roots), tuple(use for use in uses if use.member in catalog.member_names))


def _only_on(use: Use, catalog: Catalog) -> str | None:
    """The one torch class that has the member the way it is used (``backward()``: Tensor), else None."""
    having = [root for root in catalog.members if _shows(use, catalog, [root])]
    return having[0] if len(having) == 1 else None


def _shows(use: Use, catalog: Catalog, roots: list[str]) -> bool:
    """True when the use is of a catalogued member of one of ``roots``, the way torch defines it."""
    for root in roots:
        member = catalog.member(root, use.member)
        if member is not None and member.is_method == use.called:
            return True
    return False
