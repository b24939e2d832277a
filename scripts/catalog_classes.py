"""The catalog's per-class table: every public torch class a user touches, with its own members.

Each class records its catalogued bases (nearest first), the names it is known by (public paths
and the defining module path jedi reports) and the members it defines itself: those a catalogued
base does not already describe the same way. Private torch bases (``_ConvNd``, ``_BatchNorm``) are
folded into the public classes that derive from them. Members are described from real sample
instances where one can be built cheaply, else from the class and its annotations; a data member
whose type cannot be read from torch is left out rather than guessed.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import tempfile
import textwrap
import types
import typing
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.distributions as D
import torch.utils.data as data
from torch import nn, optim
from torch.optim import lr_scheduler

from catalog_members import (
    PRIVATE_ALLOWED,
    class_qualname,
    defining_names,
    describe_data,
    describe_method,
    first_paragraph,
    requires_arguments,
)

# Namespaces whose public classes are catalogued, and which of their classes count.
NAMESPACES: dict[str, Callable[[type], bool]] = {
    "torch": lambda c: c in (torch.Tensor, torch.Size, torch.device, torch.dtype, torch.Generator),
    "torch.nn": lambda c: issubclass(c, (nn.Module, torch.Tensor)),
    "torch.nn.parallel": lambda c: issubclass(c, nn.Module),
    "torch.optim": lambda c: issubclass(c, optim.Optimizer),
    "torch.optim.lr_scheduler": lambda c: issubclass(c, (lr_scheduler.LRScheduler, lr_scheduler.ReduceLROnPlateau)),
    "torch.optim.swa_utils": lambda c: issubclass(c, (nn.Module, lr_scheduler.LRScheduler)),
    "torch.utils.data": lambda c: (
        issubclass(c, (data.Dataset, data.Sampler, data.DataLoader)) and ".datapipes." not in c.__module__
    ),
    "torch.amp": lambda c: c is torch.amp.GradScaler,
    "torch.cuda.amp": lambda c: c is torch.cuda.amp.GradScaler,
    "torch.distributions": lambda c: issubclass(c, torch.distributions.Distribution),
}
# Read from source: importing it needs tensorboard, which need not be installed at generation.
SOURCE_CLASSES = {"torch.utils.tensorboard.writer.SummaryWriter": "torch.utils.tensorboard.SummaryWriter"}

# What a container gives when indexed, iterated or called, as a type expression (checked below
# against a real sample: torch's annotations say `Any` for parameter containers).
PROTOCOLS: dict[type, dict[str, str]] = {
    nn.Sequential: {"item": "torch.nn.modules.module.Module", "iter": "torch.nn.modules.module.Module"},
    nn.ModuleList: {"item": "torch.nn.modules.module.Module", "iter": "torch.nn.modules.module.Module"},
    nn.ModuleDict: {"item": "torch.nn.modules.module.Module", "iter": "builtins.str"},
    nn.ParameterList: {"item": "torch.nn.parameter.Parameter", "iter": "torch.nn.parameter.Parameter"},
    nn.ParameterDict: {"item": "torch.nn.parameter.Parameter", "iter": "builtins.str"},
    torch.Tensor: {"item": "torch.Tensor", "iter": "torch.Tensor"},
    torch.Size: {"item": "builtins.int", "iter": "builtins.int"},
    data.TensorDataset: {"item": "tuple[torch.Tensor, ...]"},
}

# Arguments for constructor parameters that have no default, by parameter name.
ARGUMENTS: dict[str, Callable[[], Any]] = {
    "module": lambda: nn.Linear(2, 2),
    "model": lambda: nn.Linear(2, 2),
    "encoder_layer": lambda: nn.TransformerEncoderLayer(4, 2),
    "decoder_layer": lambda: nn.TransformerDecoderLayer(4, 2),
    "d_model": lambda: 4,
    "embed_dim": lambda: 4,
    "num_groups": lambda: 1,
    "cutoffs": lambda: [2],
    "n_classes": lambda: 4,
    "in_features": lambda: 4,
    "dim": lambda: 1,
    "p": lambda: 0.5,
    "lambd": lambda: torch.nn.functional.relu,
    "unflattened_size": lambda: (2,),
    "params": lambda: [nn.Parameter(torch.zeros(2, 2))],
    "optimizer": lambda: optim.SGD([nn.Parameter(torch.zeros(2))], lr=0.1),
    "lr_lambda": lambda: lambda epoch: 1.0,
    "milestones": lambda: [2],
    "base_lr": lambda: 0.01,
    "max_lr": lambda: 0.1,
    "swa_lr": lambda: 0.05,
    "schedulers": lambda: [lr_scheduler.ConstantLR(optim.SGD([nn.Parameter(torch.zeros(2))], lr=0.1))],
    "dataset": lambda: data.TensorDataset(torch.zeros(4, 2)),
    "data_source": lambda: data.TensorDataset(torch.zeros(4, 2)),
    "indices": lambda: [0, 1],
    "datasets": lambda: [data.TensorDataset(torch.zeros(4, 2))],
    "weights": lambda: [0.5, 0.5],
    "num_samples": lambda: 2,
    "sampler": lambda: data.SequentialSampler(range(4)),
    "batch_size": lambda: 2,
    "drop_last": lambda: False,
}
# Classes whose sample needs more than that.
SAMPLES: dict[type, Callable[[], list[Any]]] = {
    torch.Size: lambda: [torch.Size([2, 3])],
    torch.device: lambda: [torch.device("cpu"), torch.device("cuda", 0)],
    torch.dtype: lambda: [torch.float32],
    torch.Generator: lambda: [torch.Generator()],
    nn.Parameter: lambda: [nn.Parameter(torch.zeros(2))],
    nn.Buffer: lambda: [nn.Buffer(torch.zeros(2))],
    nn.RNNBase: lambda: [nn.RNNBase("LSTM", 2, 2)],
    nn.RNN: lambda: [nn.RNN(2, 2)],
    nn.LSTM: lambda: [nn.LSTM(2, 2), nn.LSTM(2, 2, proj_size=1)],
    nn.GRU: lambda: [nn.GRU(2, 2)],
    nn.FractionalMaxPool2d: lambda: [nn.FractionalMaxPool2d(2, output_size=2)],
    nn.FractionalMaxPool3d: lambda: [nn.FractionalMaxPool3d(2, output_size=2)],
    nn.Sequential: lambda: [nn.Sequential(nn.Linear(2, 2))],
    nn.ModuleList: lambda: [nn.ModuleList([nn.Linear(2, 2)])],
    nn.ModuleDict: lambda: [nn.ModuleDict({"a": nn.Linear(2, 2)})],
    nn.ParameterList: lambda: [nn.ParameterList([nn.Parameter(torch.zeros(2))])],
    nn.ParameterDict: lambda: [nn.ParameterDict({"a": nn.Parameter(torch.zeros(2))})],
    lr_scheduler.OneCycleLR: lambda: [lr_scheduler.OneCycleLR(ARGUMENTS["optimizer"](), 0.1, total_steps=10)],
    lr_scheduler.SequentialLR: lambda: [_sequential_lr()],
    data.DataLoader: lambda: [data.DataLoader(data.TensorDataset(torch.zeros(4, 2)), batch_size=2)],
    data.TensorDataset: lambda: [data.TensorDataset(torch.zeros(4, 2), torch.zeros(4))],
    data.StackDataset: lambda: [
        data.StackDataset(data.TensorDataset(torch.zeros(4)), data.TensorDataset(torch.zeros(4)))
    ],
    data.IterableDataset: lambda: [_Numbers()],
    data.ChainDataset: lambda: [data.ChainDataset([_Numbers()])],
    D.Independent: lambda: [D.Independent(D.Normal(torch.zeros(2), torch.ones(2)), 1)],
    D.MixtureSameFamily: lambda: [
        D.MixtureSameFamily(D.Categorical(torch.ones(2)), D.Normal(torch.zeros(2), torch.ones(2)))
    ],
    D.TransformedDistribution: lambda: [D.TransformedDistribution(D.Normal(0.0, 1.0), [D.ExpTransform()])],
    D.LKJCholesky: lambda: [D.LKJCholesky(2, 1.0)],
    D.Multinomial: lambda: [D.Multinomial(2, torch.tensor([0.5, 0.5]))],
    data.DistributedSampler: lambda: [data.DistributedSampler(range(4), num_replicas=1, rank=0)],
    torch.amp.GradScaler: lambda: [torch.amp.GradScaler("cpu")],
    torch.cuda.amp.GradScaler: lambda: [torch.cuda.amp.GradScaler()],
    nn.parallel.DistributedDataParallel: lambda: [nn.parallel.DistributedDataParallel(nn.Linear(2, 2))],
}
# Flipped one at a time, so that a member that may be None (`bias=False`) says so.
BOOLEAN_VARIANTS = ("bias", "affine", "track_running_stats", "elementwise_affine", "batch_first", "add_bias_kv")
# Distribution parameters, tried in this order until one construction works.
DISTRIBUTION_ARGUMENTS = (
    {},
    {"probs": 0.5},
    {"probs": [0.5, 0.5]},
    {"low": 0.0, "high": 1.0},
    {"total_count": 2.0, "probs": 0.5},
    {"loc": [0.0, 0.0], "covariance_matrix": [[1.0, 0.0], [0.0, 1.0]]},
    {"loc": [0.0, 0.0], "cov_factor": [[1.0], [0.0]], "cov_diag": [1.0, 1.0]},
    {"temperature": 1.0, "probs": [0.5, 0.5]},
    {"df": 2.0, "covariance_matrix": [[1.0, 0.0], [0.0, 1.0]]},
    {"concentration": [1.0, 1.0]},
)


class _Numbers(data.IterableDataset[int]):
    """The smallest concrete IterableDataset: its members are IterableDataset's own."""

    def __iter__(self) -> Iterator[int]:
        return iter(range(2))


