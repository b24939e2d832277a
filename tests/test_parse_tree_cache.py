"""parso's cache GC must not drop the parse trees of the analysis under way (jedi then fails on them).

parso drops cached trees unused for 10 minutes once it holds 600; a tree it parses or loads records
its file's modification time as its last use. On files older than 10 minutes (any wheel, any old
checkout) each tree cached during an analysis, the analysed file's own first, was dropped by the next
one cached past the 600th, and jedi's next lookup of it raised KeyError: the candidate was skipped
(780 of 8,578 in transformers 5.24.0).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from torchls.analysis import jedi_bridge
from torchls.analysis.engine import Analyzer
from torchls.analysis.environment import find_environment

MODULES = 700  # past parso's 600 trees, whatever the cache held before


def old_project(root: Path) -> Path:
    """``main.py`` using one model factory from each of ``MODULES`` sibling modules, all last changed an hour ago."""
    lines = ["import torch"]
    for i in range(MODULES):
        (root / f"factory{i}.py").write_text(
            f"import torch\n\n\ndef make{i}():\n    return torch.nn.Linear({i + 1}, 1)\n"
        )
        lines.append(f"from factory{i} import make{i}")
    for i in range(MODULES):
        lines += ["", "", f"def use{i}():", f"    model = make{i}()", "    model.eval"]
    main = root / "main.py"
    main.write_text("\n".join(lines) + "\n")
    an_hour_ago = time.time() - 3600
    for path in root.glob("*.py"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    return main


def test_trees_cached_during_an_analysis_stay(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jedi_bridge, "PARSE_TREE_SWEEP_EVERY_S", 0.0)  # parso's sweep on every tree cached
    main = old_project(tmp_path)
    analyzer = Analyzer(find_environment(), project_root=tmp_path)
    analyzer.time_budget_s = 600  # 2 s here unloaded; the budget is not under test, and a partial result would fail
    try:
        with caplog.at_level(logging.WARNING, logger="torchls"):
            findings = analyzer.analyze(main.read_text(), main)
    finally:
        analyzer.close()
    assert [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()][:3] == []
    assert len(findings) == MODULES  # every bare `model.eval`
    assert {f.code for f in findings} == {"TL001"}
