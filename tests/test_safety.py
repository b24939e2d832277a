"""torchls never executes the user's code: analysing a workspace whose modules would leave a marker
file when imported (or run) must not create it, from the CLI (the server: tests/lsp/test_safety.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from torchls.analysis import jedi_bridge
from torchls.analysis.engine import Analyzer
from torchls.analysis.environment import find_environment

from .helpers import EXAMPLE, booby_trapped_workspace, torchls


def test_cli_never_runs_workspace_code(tmp_path: Path) -> None:
    marker = booby_trapped_workspace(tmp_path)
    result = torchls("check", "--format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1 and '"code": "TL001"' in result.stdout  # it did analyse the code
    assert not marker.exists()


def test_jedi_helper_never_imports_torch(tmp_path: Path) -> None:
    """torch's compiled modules are read from its stubs: no torch library is loaded into jedi's
    helper process (where importing ``torch._C`` would run torch's ``__init__``)."""
    environment = find_environment(sys.executable)
    analyzer = Analyzer(environment, project_root=tmp_path)
    source = EXAMPLE.read_text(encoding="utf-8")
    assert len(analyzer.analyze(source, tmp_path / "train.py")) == 10
    pid = jedi_bridge.environment_process(environment)._get_process().pid
    maps = Path(f"/proc/{pid}/maps").read_text()
    assert "libc" in maps  # the check can see libraries at all
    assert "libtorch" not in maps and "/torch/" not in maps
