"""``torchls check``'s results cache, and the text pre-filter: faster, never different.

The cache lives in ``$XDG_CACHE_HOME/torchls/check``; each test gives it a fresh one (jedi's own
cache moves along, so the first run of each test parses torch's stubs again).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from torchls.analysis.candidates import may_hold_candidates
from torchls.analysis.engine import Analyzer
from torchls.analysis.findings import finding_from_data, finding_to_data

from .golden import fixture_files
from .helpers import ENV

MODELS = "from torch import nn\n\n\nclass Net(nn.Module):\n    pass\n"
NOT_A_MODULE = "class Net:\n    def eval(self) -> None: ...\n"
TRAIN = "from models import Net\n\nnet = Net()\nnet.eval\n"


def check(folder: Path, cache: Path, *args: str) -> list[dict[str, object]]:
    result = subprocess.run(
        [sys.executable, "-m", "torchls", "check", "--format", "json", *args, "."],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**ENV, "XDG_CACHE_HOME": str(cache)},
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "models.py").write_text(MODELS)
    (folder / "train.py").write_text(TRAIN)
    return folder


def cache_entries(cache: Path) -> list[Path]:
    return sorted((cache / "torchls" / "check").rglob("*.json"))


def test_cached_results_are_served_and_follow_imported_files(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = check(project, cache)
    assert [(f["path"], f["line"]) for f in first] == [("train.py", 4)]
    entries = cache_entries(cache)
    assert len(entries) == 2  # models.py (no findings) and train.py

    # A hit is served from the entry, not analysed again: an edited entry shows in the report.
    for entry in entries:
        raw = json.loads(entry.read_text())
        if raw:
            raw[0]["message"] = "served from the cache"
            entry.write_text(json.dumps(raw))
    assert [f["message"] for f in check(project, cache)] == ["served from the cache"]
    assert [f["message"] for f in check(project, cache, "--no-cache")] == [first[0]["message"]]

    # train.py is unchanged, but the file it imports changed: its entry no longer applies.
    (project / "models.py").write_text(NOT_A_MODULE)
    assert check(project, cache) == []
    (project / "models.py").write_text(MODELS)
    assert [f["message"] for f in check(project, cache)] == ["served from the cache"]
    # Other settings: another key.
    assert check(project, cache, "--ignore", "TL001") == []


def test_no_cache_neither_reads_nor_writes(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert len(check(project, cache, "--no-cache")) == 1
    assert cache_entries(cache) == []


def test_prefilter_keeps_every_file_with_a_finding(analyzer: Analyzer) -> None:
    names = analyzer.candidate_names
    for path in fixture_files():
        source = path.read_text(encoding="utf-8")
        for finding in analyzer.analyze(source, path):
            line = source.splitlines()[finding.span.start[0] - 1]
            assert may_hold_candidates(line, names), line
    assert not may_hold_candidates("import torch\nx = torch.zeros(2)\nprint(len(x))\n", names)
    assert analyzer.analyze("import os\nprint(os.sep)\n") == []


def test_prefilter_reads_comment_banners_in_linear_time() -> None:
    # `.` followed by a line of `#`: the search used to try every way of splitting the banner into
    # comments (2**n); an 80-character banner never finished. Run apart, so a regression fails, not hangs.
    banner = "# Sentence one.\n" + "#" * 80 + "\nprint(1)\n"
    code = (
        "from torchls.analysis.candidates import may_hold_candidates\n"
        "from torchls.analysis.catalog import load_catalog\n"
        f"print(may_hold_candidates({banner!r}, load_catalog().member_names))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False"


def test_findings_keep_their_facts_through_the_cache(analyzer: Analyzer) -> None:
    """A cached finding is the finding: the notebook's displayed variant reads its facts."""
    findings = [f for path in fixture_files() for f in analyzer.analyze(path.read_text(), path)]
    assert any(f.facts.raises for f in findings) and any(f.facts.note for f in findings)
    assert [finding_from_data(json.loads(json.dumps(finding_to_data(f)))) for f in findings] == findings
