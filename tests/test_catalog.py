"""The catalog's claims, checked against real torch by really using the objects it describes."""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path
from typing import Any

import jedi
import pytest
import torch
import torch.distributed as dist
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

from torchls.analysis.catalog import Catalog, Member, load_catalog
from torchls.analysis.resolve import qualified_name

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def qualname(value: Any) -> str:
    return f"{type(value).__module__}.{type(value).__qualname__}"


def member_of(catalog: Catalog, value: Any, name: str) -> Member:
    """The catalog's member ``name`` of a real object, looked up by its real MRO."""
    mro = [f"{c.__module__}.{c.__qualname__}" for c in type(value).__mro__]
    member = catalog.lookup(mro, name)
    assert member is not None, f"{qualname(value)}.{name} is not catalogued"
    return member


def call_error(value: Any) -> str:
    with pytest.raises(TypeError) as raised:
        value()
    return str(raised.value)


def assert_data(catalog: Catalog, obj: Any, name: str) -> Member:
    """``obj.name`` is data: not callable, its type recorded, calling it raises the recorded text."""
    member = member_of(catalog, obj, name)
    value = getattr(obj, name)
    assert member.kind == "data" and not member.callable and not callable(value), name
    assert qualname(value) in member.classes or any(
        f"{c.__module__}.{c.__qualname__}" in member.classes for c in type(value).__mro__
    ), (name, qualname(value), member.classes)
    if qualname(value) in member.classes:
        assert call_error(value) in member.call_errors
    else:
        assert _generalised(value, member)
    return member


def test_layer_members(catalog: Catalog) -> None:
    linear, embedding, norm = nn.Linear(20, 5), nn.Embedding(10, 4), nn.BatchNorm1d(64)
    member = assert_data(catalog, linear, "in_features")
    assert member.types == ("int",) and member.call_errors == ("'int' object is not callable",)
    assert member.root == "Module" and member.owner == "torch.nn.modules.linear.Linear"
    assert assert_data(catalog, linear, "weight").types == ("Parameter",)
    assert set(assert_data(catalog, nn.Linear(2, 2, bias=False), "bias").types) == {"NoneType", "Parameter"}
    assert_data(catalog, embedding, "num_embeddings")
    assert_data(catalog, norm, "running_mean")
    assert_data(catalog, norm, "eps")
    assert "NoneType" in member_of(catalog, norm, "running_mean").types  # track_running_stats=False
    assert nn.BatchNorm1d(2, track_running_stats=False).running_mean is None
    reset = member_of(catalog, linear, "reset_parameters")
    assert reset.is_method and reset.returns_kind == "none" and linear.reset_parameters() is None
    flatten = member_of(catalog, nn.LSTM(2, 2), "flatten_parameters")
    assert flatten.is_method and flatten.returns_kind == "none"
    assert member_of(catalog, linear, "parameters").root == "Module"  # inherited from the root


def test_containers(catalog: Catalog) -> None:
    sequential = nn.Sequential(nn.Linear(2, 2))
    info = catalog.class_info("torch.nn.Sequential")
    assert info is not None and info.qualname == "torch.nn.modules.container.Sequential"
    assert isinstance(sequential[0], nn.Module) and info.item == "torch.nn.modules.module.Module"
    assert isinstance(sequential(torch.zeros(1, 2)), torch.Tensor) and info.call == "torch.Tensor"
    params = nn.ParameterList([nn.Parameter(torch.zeros(2))])
    plist = catalog.class_info("torch.nn.modules.container.ParameterList")
    assert plist is not None and all(isinstance(p, nn.Parameter) for p in params)
    assert plist.iter == "torch.nn.parameter.Parameter"
    modules = nn.ModuleDict({"a": nn.Linear(2, 2)})
    mdict = catalog.class_info("torch.nn.ModuleDict")
    assert mdict is not None and mdict.iter == "builtins.str" and all(isinstance(k, str) for k in modules)


