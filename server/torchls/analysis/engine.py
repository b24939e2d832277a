"""The analysis API shared by the CLI and the language server.

source text → candidates (parso, via jedi's parse) → receiver types (jedi + catalog) → findings
(rules). Nothing here knows about LSP.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import os
import re
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import jedi
from jedi.api.environment import Environment
from parso.python.tree import Name

from torchls.analysis import jedi_bridge
from torchls.analysis.candidates import (
    GRAD_MODE_NAMES,
    GradModeUse,
    MemberAccess,
    access_of,
    bare_attribute_statements,
    grad_mode_uses,
    may_hold_candidates,
    member_accesses,
    used_names,
)
from torchls.analysis.catalog import ROOT_TITLES, Catalog, GradModeClass, Member, load_catalog
from torchls.analysis.environment import torch_location
from torchls.analysis.fallback import stub_directory
from torchls.analysis.findings import Finding, Position, Span
from torchls.analysis.incremental import Layout, Plan, Unit, layout, relocation, reuse_plan, statement_span
from torchls.analysis.resolve import Resolver, TorchObject
from torchls.analysis.rules import missing_call, not_callable
from torchls.analysis.settings import Settings
from torchls.analysis.supervision import Supervisor
from torchls.analysis.suppressions import is_suppressed
from torchls.analysis.usage import GRAD_CLIPPERS, Usage, UsageKind, classify
from torchls.analysis.workspace import OtherFiles, WorkspaceIndex

log = logging.getLogger(__name__)
C = TypeVar("C", MemberAccess, GradModeUse)
# Classes whose instances are never callable, as their TypeError names them.
NOT_CALLABLE = {
    "builtins.int": "int",
    "builtins.float": "float",
    "builtins.bool": "bool",
    "builtins.str": "str",
    "torch.device": "torch.device",
    "torch._C.device": "torch.device",
    "torch.dtype": "torch.dtype",
    "torch._C.dtype": "torch.dtype",
    "torch.Size": "torch.Size",
    "torch._tensor.Tensor": "Tensor",
    "torch.nn.parameter.Parameter": "Parameter",
}
ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")  # what makes a folder a project's root
TOP_LEVEL_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+(\w+)", re.MULTILINE)  # functions other files can import
IMPORTS_TORCH = re.compile(r"^[ \t]*(?:import|from)[ \t]+torch\b", re.MULTILINE)
SCRIPTS_KEPT = 8  # files with a kept Script
# A kept Script serves hover and fix-all on the same text; jedi's memo caches in it grow with every
# query (they key on context objects created per query), so it is retired after this many uses.
SCRIPT_USES = 50
TIME_BUDGET_S = float(os.environ.get("TORCHLS_TIME_BUDGET", "20"))  # per analysis; past it: partial results, logged
# Reused findings rest on the files a unit imports staying as they were; files changed outside the
# editor are not announced, so the whole file is analysed again at least this often while editing.
FULL_ANALYSIS_EVERY_S = 30.0
# A file's earlier texts whose complete analyses are kept with its last one: an undo, a redo, or a
# character typed and deleted gives one of them back, and its findings at once.
EARLIER_TEXTS_KEPT = 8
# jedi guesses an unannotated (or `Any`) parameter's type from the call sites it finds. One caller
# passing a Tensor where others pass PIL images made `pic.size[1]` look like a bug in torchvision:
# a guess is not evidence, so torchls trusts annotations, defaults and assignments only.
jedi.settings.dynamic_params = False
jedi.settings.dynamic_params_for_other_modules = False

jedi_bridge.load_compiled_modules_from_stubs("torch")  # torch's compiled modules: read, never imported
jedi_bridge.cache_parse_trees_as_used_now()  # else parso drops trees of the analysis under way
jedi_bridge.search_star_imports_by_name()  # re-exports through `import *` (transformers): only what may hold a name


@dataclass(frozen=True)
class _Previous:
    """A file's last complete analysis: its text, layout and raw findings per unit (None: skeleton)."""

    source: str
    settings: Settings
    layout: Layout
    findings: dict[int | None, list[Finding]]
    consulted: dict[int | None, set[str]]  # per unit: the receivers evidence from use was asked about
    full_at: float  # when the whole file was last analysed
    earlier: tuple[_Previous, ...] = ()  # the analyses of its earlier texts, latest first, each without its own

    def restored(self, source: str, settings: Settings) -> _Previous | None:
        """The analysis of an earlier text equal to ``source`` (under ``settings``), as the last one, if kept.

        Kept analyses go together: whatever makes the last one stale (another file edited or saved)
        drops the earlier ones too.
        """
        for earlier in self.earlier:
            if earlier.source == source and earlier.settings == settings:
                if time.monotonic() - earlier.full_at > FULL_ANALYSIS_EVERY_S:
                    return None
                others = tuple(e for e in (replace(self, earlier=()), *self.earlier) if e is not earlier)
                return replace(earlier, earlier=others[:EARLIER_TEXTS_KEPT])
        return None


