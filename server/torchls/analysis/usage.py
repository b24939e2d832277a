"""How the code uses a value: the syntactic context of an uncalled method reference.

``classify(access)`` answers "what does the surrounding code do with ``x.member``?" — drop it
as a statement, iterate it, add to it, print it, test its truth... Contexts where a bound
method may be meant on purpose (an assignment, an unknown function's argument, a callback,
``getattr``, ``functools.partial``, ``map``, a ``key=`` argument, a decorator) give ``None``:
the rules never report those.
"""

from __future__ import annotations

import ast
import re
import string
import types
from dataclasses import dataclass
from enum import Enum

from parso.python.tree import Function, Name
from parso.tree import BaseNode, NodeOrLeaf

from torchls.analysis.candidates import MemberAccess, code_of, used_names


class UsageKind(str, Enum):
    """The contexts the rules know."""

    STATEMENT = "statement"  # `model.eval` alone
    ITERATED = "iterated"  # for loops, comprehensions, list(), optimizers, clip_grad_norm_ ...
    LEN = "len"
    PARAM_GROUP = "param-group"  # {"params": model.parameters}
    SUBSCRIPTED = "subscripted"
    ARITHMETIC = "arithmetic"
    ORDERING = "ordering"  # <, <=, >, >=
    EQUALITY = "equality"  # ==, !=
    MEMBERSHIP = "membership"  # x in model.parameters
    FORMAT_SPEC = "format-spec"  # f"{loss.item:.4f}", "%.4f" % loss.item
    FORMATTED = "formatted"  # f"{loss.item}", str(loss.item)
    PRINTED = "printed"  # print, logging, metric writers
    CONVERTED = "converted"  # float(), int(), round(), abs()
    TRUTH = "truth"  # if / while / assert / not / and / or / ternary
    STORED = "stored"  # append, dict values, deepcopy, annotated return
    SAVED = "saved"  # torch.save
    LOADED = "loaded"  # load_state_dict
    ATTRIBUTE = "attribute"  # `x.detach.cpu()`: an attribute of the method object, which it lacks


@dataclass(frozen=True)
class Usage:
    """A context and its detail (operator, consumer, format spec...)."""

    kind: UsageKind
    detail: str = ""
    stored_in: str = ""  # `state = model.state_dict` then `torch.save(state, ...)`: the name it was stored in


ITERATING_BUILTINS = frozenset(
    {
        "list",
        "tuple",
        "set",
        "frozenset",
        "sorted",
        "sum",
        "min",
        "max",
        "enumerate",
        "zip",
        "any",
        "all",
        "dict",
        "reversed",
        "iter",
    }
)
GRAD_CLIPPERS = frozenset({"clip_grad_norm_", "clip_grad_value_", "clip_grad_norm", "parameters_to_vector"})
CONVERTERS = frozenset({"float", "int", "round", "abs", "complex"})
LOGGING_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "critical", "exception", "log"})
METRIC_METHODS = frozenset({"add_scalar", "add_scalars", "log_metric", "log_metrics", "log_dict"})
STAR = "`*` unpacking"
_COMP_FOR = ("comp_for", "sync_comp_for")
ORDERING_OPERATORS = frozenset({"<", ">", "<=", ">="})
NUMERIC_PERCENT = re.compile(r"%[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGc]")


def classify(access: MemberAccess, optimizer_classes: frozenset[str]) -> Usage | None:
    """The context of an uncalled ``access``, or None when it is not one the rules report."""
    following = access.following
    if following:
        first = following[0]
        if first.type == "trailer" and first.children[0] == "[":  # type: ignore[attr-defined]
            return Usage(UsageKind.SUBSCRIPTED)
        if first.type == "trailer" and first.children[0] == ".":  # type: ignore[attr-defined]
            return _classify_attribute(access, first.children[1].value)  # type: ignore[attr-defined]
        return None
    return _classify_value(access.expr, optimizer_classes)


# What a bound method object has (Python's own, the same for every method): `.__name__`,
# `.__self__`, `.__func__`... Mock configuration (`model.parameters.return_value = [...]`) means
# the method was replaced by a mock, whose attributes those are.
METHOD_ATTRIBUTES = frozenset(dir(types.MethodType)) | frozenset(dir(types.BuiltinMethodType))
MOCK_ATTRIBUTES = frozenset(
    {"return_value", "side_effect", "called", "call_count", "call_args", "call_args_list", "mock_calls", "reset_mock"}
)


