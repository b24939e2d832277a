"""Faults inside: jedi's environment process killed or frozen under a running server. The server
notices, restarts it, re-analyses, and the user sees at most a log line."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from ..training_module import training_module
from .helpers import child_processes, server_pid, torchls_env, wait_for_diagnostics, wait_until, worker_threads_cpu

SOURCE = "import torch\nmodel = torch.nn.Linear(2, 2)\nmodel.eval\nx = torch.ones(2)\nx.shape(0)\n"
ANALYSING_TICKS = 20  # 0.2 s of CPU on the jedi thread: an analysis is under way


def jedi_processes(client: LanguageClient) -> list[int]:
    return child_processes(server_pid(client))


async def open_and_edit(client: LanguageClient, tmp_path: Path) -> tuple[str, list[int]]:
    uri = (tmp_path / "faults.py").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, SOURCE)))
    assert len(await wait_for_diagnostics(client, uri, 1)) == 2
    processes = jedi_processes(client)
    assert processes, "jedi's environment process runs beside the server"
    return uri, processes


def edit(client: LanguageClient, uri: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [types.TextDocumentContentChangeWholeDocument(text=SOURCE + "y = torch.zeros(2)\ny.backward\n")],
        )
    )


@pytest.mark.parametrize("server_env", [torchls_env(TORCHLS_HANG_TIMEOUT="3")], ids=["hang-3s"])
@pytest.mark.parametrize("fault", [signal.SIGKILL, signal.SIGSTOP], ids=["killed", "frozen"])
async def test_environment_process_fault(client: LanguageClient, tmp_path: Path, fault: signal.Signals) -> None:
    uri, processes = await open_and_edit(client, tmp_path)
    for pid in processes:
        os.kill(pid, fault)
    try:
        edit(client, uri)
        diagnostics = await wait_for_diagnostics(client, uri, 2)
        assert sorted(d.range.start.line for d in diagnostics) == [2, 4, 6]  # complete, as before the fault
        assert any("restarted" in m.message for m in client.log_messages)
        assert not client.messages  # no popup for the user
        assert set(jedi_processes(client)) - set(processes), "a new environment process took over"
    finally:
        for pid in processes:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.mark.parametrize("server_env", [torchls_env(TORCHLS_TIME_BUDGET="8")], ids=["budget-8s"])
async def test_the_editor_never_waits_behind_a_long_analysis(client: LanguageClient, tmp_path: Path) -> None:
    small = (tmp_path / "small.py").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(small, "python", 1, SOURCE)))
    await wait_for_diagnostics(client, small, 1)
    huge = (tmp_path / "huge.py").as_uri()
    text = training_module(50_000, bug_every=1)
    idle = worker_threads_cpu(server_pid(client))
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(huge, "python", 1, text)))
    await wait_until(
        lambda: worker_threads_cpu(server_pid(client)) - idle >= ANALYSING_TICKS, "the analysis of huge.py started"
    )
    start = time.monotonic()
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(huge),
            types.Range(types.Position(0, 0), types.Position(0, 0)),
            types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll]),
        )
    )
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(small), types.Position(2, 7))
    )
    assert time.monotonic() - start < 9, "code actions and hover answered while the analysis ran"
    assert huge not in client.diagnostics, "answered before the analysis of huge.py ended"
    assert actions is None and hover is not None
    diagnostics = await wait_for_diagnostics(client, huge, 1)  # partial results, within the budget
    assert 0 < len(diagnostics) < 4 * (len(text.splitlines()) // 54)
