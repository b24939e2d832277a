"""The real-code set (tests/fixtures/realcode): contexts reproduced from public code, run with real torch.

Each positive ``case_*`` calls exactly one bug, on a line marked ``# bug: <ExceptionName>`` or
``# bug: silent``. These tests prove the marks (the case raises that exception, or runs without
error and, where it is cheap to see, visibly misbehaves, and stops once the call is added), and
hold torchls to precision: every
finding is on a marked line and its message and fix pass the truth checks of tests/test_truth.py.
Recall on this set is measured by benchmarks/recall.py, not asserted.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from torchls.analysis.engine import Analyzer
from torchls.analysis.findings import Finding
from torchls.analysis.fixes import apply_edits

from .golden import is_negative, realcode_files, realcode_table
from .truth_helpers import assert_message_true, bug_lines, call_case, case_functions, case_of, case_of_line, load_module


def _no_gradients(model: Any) -> bool:
    return all(p.grad is None for p in model.parameters())


# What the silent bugs leave behind, checked on each case's return value (file stem.case).
SILENT_EVIDENCE: dict[str, Callable[[Any], bool]] = {
    "classifier_train.case_test_loop_eval": lambda model: model.training,
    "classifier_train.case_train_one_epoch_backward": _no_gradients,
    "cli_checks.case_protein_main": lambda device: isinstance(device, torch.device) and device.type == "cuda",
    "cli_checks.case_model_factory_guard": lambda model: isinstance(model, torch.nn.Module),
    "cli_checks.case_get_device": lambda device: device.type == "cuda",
    "cli_checks.case_require_gpu": lambda refused: refused is False,
    "cli_checks.case_estimator_fallback": lambda cuda: cuda is True,
    "cli_checks.case_answer_phase": lambda no_cuda: no_cuda is False,
    "cli_checks.case_config_gpu_device": lambda device: device.type == "cuda",
    "cli_checks.case_orbit_env": lambda device: device.type == "cuda",
    "device_setup.case_module_device": lambda device: device.type == "cuda",
    "device_setup.case_set_seed": lambda seeded_cuda: seeded_cuda is True,
    "device_setup.case_flow_matching_main": lambda device: device.type == "cuda",
    "device_setup.case_segmentation_args": lambda device: device.type == "cuda",
    "device_setup.case_device_objects": lambda device: device.type == "cuda",
    "device_setup.case_trainer_devices": lambda devices: devices == 1,
    "device_setup.case_detector_device": lambda device: device == 0,
    "device_setup.case_environment_banner": lambda banner: banner == "Good to go!",
    "device_setup.case_dqn_seeds": lambda seeded: seeded is True,
    "device_setup.case_vae_evaluate": lambda has_cuda: has_cuda is True,
    "device_setup.case_dynamics_main": lambda device: device.type == "mps",
    "device_setup.case_cuda_then_mps": lambda device: device.type == "mps",
    "device_setup.case_agent_device": lambda device: device == "mps",
    "device_setup.case_mps_first": lambda device: device == "mps",
    "gan_train.case_sample_images": lambda gen: gen.training,
    "multi_gpu.case_gather_losses": lambda lists: lists == (None, None),
    "multi_gpu.case_log_rank0": lambda logged: logged is False,
    "multi_gpu.case_freeze_modules": lambda announced: announced is False,
    "multi_gpu.case_prepare_data_rank0": lambda log: log == [],
    "inference_scripts.case_gobot_batch": lambda result: result[0].training,
    "inference_scripts.case_flops_check": lambda net: net.training,
    "inference_scripts.case_inference_wrapper": lambda net: net.training,
    "inference_scripts.case_load_encoder": lambda net: net.training,
    "notebook_export.case_export_onnx": lambda model: model.training,
    "notebook_export.case_check_encdec": lambda model: model.training,
    "notebook_export.case_scheduler_cell": lambda optimizer: optimizer.param_groups[0]["lr"] == 0.1,
    "notebook_export.case_train_cell": lambda model: not model.training,
    "recsys_trainer.case_train_epoch": lambda model: not model.training,
    "recsys_trainer.case_evaluate": lambda model: model.training,
    "recsys_trainer.case_remember_best": callable,
    "seq2seq_finetune.case_validate_epoch": lambda model: model.training,
    "seq2seq_finetune.case_train_epoch_output": _no_gradients,
    "trainer_classes.case_causal_reasoner": lambda model: model.training,
}


def positives() -> list[Path]:
    return [p for p in realcode_files() if not is_negative(p)]


def marked_cases() -> Iterator[tuple[Path, str, str]]:
    """(file, case, mark) for every case of the positive files."""
    for path in positives():
        source = path.read_text(encoding="utf-8")
        cases = case_functions(source)
        marks = {case_of_line(line, source, cases): kind for line, kind in bug_lines(source).items()}
        for case in cases:
            yield path, case, marks.get(case, "")


@pytest.fixture(autouse=True)
def temporary_files_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cases write checkpoints with `tempfile`: keep them in this test's folder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


@pytest.fixture(scope="module")
def analysed(analyzer: Analyzer) -> dict[Path, list[Finding]]:
    return {path: analyzer.analyze(path.read_text(encoding="utf-8"), path) for path in realcode_files()}


def test_the_set_is_large_enough() -> None:
    assert len(list(marked_cases())) >= 70


def test_readme_table_lists_every_case_with_its_mark() -> None:
    table = {key: mark for key, (_, _, mark) in realcode_table().items()}
    assert table == {(path.name, case): mark for path, case, mark in marked_cases()}


@pytest.mark.parametrize("path", positives(), ids=lambda p: p.stem)
def test_each_case_calls_exactly_one_marked_bug(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    cases = case_functions(source)
    owners = [case_of_line(line, source, cases) for line in bug_lines(source)]
    assert sorted(owners) == sorted(cases), "each case owns exactly one `# bug:` line"
    assert not set(SILENT_EVIDENCE) - {f"{p.stem}.{c}" for p, c, _ in marked_cases()}


@pytest.mark.parametrize("path,case,mark", list(marked_cases()), ids=lambda v: getattr(v, "stem", v))
def test_bug_misbehaves_as_marked(path: Path, case: str, mark: str) -> None:
    error, result = call_case(load_module(path.read_text(encoding="utf-8"), path), case)
    if mark == "silent":
        assert error is None, f"{case} is marked silent but raised {error!r}"
        evidence = SILENT_EVIDENCE.get(f"{path.stem}.{case}")
        if evidence is not None:
            assert evidence(result), f"{case}: the silent misbehaviour is not there"
    else:
        assert error is not None, f"{case} is marked {mark} but ran without error"
        assert type(error).__name__ == mark, f"{case}: raised {error!r}, marked {mark}"


SILENT_MEMBERS = "eval|train|zero_grad|backward|step|state_dict|is_available|get_rank|is_initialized"
UNCALLED = re.compile(rf"\.({SILENT_MEMBERS})\b(?!\s*\()")


def silent_cases() -> list[tuple[Path, str]]:
    return [(path, case) for path, case, mark in marked_cases() if f"{path.stem}.{case}" in SILENT_EVIDENCE]


@pytest.mark.parametrize("path,case", silent_cases(), ids=lambda v: getattr(v, "stem", v))
def test_silent_evidence_goes_away_once_the_call_is_added(path: Path, case: str) -> None:
    """The evidence describes the bug, not something else: add the `()` and it is gone."""
    source = path.read_text(encoding="utf-8")
    cases = case_functions(source)
    (line,) = [line for line in bug_lines(source) if case_of_line(line, source, cases) == case]
    lines = source.splitlines(keepends=True)
    lines[line - 1] = UNCALLED.sub(lambda m: m.group(0) + "()", lines[line - 1], count=1)
    assert lines[line - 1] != source.splitlines(keepends=True)[line - 1], "no uncalled method on the line"
    error, result = call_case(load_module("".join(lines), path), case)
    assert error is None, f"{case}: the called version raised {error!r}"
    assert not SILENT_EVIDENCE[f"{path.stem}.{case}"](result), f"{case}: the evidence stays once fixed"


@pytest.mark.parametrize("path", realcode_files(), ids=lambda p: p.stem)
def test_findings_are_on_bug_lines_and_true(path: Path, analysed: dict[Path, list[Finding]]) -> None:
    source = path.read_text(encoding="utf-8")
    marks = bug_lines(source)
    cases = case_functions(source)
    for finding in analysed[path]:
        line = finding.span.start[0]
        assert line in marks, f"false positive on line {line}: {finding.message}"
        case = case_of(finding, source, cases)
        assert_message_true(finding, source, path, case)
        evidence = SILENT_EVIDENCE.get(f"{path.stem}.{case}")
        if evidence is not None and finding.fix is not None:  # the fix removes the misbehaviour
            error, result = call_case(load_module(apply_edits(source, finding.fix.edits), path), case)
            assert error is None and not evidence(result), f"{case}: still misbehaves once fixed"


@pytest.mark.parametrize("path", [p for p in realcode_files() if is_negative(p)], ids=lambda p: p.stem)
def test_negatives_run_cleanly_and_get_no_finding(path: Path, analysed: dict[Path, list[Finding]]) -> None:
    source = path.read_text(encoding="utf-8")
    module = load_module(source, path)
    for case in case_functions(source):
        error, _ = call_case(module, case)
        assert error is None, f"{case} is supposed to be correct code, raised {error!r}"
    assert [f.message for f in analysed[path]] == []