def _sequential_lr() -> lr_scheduler.SequentialLR:
    optimizer = ARGUMENTS["optimizer"]()
    schedulers = [lr_scheduler.ConstantLR(optimizer), lr_scheduler.ConstantLR(optimizer)]
    return lr_scheduler.SequentialLR(optimizer, schedulers, milestones=[2])


def public_classes() -> dict[type, set[str]]:
    """Every catalogued class with its public dotted paths (``torch.nn.Linear``)."""
    found: dict[type, set[str]] = {}
    for namespace, wanted in NAMESPACES.items():
        module = importlib.import_module(namespace)
        for name in sorted(dir(module)):
            value = getattr(module, name, None)
            if name.startswith("_") or not inspect.isclass(value) or not wanted(value):
                continue
            found.setdefault(value, set()).add(f"{namespace}.{name}")
    return found


def _construct(cls: type) -> list[Any]:
    """Real instances of ``cls``, built with small arguments; [] when that is not cheap or fails."""
    if cls in SAMPLES:
        return SAMPLES[cls]()
    if issubclass(cls, torch.distributions.Distribution):
        return _distribution(cls)
    try:
        signature = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return []
    arguments: dict[str, Any] = {}
    for parameter in list(signature.parameters.values())[1:]:
        if parameter.default is parameter.empty and parameter.kind in (
            parameter.POSITIONAL_OR_KEYWORD,
            parameter.KEYWORD_ONLY,
        ):
            arguments[parameter.name] = _placeholder(parameter)
    instances = [cls(**arguments)]
    for flag in BOOLEAN_VARIANTS:
        parameter = signature.parameters.get(flag)
        if parameter is not None and isinstance(parameter.default, bool):
            try:
                instances.append(cls(**arguments, **{flag: not parameter.default}))
            except Exception:
                continue
    return instances


