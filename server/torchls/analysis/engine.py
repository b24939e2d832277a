"""The analysis API shared by the CLI and the language server.

source text → candidates (parso, via jedi's parse) → receiver types (jedi + catalog) → findings
(rules). Nothing here knows about LSP.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import jedi
from jedi.api.environment import Environment
from jedi.api.exceptions import InternalError
from jedi.inference import imports as jedi_imports
from parso.cache import parser_cache
from parso.python.tree import Name

from torchls.analysis.candidates import (
    GRAD_MODE_NAMES,
    GradModeUse,
    MemberAccess,
    grad_mode_uses,
    may_hold_candidates,
    member_accesses,
    used_names,
)
from torchls.analysis.catalog import Catalog, GradModeClass, Member, load_catalog
from torchls.analysis.environment import torch_location
from torchls.analysis.fallback import stub_directory
from torchls.analysis.findings import Finding, Position, Span
from torchls.analysis.incremental import Layout, Unit, layout, relocation, units_to_reuse
from torchls.analysis.resolve import Resolver, TorchObject
from torchls.analysis.rules import missing_call, not_callable
from torchls.analysis.settings import Settings
from torchls.analysis.suppressions import is_suppressed
from torchls.analysis.usage import classify

log = logging.getLogger(__name__)
C = TypeVar("C", MemberAccess, GradModeUse)
SCRIPTS_KEPT = 8  # files with a kept Script
# A kept Script serves hover and fix-all on the same text; jedi's memo caches in it grow with every
# query (they key on context objects created per query), so it is retired after this many uses.
SCRIPT_USES = 50
TIME_BUDGET_S = float(os.environ.get("TORCHLS_TIME_BUDGET", "20"))  # per analysis; past it: partial results, logged
# Reused findings rest on the files a unit imports staying as they were; files changed outside the
# editor are not announced, so the whole file is analysed again at least this often while editing.
FULL_ANALYSIS_EVERY_S = 30.0
# jedi's helper process grows by about a kilobyte per analysis (its memory is its own, out of our
# reach): a fresh one is started after this many analyses, a second's pause every few hours of typing.
ENVIRONMENT_PROCESS_ANALYSES = 5000
# One receiver taking longer means jedi's environment process hangs: it is killed, and restarted.
HANG_TIMEOUT_S = float(os.environ.get("TORCHLS_HANG_TIMEOUT", "60"))

# jedi guesses an unannotated (or `Any`) parameter's type from the call sites it finds. One caller
# passing a Tensor where others pass PIL images made `pic.size[1]` look like a bug in torchvision:
# a guess is not evidence, so torchls trusts annotations, defaults and assignments only.
jedi.settings.dynamic_params = False
jedi.settings.dynamic_params_for_other_modules = False

_load_builtin_module = jedi_imports._load_builtin_module


def _load_compiled_module_unless_torch(inference_state: Any, import_names: Any, sys_path: Any) -> Any:
    """Load compiled modules as jedi does, except torch's: those are read from torch's own stubs.

    To inspect ``torch._C`` jedi imports it in its helper process, which imports all of torch: 209 MB
    of the helper's 229 MB, a second and a half, and torch's ``__init__`` run for an analysis. torch
    ships a ``.pyi`` stub for each compiled module, and jedi uses a stub alone when the import gives
    nothing: the same types (every golden fixture is unchanged), without importing torch.
    """
    if import_names and import_names[0] == "torch":
        return None
    return _load_builtin_module(inference_state, import_names, sys_path)


jedi_imports._load_builtin_module = _load_compiled_module_unless_torch


@dataclass(frozen=True)
class _Previous:
    """A file's last complete analysis: its text, layout and raw findings per unit (None: skeleton)."""

    source: str
    settings: Settings
    layout: Layout
    findings: dict[int | None, list[Finding]]
    full_at: float  # when the whole file was last analysed


@dataclass(frozen=True)
class MemberInfo:
    """What a catalogued member under the cursor is, for hover."""

    span: Span
    text: str  # the expression as written, e.g. "model.parameters"
    member: Member | None = None
    receiver: TorchObject | None = None
    grad_mode: GradModeClass | None = None


