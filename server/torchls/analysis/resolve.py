"""What a receiver is: jedi's inference on the analysed environment, plus torchls's own rules
where jedi loses the torch types that matter.

jedi alone gives nothing for ``model(x)`` (``Module.__call__`` is typed ``Callable[..., Any]``),
loses the subclass through ``.to()`` / ``.eval()`` (``-> Self``), gives nothing for
``t.detach()`` and for names assigned from those. The resolver walks the receiver expression
trailer by trailer: torch objects are stepped through with the catalog (a method call gives
what the catalog says it returns; calling a Module gives what its ``forward`` returns), and
everything else is left to jedi. Names jedi cannot infer are followed to their assignments.

This module uses jedi internals (contexts, values, ``infer_trailer``), all through jedi_bridge.py.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jedi
from parso.tree import BaseNode, NodeOrLeaf

from torchls.analysis import jedi_bridge
from torchls.analysis.callsites import (
    MAX_CALLS,
    OutsideCall,
    argument_at,
    arguments_for,
    method_of_module_class,
    module_function,
)
from torchls.analysis.candidates import code_of, used_names
from torchls.analysis.catalog import ROOT_TITLES, Catalog, Member
from torchls.analysis.class_definitions import class_definitions, set_by_name
from torchls.analysis.evidence import Evidence, judge, receiver_uses
from torchls.analysis.jedi_bridge import CompForContext, ValueSet, infer_trailer
from torchls.analysis.workspace import Call, OtherFiles

_COMP_FOR = ("comp_for", "sync_comp_for")
# Operations whose result is a tensor when an operand is one: comparisons, arithmetic, bitwise, unary.
TENSOR_OPERATIONS = frozenset(
    {"comparison", "arith_expr", "term", "factor", "shift_expr", "and_expr", "xor_expr", "expr"}
)
# Return expressions that are not a tensor: tuples, lists, dicts, sets, strings, numbers, None, lambdas.
NOT_TENSORS = frozenset({"testlist", "testlist_star_expr", "atom", "string", "number", "keyword", "lambdef"})
# Functions whose result is the module given to them, compiled, scripted or copied.
KEEPS_ARGUMENT = frozenset({"torch.compile", "torch.jit.script", "torch.jit._script.script", "copy.deepcopy"})
MAX_DEPTH = 6  # how many assignments / forward() bodies to follow for one receiver


@dataclass(frozen=True, eq=False)
class TorchObject:
    """An instance of a catalogued torch class (or of a subclass)."""

    root: str  # catalogued class: Module, Optimizer, LRScheduler, ReduceLROnPlateau, Tensor
    class_name: str  # the most derived class known, e.g. "train.Net"
    jedi_value: Any = None  # jedi's instance, when jedi knows it (for overrides and forward)
    # How it is known when no type says so: the receiver's uses in its scope, or the calls that pass it.
    evidence: Evidence | None = None
    receiver: str = ""  # the receiver the evidence is about, as written
    call_lines: tuple[int, ...] = ()  # the lines of the calls whose arguments made a parameter known
    call_files: tuple[str, ...] = ()  # for each such call in another file of the project: that file
    mro: tuple[str, ...] = ()  # the class's MRO as qualified names, when known: members are looked up there

    def member(self, catalog: Catalog, name: str) -> Member | None:
        """Torch's member ``name`` on this object: on its most derived catalogued class, else on its root."""
        if self.mro:
            return catalog.lookup(self.mro, name)
        return catalog.member(self.root, name)


@dataclass(frozen=True)
class OwnMember:
    """A member that a class outside torch defines (a library's model, the user's trainer)."""

    kind: str  # "method" or "data"
    owner: str  # the defining class
    types: tuple[str, ...] = ()  # for data: the qualified names of what it holds or its property gives
    requires_arguments: bool = False  # for methods: a call needs arguments besides `self`


@dataclass(frozen=True, eq=False)
class BoundMember:
    """``obj.method`` before the call."""

    owner: TorchObject
    member: Member


@dataclass(frozen=True, eq=False)
class TorchIterator:
    """What ``model.parameters()`` or ``model.modules()`` gives: an iterator over torch objects."""

    yields: str


@dataclass(frozen=True, eq=False)
class TensorBatch:
    """A ``DataLoader``'s batch whose every element is a tensor (``[x, y]`` from a ``TensorDataset``):
    indexing it, or unpacking it in a ``for`` target, gives a tensor.
    """


DATA_LOADER = "torch.utils.data.dataloader.DataLoader"
# What the default collate function turns into a tensor: tensors, NumPy arrays and numbers.
COLLATED_TO_TENSORS = frozenset({"numpy.ndarray", "builtins.int", "builtins.float", "builtins.bool"})


def qualified_name(value: Any) -> str:
    """``module.Class`` for a jedi class value (empty if jedi cannot say)."""
    try:
        names = value.get_qualified_names()
        module = value.get_root_context().py__name__()
    except Exception:  # compiled or synthetic values without names
        return ""
    if names is None or module is None:
        return ""
    return ".".join((module, *names))


def _requires_arguments(method: Any) -> bool:
    """True when a user's or library's method needs arguments besides ``self`` (unknown: True)."""
    node = getattr(method, "tree_node", None)
    if node is None or node.type != "funcdef":
        return True
    params = node.get_params()[1:]
    return any(param.default is None and not param.star_count for param in params)


