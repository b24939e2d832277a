"""Truth tests: run the fixtures with real torch and check that every message tells the truth.

For each positive fixture, every ``case_*`` function holds exactly one bug (recall), running it
raises exactly the exception the message claims, or runs silently where the message says the
bug is silent, and running it again with the finding's fix applied works. Every negative case
runs without error, so the negatives are real, correct code.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from torchls.analysis.engine import Analyzer
from torchls.analysis.findings import Finding

from .golden import corpus_files, is_negative
from .truth_helpers import assert_message_true, case_functions, case_of, load_module, run_case


def positive_cases() -> Iterator[tuple[Path, str]]:
    for path in corpus_files():
        if not is_negative(path):
            for name in case_functions(path.read_text(encoding="utf-8")):
                yield path, name


@pytest.fixture(scope="module")
def analysed(analyzer: Analyzer) -> dict[Path, list[Finding]]:
    return {path: analyzer.analyze(path.read_text(encoding="utf-8"), path) for path in corpus_files()}


@pytest.mark.parametrize("path,case", list(positive_cases()), ids=lambda v: getattr(v, "stem", v))
def test_message_is_true_and_fix_works(path: Path, case: str, analysed: dict[Path, list[Finding]]) -> None:
    source = path.read_text(encoding="utf-8")
    cases = case_functions(source)
    findings = [f for f in analysed[path] if case_of(f, source, cases) == case]
    assert len(findings) == 1, f"{case}: expected exactly one finding, got {[f.message for f in findings]}"
    assert_message_true(findings[0], source, path, case)


@pytest.mark.parametrize("path", [p for p in corpus_files() if is_negative(p)], ids=lambda p: p.parent.name)
def test_negatives_are_correct_code(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    module = load_module(source, path)
    for case in case_functions(source):
        assert run_case(module, case) is None, f"{case} is supposed to be correct code"