class Analyzer:
    """Analyses source in one Python environment. Not thread-safe: jedi is not."""

    def __init__(self, environment: Environment, project_root: Path | None = None, catalog: Catalog | None = None):
        self.environment = environment
        self.catalog = catalog or load_catalog()
        # Without torch in the environment, jedi is given torch's public types from the catalog.
        self.torch_found = torch_location(environment) is not None
        stubs = [] if self.torch_found else [stub_directory(self.catalog)]
        self.project = jedi.Project(project_root or Path.cwd(), added_sys_path=stubs) if project_root or stubs else None
        self.python_version: tuple[int, int] = tuple(environment.version_info[:2])  # type: ignore[assignment]
        # The last Script of each file, so that hover and fix-all on the same text reuse jedi's
        # inference. Only the latest text of a file may be kept: parso's diff parser reuses and
        # changes the previous tree of the same path in place, so older Scripts go stale.
        self._scripts: OrderedDict[Path | None, tuple[str, jedi.Script, int]] = OrderedDict()
        # Each file's last complete analysis, per unit: an edit re-analyses only what it can change.
        self._previous: OrderedDict[Path | None, _Previous] = OrderedDict()
        # How many candidates were resolved, and to what (for benchmarks and statistics).
        self.stats: Counter[str] = Counter()
        self.time_budget_s = TIME_BUDGET_S
        self._environment_crashed = False
        self._analyses = 0
        self._candidate_started: float | None = None
        threading.Thread(target=self._watch_for_hangs, name="torchls-watchdog", daemon=True).start()

    @property
    def torch_note(self) -> str | None:
        """What users are told when the environment has no torch (None when it has)."""
        if self.torch_found:
            return None
        return f"torch not found in {self.environment.executable}: types inferred from imports"

    def analyze(self, source: str, path: Path | None = None, settings: Settings | None = None) -> list[Finding]:
        """Every finding in ``source`` that ``settings`` enable and no comment suppresses.

        If jedi's environment process crashes (or hangs and is killed) meanwhile, jedi starts a new
        one for a new Script: the analysis runs once more, so results stay complete.
        """
        self._analyses += 1
        if self._analyses % ENVIRONMENT_PROCESS_ANALYSES == 0:
            self._renew_environment_process()
        self._environment_crashed = False
        findings = self._analyze(source, path, settings or Settings())
        if self._environment_crashed:
            self.stats["environment restarts"] += 1
            log.warning("torchls: jedi's environment process died; restarted, analysing %s again", path)
            self._scripts.clear()
            self._environment_crashed = False
            findings = self._analyze(source, path, settings or Settings())
        return findings

    def _analyze(self, source: str, path: Path | None, settings: Settings) -> list[Finding]:
        global _LIBRARIES_FROZEN
        if not _LIBRARIES_FROZEN:
            _LIBRARIES_FROZEN = True
            with _collecting_rarely():
                return self._analyze_once(source, path, settings)
        return self._analyze_once(source, path, settings)

    def _analyze_once(self, source: str, path: Path | None, settings: Settings) -> list[Finding]:
        previous = self._previous.pop(path, None)
        if previous is None or previous.source != source:
            self._previous.clear()  # an edit here can change what other files' units infer
        if not may_hold_candidates(source, self.catalog.member_names):
            return []
        _keep_parse_trees_alive()
        script = self._script(source, path)
        resolver = Resolver(script, self.catalog)
        module = script._module_node
        current = layout(module, source, previous.layout if previous is not None else None)
        findings: list[Finding] = []
        reused: set[int] = set()
        if previous is not None:
            for index, old_index in self._reusable(previous, current, settings).items():
                old_findings = previous.findings.get(old_index, [])
                kept = _relocated(old_findings, previous.layout.units[old_index], current.units[index])
                if kept is not None:  # else a finding is no longer at a token's edge: analysed again
                    findings += kept
                    reused.add(index)
        self.stats["units reused"] += len(reused)

        used = used_names(module, frozenset(current.units[index].start for index in reused))

        def analysed(candidate: MemberAccess | GradModeUse) -> bool:
            return current.unit_at(candidate_start(candidate)) not in reused

        deadline = time.monotonic() + self.time_budget_s
        complete = True
        if settings.enabled(missing_call.CODE) or settings.enabled(not_callable.CODE):
            for access in filter(analysed, member_accesses(used, self.catalog.member_names)):
                if time.monotonic() > deadline:
                    log.warning(
                        "torchls: %s: time budget of %.0f s spent; results are partial", path, self.time_budget_s
                    )
                    self.stats["partial analyses"] += 1
                    complete = False
                    break
                finding = self._guarded(self._check_access, access, resolver, settings)
                if finding is not None:
                    findings.append(finding)
        if settings.enabled(missing_call.CODE):
            for use in filter(analysed, grad_mode_uses(used)):
                finding = self._guarded(self._check_grad_mode, use, resolver, settings)
                if finding is not None:
                    findings.append(finding)
        if complete and not self._environment_crashed:
            by_unit: dict[int | None, list[Finding]] = {}
            for finding in findings:
                by_unit.setdefault(current.unit_at(finding.span.start), []).append(finding)
            full_at = previous.full_at if previous is not None and reused else time.monotonic()
            self._previous[path] = _Previous(source, settings, current, by_unit, full_at)
            while len(self._previous) > SCRIPTS_KEPT:
                self._previous.popitem(last=False)
        lines = source.splitlines()
        kept = [settings.apply(f) for f in findings if settings.enabled(f.code) and not is_suppressed(f, lines)]
        return sorted(kept, key=lambda f: (f.span.start, f.code))

    @staticmethod
    def _reusable(previous: _Previous, current: Layout, settings: Settings) -> dict[int, int]:
        """The units whose findings from the previous analysis of the file still hold: index -> previous index."""
        if previous.settings != settings:
            return {}
        if time.monotonic() - previous.full_at > FULL_ANALYSIS_EVERY_S:
            return {}
        return units_to_reuse(previous.layout, current) or {}

    def describe(self, source: str, path: Path | None, position: tuple[int, int]) -> MemberInfo | None:
        """The catalogued torch member at ``position`` (1-based line, code-point column), if any."""
        script = self._script(source, path)
        leaf = _name_at(script._module_node, position)
        if leaf is None:
            return None
        resolver = Resolver(script, self.catalog)
        if leaf.value in GRAD_MODE_NAMES:
            for use in grad_mode_uses(script._module_node.get_used_names()):
                if use.name is leaf:
                    grad_class = self._grad_mode_class(use, resolver)
                    if grad_class:
                        return MemberInfo(Span(leaf.start_pos, leaf.end_pos), use.text, grad_mode=grad_class)
        trailer = leaf.parent
        if trailer is None or trailer.type != "trailer" or trailer.children[0] != "." or trailer.parent is None:
            return None
        access = MemberAccess(trailer.parent, trailer.parent.children.index(trailer), leaf)
        objects = resolver.torch_objects(access.receiver_nodes)
        if not objects:
            return None
        member = self.catalog.member(objects[0].root, leaf.value)
        if member is None or resolver.override(objects[0], leaf.value) == "data":
            return None
        return MemberInfo(Span(leaf.start_pos, leaf.end_pos), access.text, member=member, receiver=objects[0])

    def forget(self, path: Path) -> None:
        """Drop what was kept for one file (the CLI is done with it; imported modules stay cached)."""
        self._scripts.pop(path, None)
        self._previous.pop(path, None)
        for trees in parser_cache.values():
            trees.pop(path, None)
            trees.pop(str(path), None)

    # -------------------------------------------------------------------------------------

    def _script(self, source: str, path: Path | None) -> jedi.Script:
        kept_source, script, uses = self._scripts.pop(path, ("", None, 0))
        if script is None or kept_source != source or uses >= SCRIPT_USES:
            script, uses = jedi.Script(source, path=path, environment=self.environment, project=self.project), 0
        self._scripts[path] = (source, script, uses + 1)
        while len(self._scripts) > SCRIPTS_KEPT:
            self._scripts.popitem(last=False)
        return script

    def _guarded(
        self,
        check: Callable[[C, Resolver, Settings], Finding | None],
        candidate: C,
        resolver: Resolver,
        settings: Settings,
    ) -> Finding | None:
        """Run one check; an error in jedi or in a rule (RecursionError too) skips the candidate, never the file."""
        if self._environment_crashed:
            return None  # the analysis will run again with a new process
        self._candidate_started = time.monotonic()
        try:
            return check(candidate, resolver, settings)
        except InternalError:
            self._environment_crashed = True
            return None
        except Exception:
            log.warning("torchls: skipped %s at %s", candidate.text, candidate_position(candidate), exc_info=True)
            return None
        finally:
            self._candidate_started = None

    def _renew_environment_process(self) -> None:
        """Stop jedi's helper process; jedi starts a new one for the next Script."""
        subprocess = getattr(self.environment, "_subprocess", None)
        if subprocess is not None and not subprocess.is_crashed:
            subprocess._kill()
        self._scripts.clear()  # their inference states belong to the old process
        self.stats["environment renewals"] += 1

    def _watch_for_hangs(self) -> None:
        """Kill jedi's environment process when one receiver takes longer than ``HANG_TIMEOUT_S``."""
        while True:
            time.sleep(min(1.0, HANG_TIMEOUT_S / 4))
            started = self._candidate_started
            if started is not None and time.monotonic() - started > HANG_TIMEOUT_S:
                log.warning("torchls: jedi's environment process hangs; killing it")
                self._candidate_started = None
                subprocess = getattr(self.environment, "_subprocess", None)
                if subprocess is not None and not subprocess.is_crashed:
                    try:
                        subprocess._get_process().kill()
                    except Exception:
                        log.exception("torchls: could not kill jedi's environment process")

    def _check_access(self, access: MemberAccess, resolver: Resolver, settings: Settings) -> Finding | None:
        if access.call_trailer is not None:
            if not settings.enabled(not_callable.CODE) or not self.catalog.is_data_name(access.name):
                return None
            members = self._members(access, resolver, want_method=False)
            return not_callable.check_call(access, members[0][0]) if members else None
        if not settings.enabled(missing_call.CODE):
            return None
        usage = classify(access, self.catalog.optimizer_classes)
        if usage is None:
            return None
        members = self._members(access, resolver, want_method=True)
        if not members:
            return None
        overridden = any(override == "method" for _, override in members)
        return missing_call.check_access(access, usage, members[0][0], overridden)

    def _members(
        self, access: MemberAccess, resolver: Resolver, want_method: bool
    ) -> list[tuple[Member, str | None]] | None:
        """The member on every possible receiver, if each is torch's and of the wanted kind."""
        if not any(
            (m := members.get(access.name)) is not None and m.is_method == want_method
            for members in self.catalog.members.values()
        ):
            return None
        objects = resolver.torch_objects(access.receiver_nodes)
        self.stats["candidates"] += 1
        self.stats["torch receivers" if objects else "other or unknown receivers"] += 1
        if not objects:
            return None
        result = []
        for obj in objects:
            member = self.catalog.member(obj.root, access.name)
            if member is None or member.is_method != want_method or (not want_method and member.callable):
                return None
            override = resolver.override(obj, access.name)
            if override == "data" or (override and not want_method):
                return None  # the user's class defines the name itself
            result.append((member, override))
        return result

    def _check_grad_mode(self, use: GradModeUse, resolver: Resolver, settings: Settings) -> Finding | None:
        grad_class = self._grad_mode_class(use, resolver)
        return missing_call.check_grad_mode(use, grad_class, self.python_version) if grad_class else None

    def _grad_mode_class(self, use: GradModeUse, resolver: Resolver) -> GradModeClass | None:
        names = resolver.class_names(use.expr)
        if len(names) != 1:
            return None
        return self.catalog.grad_mode_classes.get(names.pop())


