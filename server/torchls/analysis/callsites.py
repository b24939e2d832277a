"""What a function's callers pass to one of its parameters, read from the module's source (parso).

``def train(model, optimizer): ...`` called as ``train(Net().to(device), opt)`` tells what ``model`` is,
which nobody wrote down. A single guess is not evidence (jedi's own "dynamic parameters" are off for
that reason), so this gives the arguments only when *every* use of the function is in view and is a
plain call whose arguments can be matched to the parameter: a function also passed as a value
(``Thread(target=train)``), called with ``*args``, or defined twice gives nothing. The calls of a
module-level function in the project's other files are found by workspace.py, and must agree too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parso.python.tree import Class, Function, Name, Param
from parso.tree import BaseNode, NodeOrLeaf

from torchls.analysis.candidates import used_names

MAX_CALLS = 20  # more call sites than this: too costly to infer them all on a keystroke


@dataclass(frozen=True)
class OutsideCall:
    """``trainer.fit(model)`` outside the method's class: a call of it only if ``receiver`` is an instance."""

    receiver: list[NodeOrLeaf]  # the nodes before `.method`
    trailer: BaseNode  # the call's `(...)`
    owner: Class  # the method's class


def arguments_for(
    param: Param, names: dict[str, list[Name]], outside: list[OutsideCall] | None = None
) -> list[NodeOrLeaf] | None:
    """The expression passed to ``param`` at each call of its function in the module ([] for no call), or None.

    ``names`` are the module's name leaves by name (parso's index of the module).

    Where a call omits an argument that has a default, the default is what the call passes. A method's
    calls through other receivers (``trainer.fit(model)``) make this None, unless ``outside`` is given:
    then they are appended to it, for the caller to decide which receivers are instances of the class.
    """
    function = param.get_parent_function()
    if not isinstance(function, Function) or function.type != "funcdef" or param.star_count:
        return None
    owner = function.parent.parent if function.parent is not None and function.parent.type == "suite" else None
    params = function.get_params()
    if isinstance(owner, Class):
        if params and params[0] is param:
            return None  # `self`
        if function.name.value == "__init__":
            constructed = constructed_class(param)
            calls = None if constructed is None else _function_calls(constructed, names)
        else:
            calls = _method_calls(owner, function, names, outside)
        index = param.position_index - 1
    else:
        calls = _function_calls(function, names)
        index = param.position_index
    if calls is None or len(calls) > MAX_CALLS:
        return None
    arguments = []
    for trailer in calls:
        argument = _argument(trailer, index, param)
        if argument is None:
            return None
        arguments.append(argument)
    return arguments


def module_function(param: Param) -> Function | Class | None:
    """What calls pass ``param`` by name, when other modules can import it: a plain function at module
    level, or a module-level class whose ``__init__`` takes ``param`` (called as ``Trainer(model)``).
    """
    function = param.get_parent_function()
    if not isinstance(function, Function) or function.type != "funcdef" or param.star_count:
        return None
    return constructed_class(param) if _owner(function) is not None else _at_module_level(function)


def constructed_class(param: Param) -> Class | None:
    """The class whose constructor passes ``param`` to ``__init__``: a module-level class, defined once,
    that never makes instances of itself by another name (``cls(...)``, ``type(self)(...)``).
    """
    function = param.get_parent_function()
    owner = _owner(function) if isinstance(function, Function) else None
    if owner is None or function.name.value != "__init__" or _at_module_level(owner) is None:
        return None
    inner = used_names(owner)
    if any(call_trailer(leaf) is not None for name in ("cls", "type", "__class__") for leaf in inner.get(name, [])):
        return None
    return owner


def argument_at(trailer: BaseNode, param: Param) -> NodeOrLeaf | None:
    """What a call of a plain function or a class (its ``(...)`` trailer) passes to ``param``, or None."""
    function = param.get_parent_function()
    shift = 1 if isinstance(function, Function) and _owner(function) is not None else 0  # `self`
    return _argument(trailer, param.position_index - shift, param)


def method_of_module_class(param: Param) -> tuple[Function, Class] | None:
    """The method and class of ``param`` when other files may call the method through an instance
    (``trainer.fit(model)``): a plain method (no decorator, not ``__init__`` nor another dunder, not
    ``forward``, which calls run through ``module(x)``) of a module-level class.
    """
    function = param.get_parent_function()
    if not isinstance(function, Function) or function.type != "funcdef" or param.star_count:
        return None
    owner = _owner(function)
    name = function.name.value
    if owner is None or _at_module_level(owner) is None or name.startswith("__") or name == "forward":
        return None
    return function, owner


def _owner(function: Function) -> Class | None:
    """The class ``function`` is a method of, if it is one."""
    owner = function.parent.parent if function.parent is not None and function.parent.type == "suite" else None
    return owner if isinstance(owner, Class) else None


