"""Truth tests: run the fixtures with real torch and check that every message tells the truth.

For each positive fixture, every ``case_*`` function holds exactly one bug (recall), running it
raises exactly the exception the message claims, or runs silently where the message says the
bug is silent, and running it again with the finding's fix applied works. Every negative case
runs without error, so the negatives are real, correct code.
"""

from __future__ import annotations

import ast
import re
import sys
import types
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from torchls.analysis.engine import Analyzer
from torchls.analysis.findings import Applicability, Finding, Severity
from torchls.analysis.fixes import apply_edits

from .golden import fixture_files, is_negative

CLAIM = re.compile(r"(?:raises|fails with) (?P<exception>\w+Error)(?:: (?P<text>.*?))?(?:\. |\.$|;| \(| when )")


def load_module(source: str, path: Path) -> types.ModuleType:
    """Execute fixture source as a module (its folder on sys.path for sibling imports)."""
    module = types.ModuleType(f"fixture_{path.stem}")
    module.__file__ = str(path)
    sys.path.insert(0, str(path.parent))
    try:
        exec(compile(source, str(path), "exec"), module.__dict__)
    finally:
        sys.path.remove(str(path.parent))
    return module


def case_functions(source: str) -> dict[str, tuple[int, int]]:
    """Line ranges of the top-level ``case_*`` functions."""
    return {
        node.name: (node.lineno, node.end_lineno or node.lineno)
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("case_")
    }


def case_of(finding: Finding, source: str, cases: dict[str, tuple[int, int]]) -> str:
    """The case a finding belongs to: its enclosing case function, or a ``# run: case_x`` comment."""
    line = finding.span.start[0]
    marker = re.search(r"# run: (case_\w+)", source.splitlines()[line - 1])
    if marker:
        return marker.group(1)
    for name, (first, last) in cases.items():
        if first <= line <= last:
            return name
    raise AssertionError(f"finding on line {line} is outside every case function")


def run_case(module: types.ModuleType, name: str) -> BaseException | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            getattr(module, name)()
        except Exception as error:  # the claim decides whether this was expected
            return error
    return None


def positive_cases() -> Iterator[tuple[Path, str]]:
    for path in fixture_files():
        if not is_negative(path):
            for name in case_functions(path.read_text(encoding="utf-8")):
                yield path, name


@pytest.fixture(scope="module")
def analysed(analyzer: Analyzer) -> dict[Path, list[Finding]]:
    return {path: analyzer.analyze(path.read_text(encoding="utf-8"), path) for path in fixture_files()}


@pytest.mark.parametrize("path,case", list(positive_cases()), ids=lambda v: getattr(v, "stem", v))
def test_message_is_true_and_fix_works(path: Path, case: str, analysed: dict[Path, list[Finding]]) -> None:
    source = path.read_text(encoding="utf-8")
    cases = case_functions(source)
    findings = [f for f in analysed[path] if case_of(f, source, cases) == case]
    assert len(findings) == 1, f"{case}: expected exactly one finding, got {[f.message for f in findings]}"
    finding = findings[0]

    error = run_case(load_module(source, path), case)
    claim = CLAIM.search(finding.message)
    if finding.severity == Severity.ERROR:
        assert claim is not None, f"an error message must say what it raises: {finding.message}"
        assert error is not None, f"{case}: the message claims {claim.group('exception')}, but nothing was raised"
        assert type(error).__name__ == claim.group("exception"), f"{case}: raised {error!r}"
        if claim.group("text"):
            alternatives = claim.group("text").split(" / ")
            assert any(text in str(error) for text in alternatives), f"{case}: {str(error)!r} vs {alternatives}"
    else:
        assert claim is None, f"a warning is for silent bugs: {finding.message}"
        assert error is None, f"{case}: the message says the bug is silent, but it raised {error!r}"

    fix = finding.fix
    if fix is None:  # only where `()` alone cannot be right, and the message says so
        assert "with its arguments" in finding.message
        return
    if fix.applicability != Applicability.DISPLAY_ONLY:
        fixed = apply_edits(source, fix.edits)
        assert run_case(load_module(fixed, path), case) is None, f"{case}: the fixed code fails"


@pytest.mark.parametrize("path", [p for p in fixture_files() if is_negative(p)], ids=lambda p: p.parent.name)
def test_negatives_are_correct_code(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    module = load_module(source, path)
    for case in case_functions(source):
        assert run_case(module, case) is None, f"{case} is supposed to be correct code"
