"""What a class's own source defines: each member a method or data, read from the parso tree (never run).

``def`` is a method; ``@property`` (and ``cached_property``), a class attribute and ``self.x = ...`` in a
method are data; a method that sets attributes by computed names (``setattr(self, name, v)``,
``self.__dict__.update(...)``) may put data under any of those names, so none of them is trusted.
The resolver reads this to let a user's or a library's own definition win over torch's member.
"""

from __future__ import annotations

import ast
from typing import Any

from parso.tree import BaseNode, NodeOrLeaf

from torchls.analysis.candidates import used_names

# In a class's definitions, a key ANY_NAME + prefix: a method sets attributes by computed names that
# start with the prefix (all names for ""), so any such member may be data put there at run time.
ANY_NAME = "*"
PROPERTY_DECORATORS = ("property", "cached_property", "functools.cached_property", "setter", "getter")


def class_definitions(classdef: BaseNode) -> dict[str, str]:
    """Names a class body or its methods define: "method" for plain defs, "data" for the rest."""
    definitions: dict[str, str] = {}
    suite = classdef.children[-1]
    for statement in getattr(suite, "children", []):
        node = statement
        decorators: list[str] = []
        if node.type == "decorated":
            decorator_nodes = node.children[0]
            nodes = decorator_nodes.children if decorator_nodes.type == "decorators" else [decorator_nodes]
            decorators = [d.get_code(include_prefix=False).strip().lstrip("@") for d in nodes]
            node = node.children[-1]
        if node.type == "async_stmt":
            node = node.children[-1]
        if node.type == "funcdef":
            is_data = any(d.split("(")[0].endswith(PROPERTY_DECORATORS) for d in decorators)
            definitions[node.name.value] = "data" if is_data else "method"
        elif node.type == "simple_stmt":
            for expression in node.children:
                if expression.type == "expr_stmt":
                    for name in expression.get_defined_names():
                        definitions[name.value] = "data"
    # `self.name = ...` in any method of the class
    for function in classdef.iter_funcdefs():  # type: ignore[attr-defined]
        for name in _self_assignments(function):
            definitions.setdefault(name, "data")
        names, prefixes = _attributes_set_by_name(function)
        for name in names:
            definitions.setdefault(name, "data")
        for prefix in prefixes:
            definitions[ANY_NAME + prefix] = "data"
    return definitions


def set_by_name(definitions: dict[str, str], name: str) -> bool:
    """True when a class's methods may set ``name`` by a computed name (see ANY_NAME)."""
    return any(key.startswith(ANY_NAME) and name.startswith(key[1:]) for key in definitions)


def _attributes_set_by_name(function: BaseNode) -> tuple[set[str], set[str]]:
    """The attribute names a method sets on ``self`` by name, and the prefixes of names it computes.

    ``setattr(self, "name", v)`` sets "name"; ``setattr(self, name, v)`` with ``name`` from a loop over
    literal strings, the names listed; ``setattr(self, f"_{x}", v)`` only names starting with "_".
    Any other computed name (``for k, v in opts.items(): setattr(self, k, v)``), and
    ``self.__dict__.update(...)``, may set any name: the prefix "". A computed name guarded by
    ``if hasattr(self, name):`` only re-binds what the object already has (transformers'
    ``set_input_embeddings`` swaps a sub-module by its name) and sets no new name.
    """
    params = function.get_params()  # type: ignore[attr-defined]
    if not params:
        return set(), set()
    self_name = params[0].name.value
    names: set[str] = set()
    prefixes: set[str] = set()
    used = used_names(function)
    for leaf in used.get("setattr", []):
        trailer = leaf.get_next_sibling()
        if trailer is None or trailer.type != "trailer" or trailer.children[0] != "(":
            continue
        arguments = trailer.children[1]
        items = [c for c in getattr(arguments, "children", []) if c.type != "operator"]
        if len(items) < 2 or items[0].get_code().strip() != self_name:
            continue
        target = items[1]
        literal = _string_value(target)
        if literal is not None:
            names.add(literal)
            continue
        if target.type == "name":
            listed = _loop_strings(function, target, used)
            if listed is not None:
                names |= listed
                continue
            if _guarded_by_hasattr(leaf, self_name, target.value):
                continue
        prefixes.add(_literal_prefix(target))
    for leaf in used.get("__dict__", []):
        expr = leaf.parent.parent if leaf.parent is not None else None
        if expr is not None and expr.get_code().strip().startswith((f"{self_name}.__dict__.update", "vars(")):
            prefixes.add("")
    if any(
        leaf.parent is not None and leaf.parent.get_code().strip().startswith(f"vars({self_name}).update")
        for leaf in used.get("vars", [])
    ):
        prefixes.add("")
    return names, prefixes


