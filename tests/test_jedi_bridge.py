"""The contract with jedi and parso internals: each one torchls uses exists with the shape it expects.

A jedi or parso upgrade that renames or reshapes one fails here, by name, instead of silently
losing findings, the helper-process renewal or the hang kill.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import jedi
from jedi.inference import imports as jedi_imports
from jedi.inference.compiled import subprocess as jedi_subprocess
from parso import cache as parso_cache
from parso.python.tree import Module

from torchls.analysis import jedi_bridge
from torchls.analysis.environment import find_environment

SOURCE = "import torch\nmodel = torch.nn.Linear(2, 2)\nmodel\n"


def script() -> jedi.Script:
    return jedi.Script(SOURCE, path=Path("contract.py"), environment=find_environment())


def test_script_internals() -> None:
    used = script()
    assert isinstance(jedi_bridge.module_node(used), Module)
    context = jedi_bridge.module_context(used)
    assert callable(context.create_context)
    state = jedi_bridge.inference_state(used)
    assert isinstance(state.inferred_element_counts, dict)
    jedi_bridge.fresh_inference_budget(state)
    assert state.inferred_element_counts == {}


def test_inference_steps_and_values() -> None:
    used = script()
    context = jedi_bridge.module_context(used)
    assert list(inspect.signature(jedi_bridge.infer_trailer).parameters) == ["context", "atom_values", "trailer"]
    assert list(inspect.signature(jedi_bridge.CompForContext).parameters) == ["parent_context", "comp_for"]
    module = jedi_bridge.module_node(used)
    model = module.get_leaf_for_position((3, 1))  # `model` on the last line
    values = jedi_bridge.ValueSet(context.create_context(model).infer_node(model))
    (value,) = values
    for method in jedi_bridge.INSTANCE_METHODS:
        assert callable(getattr(value, method)), method
    for method in jedi_bridge.CLASS_METHODS:
        assert callable(getattr(value.py__class__(), method)), method
    assert value.is_instance() and value.py__class__().py__name__() == "Linear"
    assert any(cls.py__name__() == "Module" for cls in value.py__class__().py__mro__())


def test_constructor_arguments() -> None:
    source = "import torch\nfrom torch.utils.data import DataLoader\nloader = DataLoader([1], batch_size=2)\nloader\n"
    used = jedi.Script(source, path=Path("contract.py"), environment=find_environment())
    module = jedi_bridge.module_node(used)
    leaf = module.get_leaf_for_position((4, 1))
    (loader,) = jedi_bridge.module_context(used).create_context(leaf).infer_node(leaf)
    arguments = jedi_bridge.constructor_arguments(loader)
    assert arguments is not None and [key for key, _ in arguments] == [None, "batch_size"]
    assert [v.py__class__().py__name__() for v in arguments[0][1].infer()] == ["list"]


def test_helper_process_internals() -> None:
    used = script()
    used.infer(3, 1)  # starts the helper
    process = jedi_bridge.environment_process(used._inference_state.environment)
    assert process is not None and process.is_crashed is False
    assert callable(process._kill) and process._get_process().pid > 0
    assert process._stderr_thread.is_alive()
    jedi_bridge.stop_environment_process(used._inference_state.environment)
    assert process.is_crashed and not process._stderr_thread.is_alive()
    assert Path(jedi_subprocess._MAIN_PATH).is_file()
    assert callable(jedi_subprocess._GeneralizedPopen)


def test_compiled_module_loader_is_wrapped() -> None:
    load = jedi_imports._load_builtin_module
    assert getattr(load, "torchls_package", None) == "torch"  # installed by the engine on import
    assert list(inspect.signature(load).parameters) == ["inference_state", "import_names", "sys_path"]


def test_parse_trees() -> None:
    script().get_names()
    trees = list(jedi_bridge.parse_trees())
    assert trees and all(isinstance(by_path, dict) for by_path in trees)
    assert all(hasattr(tree, "last_used") for by_path in trees for tree in by_path.values())


def test_parse_tree_cache_item_is_wrapped() -> None:
    set_item = parso_cache._set_cache_item
    assert getattr(set_item, "torchls_wrapped", False)  # installed by the engine on import
    original = inspect.getclosurevars(set_item).nonlocals["set_item"]
    assert list(inspect.signature(original).parameters) == ["hashed_grammar", "path", "module_cache_item"]
    # parso caches parsed and pickled trees through the module's global, so the wrapper sees both
    assert "_set_cache_item(" in inspect.getsource(parso_cache.try_to_save_module)
    assert "_set_cache_item(" in inspect.getsource(parso_cache._load_from_file_system)
    item = parso_cache._NodeCacheItem(None, [], change_time=0.0)
    assert item.change_time == 0.0 and item.last_used == 0.0


def test_other_modules_are_loaded_with_the_text_given(tmp_path: Path) -> None:
    """A caller's module, loaded into the analysed Script's inference state: its names go to their definitions."""
    (tmp_path / "lib.py").write_text("def train(model):\n    return model\n")
    caller = tmp_path / "caller.py"
    caller.write_text("train = None\n")  # on disk: not the text analysed
    source = "def train(model):\n    return model\n"
    analysed = jedi.Script(source, path=tmp_path / "lib.py", project=jedi.Project(tmp_path))
    state = jedi_bridge.inference_state(analysed)
    context = jedi_bridge.load_module(state, caller, "from lib import train\ntrain(1)\n")
    call = context.tree_node.get_used_names()["train"][-1]
    (definition,) = jedi_bridge.definitions(context, call)
    assert definition.tree_name is next(jedi_bridge.module_node(analysed).iter_funcdefs()).name


def test_a_return_annotation_decides_only_when_jedi_infers_it() -> None:
    source = (
        "import torch\nfrom typing import TypeVar\nT = TypeVar('T')\n\n"
        "class Net(torch.nn.Module):\n    def build(self) -> torch.nn.Linear:\n        return 1\n\n"
        "def missing() -> 'Missing':\n    return 1\n\n"
        "def generic(x: T) -> T:\n    return x\n\n"
        "def plain():\n    return 1\n"
    )
    used = jedi.Script(source, path=Path("annotations.py"), environment=find_environment())
    module = jedi_bridge.module_node(used)
    functions = {f.name.value: f for f in module.iter_funcdefs()}
    functions["build"] = next(next(module.iter_classdefs()).iter_funcdefs())
    decides = {name: jedi_bridge.return_annotation_decides(used, node) for name, node in functions.items()}
    assert decides == {"missing": False, "generic": False, "plain": False, "build": True}