@dataclass(frozen=True)
class _Receiver:
    """What an access's receiver has under the member's name, and how the receiver is known."""

    members: list[tuple[Member, str | None]]  # per possible class: torch's member, the user's override
    how: str = ""  # a sentence for the message when no type says it (evidence, call sites)


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
        self.supervisor = Supervisor(environment)  # its helper process: hang kill, renewal, crash retry
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
        self._imports_torch = False  # of the file under analysis
        self._projects: dict[Path, jedi.Project] = {}  # for files outside the project
        # The project files' words, kept across analyses: the calls of a file's functions in other files.
        self.workspace = WorkspaceIndex()
        self._function_names = frozenset(name.rsplit(".", 1)[-1] for name in self.catalog.functions)
        # Member and function names: a file with none of them (nor a bare `x.name` statement) holds no bug
        self.candidate_names = self.catalog.member_names | self._function_names
        self._method_names = frozenset(
            name for info in set(self.catalog.classes.values()) for name, m in info.own.items() if m.is_method
        )

    @property
    def torch_note(self) -> str | None:
        """What users are told when the environment has no torch (None when it has)."""
        if self.torch_found:
            return None
        return f"torch not found in {self.environment.executable}: types inferred from imports"

    def analyze(
        self,
        source: str,
        path: Path | None = None,
        settings: Settings | None = None,
        last_line: int | None = None,
        keep: bool = True,
    ) -> list[Finding]:
        """Every finding in ``source`` that ``settings`` enable and no comment suppresses.

        With ``last_line`` (1-based), a first screenful, shown before the rest of a long file is analysed:
        only the lines up to it, not kept for reuse; but all of them when the file has a kept analysis to
        reuse (then the whole file is as quick). ``keep=False``: a one-shot analysis (the CLI's), kept
        for no next edit, so the file is not cut into units (a fifth of the CLI's time).
        If jedi's environment process crashes (or hangs and is killed) meanwhile, the analysis runs
        once more with a new one, so results stay complete (supervision.py).
        """
        return self.supervisor.run(
            lambda: self._analyze(source, path, settings or Settings(), last_line, keep), self._scripts.clear
        )

    def _analyze(
        self, source: str, path: Path | None, settings: Settings, last_line: int | None, keep: bool
    ) -> list[Finding]:
        global _LIBRARIES_FROZEN
        if not _LIBRARIES_FROZEN:
            _LIBRARIES_FROZEN = True
            with _collecting_rarely():
                return self._analyze_once(source, path, settings, last_line, keep)
        return self._analyze_once(source, path, settings, last_line, keep)

    def _analyze_once(
        self, source: str, path: Path | None, settings: Settings, last_line: int | None, keep: bool
    ) -> list[Finding]:
        if last_line is not None and path in self._previous:
            last_line = None  # the kept analysis makes the whole file cheap
        previous = self._previous.pop(path, None) if keep else None
        edited = previous is None or previous.source != source
        if edited:
            self._previous.clear()  # an edit here can change what other files' units infer
        restored = previous.restored(source, settings) if previous is not None and edited else None
        if restored is not None:
            self._previous[path] = restored
            self.stats["earlier texts restored"] += 1
            return self._reported([f for found in restored.findings.values() for f in found], source, settings)
        if not may_hold_candidates(source, self.candidate_names):
            return []
        _keep_parse_trees_alive()
        script = self._script(source, path)
        resolver = Resolver(script, self.catalog, self._other_files(script, path))
        module = jedi_bridge.module_node(script)
        if not keep:  # (else `layout` raises first; an edit's analysis computes the names of changed units only)
            module.get_used_names()  # every jedi lookup needs it: a file nested too deeply for it raises here
        self._imports_torch = IMPORTS_TORCH.search(source) is not None
        current = layout(module, source, previous.layout if previous is not None else None) if keep else None
        findings: list[Finding] = []
        reused: set[int] = set()
        consulted: dict[int | None, set[str]] = {}
        kept_statements: dict[int, list[tuple[Position, Position]]] = {}  # partly analysed units: kept spans
        if previous is not None and current is not None:
            plan = self._reusable(previous, current, settings, script, source)
            for index, old_index in plan.units.items():
                old_findings = previous.findings.get(old_index, [])
                old_unit, unit = previous.layout.units[old_index], current.units[index]
                kept = _relocated(old_findings, relocation(old_unit, unit))
                if kept is not None:  # else a finding is no longer at a token's edge: analysed again
                    findings += kept
                    reused.add(index)
                    if old_index in previous.consulted:
                        consulted[index] = previous.consulted[old_index]
            for index, (old_index, statements) in plan.statements.items():
                spans, moved = _statements_relocated(
                    previous.findings.get(old_index, []),
                    previous.layout.units[old_index],
                    current.units[index],
                    statements,
                )
                if spans:
                    findings += moved
                    kept_statements[index] = spans
                    self.stats["statements reused"] += len(spans)
                    consulted[index] = set(previous.consulted.get(old_index, ()))
        self.stats["units reused"] += len(reused)

        used = used_names(module, frozenset(current.units[index].start for index in reused) if current else frozenset())

        def analysed(candidate: MemberAccess | GradModeUse) -> bool:
            start = candidate_start(candidate)
            if last_line is not None and start[0] > last_line:
                return False
            if current is None:
                return True
            unit = current.unit_at(start)
            if unit in reused:
                return False
            return not any(begin <= start < end for begin, end in kept_statements.get(unit, ()))  # type: ignore[arg-type]

        def check(method: Callable[..., Finding | None], candidate: Any) -> Finding | None:
            resolver.consulted.clear()
            finding = self._guarded(method, candidate, resolver, settings)
            if resolver.consulted and current is not None:
                consulted.setdefault(current.unit_at(candidate_start(candidate)), set()).update(resolver.consulted)
            return finding

        deadline = time.monotonic() + self.time_budget_s
        complete = last_line is None
        if settings.enabled(missing_call.CODE) or settings.enabled(not_callable.CODE):
            for access in filter(analysed, member_accesses(used, self.catalog.member_names)):
                if time.monotonic() > deadline:
                    log.warning(
                        "torchls: %s: time budget of %.0f s spent; results are partial", path, self.time_budget_s
                    )
                    self.stats["partial analyses"] += 1
                    complete = False
                    break
                finding = check(self._check_access, access)
                if finding is not None:
                    findings.append(finding)
        if settings.enabled(missing_call.CODE):
            # A bare `x.name` not reported as torch's: the receiver's own class may define `name` (a model's
            # `head()` shares its name with a torch attribute, `AdaptiveLogSoftmaxWithLoss.head`).
            reported = {finding.span.start for finding in findings}
            for access in filter(analysed, bare_attribute_statements(used)):
                if access.member.start_pos in reported:
                    continue
                finding = check(self._check_own_method, access)
                if finding is not None:
                    findings.append(finding)
            for access in filter(analysed, member_accesses(used, self._function_names)):
                finding = check(self._check_function, access)
                if finding is not None:
                    findings.append(finding)
            for use in filter(analysed, grad_mode_uses(used)):
                finding = check(self._check_grad_mode, use)
                if finding is not None:
                    findings.append(finding)
        if complete and not self.supervisor.crashed and current is not None:
            by_unit: dict[int | None, list[Finding]] = {}
            for finding in findings:
                by_unit.setdefault(current.unit_at(finding.span.start), []).append(finding)
            full_at = previous.full_at if previous is not None and reused else time.monotonic()
            earlier = previous.earlier if previous is not None else ()
            if previous is not None and edited:
                earlier = (replace(previous, earlier=()), *earlier)[:EARLIER_TEXTS_KEPT]
            self._previous[path] = _Previous(source, settings, current, by_unit, consulted, full_at, earlier)
            while len(self._previous) > SCRIPTS_KEPT:
                self._previous.popitem(last=False)
        return self._reported(findings, source, settings)

    @staticmethod
    def _reported(findings: list[Finding], source: str, settings: Settings) -> list[Finding]:
        """The findings ``settings`` enable and no comment suppresses, in the file's order."""
        lines = source.splitlines()
        kept = [settings.apply(f) for f in findings if settings.enabled(f.code) and not is_suppressed(f, lines)]
        return sorted(kept, key=lambda f: (f.span.start, f.code))

    @staticmethod
    def _reusable(previous: _Previous, current: Layout, settings: Settings, script: jedi.Script, source: str) -> Plan:
        """The units whose findings from the previous analysis of the file still hold: index -> previous index."""
        if previous.settings != settings:
            return Plan({}, {})
        if (IMPORTS_TORCH.search(previous.source) is None) != (IMPORTS_TORCH.search(source) is None):
            return Plan({}, {})  # some findings are certain whatever the receiver only in a file importing torch
        if time.monotonic() - previous.full_at > FULL_ANALYSIS_EVERY_S:
            return Plan({}, {})
        module = jedi_bridge.module_node(script)

        def annotation_decides(unit: Unit) -> bool:
            node = module.get_leaf_for_position(unit.start)
            while node is not None and node.type != "funcdef":
                node = (
                    node.parent if node.type not in ("decorated", "async_funcdef", "async_stmt") else node.children[-1]
                )
            return node is not None and jedi_bridge.return_annotation_decides(script, node)

        return reuse_plan(previous.layout, current, annotation_decides, previous.consulted) or Plan({}, {})

    def describe(self, source: str, path: Path | None, position: tuple[int, int]) -> MemberInfo | None:
        """The catalogued torch member at ``position`` (1-based line, code-point column), if any."""
        script = self._script(source, path)
        leaf = _name_at(jedi_bridge.module_node(script), position)
        if leaf is None:
            return None
        resolver = Resolver(script, self.catalog, self._other_files(script, path))
        if leaf.value in GRAD_MODE_NAMES:
            for use in grad_mode_uses(jedi_bridge.module_node(script).get_used_names()):
                if use.name is leaf:
                    grad_class = self._grad_mode_class(use, resolver)
                    if grad_class:
                        return MemberInfo(Span(leaf.start_pos, leaf.end_pos), use.text, grad_mode=grad_class)
        access = access_of(leaf)
        if access is None:
            return None
        objects = resolver.torch_objects(access.receiver_nodes)
        if not objects:
            return None
        member = objects[0].member(self.catalog, leaf.value)
        if member is None or resolver.override(objects[0], leaf.value) == "data":
            return None
        return MemberInfo(Span(leaf.start_pos, leaf.end_pos), access.text, member=member, receiver=objects[0])

    def close(self) -> None:
        """Stop this analyzer's watchdog and jedi helper process and drop its jedi state: it is not used again."""
        self.supervisor.close()
        self._scripts.clear()
        self._previous.clear()

    def forget_findings(self) -> None:
        """Analyse every file afresh next time: a file they import changed, and what was kept rests on it."""
        self._previous.clear()
        self._scripts.clear()  # their inference states hold the old module
        self.workspace.refresh()  # and the callers of its functions may have changed

    def forget(self, path: Path) -> None:
        """Drop what was kept for one file (the CLI is done with it; imported modules stay cached)."""
        self._scripts.pop(path, None)
        self._previous.pop(path, None)
        for trees in jedi_bridge.parse_trees():
            trees.pop(path, None)
            trees.pop(str(path), None)

    # -------------------------------------------------------------------------------------

    def _script(self, source: str, path: Path | None) -> jedi.Script:
        kept_source, script, uses = self._scripts.pop(path, ("", None, 0))
        if script is None or kept_source != source or uses >= SCRIPT_USES:
            project = self._project_for(path)
            script, uses = jedi.Script(source, path=path, environment=self.environment, project=project), 0
        self._scripts[path] = (source, script, uses + 1)
        while len(self._scripts) > SCRIPTS_KEPT:
            self._scripts.popitem(last=False)
        return script

    def possible_callers(self, path: Path, source: str) -> list[Path]:
        """The project files whose calls may decide what ``path``'s parameters are (its findings rest on them)."""
        project = self._project_for(path)
        if path.suffix != ".py" or project is None:
            return []
        callers: set[Path] = set()
        for name in TOP_LEVEL_DEF.findall(source):
            callers.update(self.workspace.possible_callers(path.resolve(), Path(project.path), name) or [])
        return sorted(callers)

    def _other_files(self, script: jedi.Script, path: Path | None) -> OtherFiles | None:
        """The calls of the file's functions in the other files of its project (none for notebooks, untitled files)."""
        project = self._project_for(path)
        if path is None or path.suffix != ".py" or project is None:
            return None
        return OtherFiles(self.workspace, jedi_bridge.inference_state(script), path.resolve(), Path(project.path))

    def _project_for(self, path: Path | None) -> jedi.Project | None:
        """The jedi project for a file: the analyzer's, or for a file outside it, the file's own.

        jedi puts a script's folders on the import path only inside the project: a file checked from
        elsewhere would not find its sibling modules (``from models import Net``).
        """
        project = self.project
        if path is None or (project is not None and project.path in path.parents):
            return project
        root = next((folder for folder in path.parents if any((folder / m).exists() for m in ROOT_MARKERS)), None)
        root = root or path.parent
        if root not in self._projects:
            added = list(project.added_sys_path) if project is not None else []
            self._projects[root] = jedi.Project(root, added_sys_path=added)
        return self._projects[root]

    def _guarded(
        self,
        check: Callable[[C, Resolver, Settings], Finding | None],
        candidate: C,
        resolver: Resolver,
        settings: Settings,
    ) -> Finding | None:
        """Run one check; an error in jedi or in a rule (RecursionError too) skips the candidate, never the file."""
        if self.supervisor.crashed:
            return None  # the analysis will run again with a new process
        try:
            with self.supervisor.candidate():
                return check(candidate, resolver, settings)
        except Exception:
            log.warning("torchls: skipped %s at %s", candidate.text, candidate_position(candidate), exc_info=True)
        return None

    def _check_access(self, access: MemberAccess, resolver: Resolver, settings: Settings) -> Finding | None:
        if access.call_trailer is not None:
            if not settings.enabled(not_callable.CODE) or not self.catalog.is_data_name(access.name):
                return None
            receiver = self._receiver(access, resolver, None) or self._own_data(access, resolver)
            if receiver is None:
                return None
            finding = not_callable.check_call(access, receiver.members[0][0])
        else:
            if not settings.enabled(missing_call.CODE):
                return None
            usage = classify(access, self.catalog.optimizer_classes)
            if usage is None:
                return None
            receiver = self._receiver(access, resolver, usage)
            if receiver is None:
                return None
            members = receiver.members
            if usage.kind == UsageKind.ATTRIBUTE and not all(
                missing_call.call_gives(self.catalog, m, usage.detail) for m, _ in members
            ):
                return None  # calling it would not give that attribute either: another mistake
            effects = {missing_call.statement_effect(m, access.receiver_text, False) for m, _ in members}
            overridden = len(effects) > 1 or any(override == "method" for _, override in members)
            finding = missing_call.check_access(access, usage, members[0][0], overridden)
        if finding is None or not receiver.how:
            return finding
        return finding.noted(receiver.how)

    def _receiver(self, access: MemberAccess, resolver: Resolver, usage: Usage | None) -> _Receiver | None:
        """The member on every possible receiver, if each is torch's and of the wanted kind.

        ``usage`` is None for a call (TL002 wants data), else the context of an uncalled method.
        """
        want_method = usage is not None
        if access.name not in (self._method_names if want_method else self.catalog.data_names):
            return None
        objects = resolver.torch_objects(access.receiver_nodes, access.expr.children[access.index])
        self.stats["candidates"] += 1
        self.stats["torch receivers" if objects else "other or unknown receivers"] += 1
        if objects is None:
            return None
        if not objects:
            return self._receiver_unknown(access, usage) if usage is not None else None
        result = []
        for obj in objects:
            member = obj.member(self.catalog, access.name)
            if member is None or member.is_method != want_method or (not want_method and member.callable):
                return None
            override = resolver.override(obj, access.name)
            if override == "data" or (override and not want_method):
                return None  # the user's own class defines the name itself
            result.append((member, override))
        if len({member.bound_type for member, _ in result}) > 1:
            return None  # the messages quote the exact error, which differs
        return _Receiver(result, _how_known(objects, access.name, self.catalog))

    def _own_data(self, access: MemberAccess, resolver: Resolver) -> _Receiver | None:
        """``model.device()`` on a transformers model: a property of the receiver's own class, not torch's.

        Reported only when what the property gives is known and not callable (a device, a dtype, a number).
        """
        own = resolver.own_members(access.receiver_nodes, access.name)
        if own is None or own.kind != "data" or not own.types:
            return None
        names = [NOT_CALLABLE.get(qualname) for qualname in own.types if qualname != "builtins.NoneType"]
        if not names or None in names:
            return None
        shown = tuple(dict.fromkeys(name for name in names if name))
        errors = tuple(f"'{name}' object is not callable" for name in shown)
        member = Member(root="", name=access.name, kind="data", types=shown, call_errors=errors, owner=own.owner)
        return _Receiver([(member, None)], f"(`{access.name}` is a property of `{own.owner}`.)")

    def _receiver_unknown(self, access: MemberAccess, usage: Usage) -> _Receiver | None:
        """A receiver nothing is known of, where the use is wrong on whatever has a method of that name.

        Only in a file that imports torch, only for uses that are wrong for any method (a bare statement,
        an attribute no method has) or that hand the method to a torch API that wants the result.
        """
        if not self._imports_torch or not _certain_whatever_receiver(usage, self.catalog.optimizer_classes):
            return None
        attribute = usage.kind == UsageKind.ATTRIBUTE
        if access.name in self.catalog.data_names or access.name in self.catalog.return_type_fields:
            return None  # data somewhere in torch: `x.max(0).indices`, a `Subset`'s `indices`, may be meant
        if not _plain_reference(access.receiver_nodes) and not attribute:
            return None  # what the calls gave is not known
        members: list[tuple[Member, str | None]] = [
            (m, None) for members in self.catalog.members.values() if (m := members.get(access.name))
        ]
        if not members or not all(m.is_method for m, _ in members):
            return None
        if attribute:  # `x.cpu.numpy()`: only a Tensor's `cpu()` gives something with `numpy`
            members = [(m, o) for m, o in members if missing_call.call_gives(self.catalog, m, usage.detail)]
            if len({m.bound_type for m, _ in members}) > 1:
                members = [(dataclasses.replace(m, bound_type=""), o) for m, o in members]
        if not members or len({m.bound_type for m, _ in members}) > 1:
            return None
        titles = ", ".join(f"`{ROOT_TITLES[m.root]}`" for m, _ in members)
        how = (
            f"(The type of `{access.receiver_text}` is not known here, but `{access.name}` is a method on every torch"
            f" class that has it: {titles}.)"
        )
        return _Receiver(members, how)

    def _check_own_method(self, access: MemberAccess, resolver: Resolver, settings: Settings) -> Finding | None:
        """``trainer.fit`` alone: a method the receiver's own class (a library's, the user's) defines.

        A name torch also has is reported only on a torch object (a model's own ``head()``), not on a
        class of its own that borrows the name (``registry.eval``).
        """
        if access.name in self.catalog.member_names and not resolver.torch_objects(
            access.receiver_nodes, access.expr.children[access.index]
        ):
            return None
        own = resolver.own_members(access.receiver_nodes, access.name)
        if own is None or own.kind != "method":
            return None
        member = Member("", access.name, "method", bound_type="method", requires_arguments=own.requires_arguments)
        finding = missing_call.check_access(access, Usage(UsageKind.STATEMENT), member, overridden=False)
        if finding is None:
            return None
        note = f"(`{access.name}` is a method of `{own.owner}`.)"
        return finding.noted(note)

    def _check_function(self, access: MemberAccess, resolver: Resolver, settings: Settings) -> Finding | None:
        """``torch.cuda.is_available`` where its result was meant: the receiver is a torch module, always known."""
        if access.call_trailer is not None:
            return None
        usage = classify(access, self.catalog.optimizer_classes)
        if usage is None:
            return None
        modules = resolver.module_names(access.receiver_nodes)
        if len(modules) != 1:
            return None
        info = self.catalog.function(f"{modules.pop()}.{access.name}")
        if info is None:
            return None
        # torch's C functions are builtins; the rest are Python functions (the error messages differ).
        bound = "builtin_function_or_method" if info.qualname.startswith("torch._C") else "function"
        return missing_call.check_function(access, usage, info, bound)

    def _check_grad_mode(self, use: GradModeUse, resolver: Resolver, settings: Settings) -> Finding | None:
        grad_class = self._grad_mode_class(use, resolver)
        return missing_call.check_grad_mode(use, grad_class, self.python_version) if grad_class else None

    def _grad_mode_class(self, use: GradModeUse, resolver: Resolver) -> GradModeClass | None:
        names = resolver.class_names(use.expr)
        if len(names) != 1:
            return None
        return self.catalog.grad_mode_classes.get(names.pop())