def _is_self(node: NodeOrLeaf) -> bool:
    """True for the first parameter's name inside a method (``self``)."""
    function = node.search_ancestor("funcdef")
    if function is None or function.parent is None or function.parent.parent is None:
        return False
    if function.parent.parent.type != "classdef":
        return False
    params = function.get_params()  # type: ignore[attr-defined]
    return bool(params) and node.type == "name" and params[0].name.value == node.value  # type: ignore[attr-defined]


def _is_none(value: Any) -> bool:
    try:
        return bool(value.is_instance()) and qualified_name(value.py__class__()) == "builtins.NoneType"
    except Exception:
        return False


# Builtin types whose instances may share a receiver with a tensor (`encode()` gives `list[int] | Tensor`).
BUILTIN_TYPES: dict[str, type] = {
    f"builtins.{t.__name__}": t for t in (list, tuple, dict, set, str, bytes, int, float, bool, complex)
}


def _lacks(value: Any, member: str) -> bool:
    """True when ``value`` is an instance of a builtin type that has no ``member``: ``value.member`` raises."""
    try:
        python_type = BUILTIN_TYPES.get(qualified_name(value.py__class__())) if value.is_instance() else None
    except Exception:
        return False
    return python_type is not None and bool(member) and not hasattr(python_type, member)


# TORCHLS_CALL_SITES_AND_EVIDENCE=0 turns off typing receivers from call sites and from use, so that
# benchmarks/latency.py can measure what the two stages cost side by side (a measurement switch, not a setting).
CALL_SITES_AND_EVIDENCE = os.environ.get("TORCHLS_CALL_SITES_AND_EVIDENCE", "1") != "0"


