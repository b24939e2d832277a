"""Calls of a module-level function from the other files of its project (the workspace call-site index).

``def train(model, optimizer)`` in ``train_lib.py``, called from ``main.py`` as ``train(Net(), opt)``,
says what ``model`` is. Finding those calls is done cheaply first: every ``.py`` file of the project
(the jedi project root) is reduced once to the set of words it contains, kept per file by (mtime,
size), so a later analysis reads only the files that changed. A file can call the function only if
it contains the function's name and the name of its module (or of a module that re-exports it, or
it sits in a package whose ``__init__`` does): those few are parsed, each use of the name is
confirmed with jedi (its goto lands on the function's definition), and every confirmed use must be
a plain call. A use as a value, an aliased import, too many candidate files, too many files in the
project or a search that runs out of time gives nothing: the callers are then not all in view.

Bounds: :data:`MAX_FILES` files per project, :data:`MAX_CALLER_FILES` candidate files and
:data:`TIME_BUDGET_S` seconds per function; files over :data:`MAX_FILE_BYTES` are not code.
Open documents' unsaved text (:attr:`WorkspaceIndex.documents`) wins over the file on disk.

Inferring the callers' arguments is what costs (35 ms of the 37 an edit of ``fast_neural_style/utils.py``
took): every analysis has a new inference state, which loads torch again. So each argument is inferred
in an inference state of its caller's own (:meth:`OtherFiles.caller_context`), without the analysed
file; when that never imported the analysed file, what it gave rests only on the other files, and is
kept (:attr:`WorkspaceIndex.kept_arguments`) under the versions of all of them: an edit of the analysed
file reuses it, any change to another file (saved or open text, a new or removed file) misses.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jedi
from jedi.file_io import FileIO
from jedi.inference import imports as jedi_imports
from parso.python.tree import Class, Function, Name
from parso.tree import BaseNode, NodeOrLeaf

from torchls.analysis import jedi_bridge
from torchls.analysis.callsites import call_trailer, is_attribute

log = logging.getLogger(__name__)

MAX_FILES = 5000  # a bigger project gets no cross-file call sites: reading it all costs too much
MAX_DIRECTORIES = 20000  # folders walked to list a project (a home folder opened as one is not a project)
MAX_CALLER_FILES = 40  # files that may call one function: more and it is too costly to confirm them
MAX_FILE_BYTES = 1024 * 1024  # bigger .py files are generated data, not code that calls ours
TIME_BUDGET_S = 2.0  # to find and confirm one function's calls in the other files
LISTING_TTL_S = 5.0  # the project's file list is walked again after this (files appear, go)
KEPT_ARGUMENTS = 2000  # arguments' values kept across analyses (the oldest go first)
SKIPPED_DIRECTORIES = frozenset({"__pycache__", "node_modules", "site-packages", "venv", "env", ".venv"})
WORD = re.compile(r"[A-Za-z_]\w*")
IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+import[ \t]+\([^)]*\)|(?:from|import)[ \t][^\n]*)", re.MULTILINE)
FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+[\w.]+[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)", re.MULTILINE)


@dataclass(frozen=True)
class _Words:
    stamp: tuple[int, int]  # (mtime_ns, size) of the file they were read from
    words: frozenset[str]
    imported: frozenset[str]  # the words of its import statements: the modules it may import


def _words_of(text: str, stamp: tuple[int, int] = (0, 0)) -> _Words:
    imported = frozenset(word for statement in IMPORT.findall(text) for word in WORD.findall(statement))
    return _Words(stamp, frozenset(WORD.findall(text)), imported)


@dataclass(frozen=True)
class Call:
    """A confirmed call of the function in another file: the ``(...)`` trailer, in that file's module context."""

    context: Any
    trailer: BaseNode
    file: str  # the file as shown to users: relative to the project root
    path: Path  # the file itself (resolved)
    receiver: tuple[NodeOrLeaf, ...] = ()  # for a method's call `trainer.fit(model)`: the nodes before `.fit`