def _string_value(node: NodeOrLeaf) -> str | None:
    """The value of a plain string literal (not an f-string, nor implicitly concatenated), else None."""
    if node.type != "string":
        return None
    try:
        value = ast.literal_eval(node.value)  # type: ignore[attr-defined]
    except (SyntaxError, ValueError):
        return None
    return value if isinstance(value, str) else None


def _literal_prefix(node: NodeOrLeaf) -> str:
    """The literal start of a computed name: ``f"_{x}"`` and ``"_" + x`` give "_"; anything else ""."""
    if node.type == "fstring" and len(node.children) > 1 and node.children[1].type == "fstring_string":  # type: ignore[attr-defined]
        return node.children[1].value  # type: ignore[attr-defined, no-any-return]
    if node.type == "arith_expr" and node.children[1] == "+":  # type: ignore[attr-defined]
        return _string_value(node.children[0]) or ""  # type: ignore[attr-defined]
    return ""


def _loop_strings(function: BaseNode, name: NodeOrLeaf, used: dict[str, list[Any]]) -> set[str] | None:
    """The strings ``name`` takes as the variable of an enclosing ``for`` over literal strings (directly,
    or through a local name assigned only such literals); else None.
    """
    loop = name.search_ancestor("for_stmt")
    while loop is not None and not (loop.children[1].type == "name" and loop.children[1].value == name.value):  # type: ignore[attr-defined]
        loop = loop.search_ancestor("for_stmt")
    if loop is None or not function.start_pos <= loop.start_pos:
        return None
    iterable = loop.children[3]  # type: ignore[attr-defined]
    if iterable.type != "name":
        return _literal_strings(iterable)
    found: set[str] = set()
    for leaf in used.get(iterable.value, []):
        if leaf.is_definition():
            statement = leaf.parent
            if statement is None or statement.type != "expr_stmt" or statement.children[0] is not leaf:
                return None
            listed = _literal_strings(statement.children[-1])
            if listed is None or len(statement.children) != 3:
                return None
            found |= listed
    return found or None


def _literal_strings(node: NodeOrLeaf) -> set[str] | None:
    """The strings of a literal list, tuple or set of plain strings, else None."""
    if node.type != "atom" or node.children[0] not in ("[", "(", "{") or len(node.children) != 3:  # type: ignore[attr-defined]
        return None
    inner = node.children[1]  # type: ignore[attr-defined]
    items = [inner] if inner.type == "string" else [c for c in getattr(inner, "children", []) if c != ","]
    values = [_string_value(item) for item in items]
    return None if not values or None in values else {v for v in values if v is not None}


def _guarded_by_hasattr(leaf: NodeOrLeaf, self_name: str, name: str) -> bool:
    """True when the ``setattr`` call runs only in the branch of ``if hasattr(self, name):``."""
    wanted = f"hasattr({self_name},{name})"
    node: NodeOrLeaf = leaf
    while node.parent is not None and node.parent.type not in ("funcdef", "classdef"):
        parent = node.parent
        index = parent.children.index(node) if parent.type == "if_stmt" else 0
        if index >= 3 and parent.children[index - 1] == ":" and parent.children[index - 3] in ("if", "elif"):
            if "".join(parent.children[index - 2].get_code().split()) == wanted:
                return True
        node = parent
    return False


def _self_assignments(function: BaseNode) -> list[str]:
    """Attribute names assigned as ``self.name = ...`` in a method."""
    params = function.get_params()  # type: ignore[attr-defined]
    if not params:
        return []
    self_name = params[0].name.value
    names = []
    for leaf in used_names(function).get(self_name, []):
        expr = leaf.parent
        if expr is None or expr.type != "atom_expr" or len(expr.children) != 2:
            continue
        trailer = expr.children[1]
        if trailer.type != "trailer" or trailer.children[0] != ".":
            continue
        statement = expr.parent
        if statement is not None and statement.type == "expr_stmt" and _is_target(statement, expr):
            names.append(trailer.children[1].value)
    return names


def _is_target(statement: BaseNode, expr: NodeOrLeaf) -> bool:
    children = statement.children
    index = children.index(expr)
    return (
        index + 1 < len(children)
        and children[index + 1].type in ("operator", "annassign")
        and (
            children[index + 1].type == "annassign" or children[index + 1].value == "="  # type: ignore[attr-defined]
        )
    )