def _classify_attribute(access: MemberAccess, attribute: str) -> Usage | None:
    """``x.method.attribute``: AttributeError, unless the attribute is one every method has, or a mock's."""
    if attribute in METHOD_ATTRIBUTES or attribute in MOCK_ATTRIBUTES or attribute.startswith("assert_"):
        return None
    statement = access.expr.parent
    if statement is not None and statement.type == "expr_stmt" and statement.children[0] is access.expr:
        return None  # `model.forward.x = ...` stores an attribute (a function's may be set)
    return Usage(UsageKind.ATTRIBUTE, attribute)


def _classify_value(node: NodeOrLeaf, optimizers: frozenset[str]) -> Usage | None:
    parent = node.parent
    if parent is None:
        return None
    kind = parent.type
    children = parent.children
    if kind == "simple_stmt":
        return Usage(UsageKind.STATEMENT)
    if kind == "for_stmt" and children[3] is node:
        return Usage(UsageKind.ITERATED, "the `for` loop")
    if kind in ("comp_for", "sync_comp_for") and len(children) > 3 and children[3] is node:
        return Usage(UsageKind.ITERATED, "the comprehension")
    if kind == "comp_if":
        return Usage(UsageKind.TRUTH)
    if (
        kind in ("argument", "testlist_comp")
        and len(children) == 2
        and children[1].type in ("comp_for", "sync_comp_for")
    ):
        return _classify_element(parent, optimizers)  # `sum(p.numel for p in ...)`
    if kind == "star_expr" or (kind == "argument" and children[0] == "*"):
        return Usage(UsageKind.ITERATED, STAR)
    if kind == "argument" and len(children) == 3 and children[1] == "=" and children[2] is node:
        call = parent.parent.parent if parent.parent and parent.parent.type == "arglist" else parent.parent
        return _classify_argument(call, None, children[0].value, optimizers)  # type: ignore[union-attr]
    if kind == "arglist":
        position = sum(1 for child in children[: children.index(node)] if child.type != "operator")
        return _classify_argument(parent.parent, position, None, optimizers)
    if kind == "trailer" and children[0] == "(":
        return _classify_argument(parent, 0, None, optimizers)
    if kind in ("arith_expr", "term", "shift_expr", "and_expr", "xor_expr", "expr", "power"):
        return _classify_operator(parent, node)
    if kind == "factor":
        return Usage(UsageKind.ARITHMETIC, f"unary `{children[0].get_code().strip()}`")
    if kind == "comparison":
        return _classify_comparison(parent, node)
    if kind == "expr_stmt" and len(children) == 3 and children[2] is node and children[1].type == "operator":
        operator = children[1].value  # type: ignore[attr-defined]
        if operator != "=" and operator.endswith("="):
            return Usage(UsageKind.ARITHMETIC, f"`{operator}`")
        if operator == "=" and children[0].type == "name":
            return _classify_stored(children[0], optimizers)
        return None
    if kind == "not_test":
        return Usage(UsageKind.TRUTH)
    if kind in ("and_test", "or_test"):
        if children[-1] is not node:
            return Usage(UsageKind.TRUTH)
        outer = _classify_value(parent, optimizers)
        return outer if outer is not None and outer.kind == UsageKind.TRUTH else None
    if kind == "ternary" or (kind == "test" and len(children) == 5 and children[1] == "if"):
        return Usage(UsageKind.TRUTH) if children[2] is node else None
    if kind in ("if_stmt", "while_stmt"):
        index = children.index(node)
        if index > 0 and children[index - 1] in ("if", "elif", "while"):
            return Usage(UsageKind.TRUTH)
        return None
    if kind == "assert_stmt" and children[1] is node:
        return Usage(UsageKind.TRUTH)
    if kind == "fstring_expr":
        spec = next((c for c in children if c.type == "fstring_format_spec"), None)
        if spec is not None and spec.get_code().strip(":"):
            return Usage(UsageKind.FORMAT_SPEC, spec.get_code())
        return Usage(UsageKind.FORMATTED, "the f-string")
    if kind == "dictorsetmaker":
        return _classify_dict_value(parent, node)
    if kind == "atom" and children[0] == "{" and len(children) == 3:
        return None  # `{model.eval}`: a set holding the method
    if kind == "return_stmt":
        return _classify_return(parent)
    return None