def _placeholder(parameter: inspect.Parameter) -> Any:
    """A small argument for a required constructor parameter: by its name, else by its annotation
    (sizes are ints); anything else means no cheap sample, rather than a wrong one.
    """
    if parameter.name in ARGUMENTS:
        return ARGUMENTS[parameter.name]()
    annotation = parameter.annotation
    text = annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
    if annotation in (bool, "bool"):
        return True
    if annotation in (float, "float"):
        return 0.5
    sizes = re.match(r"(typing\.)?(Union\[|Optional\[)?int\b", text) or text.startswith("_size")
    if annotation is parameter.empty or sizes:
        return 2  # layer sizes: unannotated ones too (`num_heads`)
    raise TypeError(f"no placeholder for {parameter}")


def _distribution(cls: type) -> list[Any]:
    for arguments in DISTRIBUTION_ARGUMENTS:
        try:
            signature = inspect.signature(cls.__init__)
            required = [
                p.name
                for p in list(signature.parameters.values())[1:]
                if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD and p.name not in arguments
            ]
            values = {name: torch.tensor(value) for name, value in arguments.items()}
            values |= {name: torch.tensor(0.5) for name in required}
            return [cls(**values)]
        except Exception:
            continue
    return []


def samples(cls: type) -> list[Any]:
    try:
        return _construct(cls)
    except Exception:
        return []


