"""The VS Code extension in a real VS Code: code-server 1.100 with the built .vsix, driven by chromium.

``vscode-client/e2e/vscode_e2e.js`` does what a user does (open the file, see the squiggle and the
Problems entry, hover, Ctrl+. Enter, Ctrl+S; trust the workspace; open a notebook) and saves
screenshots to ``vscode-client/e2e/artifacts``;
this test prepares the workspace and checks the file on disk. Needs ``npm run package`` (the .vsix),
``vscode-client/e2e/setup.sh`` (code-server, playwright-core) and Debian's chromium; ``./scripts/test``
and ``.ci/run`` provide them, and in CI a missing piece fails instead of skipping.
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
from tests.helpers import make_venv

CLIENT = Path(__file__).parents[2] / "vscode-client"
E2E = CLIENT / "e2e"
ARTIFACTS = E2E / "artifacts"


def run_e2e(mode: str, workspace: Path, tmp_path: Path, artifacts: Path, **extra: str) -> None:
    """Run vscode_e2e.js in ``mode`` on ``workspace``; it must pass."""
    vsix = built_vsix()
    editor(str(E2E / "node_modules" / ".bin" / "code-server"), "code-server: vscode-client/e2e/setup.sh")
    chromium = editor(shutil.which("chromium"), "apt-get install chromium")
    shutil.rmtree(artifacts, ignore_errors=True)
    env = {
        **os.environ,
        "E2E_VSIX": str(vsix),
        "E2E_WORKSPACE": str(workspace),
        "E2E_HOME": str(tmp_path / "home"),
        "E2E_ARTIFACTS": str(artifacts),
        "E2E_MODE": mode,
        "E2E_CHROMIUM": chromium,
        **extra,
    }
    try:
        result = subprocess.run(
            ["node", str(E2E / "vscode_e2e.js")], env=env, capture_output=True, text=True, timeout=TIMEOUT_S
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"the VS Code test hung for {TIMEOUT_S} s; its log:\n{error.stderr}")
    assert result.returncode == 0 and "PASS" in result.stderr, result.stderr


def built_vsix() -> Path:
    vsix = max(CLIENT.glob("torchls-*.vsix"), default=None, key=lambda p: p.stat().st_mtime)
    return Path(editor(str(vsix) if vsix else None, "the extension: cd vscode-client && npm ci && npm run package"))


@pytest.mark.parametrize(
    "mode,strategy",
    [("fix", "useBundled"), ("fix", "fromEnvironment"), ("trust", "useBundled"), ("notebook", "useBundled")],
)
def test_vscode(mode: str, strategy: str, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    shutil.copytree(E2E / "workspace", workspace)
    # The interpreter runs the server and is analysed: this venv, which has torch (and torchls, for
    # fromEnvironment); useBundled runs the extension's own copy of torchls in it.
    (workspace / ".vscode").mkdir()
    (workspace / ".vscode" / "settings.json").write_text(
        json.dumps({"torchls.interpreter": [sys.executable], "torchls.importStrategy": strategy})
    )
    run_e2e(mode, workspace, tmp_path, ARTIFACTS / f"{mode}-{strategy}")
    if mode != "fix":
        return
    fixed = workspace / "train.py"
    expected = (E2E / "workspace" / "train.py").read_text().replace("model.parameters,", "model.parameters(),")
    assert fixed.read_text() == expected
    run = subprocess.run([sys.executable, str(fixed)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "trained", run.stderr


def test_vscode_multiroot_each_folder_has_its_own_interpreter(tmp_path: Path) -> None:
    """A .code-workspace of two folders, each with its own torchls.interpreter (outside the folders, so
    only the setting can choose it): each file is analysed with its own folder's, not the first's."""
    with_torch = make_venv(tmp_path / "envs" / "torch", with_torch=True)
    plain = make_venv(tmp_path / "envs" / "plain", with_torch=False)
    workspace = tmp_path / "multiroot"
    for folder, name, python in (("first", "train_a.py", with_torch), ("second", "train_b.py", plain)):
        (workspace / folder / ".vscode").mkdir(parents=True)
        shutil.copy(E2E / "workspace" / "train.py", workspace / folder / name)
        (workspace / folder / ".vscode" / "settings.json").write_text(
            json.dumps({"torchls.interpreter": [str(python)]})
        )
    code_workspace = workspace / "torchls.code-workspace"
    code_workspace.write_text(json.dumps({"folders": [{"path": "first"}, {"path": "second"}], "settings": {}}))
    run_e2e("multiroot", code_workspace, tmp_path, ARTIFACTS / "multiroot", E2E_PLAIN_PYTHON=str(plain))
