"""A saved file's dependents are diagnosed again: the model class lives in models.py, the bug in train.py."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from .helpers import TIMEOUT_S, wait_for_diagnostics

PLAIN = "class Net:\n    def state_dict(self):\n        return {}\n"
MODULE = "from torch import nn\n\n\nclass Net(nn.Module):\n    pass\n"
TRAIN = "import torch\n\nfrom models import Net\n\nnet = Net()\ntorch.save(net.state_dict, 'net.pt')\n"


@pytest.fixture
def workspace_folders(tmp_path: Path) -> list[Path]:
    (tmp_path / "models.py").write_text(PLAIN)
    (tmp_path / "train.py").write_text(TRAIN)
    return [tmp_path]


async def test_saving_an_imported_file_diagnoses_its_dependents_again(client: LanguageClient, tmp_path: Path) -> None:
    train = tmp_path / "train.py"
    uri = train.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, TRAIN)))
    assert list(await wait_for_diagnostics(client, uri, 1)) == []  # a plain class: its state_dict is its own

    (tmp_path / "models.py").write_text(MODULE)  # now an nn.Module: state_dict is torch's method
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier((tmp_path / "models.py").as_uri()))
    )

    async def republished() -> list[types.Diagnostic]:
        while True:
            params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri and params.diagnostics:
                return list(params.diagnostics)

    diagnostics = await asyncio.wait_for(republished(), TIMEOUT_S)
    assert [(d.range.start.line, d.code) for d in diagnostics] == [(5, "TL001")]