# The first analysis in a process loads torch's parse trees (millions of objects, from jedi's disk
# cache): Python's cyclic GC, run again and again over them as they are unpickled, was more than
# half of a cold start (2.5 s of 4 on a 1,000-line file here). Loading them with the GC run rarely,
# then freezing them (they stay loaded for the life of the process), leaves later collections only
# the objects made since.
_LIBRARIES_FROZEN = False
_LOADING_THRESHOLDS = (100_000, 50, 1000)


@contextmanager
def _collecting_rarely() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.set_threshold(*_LOADING_THRESHOLDS)
    try:
        yield
    finally:
        gc.freeze()
        gc.set_threshold(*thresholds)


def _relocated(findings: list[Finding], old: Unit, new: Unit) -> list[Finding] | None:
    """A kept unit's findings where its tokens are now (None: one cannot be placed)."""
    where = relocation(old, new)
    moved = []
    for finding in findings:
        start, end = where(finding.span.start), where(finding.span.end)
        if start is None or end is None:
            return None
        fix = finding.fix
        if fix is not None:
            edits = []
            for edit in fix.edits:
                edit_start, edit_end = where(edit.span.start), where(edit.span.end)
                if edit_start is None or edit_end is None:
                    return None
                edits.append(replace(edit, span=Span(edit_start, edit_end)))
            fix = replace(fix, edits=tuple(edits))
        moved.append(replace(finding, span=Span(start, end), fix=fix))
    return moved


