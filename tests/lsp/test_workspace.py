"""``workspace/diagnostic``: every file of the workspace, with progress, and cancellable."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from .helpers import TIMEOUT_S, wait_until

# Progress on a token the client put in its request is allowed by the spec; pytest-lsp only knows
# tokens the server created with window/workDoneProgress/create.
pytestmark = pytest.mark.filterwarnings("ignore:Unknown progress token")

EXAMPLE = Path(__file__).parents[2] / "examples" / "train.py"


@pytest.fixture
def workspace_folders(tmp_path: Path) -> list[Path]:
    for name in ("a", "b", "c", "d", "e", "f"):
        shutil.copy(EXAMPLE, tmp_path / f"{name}.py")
    (tmp_path / "clean.py").write_text("import torch\nprint(torch.ones(1).item())\n")
    (tmp_path / "legacy").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "legacy" / "old.py")
    (tmp_path / "pyproject.toml").write_text('[tool.torchls]\nexclude = ["legacy"]\n')
    return [tmp_path]


@pytest.fixture
def diagnostics() -> str:
    return "pull"


async def test_workspace_diagnostics_with_progress(client: LanguageClient, tmp_path: Path) -> None:
    report = await asyncio.wait_for(
        client.workspace_diagnostic_async(
            types.WorkspaceDiagnosticParams(previous_result_ids=[], work_done_token="w1")
        ),
        TIMEOUT_S,
    )
    counts = {Path(item.uri).name: len(item.items) for item in report.items if hasattr(item, "items")}
    assert counts == {"a.py": 10, "b.py": 10, "c.py": 10, "d.py": 10, "e.py": 10, "f.py": 10, "clean.py": 0}
    kinds = [getattr(p, "kind", None) for p in client.progress_reports["w1"]]
    assert kinds[0] == "begin" and kinds[-1] == "end" and kinds.count("report") == 7

    # Asked again with the result ids it has, the server waits for an edit (VS Code asks again at once:
    # answering at once would analyse the workspace over and over), then sends only what changed.
    # Its pass over the files has a progress token, so the test sees when that pass has ended.
    previous = [types.PreviousResultId(uri=item.uri, value=item.result_id) for item in report.items]
    again = asyncio.ensure_future(
        client.workspace_diagnostic_async(
            types.WorkspaceDiagnosticParams(previous_result_ids=previous, work_done_token="w1-again")
        )
    )

    def pass_ended() -> bool:
        return any(getattr(p, "kind", None) == "end" for p in client.progress_reports.get("w1-again", []))

    await wait_until(pass_ended, "the second pass over the workspace ended")
    # An answer sent at the end of the pass would come before the answer to a request sent after it.
    never_opened = types.TextDocumentIdentifier((tmp_path / "never.py").as_uri())
    await asyncio.wait_for(
        client.text_document_hover_async(types.HoverParams(never_opened, types.Position(0, 0))), TIMEOUT_S
    )
    assert not again.done()
    clean = (tmp_path / "clean.py").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(clean, "python", 1, "import torch\ntorch.nn.Linear(1, 1).eval\n")
        )
    )
    changed = await asyncio.wait_for(again, TIMEOUT_S)
    full = {Path(item.uri).name: len(item.items) for item in changed.items if hasattr(item, "items")}
    assert full == {"clean.py": 1} and len(changed.items) == 7

    # One result-id scheme: the document's own pull names the same result as its workspace report.
    pulled = await asyncio.wait_for(
        client.text_document_diagnostic_async(types.DocumentDiagnosticParams(types.TextDocumentIdentifier(clean))),
        TIMEOUT_S,
    )
    (workspace_item,) = [item for item in changed.items if item.uri == clean]
    assert pulled.result_id == workspace_item.result_id


async def test_workspace_diagnostics_cancel(client: LanguageClient, tmp_path: Path) -> None:
    request = asyncio.ensure_future(
        client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[], work_done_token="w2"))
    )

    async def first_report() -> None:
        while not any(getattr(p, "kind", None) == "report" for p in client.progress_reports.get("w2", [])):
            await asyncio.sleep(0.01)

    await asyncio.wait_for(first_report(), TIMEOUT_S)
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token="w2"))
    report = await asyncio.wait_for(request, TIMEOUT_S)
    assert 1 <= len(report.items) < 7
    assert getattr(client.progress_reports["w2"][-1], "kind", None) == "end"