class Resolver:
    """Resolves receivers in one jedi Script. Not thread-safe (nor is jedi)."""

    def __init__(self, script: jedi.Script, catalog: Catalog, other_files: OtherFiles | None = None) -> None:
        self._module_context = jedi_bridge.module_context(script)
        self._other_files = other_files  # the calls of this module's functions in the project's other files
        self._inference_state = jedi_bridge.inference_state(script)
        self._catalog = catalog
        self._overrides: dict[int, dict[str, str]] = {}
        self._scope_names: dict[int, dict[str, list[Any]]] = {}  # used names per scope, for evidence
        self._skip: NodeOrLeaf | None = None  # the access being judged: its own use is not evidence
        # The receivers evidence from use was asked about (`model`, `.model` for `self.model`), for the
        # incremental analysis: a change of their uses elsewhere matters only to code that asked.
        self.consulted: set[str] = set()
        self._member = ""

    # Public API ---------------------------------------------------------------------------

    def torch_objects(self, nodes: list[NodeOrLeaf], access: NodeOrLeaf | None = None) -> list[TorchObject] | None:
        """The receiver's possible values when every one is a torch object, [] when nothing is known, else None.

        ``None`` values are ignored (``self.model = None`` in ``__init__``, set later), and so are
        builtin values without the member (the ``list[int]`` of ``encode()``'s ``list[int] | Tensor``):
        where the value is one of those the access fails anyway, so reporting the torch case is still right.
        ``access`` is the ``.member`` trailer being judged, whose own use is no evidence of the
        receiver's class.
        """
        self._fresh_budget()
        self._skip = access
        self._member = access.children[1].value if access is not None else ""  # type: ignore[attr-defined]
        context = self._context_of(nodes[0])
        objects: list[TorchObject] = []
        values = self._chain(context, nodes, 0)
        if not values:
            return []  # nothing known of the receiver
        for value in values:
            if isinstance(value, TorchObject):
                objects.append(value)
                continue
            if isinstance(value, (BoundMember, TorchIterator, TensorBatch)) or not hasattr(value, "is_instance"):
                return None
            if _is_none(value) or _lacks(value, self._member):
                continue
            torch_object = self._as_torch(value)
            if torch_object is None:
                return None
            objects.append(torch_object)
        return objects or None

    def module_names(self, nodes: list[NodeOrLeaf]) -> set[str]:
        """The names of the modules ``nodes`` (``torch.cuda``, ``dist``) evaluate to; empty if any value is not one."""
        self._fresh_budget()
        names = set()
        for value in self._chain(self._context_of(nodes[0]), nodes, 0):
            if isinstance(value, (TorchObject, BoundMember, TorchIterator, TensorBatch)) or not value.is_module():
                return set()
            names.add(value.py__name__())
        return names

    def own_members(self, nodes: list[NodeOrLeaf], name: str) -> OwnMember | None:
        """How the receiver's own classes (the user's, a library's) define ``name``, read from their source,
        when every value of the receiver is an instance whose class defines it the same way; else None.
        """
        self._fresh_budget()
        found: set[tuple[str, str]] = set()
        types: list[str] = []
        requires_arguments = False
        for value in self._chain(self._context_of(nodes[0]), nodes, 0):
            instance = value.jedi_value if isinstance(value, TorchObject) else value
            if instance is None or not hasattr(instance, "is_instance") or not instance.is_instance():
                return None
            defined = self._own_definition(instance, name)
            if defined is None:
                return None
            found.add(defined)
            if defined[0] == "data":
                types += [qualified_name(v.py__class__()) for v in instance.py__getattribute__(name)]
            else:
                requires_arguments |= any(map(_requires_arguments, instance.py__getattribute__(name)))
        if len(found) != 1:
            return None
        kind, owner = found.pop()
        return OwnMember(kind, owner, tuple(types), requires_arguments)

    def _own_definition(self, instance: Any, name: str) -> tuple[str, str] | None:
        """(kind, class) of the first class outside torch in the instance's MRO that defines ``name``."""
        try:
            mro = list(instance.py__class__().py__mro__())
        except Exception:
            return None
        for cls in mro:
            qualname = qualified_name(cls)
            if qualname == "builtins.object":
                continue  # jedi lists it before later bases
            if qualname.startswith(("torch.", "builtins.")):
                if qualname.startswith("builtins.") or self._catalog.class_member(qualname, name) is not None:
                    return None  # torch's own member (the catalog's), or a builtin's
                continue  # `PreTrainedModel(nn.Module, ModuleUtilsMixin)`: the mixin after Module defines it
            definitions = self._definitions(cls)
            if set_by_name(definitions, name):
                return None
            if name in definitions:
                return definitions[name], qualname
        return None

    def class_names(self, node: NodeOrLeaf) -> set[str]:
        """Qualified names of the classes ``node`` evaluates to (instances give nothing)."""
        self._fresh_budget()
        context = self._context_of(node)
        names = set()
        for value in context.infer_node(node):
            if value.is_class():
                names.add(qualified_name(value))
            else:
                names.add("")
        return names

    def override(self, obj: TorchObject, name: str) -> str | None:
        """How the user's own class redefines ``name``: "method", "data" or None (it does not).

        Only classes outside torch are looked at: a Trainer's ``self.parameters = [...]`` or a
        ``@property`` named like a torch method makes the member the user's, not torch's.
        """
        for cls in self._mro(obj):
            qualname = qualified_name(cls)
            if qualname.startswith(("torch.", "builtins.")):
                continue
            definitions = self._definitions(cls)
            if name in definitions:
                return definitions[name]
            if set_by_name(definitions, name):
                return "data"  # attributes set by computed names may shadow this member
        return None

    def _defines(self, obj: TorchObject, name: str) -> bool:
        """True when a class of the module's MRO really defines ``name``.

        For any other name jedi falls back on ``Module.__getattr__``, typed ``-> Tensor | Module``:
        a typing convenience, not evidence (it made Hugging Face's ``model.device`` a Tensor).
        """
        for cls in self._mro(obj):
            if qualified_name(cls) in self._catalog.qualnames:
                continue  # nn.Module itself: its members are catalogued, its __getattr__ is the guess
            if name in self._definitions(cls):
                return True
        return False

    def _mro(self, obj: TorchObject) -> list[Any]:
        try:
            return list(obj.jedi_value.py__class__().py__mro__()) if obj.jedi_value is not None else []
        except Exception:
            return []

    def _definitions(self, cls: Any) -> dict[str, str]:
        tree_node = getattr(cls, "tree_node", None)
        if tree_node is None or tree_node.type != "classdef":
            return {}
        definitions = self._overrides.get(id(tree_node))
        if definitions is None:
            definitions = class_definitions(tree_node)
            self._overrides[id(tree_node)] = definitions
        return definitions

    def _context_of(self, node: NodeOrLeaf) -> Any:
        """Jedi's context for a node, with the comprehension scope of ``if`` clauses set right.

        jedi's ``create_context`` places the condition of ``[t for t in ts if t.any]`` in the
        enclosing scope (as it does the iterable), where ``t`` is unknown.
        """
        ancestor = node.parent
        while ancestor is not None and ancestor.type not in ("funcdef", "classdef", "file_input"):
            if ancestor.type == "comp_if" and ancestor.parent is not None and ancestor.parent.type in _COMP_FOR:
                comp_for = ancestor.parent
                return CompForContext(self._module_context.create_context(comp_for), comp_for)
            ancestor = ancestor.parent
        return self._module_context.create_context(node)

    def _fresh_budget(self) -> None:
        """Give each receiver jedi's full inference budget (see jedi_bridge.fresh_inference_budget)."""
        jedi_bridge.fresh_inference_budget(self._inference_state)

    # Walking an expression ----------------------------------------------------------------

    def _chain(self, context: Any, nodes: list[NodeOrLeaf], depth: int) -> list[Any]:
        values = self._atom(context, nodes[0], depth)
        for index, trailer in enumerate(nodes[1:], start=1):
            if not values:
                return []
            values = self._trailer(context, values, trailer, depth)  # type: ignore[arg-type]
            if not values and index == 1 and trailer.children[0] == "." and _is_self(nodes[0]):  # type: ignore[attr-defined]
                values = self._from_use(nodes[:2], "classdef")  # `self.model = build(cfg)`
        return values

    def _expression(self, context: Any, node: NodeOrLeaf, depth: int) -> list[Any]:
        if depth > MAX_DEPTH:
            return []
        if node.type in ("atom_expr", "power") and node.children[0] != "await" and node.children[1] != "**":  # type: ignore[attr-defined]
            return self._chain(context, node.children, depth)  # type: ignore[attr-defined]
        return self._atom(context, node, depth)

    def _atom(self, context: Any, atom: NodeOrLeaf, depth: int) -> list[Any]:
        if atom.type in TENSOR_OPERATIONS and self._has_tensor_operand(context, atom, depth):  # type: ignore[arg-type]
            return [TorchObject("Tensor", ROOT_TITLES["Tensor"])]  # `(a == b)`, `-x`, `x @ w`: a tensor again
        if atom.type == "atom" and atom.children[0] == "(" and len(atom.children) == 3:  # type: ignore[attr-defined]
            return self._expression(context, atom.children[1], depth + 1)  # type: ignore[attr-defined]
        values = list(context.infer_node(atom))
        if values and not all(map(_is_none, values)):
            if atom.type == "name" and self._only_roots(values):
                # `model = Net().to(device)`: jedi gives torch's `-> Self` as the root class itself
                return self._from_definitions(context, atom, depth) or values
            return values
        if atom.type == "name":
            return self._from_definitions(context, atom, depth) or self._from_use([atom], "funcdef") or values
        return []

    def _has_tensor_operand(self, context: Any, operation: BaseNode, depth: int) -> bool:
        """True when one operand of an operation is a tensor (the others may be numbers), and no ``in``/``is``."""
        operands = [child for child in operation.children if child.type != "operator" and child.type != "keyword"]
        operators = {child.get_code().strip() for child in operation.children if child not in operands}
        if operators & {"in", "is", "not", "and", "or"} or depth >= MAX_DEPTH:
            return False
        for operand in operands:
            values = self._expression(context, operand, depth + 1)
            if values and all(
                isinstance(v, TorchObject) and v.root == "Tensor" for v in map(self._torch_value, values)
            ):
                return True
        return False

    def _from_definitions(self, context: Any, name: Any, depth: int) -> list[Any]:
        """Follow a name jedi could not infer to its assignments (``loss = criterion(out, y)``)."""
        if depth >= MAX_DEPTH:
            return []
        results: list[Any] = []
        for definition in self._bindings(context, name):
            tree_name = getattr(definition, "tree_name", None)
            if tree_name is None or tree_name is name:
                continue
            statement = tree_name.get_definition()
            if statement is None:
                continue
            definition_context = definition.parent_context
            if statement.type == "expr_stmt" and tree_name.parent is statement:
                results += self._expression(definition_context, statement.get_rhs(), depth + 1)
            elif statement.type == "for_stmt":
                results += self._loop_target(definition_context, statement, tree_name, depth)
            elif statement.type == "param" and statement.annotation is None:
                results += self._from_call_sites(statement, depth)
        return results

    def _bindings(self, context: Any, name: Any) -> list[Any]:
        """The assignments ``name`` refers to. In ``x = x.flatten(1)`` jedi's goto gives the right-hand
        ``x`` its own statement, which is not bound yet: the bindings before that statement are meant.
        """
        definitions = list(context.goto(name, name.start_pos))
        statement = name.search_ancestor("expr_stmt")
        if statement is not None and any(
            getattr(d, "tree_name", None) is not None and d.tree_name.get_definition() is statement for d in definitions
        ):
            return list(context.goto(name, statement.start_pos))
        return definitions

    def _loop_target(self, context: Any, loop: BaseNode, name: NodeOrLeaf, depth: int) -> list[Any]:
        """What ``name`` in a ``for`` target gets: a torch iterator's items (``for p in model.parameters()``),
        a ``DataLoader``'s batch or its tensors (``for x, y in loader``), through ``enumerate`` and ``zip``.
        """
        path = _target_path(loop.children[1], name)
        return [] if path is None else self._items(context, loop.children[3], path, depth)

    def _items(self, context: Any, iterable: NodeOrLeaf, path: tuple[int, ...], depth: int) -> list[Any]:
        """The values at ``path`` (see ``_target_path``) of what iterating ``iterable`` gives."""
        wrapped = _builtin_call(iterable, ("enumerate", "zip"))
        if wrapped is not None:
            function, arguments = wrapped
            if not path:
                return []  # the pair itself
            if function == "enumerate" and path[0] == 1 and len(arguments) == 1:
                return self._items(context, arguments[0], path[1:], depth)
            if function == "zip" and path[0] < len(arguments):
                return self._items(context, arguments[path[0]], path[1:], depth)
            return []
        results: list[Any] = []
        for value in self._expression(context, iterable, depth + 1):
            if isinstance(value, TorchIterator) and not path:
                results.append(TorchObject(value.yields, ROOT_TITLES[value.yields]))
            elif (batch := self._batch(value)) is not None and len(path) <= 1:
                # Unpacking a batch of tensors, or a tensor (along its first dimension), gives tensors.
                tensor = isinstance(batch, TorchObject) or bool(path)
                results.append(TorchObject("Tensor", ROOT_TITLES["Tensor"]) if tensor else batch)
        return results

    def _batch(self, value: Any) -> TorchObject | TensorBatch | None:
        """A batch of the ``DataLoader`` ``value``: a tensor, or tensors, when the default collate function
        makes them of its dataset's items (what ``__getitem__`` returns); None when that is not known.
        """
        loader = self._torch_value(value)
        if loader is None or loader.class_name != DATA_LOADER or loader.jedi_value is None:
            return None
        arguments = jedi_bridge.constructor_arguments(loader.jedi_value)
        if arguments is None or any(
            key == "collate_fn" or (key == "batch_size" and not all(_is_number(v) for v in _safe(lazy.infer)))
            for key, lazy in arguments
        ):
            return None  # another collate function, or maybe `batch_size=None` (no collation): not known
        datasets = [lazy for key, lazy in arguments[:1] if key is None] + [v for k, v in arguments if k == "dataset"]
        if len(datasets) != 1:
            return None
        kinds = set()
        for dataset in _safe(datasets[0].infer):
            for getitem in _safe(lambda: list(dataset.py__getattribute__("__getitem__"))):  # noqa: B023 (called at once)
                for item in _safe(getitem.execute_with_values):
                    kinds.add(self._collated(item))
        if len(kinds) != 1:
            return None
        (kind,) = kinds
        return TorchObject("Tensor", ROOT_TITLES["Tensor"]) if kind == "tensor" else TensorBatch() if kind else None

    def _collated(self, item: Any) -> str:
        """What the default collate function makes of a dataset item: "tensor", "tensors" (a list of them), or ""."""
        if self._is_tensor_like(item):
            return "tensor"
        if qualified_name(_safe(item.py__class__)) not in ("builtins.tuple", "builtins.list"):
            return ""
        elements = _safe(lambda: [list(lazy.infer()) for lazy in item.py__iter__()])
        if elements and all(values and all(map(self._is_tensor_like, values)) for values in elements):
            return "tensors"
        return ""

    def _is_tensor_like(self, value: Any) -> bool:
        obj = self._torch_value(value)
        if obj is not None:
            return obj.root == "Tensor"
        return not isinstance(value, (BoundMember, TorchIterator, TensorBatch)) and (
            qualified_name(_safe(value.py__class__)) in COLLATED_TO_TENSORS
        )

    def _from_call_sites(self, param: Any, depth: int) -> list[Any]:
        """A parameter's values: what every call of its function passes to it, in this module and in the
        project's other files (workspace.py).

        An argument that is not known leaves the parameter unknown; one that is not a torch object
        is kept, so that the receiver counts as not torch's (no evidence from use overrides it).
        """
        if not CALL_SITES_AND_EVIDENCE or param.get_root_node() is not self._module_context.tree_node:
            return []
        outside: list[OutsideCall] = []
        arguments = arguments_for(param, self._names_in(self._module_context.tree_node), outside)
        if arguments is None:
            return []
        for method_call in outside:  # `trainer.fit(model)`: a call of this method only on an instance of its class
            mine = self._instance_of(method_call.receiver, method_call.owner, depth)
            if mine is None:
                return []  # the receiver is not known: a call out of view
            if mine:
                argument = argument_at(method_call.trailer, param)
                if argument is None:
                    return []
                arguments.append(argument)
        passed: list[tuple[Any, NodeOrLeaf, Call | None]] = [
            (self._module_context.create_context(argument), argument, None) for argument in arguments
        ]
        function = module_function(param)
        if self._other_files is not None and function is not None:
            calls = self._other_files.calls(function)
            if calls is None:
                return []  # not every caller is in view
            for other in calls:
                argument = argument_at(other.trailer, param)
                if argument is None:
                    return []
                passed.append((other.context, argument, other))
        method = method_of_module_class(param)
        if self._other_files is not None and method is not None:
            if self._inherited(*method):
                return []  # it overrides a base class's method: code out of view (a library's) may call it
            calls = self._other_files.method_calls(method[0])
            if calls is None:
                return []
            for other in calls:  # `trainer.fit(model)` in another file: a call of it only on an instance
                mine = self._instance_of(list(other.receiver), method[1], depth, other.context, method[0].name.value)
                if mine is None:
                    return []  # the receiver is not known: a call out of view
                if mine:
                    argument = argument_at(other.trailer, param)
                    if argument is None:
                        return []
                    passed.append((other.context, argument, other))
        if not passed or len(passed) > MAX_CALLS:
            return []
        results: list[Any] = []
        for context, argument, call in passed:
            if call is None:
                values = [value for value in self._expression(context, argument, depth + 1) if not _is_none(value)]
            else:
                values = self._caller_values(call, argument, depth)
            if call and any(isinstance(value, TorchObject) and value.evidence is not None for value in values):
                return []  # a guess from the uses in the caller's scope: not a type
            if not values:
                return []
            results += values
        lines = tuple(sorted({argument.start_pos[0] for _, argument, call in passed if call is None}))
        files = tuple(call.file for _, _, call in passed if call is not None)
        known = []
        for value in results:
            obj = self._torch_value(value)
            if obj is not None:
                value = dataclasses.replace(obj, call_lines=lines, call_files=files, receiver=param.name.value)
            known.append(value)
        return known

    def _caller_values(self, call: Call, argument: NodeOrLeaf, depth: int) -> list[Any]:
        """The values of an argument of a call in another file, ``None`` values left out.

        Inferred in the caller's own inference state and kept across analyses when that never read the
        analysed file (workspace.py): an edit of this file then re-creates them here instead of inferring
        them again. Otherwise, or when they cannot be made again, inferred here as they are.
        """
        assert self._other_files is not None
        index = self._other_files.index
        key = self._other_files.argument_key(call, argument, depth, self._member)
        if key is not None:
            if key not in index.kept_arguments:
                index.keep_argument(key, self._kept_values(call, argument, depth))
            kept = index.kept_arguments[key]
            values = None if kept is None else self._made_again(kept)
            if values is not None:
                return values
            index.keep_argument(key, None)  # it cannot be made again here: infer it here from now on
        return [value for value in self._expression(call.context, argument, depth + 1) if not _is_none(value)]

    def _kept_values(self, call: Call, argument: NodeOrLeaf, depth: int) -> list[_Kept] | None:
        """The argument's values inferred in its caller's own inference state, as they can be kept;
        None: they cannot (they may rest on the analysed file's text, or hold what only one state knows).
        """
        assert self._other_files is not None
        try:
            found = self._other_files.caller_context(call, argument)
            if found is None:
                return None
            context, node = found
            values = [value for value in self._expression(context, node, depth + 1) if not _is_none(value)]
            if self._other_files.reached_analysed_file(context):
                return None
        except Exception:  # jedi on another file's code: infer it in this state instead
            return None
        if any(isinstance(value, TorchObject) and value.evidence is not None for value in values):
            return []  # a guess from the caller's uses: not a type, the parameter stays unknown as for no value
        kept = [_kept(value) for value in values]
        return None if None in kept else kept  # type: ignore[return-value]

    def _made_again(self, kept: list[_Kept]) -> list[Any] | None:
        """Kept values made again in this inference state; None when one cannot be made as it was."""
        values = []
        for value in kept:
            if value.instance_of is None:
                values.append(value.plain)
                continue
            try:
                instance = self._instance_again(*value.instance_of)
            except Exception:
                return None
            if instance is None:
                return None
            template = value.plain
            if template is None:
                values.append(instance)
                continue
            obj = self._as_torch(instance)
            if obj is None or (obj.root, obj.class_name, obj.mro) != (template.root, template.class_name, template.mro):
                return None
            values.append(dataclasses.replace(template, jedi_value=instance))
        return values

    def _instance_again(self, file: str, module: str, names: tuple[str, ...], kind: str) -> Any:
        """An instance, made with no arguments, of the class ``names`` of module ``module`` (from ``file``)."""
        assert self._other_files is not None
        modules = self._other_files.modules(Path(file), module)
        classes = [found for loaded in modules for found in loaded.py__getattribute__(names[0])]
        for name in names[1:]:
            classes = [found for cls in classes for found in cls.py__getattribute__(name)]
        if len(classes) != 1 or not classes[0].is_class() or type(classes[0]).__name__ != "ClassValue":
            return None
        instances = list(classes[0].execute_with_values())
        if len(instances) != 1 or type(instances[0]).__name__ != kind:
            return None
        return instances[0]

    def _instance_of(
        self, receiver: list[NodeOrLeaf], owner: BaseNode, depth: int, context: Any = None, method: str = ""
    ) -> bool | None:
        """True when every value of ``receiver`` is an instance of the class ``owner`` (or of a subclass),
        False when none is, None when that is not known.

        ``context``: the receiver's, when it is in another file. With ``method``, an instance of a subclass
        that defines the method again does not count: its calls go to that definition.
        """
        context = context or self._module_context.create_context(receiver[0])
        verdicts = set()
        for value in self._chain(context, receiver, depth + 1):
            instance = value.jedi_value if isinstance(value, TorchObject) else value
            try:
                classes = list(instance.py__class__().py__mro__()) if instance.is_instance() else None
            except Exception:
                classes = None
            if classes is None:
                return None
            verdicts.add(self._reaches(classes, owner, method))
        return verdicts.pop() if len(verdicts) == 1 else None

    def _reaches(self, classes: list[Any], owner: BaseNode, method: str) -> bool | None:
        """Whether an instance of the MRO ``classes`` runs ``owner``'s ``method`` (with no method: is one of it)."""
        if not method:
            return any(getattr(cls, "tree_node", None) is owner for cls in classes)
        name = owner.name.value  # type: ignore[attr-defined]
        for cls in classes:
            tree_node = getattr(cls, "tree_node", None)
            if tree_node is owner:
                return True
            if tree_node is None or tree_node.type != "classdef":
                if qualified_name(cls) != "builtins.object" and _has_member(cls, method):
                    return False  # a class outside the project, before it in the MRO, defines the method
                continue
            if name == tree_node.name.value and tree_node.get_code() == owner.get_code():
                return None  # the same class read again (another tree of the file): cannot say which
            if method in self._definitions(cls):
                return False  # a subclass defines it again: its calls go there
        return False

    def _inherited(self, method: BaseNode, owner: BaseNode) -> bool:
        """True when a base class of ``owner`` (besides ``object``) has a member named like ``method``."""
        name = method.name.value  # type: ignore[attr-defined]
        try:
            classes = list(self._module_context.create_name(owner.name).infer())  # type: ignore[attr-defined]
            mro = [cls for value in classes for cls in list(value.py__mro__())[1:]]
        except Exception:
            return True
        if len(classes) != 1:
            return True
        return any(qualified_name(cls) != "builtins.object" and _has_member(cls, name) for cls in mro)

    def _only_roots(self, values: list[Any]) -> bool:
        """True when every value is an instance of a catalogued class itself (``Module``), not of a subclass."""
        for value in values:
            obj = self._as_torch(value)
            if obj is None or obj.class_name not in self._catalog.qualnames or obj.root == "Tensor":
                return False
        return True

    def _torch_value(self, value: Any) -> TorchObject | None:
        if isinstance(value, TorchObject):
            return value
        if isinstance(value, (BoundMember, TorchIterator, TensorBatch)) or not hasattr(value, "is_instance"):
            return None
        return self._as_torch(value)

    def _names_in(self, scope: BaseNode) -> dict[str, list[Any]]:
        """The name leaves of a scope by name, walked once per analysis."""
        if scope.type == "file_input":
            return scope.get_used_names()  # type: ignore[attr-defined, no-any-return]  # parso's, kept per parse
        names = self._scope_names.get(id(scope))
        if names is None:
            names = self._scope_names[id(scope)] = used_names(scope)
        return names

    def _from_use(self, receiver: list[NodeOrLeaf], scope_type: str) -> list[Any]:
        """Torch objects for a receiver jedi cannot infer, from how its scope uses it (evidence.py)."""
        if not CALL_SITES_AND_EVIDENCE:
            return []
        scope = receiver[0].search_ancestor(scope_type, "file_input") if scope_type == "classdef" else None
        if scope is None:
            scope = receiver[0].search_ancestor("funcdef", "lambdef", "file_input")
        if scope is None:
            return []
        last = receiver[-1].children[-1] if receiver[-1].type == "trailer" else receiver[-1]  # type: ignore[attr-defined]
        name = getattr(last, "value", "")
        if len(receiver) > 1:
            self.consulted.add(f".{name}")  # the class's uses
        elif scope.type == "file_input":
            self.consulted.add(name)  # the file's uses (a function's own are in its unit)
        uses = receiver_uses(receiver, self._names_in(scope), self._skip)
        evidence = judge(uses, self._catalog, self._member) if uses else None
        if evidence is None:
            return []
        text = code_of(receiver)
        return [TorchObject(root, ROOT_TITLES[root], evidence=evidence, receiver=text) for root in evidence.roots]

    def _trailer(self, context: Any, values: list[Any], trailer: BaseNode, depth: int) -> list[Any]:
        opener = trailer.children[0]
        results: list[Any] = []
        for value in values:
            if isinstance(value, TensorBatch):
                if opener == "[":
                    results.append(TorchObject("Tensor", ROOT_TITLES["Tensor"]))
                continue
            if isinstance(value, TorchIterator):
                continue
            if isinstance(value, BoundMember):
                if opener == "(":
                    results += self._call_member(value, depth, without_arguments=len(trailer.children) == 2)
                continue
            obj = value if isinstance(value, TorchObject) else self._as_torch(value)
            is_jedi_value = not isinstance(value, TorchObject)
            if obj is not None and opener == ".":
                stepped = self._torch_attribute(obj, trailer.children[1].value)  # type: ignore[attr-defined]
                if stepped is not None:
                    results += stepped
                    continue
            elif obj is not None and opener == "(" and obj.root == "Module":
                results += self._module_call(obj, depth)
                continue
            elif obj is not None and opener == "[" and obj.root == "Tensor" and not is_jedi_value:
                results.append(obj)  # indexing a tensor gives a tensor
                continue
            if is_jedi_value:
                if obj is not None and opener == "." and obj.root == "Module":
                    if not self._defines(obj, trailer.children[1].value):  # type: ignore[attr-defined]
                        continue
                if opener == "(" and qualified_name(value) in KEEPS_ARGUMENT:
                    results += self._first_argument(context, trailer, depth)  # `torch.compile(model)`: the model
                    continue
                inferred = list(infer_trailer(context, ValueSet([value]), trailer))
                if not inferred and opener == "(":
                    inferred = self._returned(value, depth + 1)  # a user function jedi could not follow
                results += inferred
        return results

    def _torch_attribute(self, obj: TorchObject, name: str) -> list[Any] | None:
        """Step through ``obj.name`` with the catalog; None leaves it to jedi."""
        member = obj.member(self._catalog, name)
        if member is None:
            return None
        override = self.override(obj, name)
        # The user's own definition wins, except `forward`, which calling the module runs anyway.
        if override is not None and not (override == "method" and name == "forward"):
            return None
        if member.is_method:
            return [BoundMember(obj, member)]
        if "torch.Tensor" in member.types and set(member.types) <= {"torch.Tensor", "NoneType"}:
            return [TorchObject("Tensor", ROOT_TITLES["Tensor"])]
        classes = [qualname for qualname in member.classes if qualname != "builtins.NoneType"]
        if len(classes) == 1 and (held := self._object_of_class(classes[0])) is not None:
            return [held]  # `lin.weight`: a Parameter; `loader.dataset`: a Dataset; `ddp.module`: a Module
        return None

    def _call_member(self, bound: BoundMember, depth: int, without_arguments: bool) -> list[Any]:
        member = bound.member
        if bound.owner.root == "Module" and member.name == "forward":
            return self._module_call(bound.owner, depth)
        if member.returns_kind == "self":
            return [bound.owner]
        if member.returns_kind == "tensor":
            return [TorchObject("Tensor", ROOT_TITLES["Tensor"])]
        if member.returns_kind == "iterator" and member.yields:
            return [TorchIterator(member.yields)]
        if without_arguments and member.returns_class and (returned := self._object_of_class(member.returns_class)):
            return [returned]  # `x.size()`: a torch.Size (`x.size(0)` is an int; `x.max(0)` a named tuple)
        return []

    def _module_call(self, obj: TorchObject, depth: int) -> list[Any]:
        """``module(x)``: what ``forward`` returns, by its annotation or its return statements."""
        instance = obj.jedi_value
        if instance is None or depth >= MAX_DEPTH:
            return []
        try:
            forwards = list(instance.py__getattribute__("forward"))
        except Exception:
            return []
        results: list[Any] = []
        for forward in forwards:
            executed = list(forward.execute_with_values())
            returned = executed or self._returned(forward, depth) or self._forward_guess(obj, forward)
            if not returned:
                return []
            results += returned
        return results

    def _forward_guess(self, obj: TorchObject, forward: Any) -> list[Any]:
        """What calling a module gives when its ``forward`` says nothing jedi can follow.

        torch's containers give what the catalog says (``nn.Sequential``: a Tensor); a user's module
        whose ``forward`` returns no literal tuple, list or dict gives a Tensor, as modules do.
        """
        for qualname in obj.mro:
            info = self._catalog.class_info(qualname)
            if info is not None and info.call:
                called = self._object_of_class(info.call)
                return [called] if called is not None else []
        node = getattr(forward, "tree_node", None)
        if node is None or node.type != "funcdef" or qualified_name(forward.py__class__()).startswith("torch."):
            return []
        for statement in node.iter_return_stmts():
            if len(statement.children) < 2 or statement.children[1].type in NOT_TENSORS:
                return []
        return [TorchObject("Tensor", ROOT_TITLES["Tensor"])]

    def _first_argument(self, context: Any, trailer: BaseNode, depth: int) -> list[Any]:
        inner = trailer.children[1] if len(trailer.children) == 3 else None
        first = inner.children[0] if inner is not None and inner.type == "arglist" else inner
        if first is None or first.type == "argument":
            return []
        return self._expression(context, first, depth + 1)

    def _returned(self, function: Any, depth: int) -> list[Any]:
        """What a user function's return statements give, walked as receivers are (jedi gave nothing).

        ``return self.critic(x).detach()``: jedi loses the tensor at the module call, this does not.
        Any bare ``return`` or return of something unknown gives nothing.
        """
        function_node = getattr(function, "tree_node", None)
        if function_node is None or function_node.type != "funcdef" or depth >= MAX_DEPTH:
            return []
        module_context = function.get_root_context()
        results: list[Any] = []
        for statement in function_node.iter_return_stmts():
            if len(statement.children) < 2:
                return []
            expression = statement.children[1]
            values = self._expression(module_context.create_context(expression), expression, depth + 1)
            if not values:
                return []
            results += values
        return results

    def _as_torch(self, value: Any) -> TorchObject | None:
        """The torch object a jedi value is, if it is an instance of a catalogued class."""
        try:
            if not value.is_instance():
                return None
            mro = [qualified_name(cls) for cls in value.py__class__().py__mro__()]
        except Exception:
            return None
        return self._catalog_object(mro, value)

    def _catalog_object(self, mro: list[str], value: Any = None) -> TorchObject | None:
        """A torch object for an MRO with a catalogued class (``DataLoader`` has no root class: root "")."""
        root = self._catalog.root_of(mro)
        if root is None and not any(qualname in self._catalog.classes for qualname in mro):
            return None
        return TorchObject(root or "", mro[0] or ROOT_TITLES.get(root or "", ""), value, mro=tuple(mro))

    def _object_of_class(self, qualname: str) -> TorchObject | None:
        """A torch object for a catalogued class named by the catalog (what a member holds or returns)."""
        info = self._catalog.class_info(qualname)
        if info is None:
            return None
        if info.root == "Tensor":
            return TorchObject("Tensor", ROOT_TITLES["Tensor"])
        return self._catalog_object([info.qualname, *info.bases])