def test_data_loading_and_training_helpers(catalog: Catalog) -> None:
    loader = DataLoader(TensorDataset(torch.zeros(4, 2)), batch_size=2)
    dataset = member_of(catalog, loader, "dataset")
    assert dataset.kind == "data" and not callable(loader.dataset)
    assert "torch.utils.data.dataset.Dataset" in dataset.classes
    assert_data(catalog, loader, "batch_size")
    assert "NoneType" in member_of(catalog, loader, "batch_size").types
    assert DataLoader(TensorDataset(torch.zeros(4, 2)), batch_size=None).batch_size is None

    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu")
    scaler.scale(model(torch.ones(1, 2)).sum()).backward()
    scaler.step(opt)
    update = member_of(catalog, scaler, "update")
    assert update.is_method and update.returns_kind == "none" and not update.requires_arguments
    assert scaler.update() is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        legacy = torch.cuda.amp.GradScaler()
    assert member_of(catalog, legacy, "update") == update  # inherited from torch.amp's

    scheduler = optim.lr_scheduler.StepLR(opt, step_size=3)
    assert_data(catalog, scheduler, "step_size")
    assert member_of(catalog, scheduler, "get_last_lr").root == "LRScheduler"
    assert member_of(catalog, opt, "param_groups").kind == "data"
    normal = torch.distributions.Normal(torch.zeros(2), torch.ones(2))
    assert_data(catalog, normal, "mean")
    assert member_of(catalog, normal, "sample").is_method
    parallel = nn.DataParallel(model)
    module = member_of(catalog, parallel, "module")
    assert module.kind == "data" and parallel.module is model


def test_value_types(catalog: Catalog) -> None:
    size = member_of(catalog, torch.zeros(2), "size")
    assert size.returns_class == "torch.Size" and type(torch.zeros(2).size()) is torch.Size
    assert member_of(catalog, nn.Linear(2, 2), "parameters").yields_class == "torch.nn.parameter.Parameter"
    assert all(type(p) is nn.Parameter for p in nn.Linear(2, 2).parameters())
    assert_data(catalog, torch.float32, "is_floating_point")  # data on a dtype, a method on a Tensor
    assert member_of(catalog, torch.zeros(1), "is_floating_point").is_method
    assert_data(catalog, torch.device("cuda", 0), "index")
    assert_data(catalog, torch.Generator(), "device")
    assert member_of(catalog, nn.Parameter(torch.zeros(1)), "grad").root == "Tensor"


@pytest.mark.parametrize(
    "function, kind, returns",
    [
        (torch.cuda.is_available, "value", "bool"),
        (torch.backends.mps.is_available, "value", "bool"),
        (torch.backends.cudnn.is_available, "value", "bool"),
        (torch.cuda.device_count, "value", "int"),
        (torch.get_default_dtype, "value", "torch.dtype"),
        (torch.is_grad_enabled, "value", "bool"),
        (dist.is_available, "value", "bool"),
        (dist.is_initialized, "value", "bool"),
        (torch.cuda.empty_cache, "action", "None"),
        (torch.cuda.synchronize, "action", "None"),
        (torch.cuda.reset_peak_memory_stats, "action", "None"),
    ],
)
def test_functions(catalog: Catalog, function: Any, kind: str, returns: str) -> None:
    infos = [catalog.function(alias) for alias in _public_paths(function)]
    assert infos and all(info is not None and info == infos[0] for info in infos)
    info = infos[0]
    assert info is not None and info.kind == kind and info.returns == returns and not info.requires_arguments
    try:
        result = function()
    except (RuntimeError, AssertionError, AttributeError):  # an action that needs a GPU this machine lacks
        assert kind == "action" and not torch.cuda.is_available()
        return
    if kind == "value":
        assert type(result).__name__ == returns.rpartition(".")[2]
    else:
        assert result is None


def _public_paths(function: Any) -> list[str]:
    found = []
    for namespace in ("torch", "torch.cuda", "torch.backends.mps", "torch.backends.cudnn", "torch.distributed"):
        module = sys.modules[namespace]
        names = dir(module) + dir(getattr(module, "m", None) or object())
        found += [f"{namespace}.{name}" for name in names if getattr(module, name, None) is function]
    return found


