"""The analysis on real libraries built on torch: transformers and PyTorch Lightning, as installed
(pinned in the test extra), on user code in tests/fixtures/libraries (models built from a config,
nothing downloaded).

Each fixture's findings equal its ``.expected`` golden (``--update-goldens`` rewrites it). In a
positive fixture every ``case_*`` holds exactly one bug, and running it under the installed library
raises or stays silent exactly as the message says, and works once fixed; every negative case runs
and nothing is reported on it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from torchls.analysis.engine import Analyzer
from torchls.analysis.findings import Finding

from .golden import FIXTURES, is_negative, render
from .truth_helpers import assert_message_true, case_functions, case_of, load_module, run_case

LIBRARIES = FIXTURES / "libraries"
FILES = sorted(path for path in LIBRARIES.glob("*.py") if not path.name.startswith("_"))


def _id(path: Path) -> str:
    return path.stem


def positive_cases() -> list[tuple[Path, str]]:
    return [
        (path, case)
        for path in FILES
        if not is_negative(path)
        for case in case_functions(path.read_text(encoding="utf-8"))
    ]


@pytest.fixture(scope="module")
def analysed(analyzer: Analyzer) -> dict[Path, list[Finding]]:
    return {path: analyzer.analyze(path.read_text(encoding="utf-8"), path) for path in FILES}


def test_the_libraries_are_the_pinned_ones() -> None:
    import pytorch_lightning
    import torch
    import transformers

    assert (transformers.__version__, pytorch_lightning.__version__) == ("5.24.0", "2.6.6")
    assert torch.__version__.split("+")[0] == "2.13.0"


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_golden(path: Path, analysed: dict[Path, list[Finding]], update_goldens: bool) -> None:
    actual = render(analysed[path], path.read_text(encoding="utf-8"))
    expected = path.with_suffix(".expected")
    if update_goldens:
        expected.write_text(actual, encoding="utf-8")
    assert expected.exists(), f"missing {expected.name}: run with --update-goldens"
    assert actual == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("path,case", positive_cases(), ids=lambda v: getattr(v, "stem", v))
def test_message_is_true_and_fix_works(path: Path, case: str, analysed: dict[Path, list[Finding]]) -> None:
    source = path.read_text(encoding="utf-8")
    cases = case_functions(source)
    findings = [f for f in analysed[path] if case_of(f, source, cases) == case]
    assert len(findings) == 1, f"{case}: expected exactly one finding, got {[f.message for f in findings]}"
    assert_message_true(findings[0], source, path, case)


@pytest.mark.parametrize("path", [p for p in FILES if is_negative(p)], ids=_id)
def test_negatives_are_correct_code_and_silent(path: Path, analysed: dict[Path, list[Finding]]) -> None:
    assert analysed[path] == [], render(analysed[path])
    source = path.read_text(encoding="utf-8")
    module = load_module(source, path)
    for case in case_functions(source):
        assert run_case(module, case) is None, f"{case} is supposed to be correct code"