def _classify_element(comprehension: BaseNode, optimizers: frozenset[str]) -> Usage | None:
    """The element of a generator or list comprehension: what ``sum``, ``max`` or ``min`` does with each."""
    node: NodeOrLeaf = comprehension
    if comprehension.type == "testlist_comp":  # `[... for ...]`: the list is the argument
        node = comprehension.parent  # type: ignore[assignment]
    trailer = node.parent
    if trailer is None or trailer.type != "trailer" or trailer.children[0] != "(" or trailer.parent is None:
        return None
    callee = trailer.parent.children[: trailer.parent.children.index(trailer)]
    if len(callee) != 1 or callee[0].type != "name":
        return None
    if callee[0].value == "sum":  # type: ignore[union-attr]
        return Usage(UsageKind.ARITHMETIC, "`sum()` (it adds the elements)")
    if callee[0].value in ("max", "min"):  # type: ignore[union-attr]
        return Usage(UsageKind.ORDERING, f"{callee[0].value}()")  # type: ignore[union-attr]
    return None


def _classify_stored(target: Name, optimizers: frozenset[str]) -> Usage | None:
    """``name = x.method``: how ``name`` is used afterwards, if every later use wants the result.

    Silent when the name is called later (``orig = opt.zero_grad; ...; orig()``), bound again, or used
    in any way that may want the method itself (passed on, returned, stored, a callback).
    """
    scope = target.search_ancestor("funcdef", "lambdef", "file_input")
    if scope is None:
        return None
    found: Usage | None = None
    for leaf in used_names(scope).get(target.value, []):  # type: ignore[arg-type]
        if leaf is target:
            continue
        if leaf.is_definition() or leaf.start_pos < target.start_pos:
            return None
        usage = _classify_use_of_name(leaf, optimizers)
        if usage is None:
            return None
        found = found or Usage(usage.kind, usage.detail, target.value)
    return found


def _classify_use_of_name(leaf: Name, optimizers: frozenset[str]) -> Usage | None:
    """What a later use of a stored method does with it (None: called, or nothing the rules know)."""
    parent = leaf.parent
    if parent is not None and parent.type in ("atom_expr", "power") and parent.children[0] is leaf:
        trailer = parent.children[1]
        if trailer.type == "trailer" and trailer.children[0] == "." and len(parent.children) >= 2:
            attribute = trailer.children[1].value
            if attribute not in METHOD_ATTRIBUTES and attribute not in MOCK_ATTRIBUTES:
                return Usage(UsageKind.ATTRIBUTE, attribute)
        return None  # called (`orig()`), or indexed: left to the usual rules
    return _classify_value(leaf, optimizers)


def _classify_argument(
    trailer: BaseNode | None, position: int | None, keyword: str | None, optimizers: frozenset[str]
) -> Usage | None:
    """Usage as an argument of the call ``callee(...)`` whose argument trailer is ``trailer``."""
    if trailer is None or trailer.type != "trailer" or trailer.parent is None:
        return None
    call = trailer.parent
    callee_nodes = call.children[: call.children.index(trailer)]
    callee = code_of(callee_nodes)
    last = callee.rsplit(".", 1)[-1]
    plain = len(callee_nodes) == 1 and callee_nodes[0].type == "name"
    positional = keyword is None
    if plain and positional and last in ITERATING_BUILTINS:
        return Usage(UsageKind.ITERATED, f"`{last}()`")
    if plain and positional and last == "len":
        return Usage(UsageKind.LEN)
    if callee in ("chain", "itertools.chain") and positional:
        return Usage(UsageKind.ITERATED, "`itertools.chain`")
    if last in GRAD_CLIPPERS and (position == 0 or keyword == "parameters"):
        return Usage(UsageKind.ITERATED, f"`{last}`")
    if last in optimizers and (position == 0 or keyword == "params"):
        return Usage(UsageKind.ITERATED, f"`{last}`")
    if callee == "torch.save" and position == 0:
        return Usage(UsageKind.SAVED)
    if last == "load_state_dict" and len(callee_nodes) > 1 and (position == 0 or keyword == "state_dict"):
        return Usage(UsageKind.LOADED)
    if callee in ("copy.deepcopy", "deepcopy", "copy.copy"):
        return Usage(UsageKind.STORED, f"`{callee}`")
    if plain and positional and last == "print":
        return Usage(UsageKind.PRINTED, "`print`")
    if not plain and positional and last in LOGGING_METHODS:
        return Usage(UsageKind.PRINTED, f"`{callee}`")
    if not plain and last in METRIC_METHODS:
        return Usage(UsageKind.PRINTED, f"`{callee}`")
    if plain and position == 0 and last in CONVERTERS:
        return Usage(UsageKind.CONVERTED, last)
    if plain and positional and last == "range":
        return Usage(UsageKind.CONVERTED, "range")
    if plain and position == 0 and last == "bool":
        return Usage(UsageKind.TRUTH)
    if plain and position == 0 and last in ("str", "repr"):
        return Usage(UsageKind.FORMATTED, f"`{last}()`")
    if last == "format" and len(callee_nodes) == 2 and callee_nodes[0].type in ("string", "atom"):
        return _classify_str_format(callee_nodes[0], position, keyword)
    if not plain and positional and last in ("append", "insert"):
        return Usage(UsageKind.STORED, f"`{callee}`")
    if not plain and positional and last == "extend":
        return Usage(UsageKind.ITERATED, f"`{callee}`")
    if plain and last == "dict" and keyword is not None:
        return Usage(UsageKind.STORED, "the dict")
    return None


