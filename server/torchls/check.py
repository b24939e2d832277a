"""``torchls check``: analyse files, report, and optionally fix them."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from torchls.analysis.engine import Analyzer
from torchls.analysis.findings import Finding
from torchls.analysis.fixes import applicable, apply_edits, syntax_error_count
from torchls.analysis.settings import Settings, load_config_file, load_settings
from torchls.files import FileError, SourceFile, discover, read_source, write_source

MAX_FIX_PASSES = 4  # a pass skips overlapping fixes; the next pass picks them up


@dataclass
class CheckResult:
    """What a check run found, fixed and could not read."""

    findings: list[tuple[Path, list[Finding]]] = field(default_factory=list)
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
            result.findings.append((item, findings))
    return result


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
