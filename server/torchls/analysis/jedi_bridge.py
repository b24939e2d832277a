"""Every jedi and parso internal torchls relies on, in one place, each with the reason it is needed.

jedi's public API answers "what is this name" for an editor; torchls also steps through receiver
expressions itself, manages jedi's helper process and keeps parse trees alive, which needs jedi's
internals. jedi is pinned to 0.20.x and parso to 0.8.x; ``tests/test_jedi_bridge.py`` checks that each
internal below exists with the shape used here, so an upgrade fails loudly there instead of
silently losing findings or a helper process.

Inferred values are used through their duck-typed methods (:data:`INSTANCE_METHODS`,
:data:`CLASS_METHODS`), which the contract test checks on real values too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jedi
from jedi.api.environment import Environment
from jedi.api.helpers import filter_follow_imports
from jedi.file_io import KnownContentFileIO
from jedi.inference import imports as jedi_imports
from jedi.inference.base_value import ValueSet  # a set of values, as inference steps take and give them
from jedi.inference.compiled import subprocess as jedi_subprocess
from jedi.inference.context import CompForContext  # a comprehension's scope, for names bound in it
from jedi.inference.gradual import annotation as jedi_annotation
from jedi.inference.syntax_tree import infer_trailer  # one `.name` / `(...)` / `[...]` step of a chain
from jedi.inference.value.module import ModuleMixin, ModuleValue
from parso import cache as parso_cache
from parso.cache import parser_cache
from parso.python.tree import Module

from torchls.analysis import star_imports

__all__ = [
    "CompForContext",
    "cache_parse_trees_as_used_now",
    "CLASS_METHODS",
    "constructor_arguments",
    "INSTANCE_METHODS",
    "ValueSet",
    "definitions",
    "environment_process",
    "fresh_inference_budget",
    "inference_state",
    "infer_trailer",
    "kill_environment_process",
    "load_compiled_modules_from_stubs",
    "load_module",
    "module_context",
    "module_node",
    "parse_trees",
    "return_annotation_decides",
    "search_star_imports_by_name",
    "start_helpers_through",
    "stop_environment_process",
]

# parso's parse-tree cache is swept (trees unused for 10 minutes dropped) at most this often (see below).
PARSE_TREE_SWEEP_EVERY_S = 60.0
# What torchls calls on inferred values: instances, and their classes.
INSTANCE_METHODS = ("py__class__", "py__getattribute__", "is_instance")
CLASS_METHODS = ("py__mro__", "py__name__", "is_class", "py__getattribute__")


def constructor_arguments(instance: Any) -> list[tuple[str | None, Any]] | None:
    """The arguments an instance was made with, as ``(keyword or None, lazy value)``; None if jedi did not keep them.

    jedi keeps them on a ``TreeInstance`` (``_arguments``) to infer ``self.x = x``; torchls reads them to
    know what a ``DataLoader`` was given (its dataset, its ``collate_fn``), which its members do not say.
    """
    arguments = getattr(instance, "_arguments", None)
    if arguments is None or not callable(getattr(arguments, "unpack", None)):
        return None
    try:
        return list(arguments.unpack())
    except Exception:  # jedi cannot unpack them (`*args` of unknown length...)
        return None


def module_node(script: jedi.Script) -> Module:
    """The parse tree jedi made for the script: candidates are found in it, so the file is parsed once."""
    return script._module_node  # type: ignore[no-any-return]


def return_annotation_decides(script: jedi.Script, funcdef: Any) -> bool:
    """Whether jedi takes what calling the function returns from its return annotation alone.

    jedi prefers an annotation that infers to something, and has no type variable to solve from
    the arguments, over the return statements and the docstring (``get_return_values``); the
    incremental analysis then knows an edit of the body leaves the return type as it was.
    """
    if funcdef.annotation is None:
        return False
    try:
        context = module_context(script).create_context(funcdef.annotation)  # the scope around the def
        annotation = jedi_annotation.resolve_forward_references(context, {"return": funcdef.annotation})["return"]
        if jedi_annotation.find_unknown_type_vars(context, annotation):
            return False
        return bool(jedi_annotation.infer_annotation(context, annotation).execute_annotation(context))
    except Exception:  # jedi failed on it: the body may decide
        return False


def module_context(script: jedi.Script) -> Any:
    """The script's module context: nodes are inferred in contexts created from it."""
    return script._get_module_context()


