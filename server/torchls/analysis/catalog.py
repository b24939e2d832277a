"""The catalog of torch members: which are methods, which are data, and what they give.

The data lives in ``catalog.json``, generated from real torch by ``scripts/generate_catalog.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
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

    root: str
    name: str
    kind: str  # "method" or "data"
    doc: str = ""
    # Methods
    bound_type: str = ""  # "method" or "builtin_function_or_method": what the bound member is
    requires_arguments: bool = False  # a call needs arguments (`t.add_(other)`)
    signature: str = ""
    returns: str = ""
    returns_kind: str = ""  # none | self | tensor | iterator | value | unknown
    yields: str | None = None  # catalogued root an iterator yields, e.g. "Tensor" for parameters()
    # Data
    types: tuple[str, ...] = ()
    callable: bool = False
    call_errors: tuple[str, ...] = ()

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


@dataclass
class Catalog:
    """Members per catalogued class, and the names that identify those classes."""

    torch_version: str
    members: dict[str, dict[str, Member]]
    qualnames: dict[str, str]  # class qualified name -> root
    grad_mode_classes: dict[str, GradModeClass]
    optimizer_classes: frozenset[str]
    member_names: frozenset[str] = field(default_factory=frozenset)
    fallback: dict[str, Any] = field(default_factory=dict)  # torch's public types, for environments without torch

    def member(self, root: str, name: str) -> Member | None:
        """The member ``name`` of the catalogued class ``root``, if torch has it."""
        return self.members.get(root, {}).get(name)

    def root_of(self, mro: Iterable[str]) -> str | None:
        """The most specific catalogued class in an MRO given as qualified names."""
        for qualname in mro:
            root = self.qualnames.get(qualname)
            if root:
                return root
        return None

    def is_data_name(self, name: str) -> bool:
        """True if some catalogued class has a non-callable data member called ``name``."""
        return any(
            (m := members.get(name)) is not None and not m.is_method and not m.callable
            for members in self.members.values()
        )


def _member(root: str, name: str, raw: dict[str, object]) -> Member:
    values = dict(raw)
    for key in ("types", "call_errors"):
        if key in values:
            values[key] = tuple(values[key])  # type: ignore[arg-type]
    return Member(root=root, name=name, **values)  # type: ignore[arg-type]


@cache
def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """Load the committed catalog (cached)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    members = {
        root: {name: _member(root, name, info) for name, info in spec["members"].items()}
        for root, spec in raw["classes"].items()
    }
    qualnames = {q: root for root, spec in raw["classes"].items() for q in spec["qualnames"]}
    grad_modes = {q: GradModeClass(q, info["name"], info["doc"]) for q, info in raw["grad_mode_classes"].items()}
    return Catalog(
        torch_version=raw["torch_version"],
        members=members,
        qualnames=qualnames,
        grad_mode_classes=grad_modes,
        optimizer_classes=frozenset(raw["optimizer_classes"]),
        member_names=frozenset(name for root in members.values() for name in root),
        fallback=raw["fallback"],
    )