def _certain_whatever_receiver(usage: Usage, optimizers: frozenset[str]) -> bool:
    """True for uses of ``x.method`` that are wrong whatever ``x`` is, as long as it is a method."""
    if usage.kind in (UsageKind.STATEMENT, UsageKind.SAVED, UsageKind.LOADED, UsageKind.PARAM_GROUP):
        return True
    if usage.kind == UsageKind.ATTRIBUTE:
        return True
    consumer = usage.detail.strip("`")
    return usage.kind == UsageKind.ITERATED and (consumer in optimizers or consumer in GRAD_CLIPPERS)


def _plain_reference(nodes: list[Any]) -> bool:
    """True for ``model``, ``self.model``, ``args.model``: names and attributes, no calls or indexing."""
    return nodes[0].type == "name" and all(n.type == "trailer" and n.children[0] == "." for n in nodes[1:])


def _how_known(objects: list[TorchObject], member: str, catalog: Catalog) -> str:
    """The sentence that says how a receiver nobody typed is known, or "" when a type says it.

    It names the uses and calls, not their lines: a kept finding's message stays true when lines move.
    """
    obj = objects[0]
    if obj.evidence is not None:
        titles = " or ".join(dict.fromkeys(ROOT_TITLES[o.root] for o in objects))
        uses = ", ".join(dict.fromkeys(f"`.{u.member}{'()' if u.called else ''}`" for u in obj.evidence.uses))
        return f"(`{obj.receiver}` is used as a {titles} in its scope: {uses}.)"
    if obj.call_lines or obj.call_files:
        names = " or ".join(dict.fromkeys(f"`{_title(o, catalog)}`" for o in objects))
        count = len(obj.call_lines) + len(obj.call_files)
        calls = "the call" if count == 1 else f"all {count} calls"
        files = (["this file"] if obj.call_lines else []) + [f"`{file}`" for file in dict.fromkeys(obj.call_files)]
        where = " and ".join(files) if len(files) <= 3 else f"{len(files)} files"
        return f"(`{obj.receiver}` is a {names} at {calls} of its function in {where}.)"
    return ""


