"""The analyzer pool owns the analyzers' lifetime: one replaced or closed leaves no thread and no process."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from torchls.analysis import jedi_bridge
from torchls.analysis.environment import InterpreterError
from torchls.analysis.pool import AnalyzerPool

BUG = "import torch\nmodel = torch.nn.Linear(1, 1)\nmodel.eval\n"


def watchdogs() -> int:
    return sum(thread.name == "torchls-watchdog" and thread.is_alive() for thread in threading.enumerate())


def test_replaced_and_closed_analyzers_stop_their_thread_and_helper(tmp_path: Path) -> None:
    before = watchdogs()
    pool = AnalyzerPool()
    first = pool.get(None, tmp_path).analyzer
    assert [f.code for f in first.analyze(BUG, tmp_path / "train.py")] == ["TL001"]
    helper = jedi_bridge.environment_process(first.environment)
    assert helper is not None and not helper.is_crashed
    assert pool.get(None, tmp_path).analyzer is first and watchdogs() == before + 1

    second = pool.get(sys.executable, tmp_path).analyzer  # another interpreter setting: the old analyzer goes
    assert second is not first and pool.analyzers() == [second]
    assert helper.is_crashed and helper._get_process().wait(timeout=30) is not None
    assert watchdogs() == before + 1

    pool.close()
    assert pool.analyzers() == [] and watchdogs() == before


def test_unusable_interpreter_falls_back_or_raises(tmp_path: Path) -> None:
    pool = AnalyzerPool()
    try:
        pooled = pool.get("/nonexistent/bin/python", tmp_path)
        assert pooled.fallback_reason is not None and "Python interpreter not found" in pooled.fallback_reason
        with pytest.raises(InterpreterError):
            AnalyzerPool().get("/nonexistent/bin/python", tmp_path, fallback=False)
    finally:
        pool.close()