def inference_state(script: jedi.Script) -> Any:
    """The script's inference state: its limits are reset per receiver."""
    return script._inference_state


def load_module(state: Any, path: Path, text: str) -> Any:
    """The module context of another file of the project (a caller), with ``text``, in ``state``.

    As jedi loads the modules it searches for references, through parso's cache (jedi's filters need
    the tree there). The text is parsed into the cache first, as a Script's is: parso would otherwise
    serve the tree it has for the path whenever that is newer than the file, and the text given (an
    open document's unsaved text) would be ignored.
    """
    state.parse(code=text, path=path, cache=False, diff_cache=True, cache_path=jedi.settings.cache_directory)
    return jedi_imports.load_module_from_path(state, KnownContentFileIO(path, text)).as_context()


def definitions(context: Any, leaf: Any) -> list[Any]:
    """Where the name ``leaf`` (in ``context``'s module) is defined, imports followed (jedi's goto)."""
    return list(filter_follow_imports(list(context.create_name(leaf).goto())))


def fresh_inference_budget(state: Any) -> None:
    """Reset jedi's per-state inference limits.

    jedi limits how often one function is executed per inference state (6 times) and how often
    names are inferred in one context (300 times, for the whole state): without a reset, the
    seventh `net = make_model()` in a file, or every annotation after the first few hundred in
    a big module, would silently stay unresolved.
    """
    state.reset_recursion_limitations()
    state.inferred_element_counts = {}


def environment_process(environment: Environment) -> Any | None:
    """Jedi's helper process for ``environment`` (a ``CompiledSubprocess``), None before its first use."""
    if not isinstance(environment, Environment):  # jedi's in-process environment has no helper
        return None
    return environment._subprocess


def stop_environment_process(environment: Environment) -> None:
    """End the helper process; jedi starts a new one for the next Script."""
    process = environment_process(environment)
    if process is None or process.is_crashed:
        return
    helper = process._get_process()
    helper.kill()
    helper.wait()
    # jedi's cleanup closes the helper's stderr: its reader thread must have seen the end of it
    # first, or it dies with a traceback on our stderr.
    process._stderr_thread.join(timeout=5)
    process._kill()


def kill_environment_process(environment: Environment) -> None:
    """Kill a hung helper process: jedi's pending request fails with ``InternalError``."""
    process = environment_process(environment)
    if process is not None and not process.is_crashed:
        process._get_process().kill()


def load_compiled_modules_from_stubs(package: str) -> None:
    """Make jedi read ``package``'s compiled modules from their ``.pyi`` stubs instead of importing them.

    To inspect ``torch._C`` jedi imports it in its helper process, which imports all of torch: 209 MB
    of the helper's 229 MB, a second and a half, and torch's ``__init__`` run for an analysis. torch
    ships a ``.pyi`` stub for each compiled module, and jedi uses a stub alone when the import gives
    nothing: the same types (every golden fixture is unchanged), without importing torch.
    """
    load = jedi_imports._load_builtin_module
    if getattr(load, "torchls_package", None) == package:
        return

    def load_unless_package(inference_state: Any, import_names: Any, sys_path: Any) -> Any:
        if import_names and import_names[0] == package:
            return None
        return load(inference_state, import_names, sys_path)

    load_unless_package.torchls_package = package  # type: ignore[attr-defined]
    jedi_imports._load_builtin_module = load_unless_package


def start_helpers_through(rewrite: Callable[[list[str]], list[str]], unknown: Callable[[], None]) -> None:
    """Start every jedi helper process with the command ``rewrite`` makes of jedi's own.

    jedi's ``CompiledSubprocess`` starts ``[python, .../subprocess/__main__.py, parso_dir, version]``
    through ``_GeneralizedPopen``; a call of another shape is started unchanged, after ``unknown()``.
    """
    popen = jedi_subprocess._GeneralizedPopen
    if getattr(popen, "torchls_wrapped", False):
        return

    def start_helper(args: Any, *rest: Any, **kwargs: Any) -> Any:
        if isinstance(args, tuple | list) and len(args) >= 2 and args[1] == jedi_subprocess._MAIN_PATH:
            args = rewrite(list(args))
        else:  # not the call this wrapper knows: start it unchanged rather than break jedi
            unknown()
        return popen(args, *rest, **kwargs)

    start_helper.torchls_wrapped = True  # type: ignore[attr-defined]
    jedi_subprocess._GeneralizedPopen = start_helper


