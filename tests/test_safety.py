"""torchls never executes the user's code: analysing a workspace whose modules would leave a marker
file when imported (or run) must not create it, from the CLI or from the server."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from torchls.analysis.engine import Analyzer
from torchls.analysis.environment import find_environment

from .helpers import EXAMPLE, torchls
from .lsp.helpers import SERVER_COMMAND, TIMEOUT_S, wait_for_diagnostics


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


def test_cli_never_runs_workspace_code(tmp_path: Path) -> None:
    marker = booby_trapped_workspace(tmp_path)
    result = torchls("check", "--format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1 and '"code": "TL001"' in result.stdout  # it did analyse the code
    assert not marker.exists()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient, tmp_path):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("visual-studio-code"), root_uri=tmp_path.as_uri())
    )
    yield
    await lsp_client.shutdown_session()


async def test_server_never_runs_workspace_code(client: LanguageClient, tmp_path: Path) -> None:
    marker = booby_trapped_workspace(tmp_path)
    uri = (tmp_path / "main.py").as_uri()
    text = (tmp_path / "main.py").read_text()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text)))
    diagnostics = await wait_for_diagnostics(client, uri, 1)
    assert [d.code for d in diagnostics] == ["TL001"]
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), diagnostics[0].range.start)
    )
    assert hover is not None
    # The workspace's diagnostics are answered once the server has analysed every file in it.
    report = await asyncio.wait_for(
        client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[])), TIMEOUT_S
    )
    analysed = {Path(item.uri).name for item in report.items}
    assert {"helpers.py", "conftest.py", "sitecustomize.py", "setup.py", "main.py"} <= analysed
    assert not marker.exists()


def test_jedi_helper_never_imports_torch(tmp_path: Path) -> None:
    """torch's compiled modules are read from its stubs: no torch library is loaded into jedi's
    helper process (where importing ``torch._C`` would run torch's ``__init__``)."""
    environment = find_environment(sys.executable)
    analyzer = Analyzer(environment, project_root=tmp_path)
    source = EXAMPLE.read_text(encoding="utf-8")
    assert len(analyzer.analyze(source, tmp_path / "train.py")) == 10
    pid = environment._subprocess._get_process().pid  # type: ignore[attr-defined]
    maps = Path(f"/proc/{pid}/maps").read_text()
    assert "libc" in maps  # the check can see libraries at all
    assert "libtorch" not in maps and "/torch/" not in maps
