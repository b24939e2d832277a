"""Per-folder interpreters (the ``folders`` option, sent by VS Code): each folder's files are analysed
with its own folder's interpreter, and changing one folder's interpreter replaces only its analyzer."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from ..helpers import make_venv
from .helpers import TIMEOUT_S, wait_for_diagnostics

SOURCE = "import torch\n\nmodel = torch.nn.Linear(2, 2)\nmodel.eval\n"


def folder_options(tmp_path: Path, second_python: Path) -> dict[str, Any]:
    return {
        "torchls": {
            "folders": [
                {"uri": (tmp_path / "first").as_uri(), "python": str(tmp_path / "envs" / "torch" / "bin" / "python")},
                # The second folder's own rule settings too (VS Code's torchls.severity of that folder).
                {"uri": (tmp_path / "second").as_uri(), "python": str(second_python), "severity": {"TL001": "hint"}},
            ]
        }
    }


@pytest.fixture
def workspace_folders(tmp_path: Path) -> list[Path]:
    # The environments are outside the folders, so only the option can choose them (no .venv to find).
    make_venv(tmp_path / "envs" / "torch", with_torch=True)
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "train.py").write_text(SOURCE)
    return [tmp_path / "first", tmp_path / "second"]


@pytest.fixture
def initialization_options(tmp_path: Path, workspace_folders: list[Path]) -> dict[str, Any]:
    return folder_options(tmp_path, make_venv(tmp_path / "envs" / "plain", with_torch=False))


def open_file(client: LanguageClient, path: Path) -> str:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(path.as_uri(), "python", 1, path.read_text()))
    )
    return path.as_uri()


def helper_interpreters(client: LanguageClient) -> dict[int, str]:
    """The server's child processes (jedi's environment helpers) and the interpreter each one runs."""
    server = client._server  # the server process pytest-lsp started
    assert server is not None
    pids = [
        int(pid)
        for children in Path(f"/proc/{server.pid}/task").glob("*/children")
        for pid in children.read_text().split()
    ]
    running = {}
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            continue  # it just ended
        if "zombie" not in status:
            running[pid] = argv[0].decode()
    return running


async def wait_for_helpers(client: LanguageClient, wanted: set[str]) -> dict[int, str]:
    deadline = time.monotonic() + TIMEOUT_S
    while set((helpers := helper_interpreters(client)).values()) != wanted and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    return helpers


async def hover_text(client: LanguageClient, uri: str) -> str:
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(3, 7))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    return hover.contents.value


async def test_each_folder_is_analysed_with_its_own_interpreter(client: LanguageClient, tmp_path: Path) -> None:
    with_torch = str(tmp_path / "envs" / "torch" / "bin" / "python")
    plain = str(tmp_path / "envs" / "plain" / "bin" / "python")
    first_uri = open_file(client, tmp_path / "first" / "train.py")
    first = await wait_for_diagnostics(client, first_uri, 1)
    assert [(d.range.start.line, d.severity) for d in first] == [(3, types.DiagnosticSeverity.Warning)]
    second_uri = open_file(client, tmp_path / "second" / "train.py")
    second = await wait_for_diagnostics(client, second_uri, 1)
    assert [(d.range.start.line, d.severity) for d in second] == [(3, types.DiagnosticSeverity.Hint)]

    # Each folder's analyzer runs jedi in that folder's interpreter; only the plain one lacks torch.
    helpers = await wait_for_helpers(client, {with_torch, plain})
    assert sorted(helpers.values()) == sorted([with_torch, plain])
    note = "torch not found in {}: types inferred from imports"
    assert any(note.format(plain) in m.message for m in client.messages)
    assert not any(note.format(with_torch) in m.message for m in client.messages)
    assert note.format(plain) in await hover_text(client, second_uri)
    assert "torch not found" not in await hover_text(client, first_uri)

    # The second folder gets torch's interpreter: only its analyzer (and jedi helper) is replaced.
    first_helper = next(pid for pid, python in helpers.items() if python == with_torch)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings=folder_options(tmp_path, Path(with_torch)))
    )
    assert [d.range.start.line for d in await wait_for_diagnostics(client, second_uri, 1)] == [3]  # re-analysed
    deadline = time.monotonic() + TIMEOUT_S
    while "torch not found" in await hover_text(client, second_uri) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert "torch not found" not in await hover_text(client, second_uri)
    after = await wait_for_helpers(client, {with_torch})
    assert first_helper in after and len(after) == 2, after
