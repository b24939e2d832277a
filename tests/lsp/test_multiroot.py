"""Multi-root workspaces: each folder gets its own environment (its .venv) and its own ``[tool.torchls]``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from .helpers import wait_for_diagnostics

SOURCE = "import torch\n\nmodel = torch.nn.Linear(2, 2)\nmodel.eval\n"


@pytest.fixture
def workspace_folders(tmp_path: Path) -> list[Path]:
    """Two folders, "plain" the root."""
    for name in ("plain", "isolated"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "train.py").write_text(SOURCE)
    (tmp_path / "plain" / "pyproject.toml").write_text('[tool.torchls]\nseverity = { TL001 = "hint" }\n')
    # A project virtualenv without torch: types are inferred from the imports there.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "isolated" / ".venv")], check=True)
    return [tmp_path / "plain", tmp_path / "isolated"]


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
