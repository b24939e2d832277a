"""``torchls check`` / ``rule`` / ``--version`` as a user runs them: a real process on real files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from torchls import __version__

from .helpers import EXAMPLE, seeded_bug_lines, torchls


def test_example_reports_each_seeded_bug_once() -> None:
    result = torchls("check", "examples/")
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("examples/train.py:")]
    reported = [int(line.split(":")[1]) for line in lines]
    assert reported == seeded_bug_lines(EXAMPLE)
    assert all(" TL00" in line for line in lines)
    assert result.stdout.count("  fix (safe): ") == len(lines)
    assert result.stdout.rstrip().endswith(
        f"Found {len(lines)} findings. {len(lines)} fixable with `torchls check --fix`."
    )


def test_json_schema() -> None:
    result = torchls("check", "--format", "json", "examples/train.py")
    assert result.returncode == 1
    findings = json.loads(result.stdout)
    keys = {"path", "line", "column", "end_line", "end_column", "code", "name", "severity", "message", "fix"}
    for finding in findings:
        assert set(finding) == keys
        assert finding["path"] == "examples/train.py"
        assert finding["code"] in ("TL001", "TL002") and finding["name"] in ("missing-call", "not-callable")
        assert finding["severity"] in ("error", "warning", "information", "hint")
        fix = finding["fix"]
        assert set(fix) == {"title", "applicability", "edits"} and fix["applicability"] == "safe"
        for edit in fix["edits"]:
            assert set(edit) == {"line", "column", "end_line", "end_column", "content"}
    first = findings[0]
    line = EXAMPLE.read_text().splitlines()[first["line"] - 1]
    assert line[first["column"] - 1 : first["end_column"] - 1] == "parameters"


def test_columns_are_code_points(tmp_path: Path) -> None:
    source = 'import torch\nm = torch.nn.Linear(1, 1)\nnote = "😋 日本"; m.eval\n'
    (tmp_path / "u.py").write_text(source, encoding="utf-8")
    result = torchls("check", "--format", "json", "u.py", cwd=tmp_path)
    (finding,) = json.loads(result.stdout)
    assert (finding["line"], finding["column"]) == (3, source.splitlines()[2].index("eval") + 1)


def test_fix_repairs_the_example_and_it_runs(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "train.py")
    diff = torchls("check", "--diff", "train.py", cwd=tmp_path)
    assert diff.returncode == 1 and diff.stdout.startswith("--- a/train.py")
    assert (tmp_path / "train.py").read_text() == EXAMPLE.read_text()  # --diff changes nothing
    fixed = torchls("check", "--fix", "train.py", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Fixed 10 findings." in fixed.stdout
    assert torchls("check", "train.py", cwd=tmp_path).returncode == 0
    text = (tmp_path / "train.py").read_text()
    # The example raises on purpose when the model is still training; after the fixes it is not.
    run = subprocess.run([sys.executable, "train.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "optim.SGD(model.parameters(), lr=0.01)  # bug" in text
    assert (tmp_path / "classifier.pt").exists()


def test_select_ignore_and_pyproject(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "train.py")
    only_tl002 = torchls("check", "--select", "TL002", "train.py", cwd=tmp_path)
    assert only_tl002.stdout.count(" TL002 ") == 2 and " TL001 " not in only_tl002.stdout
    ignored = torchls("check", "--ignore", "TL001,TL002", "train.py", cwd=tmp_path)
    assert ignored.returncode == 0 and "All checks passed!" in ignored.stdout
    (tmp_path / "pyproject.toml").write_text('[tool.torchls]\nignore = ["TL001"]\nseverity = { TL002 = "warning" }\n')
    configured = torchls("check", "--format", "json", "train.py", cwd=tmp_path)
    assert {(f["code"], f["severity"]) for f in json.loads(configured.stdout)} == {("TL002", "warning")}
    (tmp_path / "pyproject.toml").write_text('[tool.torchls]\nseverity = { TL002 = "loud" }\n')
    bad = torchls("check", "train.py", cwd=tmp_path)
    assert bad.returncode == 2 and "'loud' is not one of" in bad.stderr


def test_exit_codes_and_bad_input(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text("import torch\nprint(torch.zeros(1).item())\n")
    assert torchls("check", "clean.py", cwd=tmp_path).returncode == 0
    missing = torchls("check", "nope.py", cwd=tmp_path)
    assert missing.returncode == 2 and "nope.py: no such file or directory" in missing.stderr
    (tmp_path / "latin1.py").write_bytes(b"x = '\xe9'\n")
    (tmp_path / "syntax.py").write_text("import torch\ndef broken(:\n    torch.zeros(1).item\n")
    mixed = torchls("check", ".", cwd=tmp_path)
    assert mixed.returncode == 2 and "latin1.py: cannot decode" in mixed.stderr
    interpreter = torchls("check", "--python", "/nonexistent/python", "clean.py", cwd=tmp_path)
    assert interpreter.returncode == 2 and "Python interpreter not found: /nonexistent/python" in interpreter.stderr
    assert torchls("check", "--format", "xml").returncode == 2


def test_skips_venvs_and_hidden_directories(tmp_path: Path) -> None:
    bug = "import torch\ntorch.nn.Linear(1, 1).eval\n"
    for folder in (".git", "venv", "__pycache__", "pkg"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "m.py").write_text(bug)
    result = torchls("check", "--format", "json", ".", cwd=tmp_path)
    assert [f["path"] for f in json.loads(result.stdout)] == ["pkg/m.py"]


def test_project_virtualenv_is_analysed(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("import torch\ntorch.nn.Linear(1, 1).eval\n")
    assert "torch not found" not in torchls("check", "m.py", cwd=tmp_path).stderr
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / ".venv")], check=True)
    result = torchls("check", "m.py", cwd=tmp_path)
    assert f"torch not found in {tmp_path / '.venv' / 'bin' / 'python'}" in result.stderr


@pytest.mark.parametrize("code", ["TL001", "tl002"])
def test_rule_documentation(code: str) -> None:
    result = torchls("rule", code)
    assert result.returncode == 0 and "## Why is this bad?" in result.stdout and "## Fix safety" in result.stdout


def test_unknown_rule_and_version() -> None:
    assert torchls("rule", "TL999").returncode == 2
    assert torchls("--version").stdout.strip() == f"torchls {__version__}"


def test_worker_processes_give_the_same_report(tmp_path: Path) -> None:
    """``--jobs 2`` shares a big run between two processes; the report is the same, in the same order."""
    for n in range(40):
        shutil.copy(EXAMPLE, tmp_path / f"train_{n:02}.py")
    serial = torchls("check", "--no-cache", "--jobs", "1", "--format", "json", ".", cwd=tmp_path)
    parallel = torchls("check", "--no-cache", "--jobs", "2", "--format", "json", ".", cwd=tmp_path)
    assert serial.returncode == parallel.returncode == 1
    assert len(json.loads(serial.stdout)) == 40 * len(seeded_bug_lines(EXAMPLE))
    assert parallel.stdout == serial.stdout
    fixed = torchls("check", "--jobs", "2", "--fix", ".", cwd=tmp_path)
    assert f"Fixed {40 * len(seeded_bug_lines(EXAMPLE))}" in fixed.stdout, fixed.stdout[-500:] + fixed.stderr
    assert torchls("check", "--jobs", "2", ".", cwd=tmp_path).returncode == 0
