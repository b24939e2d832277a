"""torchls in a real JupyterLab 4 with jupyterlab-lsp, driven by Debian's chromium.

The test starts JupyterLab (pinned in the test extras) on localhost with fresh Jupyter config and
settings folders, so torchls is found only through its ``jupyter_lsp_spec_v1`` entry point, as
after ``pip install torchls jupyterlab jupyterlab-lsp``. Two set-ups: pylsp installed beside it
(JupyterLab gives the notebook to pylsp, which reports torchls's findings through torchls's pylsp
plugin), and pylsp turned off (torchls's own server). ``jupyterlab/jupyterlab_e2e.js`` opens a
notebook with seeded bugs (one after a line magic, one after non-ASCII text, one after a ``%%time``
cell) and reports what a user sees: the underlined ranges per cell, the diagnostics panel, a hover;
with torchls's server it then fixes one bug by typing, saves, runs ``torchls check --fix`` on the
notebook (jupyterlab-lsp has no code actions, see docs/editors.md), reloads the notebook from disk
and waits for torchls to report nothing. This test checks the report and runs the fixed cells under
torch. Screenshots and the LSP traffic go to ``tests/editors/jupyterlab/artifacts``. Needs Debian's
chromium and ``npm ci`` in ``tests/editors/jupyterlab`` (``./scripts/test`` does it); in CI a missing
piece fails.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.editors.common import REQUIRED, TIMEOUT_S, editor

HERE = Path(__file__).parent / "jupyterlab"
ARTIFACTS = HERE / "artifacts"
NOTEBOOK = "train.ipynb"
PYLSP_OFF = {"argv": [], "languages": ["python"], "version": 2}  # jupyter-lsp skips a server without argv


def expected_range(cell: int, expression: str, severity: str) -> dict[str, object]:
    """Where the member of ``expression`` is in the original notebook's cell, in editor units."""
    source = "".join(json.loads((HERE / NOTEBOOK).read_text(encoding="utf-8"))["cells"][cell - 1]["source"])
    line_number, line = next((n, text) for n, text in enumerate(source.splitlines(), 1) if expression in text)
    before = line[: line.index(expression) + expression.index(".") + 1]
    member = expression.split(".")[-1]
    return {
        "cell": cell,
        "line": line_number,
        "column": len(before.encode("utf-16-le")) // 2,
        "text": member,
        "severity": severity,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["torchls", "pylsp"])
def jupyterlab(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    """A JupyterLab serving a copy of the notebook; its URL, the notebook's path, the notebook's server.

    JupyterLab connects a notebook to one Python server: the highest ranked, else the first by name.
    With pylsp installed too (the test extras have it), pylsp is chosen and reports torchls's findings
    through torchls's pylsp plugin; with pylsp turned off for JupyterLab, torchls's own server is.
    """
    if importlib.util.find_spec("jupyterlab") is None or importlib.util.find_spec("jupyter_lsp") is None:
        (pytest.fail if REQUIRED else pytest.skip)("not installed: pip install -e '.[test]' (jupyterlab)")
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(HERE / NOTEBOOK, root / NOTEBOOK)
    home = tmp_path / "home"
    env = {
        **os.environ,
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
    }
    # No "get notified about Jupyter news?" pop-up over the notebook.
    notification = home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    if request.param == "torchls":
        # JupyterLab 4.6.6 with jupyterlab-lsp 5.3.0 ignores the `rank` setting (its settings fail to
        # load: "has no transformers yet"), so the way to get torchls's own server is to turn pylsp off.
        (home / "config").mkdir(parents=True)
        (home / "config" / "jupyter_server_config.json").write_text(
            json.dumps({"LanguageServerManager": {"language_servers": {"pylsp": PYLSP_OFF}}})
        )
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = (ARTIFACTS / "jupyterlab.log").open("w")
    argv = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}"]
    argv += ["--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password="]
    argv += [
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    server = subprocess.Popen(argv, env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/lsp/status", timeout=2) as response:
                    status = json.load(response)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start; see {ARTIFACTS / 'jupyterlab.log'}")
                time.sleep(0.3)
        # Found through the entry point alone: no config names torchls.
        assert "torchls" in status["specs"], status["specs"].keys()
        assert status["specs"]["torchls"]["display_name"].startswith("torchls ")
        assert ("pylsp" in status["specs"]) == (request.param == "pylsp")
        yield url, root / NOTEBOOK, request.param
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # JupyterLab, its kernel and the torchls server
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def test_jupyterlab(jupyterlab: tuple[str, Path, str]) -> None:
    chromium = editor(shutil.which("chromium"), "apt-get install chromium")
    editor(shutil.which("node"), "Node 20 (apt-get install nodejs npm)")
    editor(str(HERE / "node_modules" / "playwright-core"), "cd tests/editors/jupyterlab && npm ci")
    url, notebook, server = jupyterlab
    artifacts = ARTIFACTS / server
    env = {
        **os.environ,
        "E2E_URL": url,
        "E2E_NOTEBOOK": str(notebook),
        "E2E_ARTIFACTS": str(artifacts),
        "E2E_MODE": "fix" if server == "torchls" else "diagnostics",
        "E2E_CHROMIUM": chromium,
        "E2E_FIX": json.dumps([sys.executable, "-m", "torchls", "check", "--fix", str(notebook)]),
    }
    try:
        result = subprocess.run(
            ["node", str(HERE / "jupyterlab_e2e.js")], env=env, capture_output=True, text=True, timeout=TIMEOUT_S
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"the JupyterLab test hung for {TIMEOUT_S} s; its log:\n{error.stderr}")
    assert result.returncode == 0 and "PASS" in result.stderr, result.stderr
    report = json.loads(result.stdout)
    assert report["server"] == server  # the language server the notebook's websocket went to

    # Underlined ranges: cell number (every cell counts), line in the cell, UTF-16 column, text.
    assert report["ranges"] == [
        expected_range(1, "model.parameters", "error"),
        expected_range(4, "model.eval", "warning"),
        expected_range(5, "x.shape", "error"),
    ]
    # The diagnostics panel: message, code, severity, source, cell, line:character (0-based).
    assert sorted(row[1:] for row in report["panel"]) == sorted(
        [code, severity, "torchls", str(r["cell"]), f"{r['line'] - 1}:{r['column']}"]
        for r, code, severity in zip(
            report["ranges"], ["TL001", "TL001", "TL002"], ["Error", "Warning", "Error"], strict=True
        )
    )
    assert any("`model.parameters` is a method, not the parameters" in row[0] for row in report["panel"])
    if server == "pylsp":
        return  # the hover is pylsp's own (jedi's); the rest is the same as with torchls
    assert "model.parameters is a method of torch.nn.Module" in " ".join(report["hover"].split())
    assert "def parameters(recurse: bool = True)" in report["hover"]

    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(cell["source"]) for cell in cells]
    assert "optimizer = optim.SGD(model.parameters(), lr=0.1)" in sources[0]
    assert sources[3].startswith('note = "données — 😋"; model.eval()\n')
    assert sources[4] == 'print("batch", x.shape[0])'
    # The fixed cells run under torch, as the kernel runs them (magic lines left out).
    code = "\n".join(
        line
        for cell in cells
        if cell["cell_type"] == "code"
        for line in "".join(cell["source"]).splitlines()
        if not line.startswith("%")
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "batch 4"
