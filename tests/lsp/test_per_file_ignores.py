"""The server applies ``per-file-ignores`` exactly as ``torchls check`` does (one settings provider)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from .helpers import current_diagnostics

BUG = "import torch\nmodel = torch.nn.Linear(1, 1)\nmodel.eval\n"
PYPROJECT = '[tool.torchls]\nper-file-ignores = { "tests/*" = ["TL001"] }\n'


@pytest.fixture
def workspace_folders(tmp_path: Path) -> list[Path]:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    return [tmp_path]


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