def cache_parse_trees_as_used_now() -> None:
    """Make parso record a tree it caches (parsed, or loaded from disk) as used now.

    parso's cache GC (600 trees or more) drops trees unused for 10 minutes, but a tree it caches
    starts with its file's modification time as its last use. With files older than that (a wheel,
    an old checkout) each tree cached during an analysis, the analysed file's own first, was dropped
    by the next one cached past the 600th, while jedi still used it: its next lookup of the tree
    (``get_parso_cache_node``) raised KeyError and the candidate was skipped (780 of 8,578 in
    transformers). The modification time stays the tree's ``change_time``, which says when it is stale.

    parso's sweep of that GC runs on every tree cached past the 600th and copies every mapping; it
    drops only trees unused for 10 minutes, so running it once a minute drops the same trees (a
    minute later at most), without its cost (5% of ``torchls check``'s time on Lightning).
    """
    set_item = parso_cache._set_cache_item
    if getattr(set_item, "torchls_wrapped", False):
        return
    swept_at = [0.0]

    def set_item_used_now(hashed_grammar: Any, path: Any, module_cache_item: Any) -> None:
        module_cache_item.last_used = now = time.time()
        if now - swept_at[0] < PARSE_TREE_SWEEP_EVERY_S:
            parser_cache.setdefault(hashed_grammar, {})[path] = module_cache_item
            return
        swept_at[0] = now
        set_item(hashed_grammar, path, module_cache_item)

    set_item_used_now.torchls_wrapped = True  # type: ignore[attr-defined]
    parso_cache._set_cache_item = set_item_used_now


def parse_trees() -> Iterator[dict[Any, Any]]:
    """Parso's in-memory parse trees, one mapping (path -> cached tree) per grammar."""
    return iter(parser_cache.values())


def search_star_imports_by_name() -> None:
    """Make jedi follow a module's ``from x import *`` only when ``x`` may define the name looked up.

    jedi's ``ModuleMixin.star_imports`` imports (parses) every star-imported module, recursively,
    before any name is looked up in them: 2,241 files for ``from transformers import BertModel``. Here
    each star import is a filter of its own, asked in jedi's order (a target's own star imports
    before its names), that imports its target only when the target's text may define the name
    (star_imports.py). Listing all names (completion) still imports every target.
    """
    if getattr(ModuleMixin.iter_star_filters, "torchls_lazy", False):
        return

    def iter_star_filters(module: Any) -> Iterator[_StarImportFilter]:
        for node in module.tree_node.iter_imports():
            if node.is_star_import():
                yield _StarImportFilter(module, node)

    iter_star_filters.torchls_lazy = True  # type: ignore[attr-defined]
    ModuleMixin.iter_star_filters = iter_star_filters  # type: ignore[method-assign]


_searching: set[tuple[int, int]] = set()  # (inference state, module) pairs whose star imports are being searched


class _StarImportFilter:
    """The names one ``from x import *`` statement of a module gives (a jedi filter: ``get``, ``values``)."""

    def __init__(self, module: Any, node: Any) -> None:
        self._module = module
        self._node = node

    def get(self, name: str) -> list[Any]:
        file = self._module.py__file__()
        path = [leaf.value for leaf in self._node.get_paths()[-1]]
        if file is not None and not star_imports.may_define(Path(file), self._node.level, path, name):
            return []
        for names in self._each_target(lambda found: found.get(name)):
            if names:
                return names
        return []

    def values(self) -> list[Any]:
        return [name for names in self._each_target(lambda found: found.values()) for name in names]

    def _each_target(self, ask: Callable[[Any], list[Any]]) -> Iterator[list[Any]]:
        """``ask`` of each filter of the imported modules, as jedi orders them: nested star imports first."""
        from jedi.inference.imports import Importer  # imports jedi.inference.value, as jedi's own method does

        state = self._module.inference_state
        targets = Importer(
            state,
            import_path=self._node.get_paths()[-1],
            module_context=self._module.as_context(),
            level=self._node.level,
        ).follow()
        for target in targets:
            key = (id(state), id(target))
            if key in _searching:
                continue  # a cycle of star imports
            _searching.add(key)
            try:
                if isinstance(target, ModuleValue):
                    for nested in target.iter_star_filters():
                        yield ask(nested)
                own = next(target.get_filters(), None)
                if own is not None:
                    yield ask(own)
            finally:
                _searching.discard(key)
