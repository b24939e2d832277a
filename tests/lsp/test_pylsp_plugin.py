"""torchls as a plugin of the real python-lsp-server (pylsp), over stdio with pytest-lsp.

pylsp finds the plugin through its entry point; its diagnostics come with pylsp's own, and the
quick fix comes from pylsp's code actions. Positions are UTF-16 (pylsp negotiates nothing), on a
line with non-ASCII text before the member.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from .helpers import apply_edits, wait_for_diagnostics

pytest.importorskip("pylsp")

SOURCE = """import torch
from torch import nn, optim

model = nn.Linear(2, 2)
note = "😋 naïve 日本語"; model.eval
optimizer = optim.SGD(model.parameters(), lr=0.1)
print(torch.zeros(2).shape(0))
"""


@pytest.fixture
def server_command() -> list[str]:
    return [sys.executable, "-m", "pylsp"]  # the shared client reads pylsp's lenient notebook capability


async def torchls_diagnostics(client: LanguageClient, uri: str) -> Sequence[types.Diagnostic]:
    while True:  # pylsp publishes on open and again after its debounce; wait for torchls's
        diagnostics = await wait_for_diagnostics(client, uri, 1)
        ours = [d for d in diagnostics if d.source == "torchls"]
        if ours:
            return ours


async def test_pylsp_reports_torchls_findings_and_applies_the_fix(client: LanguageClient, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "train.py"
    path.write_text(SOURCE, encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=SOURCE))
    )
    diagnostics = await torchls_diagnostics(client, uri)
    line = SOURCE.splitlines()[4]
    column = len(line[: line.index("eval")].encode("utf-16-le")) // 2
    assert [(d.code, d.range.start.line, d.range.start.character, d.range.end.character) for d in diagnostics] == [
        ("TL001", 4, column, column + 4),
        ("TL002", 6, 21, 26),
    ]
    assert diagnostics[0].message.startswith("`model.eval` does nothing")

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=diagnostics[0].range,
            context=types.CodeActionContext(diagnostics=[diagnostics[0]]),
        )
    )
    ours = [a for a in actions or [] if isinstance(a, types.CodeAction) and a.title == "Call `model.eval()`"]
    assert len(ours) == 1 and ours[0].is_preferred and ours[0].edit and ours[0].edit.changes
    fixed = apply_edits(SOURCE, ours[0].edit.changes[uri], "utf-16")
    assert fixed.splitlines()[4] == 'note = "😋 naïve 日本語"; model.eval()'
