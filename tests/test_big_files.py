"""Results are complete on big files: jedi's per-inference limits must not drop later findings.

A 5,000-line training module with bugs in every block gets exactly the findings that its blocks
get when each is analysed as a file of its own (about 55 lines each, with the imports).
"""

from __future__ import annotations

from pathlib import Path

from torchls.analysis.engine import Analyzer

from .training_module import BUGS_PER_BLOCK, HEADER, training_blocks


def test_recall_on_a_5000_line_file_equals_recall_on_its_pieces(analyzer: Analyzer, tmp_path: Path) -> None:
    blocks = training_blocks(5000, bug_every=1)
    whole = analyzer.analyze("".join(blocks), tmp_path / "whole.py")
    pieces = [analyzer.analyze(HEADER + block, tmp_path / f"piece_{i}.py") for i, block in enumerate(blocks[1:])]
    expected = BUGS_PER_BLOCK * (len(blocks) - 1)
    assert sum(len(found) for found in pieces) == expected
    assert len(whole) == expected
    assert sorted(f.code for f in whole) == sorted(f.code for found in pieces for f in found)
