"""Loading torch into jedi before the first file needs it: on initialize, with progress and a status."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from lsprotocol import types

from torchls.analysis.environment import torch_location, torch_version

log = logging.getLogger(__name__)
STATUS_NOTIFICATION = "torchls/status"
WARMUP_SOURCE = "import torch\nm = torch.nn.Linear(1, 1)\nm.eval\nt = torch.zeros(1)\nt.item\n"

if TYPE_CHECKING:
    from torchls.lsp.server import TorchlsServer


def preload(ls: TorchlsServer) -> None:
    """On the jedi thread: the analyzer for the first folder, with torch loaded.

    Not when a file is open already: its own analysis, next in line, loads torch. The warm-up reports
    a problem with the environment.
    """
    try:
        if ls.needs_new_analyzer(ls.folder_of(None)):
            analyzer, ls.preload_problem = ls.current_analyzer()
            if not ls.workspace.text_documents:
                analyzer.analyze(WARMUP_SOURCE)
    except Exception:
        log.exception("torchls: loading the Python environment failed")  # reported by the warm-up


async def warm_up(ls: TorchlsServer) -> None:
    """Load torch into jedi before the first file needs it, with progress so the editor shows why."""
    ls.protocol.notify(STATUS_NOTIFICATION, {"state": "indexing"})
    capabilities = ls.client_capabilities.window
    token = str(uuid.uuid4())
    indexing = ls.needs_new_analyzer(ls.folder_of(None))
    progress = indexing and bool(capabilities and capabilities.work_done_progress)
    try:
        if progress:
            await ls.work_done_progress.create_async(token)
            ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title="torchls", message="indexing torch"))
    except Exception:
        progress = False

    def warm() -> dict[str, str | None]:
        # When a document was analysed first, jedi is warm already and this only reads the details.
        fresh = ls.needs_new_analyzer(ls.folder_of(None))
        analyzer, problem = ls.current_analyzer()
        problem, ls.preload_problem = problem or ls.preload_problem, None
        if fresh:
            analyzer.analyze(WARMUP_SOURCE)
        location = torch_location(analyzer.environment)
        return {
            "python": analyzer.environment.executable,
            "torch": torch_version(location) if location else None,
            "problem": problem,
        }

    status: dict[str, str | None] = {"python": None, "torch": None, "problem": None}
    try:
        status = await ls.on_jedi_thread(warm)
        if status["problem"]:
            ls.report_once(status["problem"])
    except Exception as error:
        log.exception("torchls: warm-up failed")
        status["problem"] = f"torchls: loading the Python environment failed: {error}"
    finally:
        if progress:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message="ready"))
            ls.work_done_progress.tokens.pop(token, None)  # pygls keeps ended tokens forever
        ls.protocol.notify(STATUS_NOTIFICATION, {"state": "ready", **status})
