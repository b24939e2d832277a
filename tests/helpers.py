"""Helpers shared by test modules (test modules never import each other): running the CLI as a user does."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "train.py"
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}
ENV.pop("VIRTUAL_ENV", None)  # analyse the test interpreter's environment (it has torch)


def torchls(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``python -m torchls ARGS`` in ``cwd``, as a real process; its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "torchls", *args], cwd=cwd, capture_output=True, text=True, env=ENV, timeout=600
    )


def seeded_bug_lines(path: Path) -> list[int]:
    """The 1-based lines of ``path`` marked ``# bug``."""
    return [n for n, line in enumerate(path.read_text().splitlines(), 1) if "# bug" in line]


def booby_trapped_workspace(folder: Path) -> Path:
    marker = folder / "EXECUTED"
    trap = f"from pathlib import Path\nPath({str(marker)!r}).touch()\n"
    (folder / "helpers.py").write_text(trap + "import torch\nclass Net(torch.nn.Module):\n    pass\n")
    (folder / "conftest.py").write_text(trap)
    (folder / "sitecustomize.py").write_text(trap)
    (folder / "setup.py").write_text(trap)
    (folder / "main.py").write_text(
        trap + "from helpers import Net\nif __name__ == '__main__':\n    net = Net()\n    net.eval\n"
    )
    return marker


def make_venv(path: Path, with_torch: bool) -> Path:
    """A real virtualenv; with torch: this environment's packages (torch 2.13) on its path, by a .pth."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    python = path / "bin" / "python"
    if with_torch:
        query = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        purelib = subprocess.run([python, "-c", query], check=True, capture_output=True, text=True, timeout=60)
        (Path(purelib.stdout.strip()) / "test-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python
