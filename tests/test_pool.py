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


def test_another_interpreter_in_one_folder_replaces_only_that_folders_analyzer(tmp_path: Path) -> None:
    first_folder, second_folder = tmp_path / "first", tmp_path / "second"
    first_folder.mkdir()
    second_folder.mkdir()
    pool = AnalyzerPool()
    try:
        first = pool.get(None, first_folder).analyzer
        assert [f.code for f in first.analyze(BUG, first_folder / "train.py")] == ["TL001"]
        first_helper = jedi_bridge.environment_process(first.environment)
        second = pool.get(None, second_folder).analyzer

        replaced = pool.get(sys.executable, second_folder).analyzer  # the second folder's interpreter changed
        assert replaced is not second and pool.has(sys.executable, second_folder)
        assert not pool.has(None, second_folder)
        assert pool.get(None, first_folder).analyzer is first and pool.has(None, first_folder)
        assert first_helper is not None and not first_helper.is_crashed
        assert sorted(map(id, pool.analyzers())) == sorted(map(id, [first, replaced]))
        assert [f.code for f in first.analyze(BUG, first_folder / "train.py")] == ["TL001"]
    finally:
        pool.close()
