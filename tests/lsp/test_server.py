"""torchls over stdio with real client capability profiles: utf-16 (VS Code), utf-8 (Neovim 0.11)
and utf-32 (Emacs), on a line with emoji, accents and CJK text before the bug."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities

from torchls import __version__

from .helpers import EditorClient, apply_edits, current_diagnostics, encoding_of, units, uses_pull, wait_for_diagnostics

SOURCE = """import torch
from torch import nn, optim

model = nn.Linear(2, 2)
note = "😋 naïve 日本語"; model.eval
optimizer = optim.SGD(model.parameters, lr=0.1)
with torch.no_grad:
    print(model.training)
"""
EVAL_LINE = 4


@pytest.fixture(params=["visual-studio-code", "neovim@v0.11.0", "emacs"])
def capabilities(request: pytest.FixtureRequest) -> types.ClientCapabilities:
    """The editor's own capabilities, as recorded by pytest-lsp (Neovim 0.11 pulls diagnostics)."""
    return client_capabilities(request.param)


async def test_diagnose_hover_fix_and_close(client: EditorClient, tmp_path) -> None:
    result = client.initialize_result
    assert result is not None
    encoding = encoding_of(result)
    diagnostics = result.capabilities.diagnostic_provider  # what the server does: workspace reports, and
    assert isinstance(diagnostics, types.DiagnosticOptions)  # findings that rest on imported files
    assert diagnostics.workspace_diagnostics and diagnostics.inter_file_dependencies
    assert result.server_info is not None and (result.server_info.name, result.server_info.version) == (
        "torchls",
        __version__,
    )

    path = tmp_path / "train.py"
    path.write_text(SOURCE, encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=SOURCE))
    )
    diagnostics = await current_diagnostics(client, uri, 1)
    assert sorted((d.range.start.line, d.code) for d in diagnostics) == [(4, "TL001"), (5, "TL001"), (6, "TL001")]
    assert all(d.source == "torchls" and d.code_description is not None for d in diagnostics)

    # The range of `eval` is exact in the negotiated encoding, after emoji and CJK text.
    eval_diagnostic = next(d for d in diagnostics if d.range.start.line == EVAL_LINE)
    line = SOURCE.splitlines()[EVAL_LINE]
    start = units(line[: line.index("eval")], encoding)
    assert (eval_diagnostic.range.start.character, eval_diagnostic.range.end.character) == (start, start + 4)
    assert eval_diagnostic.severity == types.DiagnosticSeverity.Warning
    assert "not put in evaluation mode" in eval_diagnostic.message

    # Hover explains what the member really is, and the finding.
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(EVAL_LINE, start + 1))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "is a method of `torch.nn.Module`" in hover.contents.value
    assert "Set the module in evaluation mode." in hover.contents.value
    assert "TL001 missing-call" in hover.contents.value

    # Quick fix on the optimizer line: the preferred action adds the call.
    sgd = next(d for d in diagnostics if d.range.start.line == 5)
    assert sgd.severity == types.DiagnosticSeverity.Error
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(types.TextDocumentIdentifier(uri), sgd.range, types.CodeActionContext(diagnostics=[sgd]))
    )
    assert actions is not None
    titles = [a.title for a in actions if isinstance(a, types.CodeAction)]
    assert titles == ["Call `model.parameters()`", "Ignore TL001 on this line", "torchls: fix all safe fixes"]
    preferred = next(a for a in actions if isinstance(a, types.CodeAction) and a.is_preferred)
    assert preferred.edit is not None and preferred.edit.changes is not None
    fixed = apply_edits(SOURCE, preferred.edit.changes[uri], encoding)
    assert "optim.SGD(model.parameters(), lr=0.1)" in fixed

    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [types.TextDocumentContentChangeWholeDocument(text=fixed)],
        )
    )
    diagnostics = await current_diagnostics(client, uri, 2)
    assert sorted(d.range.start.line for d in diagnostics) == [4, 6]

    # source.fixAll fixes the rest.
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri),
            types.Range(types.Position(0, 0), types.Position(0, 0)),
            types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll]),
        )
    )
    assert actions is not None and len(actions) == 1
    fix_all = actions[0]
    assert isinstance(fix_all, types.CodeAction) and fix_all.kind == "source.fixAll.torchls"
    assert fix_all.edit is not None and fix_all.edit.changes is not None
    clean = apply_edits(fixed, fix_all.edit.changes[uri], encoding)
    assert 'note = "😋 naïve 日本語"; model.eval()' in clean
    assert "with torch.no_grad():" in clean

    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=3),
            [types.TextDocumentContentChangeWholeDocument(text=clean)],
        )
    )
    assert list(await current_diagnostics(client, uri, 3)) == []

    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    if not uses_pull(client):  # pushed diagnostics are cleared on close
        assert list(await wait_for_diagnostics(client, uri, None)) == []
