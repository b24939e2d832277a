"""How torchls's catalog describes one member of a torch class: method or data, what it gives.

Shared by scripts/generate_catalog.py (the catalog's classes) and its helpers; facts come from real
torch objects, torch's signatures and torch's own stubs.
"""

from __future__ import annotations

import ast
import collections.abc
import functools
import inspect
import re
import sys
import typing
from pathlib import Path
from typing import Any

import torch

# Private members that users do reach for, and that the rules and hover talk about.
PRIVATE_ALLOWED = {"_parameters", "_buffers", "_modules"}


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
    if bare in ("Tensor", "torch.Tensor"):
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
    gives, yielded = returned_classes(value, name, stubs if root == "Tensor" else {})
    if gives:
        entry["returns_class"] = gives
    if yielded:
        entry["yields_class"] = yielded
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
        "classes": sorted({class_qualname(type(value)) for value in values}),
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
    if cls.__name__ in c_stub_classes() and getattr(torch._C, cls.__name__, None) is cls:
        names.add(f"torch._C.{cls.__qualname__}")  # torch.Size: jedi reads it from torch/_C/__init__.pyi
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("torch") or getattr(module, cls.__name__, None) is not cls:
            continue
        source = getattr(module, "__file__", None) or ""
        if source.endswith(".py") and f"class {cls.__name__}(" in Path(source).read_text(encoding="utf-8"):
            names.add(f"{module_name}.{cls.__qualname__}")
    return names


def class_qualname(cls: type) -> str:
    """The catalog's name of a class: its module and qualified name (``builtins.int``, ``torch.Size``)."""
    return f"{cls.__module__}.{cls.__qualname__}"


@functools.cache
def c_stub_classes() -> frozenset[str]:
    """Classes that torch's stub torch/_C/__init__.pyi defines (Size, device, dtype, Generator...)."""
    tree = ast.parse((Path(torch.__file__).parent / "_C" / "__init__.pyi").read_text(encoding="utf-8"))
    return frozenset(node.name for node in tree.body if isinstance(node, ast.ClassDef))


# How torch's stub names the types its Tensor methods return.
STUB_CLASSES = {
    "Tensor": torch.Tensor,
    "Size": torch.Size,
    "_int": int,
    "_bool": bool,
    "_float": float,
    "_complex": complex,
    "str": str,
    "_device": torch.device,
    "_dtype": torch.dtype,
}


def _as_class(annotation: Any, function: Any) -> type | None:
    """The class an annotation names, if it names exactly one class (strings are resolved in the
    function's own module, as the annotation's author meant them).
    """
    if isinstance(annotation, str):
        namespace = dict(getattr(function, "__globals__", {}))
        namespace.setdefault("Self", typing.Self)
        try:
            annotation = eval(annotation, namespace)  # noqa: S307 - torch's own annotation text
        except Exception:
            return None
    if annotation is None or annotation is type(None):
        return None
    origin = typing.get_origin(annotation)
    if isinstance(origin, type) and origin.__module__ in ("builtins", "collections"):
        return origin  # `Dict[str, Any]` is a dict: what matters is which attributes the result has
    return annotation if isinstance(annotation, type) and annotation not in (typing.Any, object) else None


def _iterated(annotation: Any, function: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (collections.abc.Iterator, collections.abc.Generator, collections.abc.Iterable):
        return typing.get_args(annotation)[0] if typing.get_args(annotation) else None
    return None


def returned_classes(value: Any, name: str, stubs: dict[str, tuple[str, list[str]]]) -> tuple[str, str]:
    """(class a call without arguments returns, class the returned iterator yields), "" if not one class.

    For an overloaded method the overload that accepts no argument decides (``Tensor.size()`` gives a
    ``torch.Size`` where ``size(0)`` gives an int).
    """
    function = getattr(value, "__func__", value)
    signatures = []
    try:
        overloads = typing.get_overloads(function)
        signatures = [inspect.signature(f) for f in overloads] or [inspect.signature(function)]
    except (TypeError, ValueError, AttributeError):
        signatures = []
    for signature in signatures:
        params = [p for n, p in signature.parameters.items() if n != "self"]
        needs = any(p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)
        if needs and len(signatures) > 1:
            continue
        annotation = signature.return_annotation
        if annotation is inspect.Signature.empty:
            break
        if isinstance(annotation, str):
            namespace = dict(getattr(function, "__globals__", {}))
            try:
                annotation = eval(annotation, namespace)  # noqa: S307 - torch's own annotation text
            except Exception:
                return "", ""
        item = _iterated(annotation, function)
        if item is not None:
            cls = _as_class(item, function)
            return "", class_qualname(cls) if cls else ""
        cls = _as_class(annotation, function)
        return (class_qualname(cls) if cls and cls is not typing.Self else ""), ""
    if name in stubs:
        cls = STUB_CLASSES.get(stub_no_argument_return(name) or "")
        return (class_qualname(cls) if cls else ""), ""
    return "", ""


@functools.cache
def _tensor_stub_overloads() -> dict[str, list[ast.FunctionDef]]:
    stub = Path(torch.__file__).parent / "_C" / "__init__.pyi"
    overloads: dict[str, list[ast.FunctionDef]] = {}
    for node in ast.parse(stub.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef) and node.name == "TensorBase":
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    overloads.setdefault(item.name, []).append(item)
    return overloads


def stub_no_argument_return(name: str) -> str | None:
    """The return annotation of the stub overload of ``TensorBase.name`` that takes no argument."""
    for node in _tensor_stub_overloads().get(name, []):
        args = node.args
        positional = (args.posonlyargs + args.args)[1:]
        required = len(positional) - len(args.defaults) > 0 or any(d is None for d in args.kw_defaults)
        if not required and node.returns is not None:
            return ast.unparse(node.returns)
    return None