def _folded(cls: type, catalogued: set[type]) -> list[type]:
    """The class and its torch bases that are not catalogued themselves (``_ConvNd`` for Conv2d)."""
    folded = []
    for base in cls.__mro__:
        if base is not cls and (base in catalogued or not base.__module__.startswith("torch")):
            if base in catalogued:
                break
            continue
        folded.append(base)
    return folded


def init_assignments(classes: list[type]) -> dict[str, tuple[ast.expr, Any]]:
    """``self.x = ...`` in the ``__init__`` of these classes, from their source: the value stored
    and the ``__init__`` that stores it.
    """
    assigned: dict[str, tuple[ast.expr, Any]] = {}
    for cls in classes:
        init = vars(cls).get("__init__")
        if not inspect.isfunction(init):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
        except (OSError, TypeError, SyntaxError):
            continue
        for node in ast.walk(tree):
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "self"
                ):
                    value = node.value if node.value is not None else ast.Constant(None)
                    assigned.setdefault(target.attr, (value, init))
    return assigned


def _annotations(classes: list[type]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for cls in reversed(classes):
        found |= dict(vars(cls).get("__annotations__", {}))
    return found


def _public(name: str) -> bool:
    return name.isidentifier() and (not name.startswith("_") or name in PRIVATE_ALLOWED)


# Values of annotated types, called to read the exact TypeError (no sample instance to ask).
CANONICAL: dict[Any, Callable[[], Any]] = {
    int: lambda: 0,
    float: lambda: 0.0,
    bool: lambda: False,
    str: lambda: "",
    "int": lambda: 0,
    "float": lambda: 0.0,
    "bool": lambda: False,
    "str": lambda: "",
    torch.Tensor: lambda: torch.zeros(()),
    "Tensor": lambda: torch.zeros(()),
    nn.Parameter: lambda: nn.Parameter(torch.zeros(())),
    "Parameter": lambda: nn.Parameter(torch.zeros(())),
    torch.Size: lambda: torch.Size([]),
    "_size": lambda: torch.Size([]),
    torch.device: lambda: torch.device("cpu"),
    torch.dtype: lambda: torch.float32,
    tuple: lambda: (),
    list: lambda: [],
    dict: lambda: {},
}


def _annotated_values(annotation: Any) -> list[Any] | None:
    """Values standing for an annotated type, ``Optional[X]`` giving X and None; None if unknown."""
    if annotation in CANONICAL:
        return [CANONICAL[annotation]()]
    if isinstance(annotation, str):
        parts = [p.strip() for p in annotation.removeprefix("Optional[").removesuffix("]").split("|")]
        if annotation.startswith("Optional["):
            parts.append("None")
        values = [None if p == "None" else CANONICAL[p]() if p in CANONICAL else ... for p in parts]
        return None if ... in values else values
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        values = [_annotated_values(arg) if arg is not type(None) else [None] for arg in typing.get_args(annotation)]
        return None if any(v is None for v in values) else [x for v in values if v for x in v]
    return None


def _source_value(node: ast.expr, init: Any) -> list[Any] | None:
    """Values an ``__init__`` assignment stores, when its source says exactly (literals, annotated
    parameters); None for anything else.
    """
    if isinstance(node, ast.Constant) and isinstance(node.value, (bool, int, float, str, type(None))):
        return [node.value]
    if isinstance(node, ast.Name) and init is not None:
        parameter = inspect.signature(init).parameters.get(node.id)
        if parameter is not None and parameter.annotation is not parameter.empty:
            return _annotated_values(parameter.annotation)
    return None


def describe(
    cls: type,
    root: str,
    instances: list[Any],
    inherited: dict[str, dict[str, Any]],
    catalogued: set[type],
    stubs: dict[str, tuple[str, list[str]]],
) -> dict[str, dict[str, Any]]:
    """The members ``cls`` defines itself: new names, and names it describes differently from its
    catalogued bases (``inherited``: name → description).
    """
    folded = _folded(cls, catalogued)
    defined = {name for c in folded for name in vars(c)}
    annotations = _annotations(folded)
    constants = {name for c in folded for name in vars(c).get("__constants__", ())}
    assigned = init_assignments(folded)
    registered: set[str] = set()
    for instance in instances:
        if isinstance(instance, nn.Module):
            registered |= set(instance._parameters) | set(instance._buffers) | set(instance._modules)
    attributes = {n for i in instances if hasattr(i, "__dict__") for n in vars(i)}
    candidates = defined | set(annotations) | constants | set(assigned) | registered | (attributes - set(inherited))
    members: dict[str, dict[str, Any]] = {}
    for name in sorted(filter(_public, candidates)):
        entry = _describe_member(cls, root, name, instances, annotations, assigned, stubs)
        if entry is not None and entry != inherited.get(name):
            members[name] = entry
    # Inherited data can hold another type on this class (`Parameter.real` is a Parameter, so
    # calling it names 'Parameter'): the sample's types join the inherited ones.
    for name, base_entry in inherited.items():
        if name in members or base_entry["kind"] != "data" or not instances:
            continue
        values = []
        for instance in instances:
            try:
                values.append(getattr(instance, name))
            except Exception:
                continue
        seen = describe_data(name, values, None) if values else base_entry
        if set(seen["classes"]) - set(base_entry["classes"]) or set(seen["call_errors"]) - set(
            base_entry["call_errors"]
        ):
            merged = dict(base_entry)
            for key in ("types", "classes", "call_errors"):
                merged[key] = sorted({*base_entry[key], *seen[key]})
            merged["callable"] = base_entry["callable"] or seen["callable"]
            members[name] = merged
    return members


def _describe_member(
    cls: type,
    root: str,
    name: str,
    instances: list[Any],
    annotations: dict[str, Any],
    assigned: dict[str, tuple[ast.expr, Any]],
    stubs: dict[str, tuple[str, list[str]]],
) -> dict[str, Any] | None:
    static = inspect.getattr_static(cls, name, None)
    shadowed = any(hasattr(i, "__dict__") and name in vars(i) for i in instances)
    if not shadowed and isinstance(static, (classmethod, staticmethod, type)):
        return None  # not bound to the instance: not a confusion we report
    if not shadowed and static is not None and inspect.isroutine(static) and not _computed(instances, name):
        if instances:
            bound = getattr(instances[0], name)
        elif inspect.isfunction(static):
            bound = types.MethodType(static, cls)  # a bound method, as an instance would give
        else:
            return None
        return describe_method(root or cls.__name__, name, static, bound, stubs)
    values = []
    for instance in instances:
        try:
            values.append(getattr(instance, name))
        except Exception:  # a property that needs state the sample lacks
            continue
    if not values:
        values = _static_values(cls, name, static, annotations, assigned) or []
    if not values:
        return None
    declared = _declared(cls, name, annotations, assigned)
    argument = _argument(name, assigned)
    if argument and not declared:
        # Stored as passed, unannotated (DDP's `module`): the sample's Linear stands for any object
        # of the root class the argument must be (a Module).
        declared = [r for r in ROOT_TYPES if any(isinstance(v, r) for v in values)][:1]
    kept, general = _generalised(values, declared)
    # None, int... that the annotation allows and no sample showed (`batch_size=None`).
    extra = [
        v
        for arm in declared
        if not isinstance(arm, type)
        for v in arm
        if not any(isinstance(s, type(v)) for s in values)
    ]
    entry = describe_data(name, kept + extra, static if isinstance(static, property) else None)
    if general:
        # The object passed in (a Dataset, a Sampler): its class, hence its error text, is the caller's.
        entry["types"] = sorted({*entry["types"], *(c.__name__ for c in general)})
        entry["classes"] = sorted({*entry["classes"], *(class_qualname(c) for c in general)})
        entry["callable"] = entry["callable"] or any(callable(v) for v in values)
    if argument:
        entry["argument"] = argument
    return entry


# The roots, as classes an unannotated argument is generalised to.
ROOT_TYPES = (nn.Module, optim.Optimizer, lr_scheduler.LRScheduler, lr_scheduler.ReduceLROnPlateau, torch.Tensor)


def _argument(name: str, assigned: dict[str, tuple[ast.expr, Any]]) -> str:
    """The ``__init__`` parameter a data member stores as it was passed (``self.dataset = dataset``)."""
    if name not in assigned:
        return ""
    node, function = assigned[name]
    if not isinstance(node, ast.Name) or function is None:
        return ""
    try:
        return node.id if node.id in inspect.signature(function).parameters else ""
    except (TypeError, ValueError):
        return ""


def _declared(
    cls: type, name: str, annotations: dict[str, Any], assigned: dict[str, tuple[ast.expr, Any]]
) -> list[Any]:
    """What torch's annotations allow for a data member: classes, and lists of values standing for
    plain types (``int | None`` gives [[0], [None]]); [] when torch does not say.
    """
    annotation: Any = annotations.get(name, inspect.Parameter.empty)
    function = vars(cls).get("__init__")
    if annotation is inspect.Parameter.empty and name in assigned:
        node, function = assigned[name]
        if isinstance(node, ast.Name) and function is not None:
            parameter = inspect.signature(function).parameters.get(node.id)
            annotation = parameter.annotation if parameter is not None else inspect.Parameter.empty
    if annotation is inspect.Parameter.empty:
        return []
    namespace = dict(getattr(function, "__globals__", None) or vars(inspect.getmodule(cls)))
    arms: list[Any] = []
    for part in _union_parts(annotation):
        if isinstance(part, str):
            try:
                part = eval(part, namespace)  # noqa: S307 - torch's own annotation text
            except Exception:
                continue  # a name imported for type checking only: that arm says nothing here
        union = typing.get_origin(part) in (typing.Union, types.UnionType)
        arms += typing.get_args(part) if union else [part]
    declared: list[Any] = []
    for arm in arms:
        arm = typing.get_origin(arm) or arm
        if arm is None or arm is type(None):
            declared.append([None])
        elif arm in CANONICAL:
            declared.append([CANONICAL[arm]()])
        elif isinstance(arm, type) and arm is not typing.Any and arm is not object:
            declared.append(arm)
    return declared


def _union_parts(annotation: Any) -> list[Any]:
    """An annotation string split at its top-level ``|`` (each arm is evaluated on its own)."""
    if not isinstance(annotation, str):
        return [annotation]
    parts, depth, current = [], 0, ""
    for char in annotation:
        depth += char in "[("
        depth -= char in "])"
        if char == "|" and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [*parts, current.strip()]


def _generalised(values: list[Any], declared: list[Any]) -> tuple[list[Any], list[type]]:
    """Sample values split into those kept as they are and the declared classes standing for the
    others (the sample's TensorDataset stands for any Dataset).
    """
    kept: list[Any] = []
    general: list[type] = []
    for value in values:
        cls = next((c for c in declared if isinstance(c, type) and isinstance(value, c) and type(value) is not c), None)
        if cls is None or cls in CANONICAL:
            kept.append(value)
        else:
            general.append(cls)
    return kept, general


def _computed(instances: list[Any], name: str) -> bool:
    """True when a descriptor that looks like a method gives data on a real instance
    (``Bernoulli.logits`` is a ``lazy_property``: a tensor once read).
    """
    for instance in instances:
        try:
            return not inspect.isroutine(getattr(instance, name))
        except Exception:
            continue
    return False


def _static_values(
    cls: type, name: str, static: Any, annotations: dict[str, Any], assigned: dict[str, ast.expr]
) -> list[Any] | None:
    """Values standing for a data member of a class without a sample instance."""
    if isinstance(static, property) and static.fget is not None:
        try:
            annotation = inspect.signature(static.fget).return_annotation
        except (TypeError, ValueError):
            return None
        return None if annotation is inspect.Signature.empty else _annotated_values(annotation)
    if isinstance(static, (bool, int, float, str)):
        return [static]
    if name in annotations:
        return _annotated_values(annotations[name])
    if name in assigned:
        return _source_value(*assigned[name])
    return None


def protocol(cls: type, instances: list[Any]) -> dict[str, str]:
    """What indexing, iterating and calling an instance gives, checked on the sample."""
    declared = PROTOCOLS.get(cls, {})
    for instance in instances:
        if "item" in declared and "tuple" not in declared["item"]:
            key = next(iter(instance)) if declared.get("iter") == "builtins.str" else 0
            assert class_qualname(type(instance[key])) == declared["item"] or _is(instance[key], declared["item"]), cls
        if "iter" in declared:
            assert all(_is(item, declared["iter"]) for item in instance), cls
    result = dict(declared)
    if isinstance(instances[0] if instances else None, nn.Module) or (cls in PROTOCOLS and issubclass(cls, nn.Module)):
        forward = getattr(cls, "forward", None)
        try:
            annotation = inspect.signature(forward).return_annotation if forward else None
        except (TypeError, ValueError):
            annotation = None
        if annotation in (torch.Tensor, "Tensor") or cls is nn.Sequential:
            result["call"] = "torch.Tensor"
    return result


def _is(value: Any, qualname: str) -> bool:
    return any(class_qualname(c) == qualname for c in type(value).__mro__)


def source_class(qualname: str, public: str) -> dict[str, Any]:
    """A class described from its source alone (its module cannot be imported here): its methods and
    the ``__init__`` attributes whose type the source states.
    """
    module_name, _, class_name = qualname.rpartition(".")
    spec = importlib.util.find_spec(module_name.rpartition(".")[0])
    assert spec is not None and spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / f"{module_name.rpartition('.')[2]}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    classdef = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name)
    members: dict[str, dict[str, Any]] = {}
    for node in classdef.body:
        if not isinstance(node, ast.FunctionDef) or not _public(node.name):
            continue
        decorators = {ast.unparse(d) for d in node.decorator_list}
        if decorators & {"staticmethod", "classmethod"}:
            continue
        args = node.args
        args.args = args.args[1:]
        params = f"({ast.unparse(args)})"
        returns_value = any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(node))
        returns = ast.unparse(node.returns) if node.returns else ""
        kind = "none" if returns == "None" or not (returns or returns_value) else "value" if returns else "unknown"
        members[node.name] = {
            "kind": "method",
            "requires_arguments": requires_arguments(params),
            "bound_type": "method",
            "signature": params,
            "returns": returns or ("None" if kind == "none" else ""),
            "returns_kind": kind,
            "doc": first_paragraph(ast.get_docstring(node), node.name),
        }
    return {"aliases": sorted({public}), "bases": [], "root": "", "members": members}


