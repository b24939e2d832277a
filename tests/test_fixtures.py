"""Golden tests: each fixture's findings equal its generated ``.expected`` file, and the seeded
corpus's fix-all output (every safe fix applied, as ``torchls check --fix`` applies them) equals its
generated ``.fixed.py``, which has nothing left to fix.

Rewrite the expected files with ``pytest tests/test_fixtures.py --update-goldens`` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from torchls.analysis.engine import Analyzer
from torchls.analysis.findings import Applicability
from torchls.analysis.settings import Settings
from torchls.check import fix_all as fix_all_safe
from torchls.files import SourceFile

from .golden import FIXTURES, REALCODE, corpus_files, fixed_output_path, fixture_files, is_negative, render
from .truth_helpers import case_functions, case_of, load_module, run_case


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _check_golden(path: Path, actual: str, update: bool) -> None:
    if update:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing {path.relative_to(FIXTURES)}: run with --update-goldens"
    assert actual == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", fixture_files(), ids=_id)
def test_golden(path: Path, analyzer: Analyzer, update_goldens: bool) -> None:
    source = path.read_text(encoding="utf-8")
    findings = analyzer.analyze(source, path)
    # The real-code set keeps the plain listing: its cases are long excerpts of public code, and its
    # goldens are maintained with that set.
    actual = render(findings) if path.is_relative_to(REALCODE) else render(findings, source)
    _check_golden(path.with_suffix(".expected"), actual, update_goldens)


def fix_all(analyzer: Analyzer, path: Path) -> str:
    """The fixture with every safe fix applied: the CLI's own fix loop, on the text as read."""
    raw = path.read_bytes()
    source = SourceFile(path, raw.decode("utf-8"), "utf-8", raw)
    settings = Settings()
    try:
        text, _, _, problem = fix_all_safe(analyzer, source, analyzer.analyze(source.text, path, settings), settings)
    finally:
        analyzer.forget(path)  # as the CLI does: the fixed text is not this file's current version
    assert problem is None
    return text


@pytest.mark.parametrize("path", corpus_files(), ids=_id)
def test_fix_all_golden(path: Path, analyzer: Analyzer, update_goldens: bool) -> None:
    fixed = fix_all(analyzer, path)
    output = fixed_output_path(path)
    if fixed == path.read_text(encoding="utf-8"):  # nothing to fix: no output file, as ruff keeps none
        if update_goldens:
            output.unlink(missing_ok=True)
        assert not output.exists(), f"stale {output.relative_to(FIXTURES)}: run with --update-goldens"
        return
    _check_golden(output, fixed, update_goldens)


@pytest.mark.parametrize("path", [p for p in corpus_files() if fixed_output_path(p).exists()], ids=_id)
def test_fixed_output_has_nothing_left_to_fix(path: Path, analyzer: Analyzer) -> None:
    output = fixed_output_path(path)
    source = output.read_text(encoding="utf-8")
    try:
        findings = analyzer.analyze(source, output)
    finally:
        analyzer.forget(output)
    left = [f for f in findings if f.fix is not None and f.fix.applicability is Applicability.SAFE]
    assert not left, render(left, source)
    assert not is_negative(path), "a negative fixture had a fix applied"


@pytest.mark.parametrize("path", [p for p in corpus_files() if fixed_output_path(p).exists()], ids=_id)
def test_fixed_output_runs(path: Path, analyzer: Analyzer) -> None:
    """With real torch, every case of the fixed file that torchls has nothing left to say about runs
    without an error (the others keep a bug that has no safe fix)."""
    output = fixed_output_path(path)
    source = output.read_text(encoding="utf-8")
    cases = case_functions(source)
    try:
        remaining = {case_of(f, source, cases) for f in analyzer.analyze(source, output)}
    finally:
        analyzer.forget(output)
    module = load_module(source, output)
    clean = [case for case in cases if case not in remaining]
    assert clean
    for case in clean:
        assert run_case(module, case) is None, f"{case} still fails after its fix"
