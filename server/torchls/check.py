"""``torchls check``: analyse files, report, and optionally fix them."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from torchls.analysis.engine import Analyzer
from torchls.analysis.findings import Finding
from torchls.analysis.fixes import applicable, apply_edits, syntax_error_count
from torchls.analysis.notebook import join_cells
from torchls.analysis.settings import Settings, load_config_file, load_settings
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


class SettingsProvider:
    """Settings per file: ``--config``, else the nearest ``[tool.torchls]``, under command-line flags."""

    def __init__(self, overrides: dict[str, object], config: Path | None = None) -> None:
        self._overrides = overrides
        self._config = load_config_file(config) if config else None
        self._cache: dict[Path, Settings] = {}

    def __call__(self, path: Path) -> Settings:
        """Settings for one file (its per-file ignores applied)."""
        folder = path.resolve().parent
        if folder not in self._cache:
            base = self._config if self._config is not None else load_settings(folder)
            self._cache[folder] = base.merged(self._overrides)
        return self._cache[folder].for_file(path)

    def excluded(self, path: Path) -> bool:
        """True when the settings that govern ``path`` exclude it."""
        return self(path).excluded(path)


def check_paths(
    analyzer: Analyzer,
    paths: list[Path],
    settings_for: SettingsProvider,
    fix: bool = False,
    diff: bool = False,
) -> CheckResult:
    """Analyse every Python file under ``paths``; with ``fix`` write safe fixes, with ``diff`` show them."""
    result = CheckResult()
    for item in discover(paths, settings_for.excluded):
        if isinstance(item, FileError):
            result.errors.append(str(item))
            continue
        if item.suffix == ".ipynb":
            _check_notebook(analyzer, item, settings_for(item), fix, diff, result)
            continue
        try:
            source = read_source(item)
        except FileError as error:
            result.errors.append(str(error))
            continue
        settings = settings_for(item)
        try:
            findings = analyzer.analyze(source.text, item.resolve(), settings)
            if fix or diff:
                text, findings, count, problem = _fix(analyzer, source, findings, settings)
        except Exception as error:  # a file jedi or parso cannot handle must not stop the others
            result.errors.append(f"{item}: not analysed: {type(error).__name__}: {error}")
            continue
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
                        continue
                    result.fixed += count
        analyzer.forget(item.resolve())
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
        findings = joined.findings_by_cell(analyzer.analyze(joined.text, path.resolve(), settings))
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
        findings = joined.findings_by_cell(analyzer.analyze(joined.text, path.resolve(), settings))
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


def _fix(
    analyzer: Analyzer, source: SourceFile, findings: list[Finding], settings: Settings
) -> tuple[str, list[Finding], int, str | None]:
    """Apply safe fixes until none is left: the text, the remaining findings, the count, a problem."""
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
        findings = analyzer.analyze(text, source.path.resolve(), settings)
    return text, findings, fixed, problem


def _diff(path: Path, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )
