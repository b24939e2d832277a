"""The catalog's module-level torch functions that people mention without calling.

Two kinds, from torch's signatures, its stubs and its source:

- "action": called for its effect (``torch.cuda.empty_cache``, ``torch.manual_seed``,
  ``dist.barrier``): returns None, or a result nobody needs; a bare mention does nothing.
- "value": returns a plain value people test or compute with (``torch.cuda.is_available`` gives a
  bool, ``dist.get_rank`` an int, ``torch.get_default_dtype`` a ``torch.dtype``); used uncalled, the
  function object is always truthy and never equal to a number.

Every public path and the defining path (what jedi reports) name the same entry.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
import types
import typing
from pathlib import Path
from typing import Any

import torch

NAMESPACES = (
    "torch",
    "torch.random",
    "torch.cuda",
    "torch.mps",
    "torch.xpu",
    "torch.cpu",
    "torch.accelerator",
    "torch.backends.cuda",
    "torch.backends.cudnn",
    "torch.backends.mps",
    "torch.backends.mkldnn",
    "torch.backends.openmp",
    "torch.distributed",
    "torch.autograd",
    "torch.compiler",
    "torch.utils.data",
)
# Called for their effect although they return something (the seed, the generator).
ACTIONS_WITH_RESULT = {"manual_seed", "seed", "manual_seed_all", "seed_all"}
# Collectives are called for their effect; they return a work handle only when asked (`async_op=True`).
ACTIONS_WITH_RESULT |= {"barrier", "all_reduce", "all_gather", "broadcast", "reduce", "monitored_barrier"}
# Classes that are used like functions for their effect: `torch.set_grad_enabled(False)`.
ACTION_CLASSES = {"set_grad_enabled", "set_detect_anomaly"}
# Return types that make a function a "value", as the catalog names them.
VALUE_TYPES = {
    bool: "bool",
    int: "int",
    float: "float",
    str: "str",
    torch.dtype: "torch.dtype",
    torch.device: "torch.device",
}
STUB_VALUE_TYPES = {
    "_bool": "bool",
    "bool": "bool",
    "_int": "int",
    "int": "int",
    "_float": "float",
    "float": "float",
    "str": "str",
    "_dtype": "torch.dtype",
    "_device": "torch.device",
}
# Only predicates and counters are called at generation to read an unannotated result.
SAFE_TO_CALL = re.compile(r"(is|has)_\w+|device_count|get_\w+_(count|name|level|rank|size)")
STUBS = {"torch._C": "_C/__init__.pyi", "torch._C._VariableFunctions": "_C/_VariableFunctions.pyi"}


def _stub_functions() -> dict[str, tuple[str, list[ast.FunctionDef]]]:
    """Name → (stub module, overloads) of torch's C functions."""
    found: dict[str, tuple[str, list[ast.FunctionDef]]] = {}
    for module, relative in STUBS.items():
        tree = ast.parse((Path(torch.__file__).parent / relative).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                found.setdefault(node.name, (module, []))[1].append(node)
    return found


def _stub_requires_arguments(node: ast.FunctionDef) -> bool:
    args = node.args
    positional = args.posonlyargs + args.args
    return len(positional) > len(args.defaults) or any(d is None for d in args.kw_defaults)


def _annotation_type(annotation: Any, function: Any) -> str | None:
    """The return kind an annotation gives: "none", a value type's name, or None for anything else."""
    if isinstance(annotation, str):
        try:
            annotation = eval(annotation, dict(getattr(function, "__globals__", {})))  # noqa: S307 - torch's text
        except Exception:
            return None
    if annotation is None or annotation is type(None):
        return "none"
    if annotation in VALUE_TYPES:
        return VALUE_TYPES[annotation]
    origin = typing.get_origin(annotation)
    if origin is tuple and typing.get_args(annotation) and all(a in VALUE_TYPES for a in typing.get_args(annotation)):
        return f"tuple[{', '.join(VALUE_TYPES[a] for a in typing.get_args(annotation))}]"
    return None


def _source_returns_nothing(function: Any) -> bool:
    """True when the function's own source never returns a value."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return False
    body = tree.body[0]
    if not isinstance(body, ast.FunctionDef):
        return False
    nested = {id(n) for n in ast.walk(body) if isinstance(n, (ast.FunctionDef, ast.Lambda)) and n is not body}
    returns = [n for n in ast.walk(body) if isinstance(n, ast.Return) and n.value is not None]
    yields = [n for n in ast.walk(body) if isinstance(n, (ast.Yield, ast.YieldFrom))]
    return not nested and not returns and not yields


def describe_python(name: str, function: Any) -> dict[str, Any] | None:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    required = any(
        p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in signature.parameters.values()
    )
    returns = None
    if signature.return_annotation is not inspect.Signature.empty:
        returns = _annotation_type(signature.return_annotation, function)
    elif _source_returns_nothing(function):
        returns = "none"
    elif not required and SAFE_TO_CALL.fullmatch(name):
        try:
            result = function()
        except Exception:
            result = ...
        returns = VALUE_TYPES.get(type(result))
    return _entry(name, returns, required)


def describe_builtin(name: str, stubs: dict[str, tuple[str, list[ast.FunctionDef]]]) -> dict[str, Any] | None:
    if name not in stubs:
        return None
    overloads = stubs[name][1]
    kinds = {
        "none" if ast.unparse(n.returns) == "None" else STUB_VALUE_TYPES.get(ast.unparse(n.returns))
        for n in overloads
        if n.returns is not None
    }
    returns = kinds.pop() if len(kinds) == 1 else None
    return _entry(name, returns, all(_stub_requires_arguments(n) for n in overloads))


def _entry(name: str, returns: str | None, required: bool) -> dict[str, Any] | None:
    if name in ACTIONS_WITH_RESULT:
        return {"kind": "action", "returns": returns or "", "requires_arguments": required}
    if returns == "none":
        return {"kind": "action", "returns": "None", "requires_arguments": required}
    if returns is not None:
        return {"kind": "value", "returns": returns, "requires_arguments": required}
    return None


def defining_name(value: Any, stubs: dict[str, tuple[str, list[ast.FunctionDef]]]) -> str:
    if inspect.isbuiltin(value) and value.__name__ in stubs:
        return f"{stubs[value.__name__][0]}.{value.__name__}"  # jedi reads C functions from torch's stubs
    function = inspect.unwrap(value)
    return f"{function.__module__}.{function.__qualname__}"


def function_table() -> dict[str, dict[str, Any]]:
    """Defining qualname → {kind, returns, requires_arguments, aliases}."""
    stubs = _stub_functions()
    table: dict[str, dict[str, Any]] = {}
    for namespace in NAMESPACES:
        module = importlib.import_module(namespace)
        names = set(dir(module))
        if isinstance(getattr(module, "m", None), types.ModuleType):
            names |= set(dir(module.m))  # torch.backends.cudnn is a module wrapper; its functions live in .m
        for name in sorted(names):
            value = getattr(module, name, None)
            if name.startswith("_") or value is None:
                continue
            if inspect.isclass(value):
                if name not in ACTION_CLASSES:
                    continue
                entry: dict[str, Any] | None = {"kind": "action", "returns": "", "requires_arguments": True}
                qualname = f"{value.__module__}.{value.__qualname__}"
            elif inspect.isbuiltin(value):
                entry, qualname = describe_builtin(name, stubs), defining_name(value, stubs)
            elif callable(value) and (inspect.isfunction(inspect.unwrap(value)) or hasattr(value, "cache_info")):
                entry, qualname = describe_python(name, value), defining_name(value, stubs)
            else:
                continue
            if entry is None or not qualname.startswith("torch"):
                continue
            known = table.setdefault(qualname, entry | {"aliases": []})
            if f"{namespace}.{name}" != qualname:
                known["aliases"] = sorted({*known["aliases"], f"{namespace}.{name}"})
    return table
