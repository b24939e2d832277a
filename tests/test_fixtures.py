"""Golden tests: each fixture's findings equal its generated ``.expected`` file.

Rewrite the expected files with ``pytest tests/test_fixtures.py --update-goldens`` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from torchls.analysis.engine import Analyzer

from .golden import FIXTURES, fixture_files, render


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_golden(path: Path, analyzer: Analyzer, update_goldens: bool) -> None:
    actual = render(analyzer.analyze(path.read_text(encoding="utf-8"), path))
    expected_path = path.with_suffix(".expected")
    if update_goldens:
        expected_path.write_text(actual, encoding="utf-8")
    assert expected_path.exists(), f"missing {expected_path.relative_to(FIXTURES)}: run with --update-goldens"
    assert actual == expected_path.read_text(encoding="utf-8")