def class_table(
    roots: dict[str, tuple[type, dict[str, dict[str, Any]], list[str], list[Any]]],
    stubs: dict[str, tuple[str, list[str]]],
) -> dict[str, dict[str, Any]]:
    """Qualname → {aliases, bases, root, members, protocol...} for every catalogued class.

    ``roots``: root name → (class, its members as already described, its qualnames, its samples).
    """
    warnings.simplefilter("ignore")
    public = public_classes()
    root_classes = {cls: name for name, (cls, *_) in roots.items()}
    for cls in root_classes:
        public.setdefault(cls, set())
    catalogued = set(public)
    table: dict[str, dict[str, Any]] = {}
    resolved: dict[type, dict[str, dict[str, Any]]] = {}
    with _process_group():
        for cls in sorted(catalogued, key=lambda c: (len(c.__mro__), class_qualname(c))):
            bases = [b for b in cls.__mro__[1:] if b in catalogued]
            root = next((root_classes[b] for b in cls.__mro__ if b in root_classes), "")
            inherited: dict[str, dict[str, Any]] = {}
            for base in reversed(bases):
                inherited |= resolved[base]
            instances = roots[root_classes[cls]][3] if cls in root_classes else samples(cls)
            if cls in root_classes:
                own, aliases = roots[root][1], set(roots[root][2])
            else:
                own = describe(cls, root, instances, inherited, catalogued, stubs)
                aliases = defining_names(cls) | public[cls]
            resolved[cls] = inherited | own
            entry: dict[str, Any] = {
                "aliases": sorted(aliases - {class_qualname(cls)}),
                "bases": [class_qualname(b) for b in bases],
                "root": root,
                "members": own,
                "sampled": bool(instances),
            }
            entry |= protocol(cls, instances)
            table[class_qualname(cls)] = entry
    for qualname, public_name in SOURCE_CLASSES.items():
        table[qualname] = source_class(qualname, public_name)
    return table


class _process_group:
    """A one-process gloo group for the generation, so that DistributedDataParallel can be built."""

    def __enter__(self) -> None:
        self.directory = tempfile.TemporaryDirectory()
        self.owned = not dist.is_initialized()  # a caller's group (a test's) is used as it is
        if self.owned:
            dist.init_process_group("gloo", init_method=f"file://{self.directory.name}/store", rank=0, world_size=1)

    def __exit__(self, *exc: object) -> None:
        if self.owned:
            dist.destroy_process_group()
        self.directory.cleanup()


def iter_members(table: dict[str, dict[str, Any]]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for qualname, entry in table.items():
        for name, member in entry["members"].items():
            yield qualname, name, member
