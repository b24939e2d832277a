"""Generate torchls's catalog of torch classes, members and functions from the installed torch.

For every public class a user touches (every ``nn`` module, ``Parameter``, ``Size``, ``device``,
``dtype``, ``Generator``, ``torch.utils.data``, ``GradScaler``, ``DataParallel`` and DDP,
``torch.distributions``, ``SummaryWriter``, ``swa_utils``, every optimizer and scheduler) this
records its names, its catalogued bases and its own members (scripts/catalog_classes.py): whether
each is a method or data, what a method returns, what a data member holds at run time and the exact
TypeError that calling it raises. Module, Optimizer, LRScheduler, ReduceLROnPlateau and Tensor are
the roots the messages are keyed by. Module-level functions that people mention without calling
come from scripts/catalog_functions.py. The facts come from real torch objects (introspection and
sample instances), torch's annotations and source, and Tensor's C methods from torch's own stub.

    python scripts/generate_catalog.py            # rewrite server/torchls/analysis/catalog.json
    python scripts/generate_catalog.py --check    # exit 1 if the committed catalog differs
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import json
import re
import sys
import typing
import warnings
from pathlib import Path
from typing import Any

import numpy
import torch
from torch import nn, optim
from torch.optim import lr_scheduler

from catalog_classes import class_table
from catalog_functions import function_table
from catalog_members import (
    class_qualname,
    defining_names,
    describe_data,
    describe_method,
    first_paragraph,
    member_names,
    tensor_stub_signatures,
)

CATALOG = Path(__file__).resolve().parents[1] / "server" / "torchls" / "analysis" / "catalog.json"

GRAD_MODE_CLASSES = ("no_grad", "enable_grad", "inference_mode")


ROOT_CLASSES = (nn.Module, optim.Optimizer, lr_scheduler.LRScheduler, lr_scheduler.ReduceLROnPlateau, torch.Tensor)


class _BaseScheduler(lr_scheduler.LRScheduler):
    """The smallest concrete LRScheduler: its instance attributes are LRScheduler's own."""

    def get_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


def samples() -> dict[str, tuple[type, list[Any]]]:
    """One or more real instances per root class, to read instance attributes and values."""
    param = nn.Parameter(torch.zeros(2))
    optimizer = optim.Optimizer([param], {})
    leaf = torch.ones(2, 2, requires_grad=True)
    (leaf * 2).sum().backward()
    non_leaf = leaf * 2
    return {
        "Module": (nn.Module, [nn.Module()]),
        "Optimizer": (optim.Optimizer, [optimizer]),
        "LRScheduler": (lr_scheduler.LRScheduler, [_BaseScheduler(optim.SGD([param], lr=0.1))]),
        "ReduceLROnPlateau": (
            lr_scheduler.ReduceLROnPlateau,
            [lr_scheduler.ReduceLROnPlateau(optim.SGD([param], lr=0.1))],
        ),
        "Tensor": (torch.Tensor, [torch.zeros(2, 2), leaf, non_leaf]),
    }


def describe_class(
    root: str, cls: type, instances: list[Any], stubs: dict[str, tuple[str, list[str]]]
) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for name in member_names(cls, instances):
        static = inspect.getattr_static(cls, name, None)
        values = []
        for instance in instances:
            try:
                values.append(getattr(instance, name))
            except Exception:  # e.g. Tensor.imag on a real tensor
                continue
        if not values:
            continue
        if static is not None and (inspect.isroutine(static) or isinstance(static, (classmethod, staticmethod))):
            if isinstance(static, (classmethod, staticmethod)) or inspect.isclass(values[0]):
                continue  # not bound to the instance: not a confusion we report
            members[name] = describe_method(root, name, static, values[0], stubs)
        else:
            members[name] = describe_data(name, values, static if isinstance(static, property) else None)
    # The class's own names, and those of torch bases that are not catalogued themselves
    # (TensorBase), so that jedi's view of the MRO finds the most specific catalogued class.
    own = [c for c in cls.__mro__ if c is cls or (c.__module__.startswith("torch") and c not in ROOT_CLASSES)]
    qualnames = sorted({name for c in own for name in defining_names(c)})
    return {"qualnames": qualnames, "members": members}


