"""The server applies ``per-file-ignores`` exactly as ``torchls check`` does (one settings provider)."""

from __future__ import annotations

from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from .helpers import SERVER_COMMAND, current_diagnostics

BUG = "import torch\nmodel = torch.nn.Linear(1, 1)\nmodel.eval\n"
PYPROJECT = '[tool.torchls]\nper-file-ignores = { "tests/*" = ["TL001"] }\n'


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient, tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("visual-studio-code"), root_uri=tmp_path.as_uri())
    )
    yield
    await lsp_client.shutdown_session()


async def test_per_file_ignores_silence_the_editor_too(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    ignored, checked = tmp_path / "tests" / "test_model.py", tmp_path / "train.py"
    codes = {}
    for path in (ignored, checked):  # one at a time: a push for the other file is not missed
        path.write_text(BUG)
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(path.as_uri(), "python", 1, BUG))
        )
        codes[path] = [d.code for d in await current_diagnostics(client, path.as_uri(), 1)]
    assert codes == {ignored: [], checked: ["TL001"]}