def _keep_parse_trees_alive() -> None:
    """Mark every cached parse tree as just used.

    parso's cache GC (600 trees or more) drops trees unused for 10 minutes, and trees loaded from
    jedi's disk cache keep the time they were first parsed: torch's stubs, in use by the analysis
    under way, were dropped and jedi failed on them (KeyError) in long runs such as transformers.
    """
    now = time.time()
    for trees in parser_cache.values():
        for tree in trees.values():
            tree.last_used = now


def _name_at(module: Any, position: tuple[int, int]) -> Name | None:
    """The name leaf under the cursor, also at its first or just past its last character.

    parso answers the leaf *ending* at a position, so the start of `shape` in `x.shape` gives `.`.
    """
    try:
        leaf = module.get_leaf_for_position(position, include_prefixes=False)
    except ValueError:  # past the end of the module
        return None
    if isinstance(leaf, Name):
        return leaf
    for neighbour in (leaf.get_next_leaf(), leaf.get_previous_leaf()) if leaf is not None else ():
        if isinstance(neighbour, Name) and neighbour.start_pos <= position <= neighbour.end_pos:
            return neighbour
    return None


def candidate_start(candidate: MemberAccess | GradModeUse) -> Position:
    """Where a candidate's member name starts."""
    return (candidate.member if isinstance(candidate, MemberAccess) else candidate.name).start_pos


def candidate_position(candidate: MemberAccess | GradModeUse) -> str:
    """``line:column`` of a candidate, for logs."""
    line, column = candidate_start(candidate)
    return f"{line}:{column + 1}"