@dataclass(frozen=True)
class _Kept:
    """A caller's argument value, as it can be made again in another inference state (see _caller_values)."""

    plain: Any  # the value itself when it holds nothing of jedi's; for an instance, its TorchObject (or None)
    instance_of: tuple[str, str, tuple[str, ...], str] | None = None  # (module file, module, class names, kind)


def _kept(value: Any) -> _Kept | None:
    """How to keep a value across inference states: values of torchls's own that hold no jedi value, and
    instances made with no arguments of a class found by its module and name (nothing else tells them
    apart); None for anything else (made with arguments, generic, builtin, a function...).
    """
    if isinstance(value, TorchObject):
        if value.jedi_value is None:
            return _Kept(value)
        template: TorchObject | None = dataclasses.replace(value, jedi_value=None)
        instance = value.jedi_value
    elif isinstance(value, (TorchIterator, TensorBatch)):
        return _Kept(value)
    elif isinstance(value, BoundMember):
        return _Kept(value) if value.owner.jedi_value is None else None
    else:
        template, instance = None, value
    try:
        if not instance.is_instance() or jedi_bridge.constructor_arguments(instance) != []:
            return None
        cls = instance.py__class__()
        module = cls.get_root_context()
        names, module_name, file = cls.get_qualified_names(), module.py__name__(), module.py__file__()
    except Exception:
        return None
    if type(cls).__name__ != "ClassValue" or not names or module_name is None or file is None:
        return None
    return _Kept(template, (str(file), module_name, tuple(names), type(instance).__name__))


