"""jedi's helper process under supervision: renewed on schedule, restarted after a crash, results unchanged."""

from __future__ import annotations

import sys
from pathlib import Path

from torchls.analysis import jedi_bridge
from torchls.analysis.engine import Analyzer
from torchls.analysis.environment import find_environment

BUG = "import torch\nmodel = torch.nn.Linear(1, 1)\nmodel.eval\n"


def helper_pid(analyzer: Analyzer) -> int:
    process = jedi_bridge.environment_process(analyzer.environment)
    assert process is not None
    return int(process._get_process().pid)


def test_helper_process_is_renewed_on_schedule(tmp_path: Path) -> None:
    """jedi's helper grows a little with every analysis: a fresh one starts every so often."""
    analyzer = Analyzer(find_environment(sys.executable), project_root=tmp_path)
    analyzer.supervisor.renew_every = 3
    try:
        pids = set()
        for step in range(7):
            source = BUG + f"x{step} = 1\n"
            assert [f.span.start for f in analyzer.analyze(source, tmp_path / "m.py")] == [(3, 6)]
            pids.add(helper_pid(analyzer))
        assert analyzer.supervisor.renewals == 2 and len(pids) == 3
    finally:
        analyzer.close()


def test_a_dead_helper_is_restarted_the_analysis_repeated_and_listeners_told(tmp_path: Path) -> None:
    analyzer = Analyzer(find_environment(sys.executable), project_root=tmp_path)
    told: list[int] = []
    analyzer.supervisor.on_restart = lambda: told.append(analyzer.supervisor.restarts)
    try:
        path = tmp_path / "m.py"
        assert [f.code for f in analyzer.analyze(BUG, path)] == ["TL001"]
        process = jedi_bridge.environment_process(analyzer.environment)
        assert process is not None
        process._get_process().kill()
        process._get_process().wait()
        again = "import torch\nt = torch.zeros(2)\nvalue = t.item\nprint(value + 1)\n"  # builtins: needs the helper
        assert [f.code for f in analyzer.analyze(again, tmp_path / "other.py")] == ["TL001"]
        assert told == [1] and helper_pid(analyzer) != process._get_process().pid
    finally:
        analyzer.close()
