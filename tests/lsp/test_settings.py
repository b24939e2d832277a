"""Editor settings, hover on correct code, the ignore action and unsafe fixes, over stdio."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest
import torch
from lsprotocol import types
from pytest_lsp import LanguageClient

from .helpers import TIMEOUT_S, EditorClient, apply_edits, wait_for_diagnostics

SOURCE = """import torch

model = torch.nn.Linear(2, 2)
params = list(model.parameters())
model.eval
if model.parameters:
    print(params)
x = torch.ones(2)
print(x.shape)
"""


@pytest.fixture
def initialization_options() -> Any:
    return {"torchls": {"python": "/nonexistent/bin/python", "debounceMs": 50}}


def open_document(client: LanguageClient, tmp_path, text: str = SOURCE) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "settings.py"
    path.write_text(text)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(path.as_uri(), "python", 1, text))
    )
    return path.as_uri()


async def test_bad_interpreter_falls_back_with_one_message(client: LanguageClient, tmp_path) -> None:
    uri = open_document(client, tmp_path)
    diagnostics = await wait_for_diagnostics(client, uri, 1)
    assert [d.range.start.line for d in diagnostics] == [4, 5]  # the fallback environment still works
    shown = [m.message for m in client.messages if "Python interpreter not found" in m.message]
    assert len(shown) == 1 and "/nonexistent/bin/python" in shown[0]

    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"torchls": {"ignore": ["TL001"]}})
    )
    assert list(await wait_for_diagnostics(client, uri, 1)) == []
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"torchls": {"severity": {"TL001": "hint"}}})
    )
    diagnostics = await wait_for_diagnostics(client, uri, 1)
    assert {d.severity for d in diagnostics} == {types.DiagnosticSeverity.Hint}


async def test_hover_on_correct_code_explains_the_member(client: LanguageClient, tmp_path) -> None:
    uri = open_document(client, tmp_path)
    await wait_for_diagnostics(client, uri, 1)
    line = SOURCE.splitlines()[3]
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(3, line.index("parameters") + 2))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    text = hover.contents.value
    assert (
        "**`model.parameters`** is a method of `torch.nn.Module` (receiver: `torch.nn.modules.linear.Linear`)" in text
    )
    assert "a generator over all parameters of the module and its submodules, recursively" in text
    assert "`_parameters`: a `dict` of the module's own parameters only" in text
    assert "TL001" not in text  # correct code: no finding in the hover

    line = SOURCE.splitlines()[8]
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(8, line.index("shape")))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "is data of `torch.Tensor`, not a method: a `torch.Size`" in hover.contents.value


async def test_ignore_action_and_unsafe_fix(client: LanguageClient, tmp_path) -> None:
    uri = open_document(client, tmp_path)
    diagnostics = await wait_for_diagnostics(client, uri, 1)
    truth = next(d for d in diagnostics if d.range.start.line == 5)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri),
            truth.range,
            types.CodeActionContext(diagnostics=[truth], only=[types.CodeActionKind.QuickFix]),
        )
    )
    assert actions is not None
    by_title = {a.title: a for a in actions if isinstance(a, types.CodeAction)}
    assert set(by_title) == {"Use `any(True for _ in model.parameters())` (unsafe)", "Ignore TL001 on this line"}
    assert not by_title["Use `any(True for _ in model.parameters())` (unsafe)"].is_preferred
    ignore = by_title["Ignore TL001 on this line"].edit
    assert ignore is not None and ignore.changes is not None
    ignored = apply_edits(SOURCE, ignore.changes[uri], "utf-16")
    assert "if model.parameters:  # torchls: ignore[TL001]\n" in ignored
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [types.TextDocumentContentChangeWholeDocument(text=ignored)],
        )
    )
    assert [d.range.start.line for d in await wait_for_diagnostics(client, uri, 2)] == [4]


async def wait_for_status(client: EditorClient, count: int) -> Any:
    """The ``count``-th ``torchls/status`` notification (the editor's status display)."""

    async def wait() -> Any:
        while len(client.statuses) < count:
            await asyncio.sleep(0.05)
        return client.statuses[count - 1]

    return await asyncio.wait_for(wait(), TIMEOUT_S)


async def test_status_says_which_interpreter_and_torch(client: EditorClient, tmp_path) -> None:
    assert (await wait_for_status(client, 1)).state == "indexing"
    ready = await wait_for_status(client, 2)
    assert ready.state == "ready" and "/nonexistent/bin/python" in ready.problem
    assert ready.python != "/nonexistent/bin/python"  # the fallback that is analysed instead

    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"torchls": {"python": sys.executable}})
    )
    assert (await wait_for_status(client, 3)).state == "indexing"
    ready = await wait_for_status(client, 4)
    assert (ready.state, ready.python, ready.torch, ready.problem) == ("ready", sys.executable, torch.__version__, None)