def test_function_aliases(catalog: Catalog) -> None:
    public, defining = (
        catalog.function("torch.distributed.get_rank"),
        catalog.function("torch.distributed.distributed_c10d.get_rank"),
    )
    assert public is not None and public is defining and public.kind == "value" and public.returns == "int"
    seed = catalog.function("torch.manual_seed")
    assert seed is not None and seed.kind == "action" and seed.requires_arguments
    assert seed is catalog.function("torch.random.manual_seed")
    barrier = catalog.function("torch.distributed.barrier")
    assert barrier is not None and barrier.kind == "action"
    grad = catalog.function("torch.set_grad_enabled")
    assert grad is not None and grad.kind == "action"


def test_names_for_the_text_prefilter(catalog: Catalog) -> None:
    assert {"in_features", "num_embeddings", "running_mean", "batch_size", "reset_parameters"} <= catalog.member_names
    assert catalog.is_data_name("in_features") and catalog.is_data_name("dataset")
    assert not catalog.is_data_name("reset_parameters")


def test_lookup_follows_jedis_mro(catalog: Catalog) -> None:
    """jedi names classes by their defining module (torch._C.Size for torch.Size): each is known."""
    source = (
        "import torch\nfrom torch import nn\nfrom torch.utils.data import DataLoader, TensorDataset\n"
        "class Net(nn.Linear):\n    pass\n"
        "a = Net(2, 2)\nb = torch.zeros(2).size()\nc = torch.device('cpu')\n"
        "d = DataLoader(TensorDataset(torch.zeros(2)))\ne = torch.amp.GradScaler()\n"
        "f = nn.Parameter(torch.zeros(2))\ng = nn.Conv2d(1, 1, 3)\n"
    )
    expected = {
        6: ("in_features", "data"),
        7: ("numel", "method"),
        8: ("type", "data"),
        9: ("batch_size", "data"),
        10: ("update", "method"),
        11: ("grad", "data"),
        12: ("kernel_size", "data"),
    }
    script = jedi.Script(source, environment=jedi.create_environment(sys.executable, safe=False))
    for line, (name, kind) in expected.items():
        (inferred,) = script.infer(line, 0)
        (value,) = inferred._name.infer()
        mro = [qualified_name(cls) for cls in value.py__class__().py__mro__()]
        member = catalog.lookup(mro, name)
        assert member is not None and member.kind == kind, (line, mro)


def _generalised(value: Any, member: Member) -> bool:
    """The value is an instance of a class the member records (DataLoader.dataset: a Dataset)."""
    for name in member.classes:
        module, _, attribute = name.rpartition(".")
        cls = getattr(importlib.import_module(module), attribute, None)
        if isinstance(cls, type) and isinstance(value, cls):
            return True
    return False


def _generator_samples() -> dict[type, list[Any]]:
    """Every class the generator could build a sample of (its own recipe, run again here)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import catalog_classes  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    samples = {}
    with warnings.catch_warnings(), catalog_classes._process_group():
        warnings.simplefilter("ignore")
        for cls in catalog_classes.public_classes():
            built = catalog_classes.samples(cls)
            if built:
                samples[cls] = built
    return samples


def test_every_data_member_is_data_on_every_sample(catalog: Catalog) -> None:
    """On a real instance of every class that can be built, each member recorded as non-callable
    data is not callable, each method is callable, and calling data raises a recorded text.
    """
    checked = 0
    for cls, instances in _generator_samples().items():
        info = catalog.class_info(f"{cls.__module__}.{cls.__qualname__}")
        assert info is not None, cls
        for name, member in catalog.class_members(info.qualname).items():
            for instance in instances:
                try:
                    value = getattr(instance, name)
                except Exception:
                    continue  # a property the sample cannot answer (Tensor.grad_fn...)
                checked += 1
                if member.is_method:
                    assert callable(value), (cls, name)
                elif not member.callable:
                    assert not callable(value), (cls, name)
                    if qualname(value) in member.classes:
                        assert call_error(value) in member.call_errors, (cls, name)
                    else:  # an object passed in (a scheduler's optimizer): the text names its class
                        assert _generalised(value, member), (cls, name)
    assert checked > 10_000
