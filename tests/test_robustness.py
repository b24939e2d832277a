"""Bad files never stop a check, never hang it, and ``--fix`` never leaves a broken file."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import parso

from torchls.analysis.engine import Analyzer

from .helpers import ENV, EXAMPLE, torchls
from .training_module import training_module

BUG = "import torch\nmodel = torch.nn.Linear(1, 1)\nmodel.eval\n"


def test_bad_files_are_reported_and_the_rest_is_checked(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(BUG)
    (tmp_path / "binary.py").write_bytes(b"\x00\x01\x02")
    (tmp_path / "latin1.py").write_bytes(b"x = '\xe9'\n")
    (tmp_path / "huge.py").write_bytes(b"# " + b"x" * (11 * 1024 * 1024) + b"\n")
    (tmp_path / "nested.py").write_text("import torch\nx = " + "(" * 3000 + "1" + ")" * 3000 + "\n" + BUG)
    (tmp_path / "long_line.py").write_text("data = [" + "1, " * 350_000 + "]\n" + BUG)
    (tmp_path / "syntax.py").write_text("import torch\ndef broken(:\n" + BUG)
    os.mkfifo(tmp_path / "fifo.py")  # reading it would block forever
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "self").symlink_to(tmp_path / "loop")
    result = torchls("check", "--format", "json", ".", cwd=tmp_path)
    assert result.returncode == 2  # findings, and files that could not be checked
    assert "binary.py: not a text file" in result.stderr
    assert "latin1.py: cannot decode" in result.stderr
    assert "huge.py: skipped: 11 MB is more than the 10 MB limit" in result.stderr
    import json

    checked = sorted({f["path"] for f in json.loads(result.stdout)})
    assert "good.py" in checked and "long_line.py" in checked and "syntax.py" in checked


def test_encoding_cookie_is_honoured_and_kept(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\nimport torch\nname = 'caf\xe9'; m = torch.nn.Linear(1, 1); m.eval\n"
    (tmp_path / "cookie.py").write_bytes(source.encode("latin-1"))
    import json

    (finding,) = json.loads(torchls("check", "--format", "json", "cookie.py", cwd=tmp_path).stdout)
    assert (finding["line"], finding["column"]) == (3, source.splitlines()[2].index("eval") + 1)
    assert torchls("check", "--fix", "cookie.py", cwd=tmp_path).returncode == 0
    assert (tmp_path / "cookie.py").read_bytes() == source.replace("m.eval", "m.eval()").encode("latin-1")


def test_time_budget_gives_partial_results(analyzer: Analyzer, tmp_path: Path) -> None:
    """Past its time budget an analysis stops and reports what it found so far.

    The budget is set from this machine's speed: a few times what a 1,000-line module takes with
    the same (then warm) analyzer, so the first candidates of a 50,000-line one surely finish and
    the rest surely do not.
    """
    start = time.monotonic()
    assert analyzer.analyze(training_module(1_000, bug_every=1), tmp_path / "small_module.py")
    small_s = time.monotonic() - start
    source = training_module(50_000, bug_every=1)
    start = time.monotonic()
    parso.parse(source)
    parse_s = time.monotonic() - start
    budget = analyzer.time_budget_s
    analyzer.time_budget_s = max(1.0, 3 * small_s)
    try:
        start = time.monotonic()
        findings = analyzer.analyze(source, tmp_path / "huge_module.py")
        elapsed = time.monotonic() - start
    finally:
        budget, analyzer.time_budget_s = analyzer.time_budget_s, budget
    assert analyzer.stats["partial analyses"] >= 1
    assert findings, "the candidates analysed within the budget are reported"
    assert len(findings) < 50_000 // 1_000 * len(analyzer.analyze(training_module(1_000, bug_every=1)))
    assert elapsed < budget + 5 * parse_s + 10, "parsing, then the budget, then a stop"


def test_interrupted_fix_leaves_every_file_old_or_new(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    reference.mkdir()
    shutil.copy(EXAMPLE, reference / "train.py")
    assert torchls("check", "--fix", "train.py", cwd=reference).returncode == 0
    old, new = EXAMPLE.read_bytes(), (reference / "train.py").read_bytes()
    work = tmp_path / "work"
    work.mkdir()
    for i in range(40):
        shutil.copy(EXAMPLE, work / f"train_{i:02}.py")
    process = subprocess.Popen(
        [sys.executable, "-m", "torchls", "check", "--fix", "."],
        cwd=work,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and all(p.read_bytes() == old for p in work.glob("*.py")):
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    contents = [p.read_bytes() for p in sorted(work.glob("*.py"))]
    assert len(contents) == 40
    assert all(content in (old, new) for content in contents)
    assert new in contents and old in contents  # it was really interrupted midway


def test_fix_keeps_line_endings_and_permissions(tmp_path: Path) -> None:
    source = "import torch\r\nmodel = torch.nn.Linear(1, 1)\r\nmodel.eval\r\n"
    path = tmp_path / "crlf.py"
    path.write_bytes(source.encode())
    path.chmod(0o751)
    assert torchls("check", "--fix", "crlf.py", cwd=tmp_path).returncode == 0
    assert path.read_bytes() == source.replace("model.eval", "model.eval()").encode()
    assert path.stat().st_mode & 0o7777 == 0o751
    assert [p.name for p in tmp_path.iterdir()] == ["crlf.py"]  # no temporary file left behind