def _at_module_level(definition: Function | Class) -> Function | Class | None:
    parent = definition.parent
    if parent is not None and parent.type == "decorated":
        parent = parent.parent
    return definition if parent is not None and parent.type == "file_input" else None


def _function_calls(function: Function | Class, names: dict[str, list[Name]]) -> list[BaseNode] | None:
    """The ``(...)`` trailers of every call ``name(...)`` of a function (or class) defined once in its module."""
    name = function.name.value
    calls = []
    for leaf in names.get(name, []):
        if leaf is function.name or is_attribute(leaf):
            continue
        if leaf.is_definition():
            return None  # defined or re-bound elsewhere: which one a call reaches is not plain
        trailer = call_trailer(leaf)
        if trailer is None:
            return None  # used as a value: callers out of view
        calls.append(trailer)
    return calls


def _method_calls(
    owner: Class, function: Function, names: dict[str, list[Name]], outside: list[OutsideCall] | None
) -> list[BaseNode] | None:
    """The trailers of every ``self.method(...)`` call of a method in its own class.

    Uses of its name outside the class give nothing, unless each is a call ``receiver.method(...)`` and
    ``outside`` is given: those calls are appended to it.
    """
    name = function.name.value
    calls = []
    for method in owner.iter_funcdefs():
        if method is not function and method.name.value == name:
            return None
        method_params = method.get_params()
        self_name = method_params[0].name.value if method_params else None
        for leaf in used_names(method).get(name, []):
            if leaf is function.name:
                continue
            trailer = leaf.parent
            expr = trailer.parent if trailer is not None else None
            if (
                trailer is None
                or trailer.type != "trailer"
                or expr is None
                or expr.children[0].type != "name"
                or expr.children[0].value != self_name
                or expr.children[1] is not trailer
            ):
                return None
            call = call_trailer(trailer)
            if call is None:
                return None
            calls.append(call)
    elsewhere = [leaf for leaf in names.get(name, []) if not _inside(leaf, owner) and not _defines_function(leaf)]
    if elsewhere and outside is None:
        return None
    for leaf in elsewhere:
        attribute = leaf.parent
        expr = attribute.parent if attribute is not None else None
        if attribute is None or not is_attribute(leaf) or expr is None or expr.type not in ("atom_expr", "power"):
            return None
        call = call_trailer(attribute)
        if call is None or expr.children[0] == "await":
            return None  # `callbacks.append(trainer.fit)`: used as a value
        assert outside is not None
        outside.append(OutsideCall(expr.children[: expr.children.index(attribute)], call, owner))
    return calls


def _defines_function(leaf: Name) -> bool:
    """True for the name of a ``def`` (another class's same-named method): not a use of the method."""
    return leaf.parent is not None and leaf.parent.type == "funcdef" and leaf.parent.name is leaf  # type: ignore[attr-defined]


def _inside(leaf: Name, node: BaseNode) -> bool:
    return node.start_pos <= leaf.start_pos < node.end_pos


def is_attribute(leaf: Name) -> bool:
    """True for ``x.name``: another object's member, not the function."""
    parent = leaf.parent
    return parent is not None and parent.type == "trailer" and parent.children[0] == "."


def call_trailer(callee_end: NodeOrLeaf) -> BaseNode | None:
    """The ``(...)`` trailer right after ``callee_end`` (the name, or the ``.name`` trailer)."""
    parent = callee_end.parent
    if parent is None or parent.type not in ("atom_expr", "power"):
        return None
    siblings = parent.children
    index = siblings.index(callee_end)
    if index + 1 >= len(siblings):
        return None
    following: BaseNode = siblings[index + 1]
    if following.type != "trailer" or following.children[0] != "(":
        return None
    return following


def _argument(trailer: BaseNode, index: int, param: Param) -> NodeOrLeaf | None:
    """What the call whose argument list is ``trailer`` passes to ``param`` (position ``index``)."""
    inner = trailer.children[1] if len(trailer.children) == 3 else None
    items = [] if inner is None else (inner.children if inner.type == "arglist" else [inner])
    positional: list[NodeOrLeaf] = []
    item: Any
    for item in items:
        if item.type == "operator":  # the commas
            continue
        if item.type == "argument":
            first = item.children[0]
            if first in ("*", "**"):
                return None
            if len(item.children) == 3 and item.children[1] == "=":
                if first.value == param.name.value:  # type: ignore[union-attr]
                    value: NodeOrLeaf = item.children[2]
                    return value
                continue
            return None  # a generator expression argument
        positional.append(item)
    if index < len(positional):
        return positional[index]
    default: NodeOrLeaf | None = param.default
    return default