class WorkspaceIndex:
    """The words of each project file, kept across analyses; not thread-safe (used on the jedi thread)."""

    def __init__(self) -> None:
        self.documents: dict[Path, str] = {}  # open documents' text, by resolved path: wins over disk
        self._words: dict[Path, _Words] = {}
        self._checked: dict[Path, float] = {}  # when each file's stamp was last compared with the disk
        self._document_words: dict[Path, tuple[str, _Words]] = {}
        self._listings: dict[Path, tuple[float, list[Path] | None]] = {}
        # What an argument in another file was inferred to be, portable across inference states (resolve.py
        # makes and reads the entries), by OtherFiles.argument_key: its file, place, and every other file's version.
        self.kept_arguments: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.stats = {"files read": 0}

    def keep_argument(self, key: tuple[Any, ...], kept: Any) -> None:
        """Keep what an argument was inferred to be (the oldest entries go past :data:`KEPT_ARGUMENTS`)."""
        self.kept_arguments[key] = kept
        while len(self.kept_arguments) > KEPT_ARGUMENTS:
            self.kept_arguments.popitem(last=False)

    def version(self, path: Path) -> tuple[Any, ...]:
        """What changes whenever the file's text does: the open document's text, else the file's (mtime, size)."""
        document = self.documents.get(path)
        if document is not None:
            return ("open", document)
        return ("disk", self.words(path).stamp)

    def fingerprint(self, root: Path, leaving_out: Path) -> int | None:
        """A hash of the versions of every file of the project but ``leaving_out`` (None: too many files).

        Open documents count too, wherever they are: an open module outside the folder may be imported.
        """
        files = self.files(root)
        if files is None:
            return None
        others = set(files) | set(self.documents)
        others.discard(leaving_out)
        return hash(tuple(sorted((str(file), self.version(file)) for file in others)))

    def files(self, root: Path) -> list[Path] | None:
        """The ``.py`` and ``.ipynb`` files under ``root`` (hidden folders, venvs skipped); None: too many."""
        now = time.monotonic()
        listed = self._listings.get(root)
        if listed is not None and now - listed[0] < LISTING_TTL_S:
            return listed[1]
        found: list[Path] = []
        for walked, (folder, directories, names) in enumerate(os.walk(root)):
            directories[:] = [d for d in directories if not _skipped(Path(folder) / d)]
            found += [Path(folder) / name for name in names if name.endswith((".py", ".ipynb"))]
            if len(found) > MAX_FILES or walked > MAX_DIRECTORIES:
                self._listings[root] = (now, None)
                return None
        self._listings[root] = (now, found)
        return found

    def refresh(self) -> None:
        """Look at the disk again at the next lookup (a file was saved): list the files, compare their stamps."""
        self._listings.clear()
        self._checked.clear()

    def text(self, path: Path) -> str | None:
        """The file's text: the open document's if there is one, else the file's (None: not readable code)."""
        if path in self.documents:
            return self.documents[path]
        try:
            status = path.stat()
            if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_FILE_BYTES:
                return None  # a named pipe would block the read forever
            return path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return None

    def words(self, path: Path) -> _Words:
        """The identifiers in the file, and in its import statements (empty when it cannot be read)."""
        document = self.documents.get(path)
        if document is not None:
            kept = self._document_words.get(path)
            if kept is None or kept[0] != document:
                kept = self._document_words[path] = (document, _words_of(document))
            return kept[1]
        cached = self._words.get(path)
        now = time.monotonic()
        if cached is not None and now - self._checked.get(path, 0.0) < LISTING_TTL_S:
            return cached  # one stat per file and listing, not per function looked up
        self._checked[path] = now
        try:
            status = path.stat()
        except OSError:
            return _NO_WORDS
        stamp = (status.st_mtime_ns, status.st_size)
        if cached is None or cached.stamp != stamp:
            self.stats["files read"] += 1
            cached = self._words[path] = _words_of(self.text(path) or "", stamp)
            if path.suffix == ".ipynb":  # its import lines are inside JSON strings: any word may be one
                cached = self._words[path] = _Words(stamp, cached.words, cached.words)
        return cached

    def possible_callers(
        self, path: Path, root: Path, name: str | None = None, limit: int | None = None
    ) -> list[Path] | None:
        """The other files of the project that may call ``name`` (any function, for None) of ``path``'s module.

        A file qualifies when an import statement of it names the module, a module that re-exports the function
        (``from train_lib import train`` in ``utils.py``, then ``from utils import train``), or sits in a
        package whose ``__init__`` does (``from . import train``). None: more than ``limit`` files, or the
        project is too big.
        """
        files = self.files(root)
        if files is None:
            return None
        modules = _module_names(path)
        packages = [path.parent] if path.name == "__init__.py" else []
        found: list[Path] = []
        changed = True
        while changed:
            changed = False
            for file in files:
                if file == path or file in found:
                    continue
                words = self.words(file)
                if name is not None and name not in words.words:
                    continue
                if not (words.imported & modules or any(file.is_relative_to(package) for package in packages)):
                    continue
                found.append(file)
                if limit is not None and len(found) > limit:
                    return None
                if name is None or _imports_name(self.text(file) or "", name):  # it may re-export the function
                    modules |= _module_names(file)
                    if file.name == "__init__.py":
                        packages.append(file.parent)
                    changed = True
        return found