def _classify_operator(parent: BaseNode, node: NodeOrLeaf) -> Usage:
    children = parent.children
    index = children.index(node)
    operator = children[index - 1] if index > 0 else children[index + 1]
    symbol = operator.get_code().strip()
    if symbol == "%" and index > 0 and children[0].type in ("string", "strings"):
        template = _string_value(children[0])
        if template is not None and not NUMERIC_PERCENT.search(template):
            return Usage(UsageKind.FORMATTED, "`%` formatting")
        return Usage(UsageKind.FORMAT_SPEC, "%")
    return Usage(UsageKind.ARITHMETIC, f"`{symbol}`")


def _classify_comparison(parent: BaseNode, node: NodeOrLeaf) -> Usage | None:
    children = parent.children
    index = children.index(node)
    operator = children[index - 1] if index > 0 else children[index + 1]
    symbol = " ".join(operator.get_code().split())
    if symbol in ("==", "!="):
        return Usage(UsageKind.EQUALITY, symbol)
    if symbol in ORDERING_OPERATORS:
        return Usage(UsageKind.ORDERING, symbol)
    if symbol in ("in", "not in") and index > 0:
        return Usage(UsageKind.MEMBERSHIP, symbol)
    return None  # `is`, `is not`, or the left side of `in`


def _classify_dict_value(parent: BaseNode, node: NodeOrLeaf) -> Usage | None:
    children = parent.children
    index = children.index(node)
    if index < 2 or children[index - 1] != ":":
        return None  # a set element or a key
    key = _string_value(children[index - 2])
    if key == "params":
        return Usage(UsageKind.PARAM_GROUP)
    return Usage(UsageKind.STORED, "the dict")


def _classify_return(return_stmt: BaseNode) -> Usage | None:
    function = return_stmt.search_ancestor("funcdef", "lambdef", "classdef")
    if not isinstance(function, Function):
        return None
    annotation = function.annotation
    if annotation is None:
        return None
    text = annotation.get_code().strip()
    if "Callable" in text or text in ("Any", "typing.Any", "object", "None", "'Any'", '"Any"'):
        return None  # the function may mean to return the method
    return Usage(UsageKind.STORED, f"the return value (annotated `{text}`)")


def _classify_str_format(template_node: NodeOrLeaf, position: int | None, keyword: str | None) -> Usage | None:
    template = _string_value(template_node)
    if template is None:
        return None
    auto_index = 0
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return None
    for _, field_name, spec, _ in fields:
        if field_name is None:
            continue
        if field_name == "":
            target: int | str = auto_index
            auto_index += 1
        else:
            head = re.split(r"[.\[]", field_name, maxsplit=1)[0]
            target = int(head) if head.isdigit() else head
        if target == (keyword if keyword is not None else position):
            if spec:
                return Usage(UsageKind.FORMAT_SPEC, f":{spec}")
            return Usage(UsageKind.FORMATTED, "`str.format`")
    return None


def _string_value(node: NodeOrLeaf) -> str | None:
    """The value of a plain string literal (or implicit concatenation), else None."""
    if node.type not in ("string", "strings"):
        return None
    try:
        value = ast.literal_eval(node.get_code().strip())
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None
