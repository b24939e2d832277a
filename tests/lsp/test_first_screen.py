"""A long file's first analysis shows the findings of its first screenful first, then all of them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities

from torchls.lsp.server import FIRST_SCREEN_LINES

from .helpers import TIMEOUT_S, EditorClient, wait_until, with_pull_diagnostics

SOURCE = (
    "import torch\nfrom torch import nn\n\nmodel = nn.Linear(2, 2)\nmodel.eval\n"
    + "".join(f"step_{n} = {n}\n" for n in range(FIRST_SCREEN_LINES))
    + "torch.save(model.state_dict, 'model.pt')\n"
)
FIRST_BUG, LAST_BUG = 4, SOURCE.count("\n") - 1  # 0-based lines


@pytest.fixture
def refresh() -> bool:
    return True


@pytest.fixture
def capabilities(diagnostics: str, refresh: bool) -> types.ClientCapabilities:
    """VS Code's, with pull diagnostics or not; as its client does, it pulls again when asked to (refresh)."""
    capabilities = with_pull_diagnostics(client_capabilities("visual-studio-code"), pull=diagnostics == "pull")
    assert capabilities.workspace is not None
    capabilities.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=refresh)
    return capabilities


def open_document(client: EditorClient, path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=path.as_uri(), language_id="python", version=1, text=text)
        )
    )


async def pull(client: EditorClient, path: Path, previous_result_id: str | None = None) -> tuple[list[int], str | None]:
    """The lines of the document's pulled diagnostics, and the report's result id."""
    report = await asyncio.wait_for(
        client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(
                types.TextDocumentIdentifier(path.as_uri()), previous_result_id=previous_result_id
            )
        ),
        TIMEOUT_S,
    )
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    return sorted(d.range.start.line for d in report.items), report.result_id


async def publishes(client: EditorClient, uri: str, count: int, version: int = 1) -> list[list[int]]:
    """The lines of the diagnostics in each of the next ``count`` publishes for ``uri``, all of ``version``."""
    found: list[list[int]] = []
    while len(found) < count:
        params = await asyncio.wait_for(
            client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), TIMEOUT_S
        )
        if params.uri == uri:
            assert params.version == version
            found.append(sorted(d.range.start.line for d in params.diagnostics))
    return found


async def test_first_publish_is_the_first_screenful_and_the_next_is_complete(
    client: EditorClient, tmp_path: Path
) -> None:
    path = tmp_path / "train.py"
    open_document(client, path, SOURCE)
    assert await publishes(client, path.as_uri(), 2) == [[FIRST_BUG], [FIRST_BUG, LAST_BUG]]


async def test_a_short_file_is_published_once(client: EditorClient, tmp_path: Path) -> None:
    path = tmp_path / "short.py"
    open_document(client, path, "import torch\nmodel = torch.nn.Linear(2, 2)\nmodel.eval\n")
    assert await publishes(client, path.as_uri(), 1) == [[2]]
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=2),
            [types.TextDocumentContentChangeWholeDocument(text=SOURCE)],
        )
    )
    # An edit of a document already analysed: one publish, complete, even when it makes the file long.
    assert await publishes(client, path.as_uri(), 1, version=2) == [[FIRST_BUG, LAST_BUG]]


@pytest.mark.parametrize("diagnostics", ["pull"])
async def test_a_pulled_first_screenful_is_followed_by_a_refresh_and_the_complete_report(
    client: EditorClient, tmp_path: Path
) -> None:
    path = tmp_path / "train.py"
    open_document(client, path, SOURCE)
    lines, first_id = await pull(client, path)
    assert lines == [FIRST_BUG]
    await wait_until(lambda: client.diagnostic_refresh_count == 1, "a workspace/diagnostic/refresh")
    lines, complete_id = await pull(client, path, first_id)
    assert lines == [FIRST_BUG, LAST_BUG] and complete_id not in (first_id, None)
    assert await pull(client, path) == ([FIRST_BUG, LAST_BUG], complete_id)
    assert client.diagnostic_refresh_count == 1


@pytest.mark.parametrize(("diagnostics", "refresh"), [("pull", False)])
async def test_a_client_that_cannot_be_asked_to_pull_again_gets_the_complete_report_at_once(
    client: EditorClient, tmp_path: Path
) -> None:
    path = tmp_path / "train.py"
    open_document(client, path, SOURCE)
    assert (await pull(client, path))[0] == [FIRST_BUG, LAST_BUG]