def _title(obj: TorchObject, catalog: Catalog) -> str:
    """The class name users know: ``torch.nn.Module`` for torch's own root classes, else the class."""
    return ROOT_TITLES[obj.root] if obj.class_name in catalog.qualnames else obj.class_name


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


def _relocated(findings: list[Finding], where: Callable[[Position, bool], Position | None]) -> list[Finding] | None:
    """Kept findings where their tokens are now (None: one cannot be placed)."""
    moved = []
    for finding in findings:
        start, end = where(finding.span.start, False), where(finding.span.end, True)
        if start is None or end is None:
            return None
        fix = finding.fix
        if fix is not None:
            edits = []
            for edit in fix.edits:
                empty = edit.span.start == edit.span.end  # an insertion right after a token
                edit_start, edit_end = where(edit.span.start, empty), where(edit.span.end, True)
                if edit_start is None or edit_end is None:
                    return None
                edits.append(replace(edit, span=Span(edit_start, edit_end)))
            fix = replace(fix, edits=tuple(edits))
        moved.append(replace(finding, span=Span(start, end), fix=fix))
    return moved


def _statements_relocated(
    findings: list[Finding], old: Unit, new: Unit, statements: dict[int, int]
) -> tuple[list[tuple[Position, Position]], list[Finding]]:
    """An edited unit's kept statements (their spans now) and their findings, moved with them.

    A statement is kept only with its text as it was (same tokens, other spacing: analysed again).
    """
    spans: list[tuple[Position, Position]] = []
    moved: list[Finding] = []
    for index, old_index in statements.items():
        old_start, old_end, old_text = statement_span(old, old.info.statements[old_index])
        start, end, text = statement_span(new, new.info.statements[index])
        if text != old_text or start[1] != old_start[1]:
            continue
        lines = start[0] - old_start[0]
        inside = [f for f in findings if old_start <= f.span.start < old_end]

        def shifted(position: Position, end: bool, shift: int = lines) -> Position | None:
            return position[0] + shift, position[1]

        kept = _relocated(inside, shifted)
        if kept is not None:
            spans.append((start, end))
            moved += kept
    return spans, moved


def _keep_parse_trees_alive() -> None:
    """Mark every cached parse tree as just used.

    parso's cache GC (600 trees or more) drops trees unused for 10 minutes, and trees loaded from
    jedi's disk cache keep the time they were first parsed: torch's stubs, in use by the analysis
    under way, were dropped and jedi failed on them (KeyError) in long runs such as transformers.
    """
    now = time.time()
    for trees in jedi_bridge.parse_trees():
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
