"""``torchls check``: analyse files, report, and optionally fix them."""

from __future__ import annotations

import difflib
import logging
import multiprocessing
import os
import signal
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from torchls import lifetime
from torchls.analysis.engine import Analyzer
from torchls.analysis.findings import Finding
from torchls.analysis.fixes import applicable, apply_edits, syntax_error_count
from torchls.analysis.notebook import join_cells
from torchls.analysis.pool import AnalyzerPool
from torchls.analysis.settings import Settings, SettingsProvider
from torchls.cache import ResultsCache
from torchls.files import (
    FileError,
    Notebook,
    SourceFile,
    discover,
    notebook_with_sources,
    read_notebook,
    read_source,
    write_source,
)

log = logging.getLogger(__name__)
MAX_FIX_PASSES = 4  # a pass skips overlapping fixes; the next pass picks them up


@dataclass(frozen=True)
class FileReport:
    """The findings in one file, or in one cell of a notebook (``cell`` is its 1-based number)."""

    path: Path
    findings: list[Finding]
    cell: int | None = None


@dataclass
class CheckResult:
    """What a check run found, fixed and could not read."""

    findings: list[FileReport] = field(default_factory=list)
    fixed: int = 0
    errors: list[str] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)


#: Below this many files per worker, starting workers (each loads torch's types) costs more than it saves.
MIN_FILES_PER_JOB = 16


def check_paths(
    analyzer: Analyzer,
    paths: list[Path],
    provider: SettingsProvider,
    fix: bool = False,
    diff: bool = False,
    jobs: int = 1,
    cache: ResultsCache | None = None,
) -> CheckResult:
    """Analyse every Python file under ``paths``; with ``fix`` write safe fixes, with ``diff`` show them.

    With ``jobs`` > 1 and enough files, worker processes (each with its own jedi) share the files;
    the result is the same, in the same order. With a ``cache``, files whose findings are known
    (the file, what it imports and the environment unchanged) are not analysed again.
    """
    items = list(discover(paths, provider.excluded))
    files = [item for item in items if isinstance(item, Path)]
    results: dict[Path, CheckResult] = {}
    keys: dict[Path, str] = {}
    if cache is not None and not (fix or diff):
        for file in files:
            key = _cache_key(cache, analyzer, file, provider.for_file(file))
            cached = cache.get(key) if key else None
            if cached is not None:
                results[file] = CheckResult(findings=[FileReport(file, cached)] if cached else [])
            elif key:
                keys[file] = key
    to_check = [file for file in files if file not in results]
    results.update(zip(to_check, _check_files(analyzer, to_check, provider, fix, diff, jobs), strict=True))
    if cache is not None:
        for file, key in keys.items():
            if not results[file].errors:
                cache.put(key, [finding for report in results[file].findings for finding in report.findings])
    return _merged(results[item] if isinstance(item, Path) else item for item in items)


def _cache_key(cache: ResultsCache, analyzer: Analyzer, file: Path, settings: Settings) -> str | None:
    if file.suffix != ".py":
        return None
    try:
        text = read_source(file).text
        return cache.key(file, text, settings, analyzer.possible_callers(file, text))
    except FileError:
        return None


def _check_files(
    analyzer: Analyzer, files: list[Path], provider: SettingsProvider, fix: bool, diff: bool, jobs: int
) -> list[CheckResult]:
    jobs = min(jobs, len(files) // MIN_FILES_PER_JOB)
    if jobs > 1:
        context = multiprocessing.get_context("spawn")  # a clean process: no copy of our jedi state
        root = analyzer.project.path if analyzer.project else None
        setup = (os.getpid(), analyzer.environment.executable, root, provider.overrides, provider.config)
        pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker, initargs=setup)
        try:
            results = list(pool.map(_check_in_worker, files, [fix] * len(files), [diff] * len(files), chunksize=4))
        except BrokenProcessPool:  # a worker died (killed, out of memory): do it all in this process
            log.warning("torchls: a worker process died; checking in one process")
        except BaseException:  # Ctrl-C, SIGTERM: stop the workers now, not after their current files
            _stop_workers(pool)
            raise
        else:
            pool.shutdown()
            return results
        pool.shutdown()
    return [check_file(analyzer, file, provider.for_file(file), fix, diff) for file in files]


def _merged(parts: Iterable[CheckResult | FileError]) -> CheckResult:
    result = CheckResult()
    for part in parts:
        if isinstance(part, FileError):
            result.errors.append(str(part))
            continue
        result.findings += part.findings
        result.fixed += part.fixed
        result.errors += part.errors
        result.diffs += part.diffs
    return result


_worker: tuple[Analyzer, SettingsProvider] | None = None


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    for process in multiprocessing.active_children():  # this process's children are the pool's workers
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def _start_worker(
    parent: int, python: str, project_root: Path | None, overrides: dict[str, object], config: Path | None
) -> None:
    global _worker
    lifetime.die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the main process stops us
    analyzer = AnalyzerPool().get(python, project_root, fallback=False).analyzer  # the process ends with it
    _worker = analyzer, SettingsProvider(overrides, config)


def _check_in_worker(path: Path, fix: bool, diff: bool) -> CheckResult:
    assert _worker is not None
    analyzer, provider = _worker
    return check_file(analyzer, path, provider.for_file(path), fix, diff)


def check_file(analyzer: Analyzer, item: Path, settings: Settings, fix: bool, diff: bool) -> CheckResult:
    """Check one file (or notebook); with ``fix`` write its safe fixes, with ``diff`` show them."""
    result = CheckResult()
    if item.suffix == ".ipynb":
        _check_notebook(analyzer, item, settings, fix, diff, result)
        return result
    try:
        source = read_source(item)
    except FileError as error:
        result.errors.append(str(error))
        return result
    try:
        findings = analyzer.analyze(source.text, item.resolve(), settings, keep=False)
        if fix or diff:
            text, findings, count, problem = fix_all(analyzer, source, findings, settings)
    except Exception as error:  # a file jedi or parso cannot handle must not stop the others
        result.errors.append(f"{item}: not analysed: {type(error).__name__}: {error}")
        return result
    finally:
        analyzer.forget(item.resolve())
    if fix or diff:
        if problem:
            result.errors.append(problem)
        if count:
            if diff:
                result.diffs.append(_diff(item, source.text, text))
            else:
                try:
                    write_source(source, text)
                except (FileError, OSError) as error:
                    result.errors.append(str(error))
                    return result
                result.fixed += count
    if findings:
        result.findings.append(FileReport(item, findings))
    return result


def _check_notebook(
    analyzer: Analyzer, path: Path, settings: Settings, fix: bool, diff: bool, result: CheckResult
) -> None:
    """Check the code cells of a notebook together; fixes rewrite only their sources."""
    try:
        notebook = read_notebook(path)
        cells = dict(notebook.code_cells)
        joined = join_cells(notebook.code_cells)
        findings = joined.findings_by_cell(analyzer.analyze(joined.text, path.resolve(), settings, keep=False))
        if fix or diff:
            cells, findings, count = _fix_cells(analyzer, path, cells, findings, settings)
            if count:
                _write_notebook(notebook, cells, diff, result, count)
    except FileError as error:
        result.errors.append(str(error))
        return
    except Exception as error:  # a file jedi or parso cannot handle must not stop the others
        result.errors.append(f"{path}: not analysed: {type(error).__name__}: {error}")
        return
    finally:
        analyzer.forget(path.resolve())
    result.findings += [FileReport(path, found, number) for number, found in findings.items() if found]


def _fix_cells(
    analyzer: Analyzer, path: Path, cells: dict[int, str], findings: dict[int, list[Finding]], settings: Settings
) -> tuple[dict[int, str], dict[int, list[Finding]], int]:
    """Apply safe fixes cell by cell until none is left: the cells, the remaining findings, the count."""
    fixed = 0
    for _ in range(MAX_FIX_PASSES):
        changed = {}
        for number, found in findings.items():
            edits = applicable(found)
            candidate = apply_edits(cells[number], edits) if edits else cells[number]
            if edits and syntax_error_count(candidate) <= syntax_error_count(cells[number]):
                changed[number] = candidate
                fixed += len({id(f) for f in found if f.fix and any(e in edits for e in f.fix.edits)})
        if not changed:
            break
        cells = {**cells, **changed}
        joined = join_cells(list(cells.items()))
        findings = joined.findings_by_cell(analyzer.analyze(joined.text, path.resolve(), settings, keep=False))
    return cells, findings, fixed


def _write_notebook(notebook: Notebook, cells: dict[int, str], diff: bool, result: CheckResult, count: int) -> None:
    original = dict(notebook.code_cells)
    text = notebook_with_sources(notebook, {n: source for n, source in cells.items() if source != original[n]})
    path = notebook.file.path
    if text is None:
        result.errors.append(f"{path}: fixes not written: its JSON layout is not the one Jupyter writes")
    elif diff:
        result.diffs.append(_diff(path, notebook.file.text, text))
    else:
        try:
            write_source(notebook.file, text)
        except (FileError, OSError) as error:
            result.errors.append(str(error))
            return
        result.fixed += count


def fix_all(
    analyzer: Analyzer, source: SourceFile, findings: list[Finding], settings: Settings
) -> tuple[str, list[Finding], int, str | None]:
    """Apply safe fixes until none is left (``--fix``): the text, the remaining findings, the count, a problem.

    ``findings`` are the source's; each pass analyses the fixed text again, since one fix can make
    another (a fixed receiver's member) findable. Stops, keeping the last good text, where a fix
    would add a syntax error.
    """
    text = source.text
    errors_before = syntax_error_count(text)
    fixed = 0
    problem = None
    for _ in range(MAX_FIX_PASSES):
        edits = applicable(findings)
        if not edits:
            break
        candidate = apply_edits(text, edits)
        if syntax_error_count(candidate) > errors_before:
            problem = f"{source.path}: remaining fixes not applied: they would make the file fail to parse"
            break
        fixed += len({id(f) for f in findings if f.fix and any(e in edits for e in f.fix.edits)})
        text = candidate
        findings = analyzer.analyze(text, source.path.resolve(), settings, keep=False)
    return text, findings, fixed, problem


def _diff(path: Path, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )
