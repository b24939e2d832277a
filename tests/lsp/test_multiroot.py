"""Multi-root workspaces: each folder gets its own environment (its .venv) and its own ``[tool.torchls]``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from .helpers import SERVER_COMMAND, wait_for_diagnostics

SOURCE = "import torch\n\nmodel = torch.nn.Linear(2, 2)\nmodel.eval\n"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient, tmp_path: Path):  # type: ignore[no-untyped-def]
    for name in ("plain", "isolated"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "train.py").write_text(SOURCE)
    (tmp_path / "plain" / "pyproject.toml").write_text('[tool.torchls]\nseverity = { TL001 = "hint" }\n')
    # A project virtualenv without torch: types are inferred from the imports there.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "isolated" / ".venv")], check=True)
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=(tmp_path / "plain").as_uri(),
            workspace_folders=[
                types.WorkspaceFolder(uri=(tmp_path / name).as_uri(), name=name) for name in ("plain", "isolated")
            ],
        )
    )
    yield
    await lsp_client.shutdown_session()


def open_file(client: LanguageClient, path: Path) -> str:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(path.as_uri(), "python", 1, path.read_text()))
    )
    return path.as_uri()


async def test_each_folder_has_its_own_environment_and_settings(client: LanguageClient, tmp_path: Path) -> None:
    plain = await wait_for_diagnostics(client, open_file(client, tmp_path / "plain" / "train.py"), 1)
    assert [(d.range.start.line, d.severity) for d in plain] == [(3, types.DiagnosticSeverity.Hint)]

    isolated_uri = open_file(client, tmp_path / "isolated" / "train.py")
    isolated = await wait_for_diagnostics(client, isolated_uri, 1)
    assert [(d.range.start.line, d.severity) for d in isolated] == [(3, types.DiagnosticSeverity.Warning)]
    venv_python = tmp_path / "isolated" / ".venv" / "bin" / "python"
    note = f"torch not found in {venv_python}: types inferred from imports"
    assert any(note in m.message for m in client.messages)
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(isolated_uri), types.Position(3, 7))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "is a method of `torch.nn.Module`" in hover.contents.value and note in hover.contents.value