# The public namespaces the fallback (no torch in the analysed environment) knows, and torch's own
# stubs that annotate their C functions.
FALLBACK_NAMESPACES = (
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "torch.nn.parallel",
    "torch.optim",
    "torch.optim.lr_scheduler",
    "torch.optim.swa_utils",
    "torch.utils",
    "torch.utils.data",
    "torch.amp",
    "torch.distributions",
)
TENSOR_CLASSES = {"torch.Tensor", "torch.nn.parameter.Parameter", "torch.nn.parameter.Buffer"}
PLAIN_CLASSES = {"builtins.int": "int", "builtins.float": "float", "builtins.bool": "bool", "builtins.str": "str"}
FUNCTION_STUBS = {
    "torch": ("_C/_VariableFunctions.pyi",),
    "torch.nn.functional": ("nn/functional.pyi", "_C/_nn.pyi", "_C/_VariableFunctions.pyi"),
}


def stub_function_returns(stubs: tuple[str, ...]) -> dict[str, set[str]]:
    """Return annotations of each top-level function (all overloads) in torch's stubs; the first
    stub that defines a name wins (``F.conv2d`` is torch's C ``conv2d``).
    """
    returns: dict[str, set[str]] = {}
    for relative in stubs:
        tree = ast.parse((Path(torch.__file__).parent / relative).read_text(encoding="utf-8"))
        found: dict[str, set[str]] = {}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                found.setdefault(node.name, set()).add(ast.unparse(node.returns) if node.returns else "")
        returns = found | returns
    return returns


def returns_tensor(function: Any, stub_returns: dict[str, set[str]], name: str) -> bool:
    """True when every known signature of the function says it returns a Tensor."""
    annotations = set(stub_returns.get(name, set()))
    try:
        annotation = inspect.signature(function).return_annotation
        if annotation is not inspect.Signature.empty:
            annotations.add(inspect.formatannotation(annotation))
    except (TypeError, ValueError):
        pass
    return bool(annotations) and annotations <= {"Tensor", "torch.Tensor"}


def gives_modules(cls: type, method: str, pattern: str) -> bool:
    """True when every overload of ``cls.method`` is annotated with Module classes only (``pattern``
    extracts the class names from an annotation, e.g. ``Iterator[Module]``).
    """
    function = vars(cls).get(method) if issubclass(cls, nn.Module) else None
    if function is None:
        return False
    signatures = [inspect.signature(f) for f in typing.get_overloads(function)] or [inspect.signature(function)]
    for signature in signatures:
        annotation = signature.return_annotation
        match = re.fullmatch(pattern, annotation) if isinstance(annotation, str) else None
        names = [name.strip() for name in match.group(1).split("|")] if match else []
        if not names or not all(isinstance(getattr(nn, name, None), type) for name in names):
            return False
        if not all(issubclass(getattr(nn, name), nn.Module) for name in names):
            return False
    return True


def qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def fallback(table: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What the no-torch fallback needs: the public classes that are (or derive from) catalogued
    classes, with their catalogued-or-public bases, and the functions that return Tensors.

    torchls renders minimal stubs from this for jedi when the analysed environment lacks torch.
    ``table`` is the catalog's class table: its classes are recorded too, with the data members
    whose type it knows exactly (``Linear.weight`` a Tensor, ``Linear.in_features`` an int).
    """
    recorded = [*ROOT_CLASSES, *(getattr(torch, name) for name in GRAD_MODE_CLASSES)]
    # Tensor's operators (`a * 2 + 1`, `x[0]`): the catalog describes named members only.
    operators = sorted(
        name
        for name, (_, returns) in tensor_stub_signatures().items()
        if name.startswith("__") and name.endswith("__") and returns and set(returns) <= {"Tensor"}
    )
    exports: dict[str, dict[str, str]] = {}
    functions: dict[str, list[str]] = {}
    for namespace in FALLBACK_NAMESPACES:
        module = importlib.import_module(namespace)
        stub_returns = stub_function_returns(FUNCTION_STUBS.get(namespace, ()))
        names: dict[str, str] = {}
        tensor_functions = []
        for name in sorted(dir(module)):
            value = getattr(module, name)
            if name.startswith("_"):
                continue
            if inspect.ismodule(value) and value.__name__ == f"{namespace}.{name}" in FALLBACK_NAMESPACES:
                names[name] = value.__name__
            elif inspect.isclass(value) and (
                issubclass(value, ROOT_CLASSES[:-1]) or value in recorded or qualname(value) in table
            ):
                names[name] = qualname(value)
                if value not in recorded:
                    recorded.append(value)
            elif inspect.isclass(value) and issubclass(value, torch.Tensor) and value.__module__.startswith("torch.nn"):
                names[name] = qualname(value)  # Parameter, Buffer
                recorded.append(value)
            elif callable(value) and not inspect.isclass(value) and returns_tensor(value, stub_returns, name):
                tensor_functions.append(name)
        exports[namespace] = names
        functions[namespace] = tensor_functions
    classes = {}
    for cls in recorded:
        bases = []
        for base in cls.__bases__:
            nearest = next((c for c in base.__mro__ if c in recorded), None)
            if nearest is not None and qualname(nearest) not in bases:
                bases.append(qualname(nearest))
        tensor_attributes = sorted(
            name
            for c in cls.__mro__
            for name, annotation in vars(c).get("__annotations__", {}).items()
            if annotation in (torch.Tensor, nn.Parameter, "Tensor", "Parameter") and not name.startswith("_")
        )
        own = table.get(qualname(cls), {}).get("members", {}) if cls not in ROOT_CLASSES else {}
        attributes = {}
        for name, member in own.items():
            kinds = set(member["classes"]) - {"builtins.NoneType"} if member["kind"] == "data" else set()
            if kinds and kinds <= TENSOR_CLASSES:
                tensor_attributes.append(name)
            elif len(kinds) == 1 and kinds <= set(PLAIN_CLASSES):
                none = " | None" if "builtins.NoneType" in member["classes"] else ""
                attributes[name] = PLAIN_CLASSES[kinds.pop()] + none
        forward = getattr(cls, "forward", None)
        forward_returns = inspect.signature(forward).return_annotation if issubclass(cls, nn.Module) else None
        spec = {
            "attributes": attributes,
            "bases": bases,
            "forward_returns_tensor": forward_returns in (torch.Tensor, "Tensor") and cls is not nn.Module,
            "tensor_attributes": sorted(set(tensor_attributes)),
            "tensor_operators": operators if cls is torch.Tensor else [],
            # Containers: `blocks[0]` and `for block in blocks` give modules (nn.ModuleList, nn.Sequential).
            "item_is_module": gives_modules(cls, "__getitem__", r"(.+)"),
            "iterates_modules": gives_modules(cls, "__iter__", r"Iterator\[(.+)\]"),
        }
        # Empty and false entries are left out (the stub writer reads them as such): a third of the section.
        classes[qualname(cls)] = {key: value for key, value in spec.items() if value or key == "bases"}
    return {"classes": classes, "exports": exports, "tensor_functions": functions}


def build() -> dict[str, Any]:
    warnings.simplefilter("ignore")
    stubs = tensor_stub_signatures()
    roots = {}
    for root, (cls, instances) in samples().items():
        described = describe_class(root, cls, instances, stubs)
        roots[root] = (cls, described["members"], described["qualnames"], instances)
    grad_modes = {}
    for name in GRAD_MODE_CLASSES:
        cls = getattr(torch, name)
        grad_modes[f"{cls.__module__}.{cls.__qualname__}"] = {
            "name": f"torch.{name}",
            "doc": first_paragraph(inspect.getdoc(cls), name),
        }
    optimizers = sorted(
        n for n in dir(optim) if inspect.isclass(getattr(optim, n)) and issubclass(getattr(optim, n), optim.Optimizer)
    )
    table = class_table(roots, stubs)
    classes, member_table = shared_members(table)
    return {
        "generated_by": "scripts/generate_catalog.py",
        "torch_version": torch.__version__.split("+")[0],
        "roots": {
            root: {"class": class_qualname(cls), "qualnames": qualnames}
            for root, (cls, _, qualnames, _) in roots.items()
        },
        "classes": classes,
        "member_fields": list(MEMBER_FIELDS),
        "member_table": member_table,
        "functions": function_table(),
        # `x.max(0).values`: the fields of the named tuples torch's functions return are data.
        "return_type_fields": sorted(
            {field for name in dir(torch.return_types) for field in _fields(getattr(torch.return_types, name))}
        ),
        # What some methods return that is not torch's (`Tensor.numpy()`): the attributes it has.
        "foreign_classes": {"numpy.ndarray": sorted(n for n in dir(numpy.ndarray) if not n.startswith("_"))},
        "grad_mode_classes": grad_modes,
        "optimizer_classes": optimizers,
        "fallback": fallback(table),
    }


def _fields(cls: Any) -> tuple[str, ...]:
    """The field names of one of torch's named-tuple result types (``values``, ``indices``)."""
    return tuple(getattr(cls, "__match_args__", ()))


# A member is stored as a row of these fields (the catalog's "member_fields"), trailing defaults
# left out: the field names would otherwise be most of the file.
MEMBER_FIELDS = {
    "kind": "",
    "types": [],
    "classes": [],
    "callable": False,
    "call_errors": [],
    "doc": "",
    "bound_type": "",
    "requires_arguments": False,
    "signature": "",
    "returns": "",
    "returns_kind": "",
    "returns_class": "",
    "yields": None,
    "yields_class": "",
    "argument": "",
}


def member_row(member: dict[str, Any]) -> list[Any]:
    assert set(member) <= set(MEMBER_FIELDS), set(member) - set(MEMBER_FIELDS)
    row = [member.get(name, default) for name, default in MEMBER_FIELDS.items()]
    while row and row[-1] == list(MEMBER_FIELDS.values())[len(row) - 1]:
        row.pop()
    return row


def shared_members(table: dict[str, dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], list[list[Any]]]:
    """Members stored once and named by their index: many classes share a description
    (`in_features: int`, a `forward` returning a Tensor), which keeps the file small.
    """
    index: dict[str, int] = {}
    shared: list[list[Any]] = []
    classes = {}
    for qualname in sorted(table):
        entry = dict(table[qualname])
        members = {}
        for name, member in sorted(entry["members"].items()):
            key = json.dumps(member, sort_keys=True)
            if key not in index:
                index[key] = len(shared)
                shared.append(member_row(member))
            members[name] = index[key]
        entry["members"] = members
        classes[qualname] = entry
    return classes, shared


def encode(catalog: dict[str, Any]) -> str:
    """Compact JSON with one line per class, member and function, so that diffs stay readable."""
    lines = ["{"]
    keys = sorted(catalog)
    for position, key in enumerate(keys):
        value = catalog[key]
        comma = "," if position < len(keys) - 1 else ""
        if key in ("classes", "member_table", "functions"):
            items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
            opener, closer = ("{", "}") if isinstance(value, dict) else ("[", "]")
            lines.append(f"{json.dumps(key)}:{opener}")
            for number, (name, item) in enumerate(items):
                prefix = f"{json.dumps(name)}:" if isinstance(value, dict) else ""
                tail = "," if number < len(items) - 1 else ""
                lines.append(prefix + json.dumps(item, sort_keys=True, separators=(",", ":")) + tail)
            lines.append(closer + comma)
        else:
            lines.append(f"{json.dumps(key)}:{json.dumps(value, sort_keys=True, separators=(',', ':'))}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if the committed catalog is out of date")
    args = parser.parse_args()
    text = encode(build())
    if args.check:
        if CATALOG.read_text(encoding="utf-8") != text:
            print(f"{CATALOG} is out of date: run python scripts/generate_catalog.py", file=sys.stderr)
            return 1
        return 0
    CATALOG.write_text(text, encoding="utf-8")
    print(f"wrote {CATALOG}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