def _target_path(target: NodeOrLeaf, name: NodeOrLeaf) -> tuple[int, ...] | None:
    """Where ``name`` sits in a ``for`` target: () for the target itself, (1,) for ``y`` in ``x, y``,
    (1, 0) for ``x`` in ``i, (x, y)``; None for a starred name or when it is not there.
    """
    if target is name:
        return ()
    if target.type == "atom" and target.children[0] in ("(", "["):  # type: ignore[attr-defined]
        return _target_path(target.children[1], name) if len(target.children) == 3 else None  # type: ignore[attr-defined]
    if target.type not in ("exprlist", "testlist_star_expr", "testlist_comp"):
        return None
    parts = [child for child in target.children if child != ","]  # type: ignore[attr-defined]
    for index, part in enumerate(parts):
        inner = _target_path(part, name)
        if inner is not None:
            return (index, *inner)
    return None


def _builtin_call(node: NodeOrLeaf, names: tuple[str, ...]) -> tuple[str, list[NodeOrLeaf]] | None:
    """``("zip", [a, b])`` for ``zip(a, b)``: a call of one of ``names`` (builtins, by name) with positional
    arguments only; else None.
    """
    if node.type != "atom_expr" or len(node.children) != 2:  # type: ignore[attr-defined]
        return None
    callee, trailer = node.children  # type: ignore[attr-defined]
    if callee.type != "name" or callee.value not in names or trailer.children[0] != "(" or len(trailer.children) != 3:
        return None
    argument = trailer.children[1]
    arguments = [c for c in argument.children if c != ","] if argument.type == "arglist" else [argument]
    if any(a.type == "argument" for a in arguments):
        return None  # a keyword, `*args` or a generator expression
    return callee.value, arguments


def _is_number(value: Any) -> bool:
    return qualified_name(_safe(value.py__class__)) == "builtins.int"


def _has_member(cls: Any, name: str) -> bool:
    """True when jedi finds ``name`` on the class value ``cls`` (or where it cannot say)."""
    try:
        return bool(list(cls.py__getattribute__(name)))
    except Exception:
        return True


def _safe(function: Callable[[], Any]) -> Any:
    """``function()``, or an empty list where jedi fails on the user's code."""
    try:
        return function()
    except Exception:
        return []
