"""The catalog of torch members: which are methods, which are data, and what they give.

The data lives in ``catalog.json``, generated from real torch by ``scripts/generate_catalog.py``:
every public class a user touches (``nn.Linear``, ``DataLoader``, ``GradScaler``...) with its own
members and its catalogued bases, and the module-level functions people mention without calling
(``torch.cuda.is_available``, ``torch.cuda.empty_cache``). Five classes are "roots" (Module,
Optimizer, LRScheduler, ReduceLROnPlateau, Tensor): a member's ``root`` names the one its class
descends from, which is what messages are keyed by.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

CATALOG_PATH = Path(__file__).with_name("catalog.json")

#: Human names of the catalogued classes, as messages and hovers show them.
ROOT_TITLES = {
    "Module": "torch.nn.Module",
    "Optimizer": "torch.optim.Optimizer",
    "LRScheduler": "torch.optim.lr_scheduler.LRScheduler",
    "ReduceLROnPlateau": "torch.optim.lr_scheduler.ReduceLROnPlateau",
    "Tensor": "torch.Tensor",
}


@dataclass(frozen=True)
class Member:
    """One member of a catalogued torch class, as introspected from real torch."""

    root: str  # the root class the owner descends from, "" for none (DataLoader, torch.Size)
    name: str
    kind: str  # "method" or "data"
    doc: str = ""
    owner: str = ""  # qualified name of the catalogued class that defines the member
    # Methods
    bound_type: str = ""  # "method" or "builtin_function_or_method": what the bound member is
    requires_arguments: bool = False  # a call needs arguments (`t.add_(other)`)
    signature: str = ""
    returns: str = ""
    returns_kind: str = ""  # none | self | tensor | iterator | value | unknown
    yields: str | None = None  # catalogued root an iterator yields, e.g. "Tensor" for parameters()
    returns_class: str = ""  # class a call without arguments returns: "torch.Size" for Tensor.size
    yields_class: str = ""  # class the returned iterator yields: "torch.nn.parameter.Parameter"
    # Data
    types: tuple[str, ...] = ()  # display names of the value's types: "int", "torch.Size", "NoneType"
    classes: tuple[str, ...] = ()  # their qualified names: "builtins.int", "torch.nn.parameter.Parameter"
    callable: bool = False
    # The exact TypeError texts of calling it, read from real calls; a type stored from an argument
    # (a DataLoader's Dataset) has none: the text names the caller's own class.
    call_errors: tuple[str, ...] = ()
    argument: str = ""  # the constructor parameter it stores as passed: DataLoader.dataset is "dataset"

    @property
    def is_method(self) -> bool:
        """True for methods, False for data (attributes and properties)."""
        return self.kind == "method"

    @property
    def returns_data(self) -> bool:
        """True when the call gives a value worth keeping (not None, not the object itself)."""
        return self.returns_kind in ("value", "tensor", "iterator")


@dataclass(frozen=True)
class GradModeClass:
    """A grad-mode context manager class such as ``torch.no_grad``."""

    qualname: str
    name: str
    doc: str


@dataclass(frozen=True, eq=False)  # identity: comparing would build every lazy member
class ClassInfo:
    """One catalogued torch class: its names, catalogued bases and own members."""

    qualname: str  # the defining path, as jedi reports it: "torch.nn.modules.linear.Linear"
    aliases: tuple[str, ...]  # other names of the class: "torch.nn.Linear", "torch._C.Size"
    bases: tuple[str, ...]  # catalogued ancestors in MRO order, nearest first
    root: str  # "Module", ..., or "" when it descends from none of the roots
    own: Mapping[str, Member]  # members defined (or described differently) by this class itself
    item: str = ""  # what `obj[i]` gives (a qualified name or "tuple[torch.Tensor, ...]"), "" unknown
    iter: str = ""  # what iterating it yields
    call: str = ""  # what calling it gives ("torch.Tensor" for layers whose forward says so)
    sampled: bool = False  # members were read from a real instance (else from the class and its source)


@dataclass(frozen=True)
class FunctionInfo:
    """A module-level torch function that people mention without calling."""

    qualname: str  # the defining path, as jedi reports it: "torch.distributed.distributed_c10d.get_rank"
    aliases: tuple[str, ...]  # public paths: "torch.distributed.get_rank"
    kind: str  # "action": called for its effect; "value": returns a value people use
    returns: str  # "bool", "int", "float", "str", "torch.dtype", "torch.device", "tuple[int, int]", "None", ""
    requires_arguments: bool

    @property
    def is_action(self) -> bool:
        """True when a bare mention as a statement does nothing the author wanted."""
        return self.kind == "action"


@dataclass
class Catalog:
    """Members per catalogued class, and the names that identify those classes."""

    torch_version: str
    members: dict[str, Mapping[str, Member]]  # root -> its members (built when first asked for)
    qualnames: dict[str, str]  # class qualified name -> root
    grad_mode_classes: dict[str, GradModeClass]
    optimizer_classes: frozenset[str]
    member_names: frozenset[str] = field(default_factory=frozenset)
    fallback: dict[str, Any] = field(default_factory=dict)  # torch's public types, for environments without torch
    classes: dict[str, ClassInfo] = field(default_factory=dict)  # every name of every class -> its info
    functions: dict[str, FunctionInfo] = field(default_factory=dict)  # every name of every function -> its info
    data_names: frozenset[str] = field(default_factory=frozenset)  # names some class has as non-callable data
    return_type_fields: frozenset[str] = field(default_factory=frozenset)  # `values`, `indices` of `x.max(0)`
    foreign_classes: dict[str, frozenset[str]] = field(default_factory=dict)  # e.g. numpy.ndarray's attributes

    def member(self, root: str, name: str) -> Member | None:
        """The member ``name`` of the catalogued class ``root``, if torch has it."""
        return self.members.get(root, {}).get(name)

    def class_info(self, qualname: str) -> ClassInfo | None:
        """The catalogued class known by ``qualname`` (its defining path or a public alias)."""
        return self.classes.get(qualname)

    def class_member(self, qualname: str, name: str) -> Member | None:
        """The member ``name`` of a catalogued class, its own or inherited from its catalogued bases."""
        info = self.classes.get(qualname)
        if info is None:
            return None
        for owner in (info.qualname, *info.bases):
            member = self.classes[owner].own.get(name)
            if member is not None:
                return member
        return None

    def class_members(self, qualname: str) -> dict[str, Member]:
        """Every member of a catalogued class, own and inherited (the most derived wins)."""
        info = self.classes.get(qualname)
        if info is None:
            return {}
        members: dict[str, Member] = {}
        for owner in reversed((info.qualname, *info.bases)):
            members.update(self.classes[owner].own)
        return members

    def lookup(self, mro: Iterable[str], name: str) -> Member | None:
        """``name`` on the first class of an MRO (qualified names, as jedi gives them) that the
        catalog knows and that defines or inherits it; classes the catalog does not know (the
        user's own) are skipped: whether they redefine ``name`` is the resolver's question.
        """
        for qualname in mro:
            if qualname in self.classes:
                member = self.class_member(qualname, name)
                if member is not None:
                    return member
        return None

    def function(self, qualname: str) -> FunctionInfo | None:
        """The catalogued module-level function known by ``qualname`` (defining path or public alias)."""
        return self.functions.get(qualname)

    def root_of(self, mro: Iterable[str]) -> str | None:
        """The most specific catalogued class in an MRO given as qualified names."""
        for qualname in mro:
            root = self.qualnames.get(qualname)
            if root:
                return root
        return None

    def is_data_name(self, name: str) -> bool:
        """True if some catalogued class has a non-callable data member called ``name``."""
        return name in self.data_names


def _member(root: str, name: str, raw: dict[str, object], owner: str = "") -> Member:
    values = dict(raw)
    for key in ("types", "call_errors", "classes"):
        if key in values:
            values[key] = tuple(values[key])  # type: ignore[arg-type]
    return Member(root=root, name=name, owner=owner, **values)  # type: ignore[arg-type]


class _Members(Mapping[str, Member]):
    """A class's own members, each built from the shared table the first time it is asked for:
    most classes are never looked at in a session, and building them all would slow the start.
    """

    def __init__(self, root: str, owner: str, indices: dict[str, int], rows: list[list[Any]], fields: list[str]):
        self._root, self._owner, self._indices, self._rows, self._fields = root, owner, indices, rows, fields
        self._built: dict[str, Member] = {}

    def __getitem__(self, name: str) -> Member:
        member = self._built.get(name)
        if member is None:
            row = self._rows[self._indices[name]]  # KeyError for a name the class lacks, as a dict
            member = _member(self._root, name, dict(zip(self._fields, row, strict=False)), self._owner)
            self._built[name] = member
        return member

    def __iter__(self) -> Iterator[str]:
        return iter(self._indices)

    def __len__(self) -> int:
        return len(self._indices)

    def __contains__(self, name: object) -> bool:
        return name in self._indices


def _classes(raw: dict[str, Any]) -> dict[str, ClassInfo]:
    rows, fields = raw["member_table"], raw["member_fields"]
    classes: dict[str, ClassInfo] = {}
    for qualname, spec in raw["classes"].items():
        root = spec["root"]
        own = _Members(root, qualname, spec["members"], rows, fields)
        info = ClassInfo(
            qualname=qualname,
            aliases=tuple(spec["aliases"]),
            bases=tuple(spec["bases"]),
            root=root,
            own=own,
            item=spec.get("item", ""),
            iter=spec.get("iter", ""),
            call=spec.get("call", ""),
            sampled=spec.get("sampled", False),
        )
        for name in (qualname, *info.aliases):
            classes.setdefault(name, info)
    return classes


def _functions(raw: dict[str, Any]) -> dict[str, FunctionInfo]:
    functions: dict[str, FunctionInfo] = {}
    for qualname, spec in raw["functions"].items():
        info = FunctionInfo(
            qualname=qualname,
            aliases=tuple(spec["aliases"]),
            kind=spec["kind"],
            returns=spec["returns"],
            requires_arguments=spec["requires_arguments"],
        )
        for name in (qualname, *info.aliases):
            functions.setdefault(name, info)
    return functions


@cache
def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """Load the committed catalog (cached)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    classes = _classes(raw)
    roots = raw["roots"]
    # The roots' members as before: the root class's own (it has no catalogued base).
    members = {root: classes[spec["class"]].own for root, spec in roots.items()}
    qualnames = {q: root for root, spec in roots.items() for q in spec["qualnames"]}
    grad_modes = {q: GradModeClass(q, info["name"], info["doc"]) for q, info in raw["grad_mode_classes"].items()}
    fields = raw["member_fields"]
    kind, is_callable = fields.index("kind"), fields.index("callable")
    data_entries = {
        index
        for index, row in enumerate(raw["member_table"])
        if row[kind] == "data" and not (len(row) > is_callable and row[is_callable])
    }
    all_names = {name for spec in raw["classes"].values() for name in spec["members"]}
    data_names = {
        name for spec in raw["classes"].values() for name, index in spec["members"].items() if index in data_entries
    }
    return Catalog(
        torch_version=raw["torch_version"],
        members=members,
        qualnames=qualnames,
        grad_mode_classes=grad_modes,
        optimizer_classes=frozenset(raw["optimizer_classes"]),
        member_names=frozenset(all_names),
        fallback=raw["fallback"],
        classes=classes,
        functions=_functions(raw),
        data_names=frozenset(data_names),
        return_type_fields=frozenset(raw["return_type_fields"]),
        foreign_classes={name: frozenset(attributes) for name, attributes in raw["foreign_classes"].items()},
    )