class OtherFiles:
    """One analysis's view of the other files of its project: the calls of its functions there."""

    def __init__(self, index: WorkspaceIndex, state: Any, path: Path, root: Path) -> None:
        self.index = index  # kept across analyses: what callers' arguments were inferred to be
        self._index = index
        self._state = state  # the analysed Script's inference state: callers are loaded into it
        self._path = path
        self._root = root
        self._calls: dict[int, list[Call] | None] = {}
        self._fingerprint: int | None = None
        self._caller_modules: dict[Path, Any] = {}  # each caller's module in an inference state of its own

    def calls(self, function: Function | Class) -> list[Call] | None:
        """Every call of a module-level ``function`` in the other files ([] for none); None: not all known."""
        key = id(function)
        if key not in self._calls:
            started = time.monotonic()
            try:
                self._calls[key] = self._find(function, started + TIME_BUDGET_S)
            except Exception:  # jedi on another file's code: never fail the analysis for it
                log.debug("torchls: calls of %s in other files not found", function.name.value, exc_info=True)
                self._calls[key] = None
            log.debug("torchls: calls of %s: %.3f s", function.name.value, time.monotonic() - started)
        return self._calls[key]

    def method_calls(self, method: Function) -> list[Call] | None:
        """Every ``receiver.method(...)`` in the other files ([] for none), whatever the receiver; None: not all known.

        Any file may call a method on an instance it got from anywhere, so every file that names it is read,
        whatever it imports; the caller decides which receivers are instances of the method's class. A use of
        ``.method`` that is not a call (``callbacks.append(trainer.fit)``), or in a notebook, gives None.
        """
        key = id(method)
        if key not in self._calls:
            started = time.monotonic()
            try:
                self._calls[key] = self._find_method_calls(method, started + TIME_BUDGET_S)
            except Exception:  # jedi on another file's code: never fail the analysis for it
                log.debug("torchls: calls of method %s in other files not found", method.name.value, exc_info=True)
                self._calls[key] = None
        return self._calls[key]

    def _find_method_calls(self, method: Function, deadline: float) -> list[Call] | None:
        name = method.name.value
        files = self._index.files(self._root)
        if files is None:
            return None
        named = [file for file in files if file != self._path and name in self._index.words(file).words]
        if len(named) > MAX_CALLER_FILES:
            return None
        calls: list[Call] = []
        for file in named:
            text = self._index.text(file)
            if time.monotonic() > deadline or text is None or file.suffix != ".py":
                return None
            context = jedi_bridge.load_module(self._state, file, text)
            shown = file.relative_to(self._root).as_posix() if file.is_relative_to(self._root) else str(file)
            for leaf in context.tree_node.get_used_names().get(name, []):
                if not is_attribute(leaf):
                    continue  # that file's own name (a function `fit`, a keyword argument): not a member
                attribute = leaf.parent
                expr = attribute.parent
                call = call_trailer(attribute)
                if call is None or expr.children[0] == "await":
                    return None  # used as a value: its calls are out of view
                receiver = tuple(expr.children[: expr.children.index(attribute)])
                calls.append(Call(context.create_context(call), call, shown, file, receiver))
        return calls

    def _find(self, function: Function | Class, deadline: float) -> list[Call] | None:
        name = function.name.value
        files = self._index.possible_callers(self._path, self._root, name, MAX_CALLER_FILES)
        if files is None:
            return None
        calls: list[Call] = []
        for file in files:
            if time.monotonic() > deadline:
                return None
            text = self._index.text(file)
            if text is None or file.suffix != ".py":
                return None  # a notebook may call it: its calls are not read
            found = self._calls_in(file, text, function)
            if found is None:
                return None
            calls += found
        return calls

    def _calls_in(self, file: Path, text: str, function: Function | Class) -> list[Call] | None:
        context = jedi_bridge.load_module(self._state, file, text)
        module = context.tree_node
        name = function.name.value
        used = module.get_used_names()
        shown = file.relative_to(self._root).as_posix() if file.is_relative_to(self._root) else str(file)
        calls = []
        for leaf in used.get(name, []):
            statement = leaf.search_ancestor("import_from", "import_name")
            if statement is not None:
                if leaf.parent.type in ("import_as_name", "dotted_as_name") and leaf.parent.children[0] is leaf:
                    return None  # `from train_lib import train as fit`: its calls go by another name
                continue
            if is_attribute(leaf):
                first = leaf.parent.parent.children[0] if leaf.parent.parent is not None else None
                if first is None or first.type != "name" or not _bound_by_import(used.get(first.value, [])):
                    continue  # `model.train()`: another object's member, not a module's function
                callee_end = leaf.parent
            else:
                callee_end = leaf
            landed = [self._is_function(d, function) for d in jedi_bridge.definitions(context, leaf)]
            if not any(landed):
                continue
            if not all(landed):
                return None  # the name may be the function or something else
            trailer = call_trailer(callee_end)
            if trailer is None:
                return None  # used as a value (`Thread(target=train)`): its callers are out of view
            calls.append(Call(context.create_context(trailer), trailer, shown, file))
        return calls

    def argument_key(self, call: Call, argument: NodeOrLeaf, *how: Any) -> tuple[Any, ...] | None:
        """The key of an argument of a call in another file: its file, its place, ``how`` it is inferred,
        and the versions of every file of the project but the analysed one. None: it cannot be kept
        (the argument is the parameter's default, in the analysed file; the project is too big).
        """
        if argument.get_root_node() is not call.trailer.get_root_node():
            return None
        if self._fingerprint is None:
            self._fingerprint = self._index.fingerprint(self._root, self._path)
            if self._fingerprint is None:
                return None
        return (call.path, argument.start_pos, argument.end_pos, argument.type, self._fingerprint, *how)

    def caller_context(self, call: Call, argument: NodeOrLeaf) -> tuple[Any, NodeOrLeaf] | None:
        """The argument in its file's module loaded into an inference state of its own, where the analysed
        file is not (a Script of the caller): (its context, its node), or None when it is not found there.
        """
        module = self._caller_modules.get(call.path)
        if module is None:
            text = self._index.text(call.path)
            if text is None:
                return None
            state = self._state
            script = jedi.Script(text, path=call.path, project=state.project, environment=state.environment)
            module = self._caller_modules[call.path] = jedi_bridge.module_context(script)
        # The same text gives parso's same tree; found by its place all the same, should the tree differ.
        node: NodeOrLeaf | None = module.tree_node.get_leaf_for_position(argument.start_pos)
        if node is not None and node.start_pos != argument.start_pos:
            node = node.get_next_leaf()  # parso gives the leaf that ends there
        while node is not None and (node.start_pos, node.end_pos, node.type) != (
            argument.start_pos,
            argument.end_pos,
            argument.type,
        ):
            node = node.parent
        if node is None or node.get_code() != argument.get_code():
            return None
        return module.create_context(node), node

    def modules(self, file: Path, dotted: str) -> list[Any]:
        """The module of ``file`` in the analysis's inference state, named as jedi names it there: a project file
        loaded by its path (its dotted name depends on the state's import path), any other imported by ``dotted``.
        """
        if file.is_relative_to(self._root):
            return [jedi_imports.load_module_from_path(self._state, FileIO(str(file)))]
        return [module for module in self._state.import_module(tuple(dotted.split("."))) if module.py__file__() == file]

    def reached_analysed_file(self, context: Any) -> bool:
        """True when the inference state of ``context`` (a caller's own) has imported the analysed file:
        what was inferred there may rest on its text. jedi imports a module only to look into it.
        """
        cache = context.inference_state.module_cache._name_cache  # jedi's `sys.modules`
        for modules in list(cache.values()):
            for module in modules:
                try:
                    path = module.py__file__()
                except Exception:
                    return True  # cannot say: count it as reached
                if path is not None and Path(path).resolve() == self._path:
                    return True
        return False

    def _is_function(self, definition: Any, function: Function | Class) -> bool:
        tree_name = getattr(definition, "tree_name", None)
        if tree_name is None:
            return False
        if tree_name is function.name:
            return True
        # The same file read again (jedi loaded it from disk, not the analysed text): the same top-level def.
        try:
            path = definition.get_root_context().py__file__()
        except Exception:
            return False
        defined = tree_name.parent
        return (
            path is not None
            and Path(path) == self._path
            and tree_name.value == function.name.value
            and defined is not None
            and defined.type in ("funcdef", "classdef")
            and defined.name is tree_name
            and defined.parent is not None
            and defined.parent.type in ("file_input", "decorated")
        )


_NO_WORDS = _Words((0, 0), frozenset(), frozenset())


def _skipped(directory: Path) -> bool:
    name = directory.name
    return name.startswith(".") or name in SKIPPED_DIRECTORIES or (directory / "pyvenv.cfg").exists()


def _module_names(path: Path) -> set[str]:
    """The names an import of the file can use: its stem, or its package's name for an ``__init__``."""
    return {path.parent.name if path.stem == "__init__" else path.stem}


def _imports_name(text: str, name: str) -> bool:
    """True when a ``from ... import`` statement of the text imports ``name`` (the file may re-export it)."""
    return any(name in WORD.findall(match.group(1)) for match in FROM_IMPORT.finditer(text))


def _bound_by_import(leaves: list[Name]) -> bool:
    """True when one of a name's leaves is bound by an import (``train_lib``, ``lib`` in ``import x as lib``)."""
    return any(leaf.search_ancestor("import_from", "import_name") is not None for leaf in leaves)
