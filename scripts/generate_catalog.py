"""Generate torchls's catalog of torch members from the installed torch.

For Module, Optimizer, LRScheduler, ReduceLROnPlateau and Tensor this records, for every
member, whether it is a method or data, what a method returns, what a data member holds
at run time and the exact TypeError that calling it raises. The facts come from real torch
objects (introspection and sample instances), and Tensor's C methods from torch's own stub.

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

import torch
from torch import nn, optim
from torch.optim import lr_scheduler

CATALOG = Path(__file__).resolve().parents[1] / "server" / "torchls" / "analysis" / "catalog.json"

# Private members that users do reach for, and that the rules and hover talk about.
PRIVATE_ALLOWED = {"_parameters", "_buffers", "_modules"}
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


def type_name(value: Any) -> str:
    cls = type(value)
    module = cls.__module__
    if module == "builtins":
        return cls.__qualname__
    if module.startswith("torch"):
        return f"torch.{cls.__qualname__}" if module == "torch" else cls.__qualname__
    return f"{module}.{cls.__qualname__}"


def first_paragraph(doc: str | None, name: str) -> str:
    """The first sentence-like paragraph of a docstring, without rst markup."""
    if not doc:
        return ""
    paragraphs = [" ".join(p.split()) for p in doc.strip().split("\n\n") if p.strip()]
    # Tensor docstrings start with a signature line such as "size(dim=None) -> torch.Size".
    if paragraphs and re.match(rf"{re.escape(name)}\s*\(", paragraphs[0]) and len(paragraphs) > 1:
        paragraphs = paragraphs[1:]
    text = paragraphs[0] if paragraphs else ""
    text = re.sub(r":(?:attr|class|func|meth|ref):`~?([^`<]*?)(?:\s*<[^>]*>)?`", r"`\1`", text)
    return text[:300]


def tensor_stub_signatures() -> dict[str, tuple[str, list[str]]]:
    """(parameters, return annotation) of TensorBase's methods from torch/_C/__init__.pyi.

    Overloaded methods get the first overload's parameters, and a return annotation only when
    every overload agrees (``min()`` gives a Tensor, ``min(dim=1)`` a namedtuple: no claim).
    """
    stub = Path(torch.__file__).parent / "_C" / "__init__.pyi"
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    parameters: dict[str, str] = {}
    returns: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "TensorBase":
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    args = item.args
                    args.args = args.args[1:]  # drop self
                    parameters.setdefault(item.name, f"({ast.unparse(args)})")
                    returns.setdefault(item.name, set()).add(ast.unparse(item.returns) if item.returns else "")
    return {name: (params, sorted(returns[name])) for name, params in parameters.items()}


def python_signature(member: Any) -> tuple[str, str] | None:
    try:
        signature = inspect.signature(member)
    except (TypeError, ValueError):
        return None
    params = [p for p in signature.parameters.values() if p.name != "self"]
    returns = signature.return_annotation
    if returns is inspect.Signature.empty:
        # Overloaded methods (Module.to, Module.state_dict) carry the annotations on the overloads.
        overloaded = {inspect.signature(f).return_annotation for f in typing.get_overloads(member)}
        if overloaded == {typing.Self}:
            returns = typing.Self
        elif overloaded:
            returns = "value"
    text_returns = "" if returns is inspect.Signature.empty else inspect.formatannotation(returns)
    shown = signature.replace(parameters=params, return_annotation=inspect.Signature.empty)
    return str(shown), text_returns.replace("typing.", "").strip("'\"")


def returns_kind(root: str, returns: str | list[str]) -> str:
    """What calling the method gives, in the terms the rules and the resolver need.

    With several overloads, a kind is claimed only when all agree; overloads that disagree but all
    return data (``size()`` gives a Size, ``size(0)`` an int) are "value".
    """
    if isinstance(returns, list):
        kinds = {returns_kind(root, one) for one in returns}
        if len(kinds) == 1:
            return kinds.pop()
        return "value" if not kinds & {"none", "self", "unknown"} else "unknown"
    bare = returns.strip("'\"")
    if bare == "None":
        return "none"
    if bare in ("Self", "T", "_T", "Self@Module") or bare.endswith(f".{root}") or bare == root:
        return "tensor" if root == "Tensor" else "self"
    if bare == "Tensor":
        return "tensor"
    if re.match(r"(Iterator|Generator|collections\.abc\.Iterator)\[", bare):
        return "iterator"
    return "value" if bare else "unknown"


def iterator_yields(returns: str) -> str | None:
    match = re.match(r"(?:collections\.abc\.)?(?:Iterator|Generator)\[['\"]?([\w.]+)['\"]?[\],]", returns)
    if not match:
        return None
    return {"Parameter": "Tensor", "Tensor": "Tensor", "Module": "Module"}.get(match.group(1).rpartition(".")[2])


def requires_arguments(params: str) -> bool:
    """True when a call needs at least one argument: some parameter has no default."""
    try:
        node = ast.parse(f"def f{params}: pass").body[0]
    except SyntaxError:
        return False
    assert isinstance(node, ast.FunctionDef)
    args = node.args
    positional = args.posonlyargs + args.args
    required_positional = len(positional) - len(args.defaults)
    required_keyword = sum(default is None for default in args.kw_defaults)
    return required_positional > 0 or required_keyword > 0


def describe_method(
    root: str, name: str, static: Any, value: Any, stubs: dict[str, tuple[str, list[str]]]
) -> dict[str, Any]:
    signature = python_signature(value)
    params, returns = signature or ("(...)", "")
    overloads: str | list[str] = returns
    if root == "Tensor" and name in stubs and not returns:
        params = params if signature else stubs[name][0]
        overloads = stubs[name][1]
        returns = overloads[0] if len(overloads) == 1 else " | ".join(overloads)
    entry: dict[str, Any] = {
        "kind": "method",
        "requires_arguments": requires_arguments(params),
        "bound_type": type(value).__name__,
        "signature": params,
        "returns": returns,
        "returns_kind": returns_kind(root, overloads),
        "doc": first_paragraph(inspect.getdoc(value), name),
    }
    yields = iterator_yields(returns)
    if yields:
        entry["yields"] = yields
    return entry


def describe_data(name: str, values: list[Any], doc_source: Any) -> dict[str, Any]:
    types: list[str] = []
    call_errors: list[str] = []
    is_callable = False
    for value in values:
        types.append(type_name(value))
        if callable(value):
            is_callable = True
            continue
        try:
            value()
        except TypeError as error:
            call_errors.append(str(error))
    entry: dict[str, Any] = {
        "kind": "data",
        "types": sorted(set(types)),
        "callable": is_callable,
        "call_errors": sorted(set(call_errors)),
    }
    doc = first_paragraph(inspect.getdoc(doc_source), name) if doc_source is not None else ""
    if doc and not isinstance(doc_source, (bool, int, float, str, dict, list, tuple, type(None))):
        entry["doc"] = doc
    return entry


def member_names(cls: type, instances: list[Any]) -> list[str]:
    names = set(dir(cls))
    for instance in instances:
        names |= set(vars(instance)) if hasattr(instance, "__dict__") else set()
    return sorted(n for n in names if not n.startswith("_") or n in PRIVATE_ALLOWED)


def defining_names(cls: type) -> set[str]:
    """The dotted names under which the class is defined, as jedi reports them.

    torch sets ``Tensor.__module__ = "torch"`` while jedi finds the class in ``torch/_tensor.py``,
    so the module whose source defines the class counts too.
    """
    names = {f"{cls.__module__}.{cls.__qualname__}"}
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("torch") or getattr(module, cls.__name__, None) is not cls:
            continue
        source = getattr(module, "__file__", None) or ""
        if source.endswith(".py") and f"class {cls.__name__}(" in Path(source).read_text(encoding="utf-8"):
            names.add(f"{module_name}.{cls.__qualname__}")
    return names


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
FALLBACK_NAMESPACES = ("torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch.optim.lr_scheduler")
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


def fallback() -> dict[str, Any]:
    """What the no-torch fallback needs: the public classes that are (or derive from) catalogued
    classes, with their catalogued-or-public bases, and the functions that return Tensors.

    torchls renders minimal stubs from this for jedi when the analysed environment lacks torch.
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
            elif inspect.isclass(value) and (issubclass(value, ROOT_CLASSES[:-1]) or value in recorded):
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
        forward = getattr(cls, "forward", None)
        forward_returns = inspect.signature(forward).return_annotation if issubclass(cls, nn.Module) else None
        classes[qualname(cls)] = {
            "bases": bases,
            "forward_returns_tensor": forward_returns in (torch.Tensor, "Tensor") and cls is not nn.Module,
            "tensor_attributes": sorted(set(tensor_attributes)),
            "tensor_operators": operators if cls is torch.Tensor else [],
            # Containers: `blocks[0]` and `for block in blocks` give modules (nn.ModuleList, nn.Sequential).
            "item_is_module": gives_modules(cls, "__getitem__", r"(.+)"),
            "iterates_modules": gives_modules(cls, "__iter__", r"Iterator\[(.+)\]"),
        }
    return {"classes": classes, "exports": exports, "tensor_functions": functions}


def build() -> dict[str, Any]:
    warnings.simplefilter("ignore")
    stubs = tensor_stub_signatures()
    classes = {root: describe_class(root, cls, instances, stubs) for root, (cls, instances) in samples().items()}
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
    return {
        "generated_by": "scripts/generate_catalog.py",
        "torch_version": torch.__version__.split("+")[0],
        "classes": classes,
        "grad_mode_classes": grad_modes,
        "optimizer_classes": optimizers,
        "fallback": fallback(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if the committed catalog is out of date")
    args = parser.parse_args()
    text = json.dumps(build(), indent=1, sort_keys=True) + "\n"
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
