"""The torchls language server (pygls 2.1): diagnostics (push and pull), hover, code actions.

This module holds the server's state (options, analyzers, documents' results) and the table of
features. Handlers are plain functions in the module of their job (handlers.py, hover.py,
code_actions.py, diagnostic_reports.py) and thin: they get the document, ask the analysis (on the
single jedi thread, since jedi is not thread-safe), convert with ``convert.py`` and answer.
Diagnostics are debounced per document, and results for a version the editor has already moved
past are dropped.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from torchls import __version__
from torchls.analysis.catalog import load_catalog
from torchls.analysis.engine import Analyzer
from torchls.analysis.findings import Finding, Position
from torchls.analysis.notebook import JoinedCells, join_cells
from torchls.analysis.pool import AnalyzerPool
from torchls.analysis.settings import Settings, SettingsError, SettingsProvider
from torchls.lsp import handlers
from torchls.lsp.code_actions import CODE_ACTION_OPTIONS, code_action
from torchls.lsp.convert import PositionConverter
from torchls.lsp.diagnostic_reports import DIAGNOSTIC_OPTIONS, pull_diagnostics, workspace_diagnostics
from torchls.lsp.hover import hover
from torchls.lsp.options import ServerOptions, parse_options
from torchls.lsp.protocol import TorchlsProtocol
from torchls.memory import FreedMemory

log = logging.getLogger(__name__)
T = TypeVar("T")
# A document's first analysis publishes the findings of its first lines first, then all: on a cold server,
# inferring everything in a long script takes seconds, the lines the editor shows first a fraction of it.
FIRST_SCREEN_LINES = 60

#: Server → client notification of the server's state, for a status display (the VS Code extension's):
#: ``{"state": "indexing" | "ready", "python": str | None, "torch": str | None, "problem": str | None}``.


@dataclass(frozen=True)
class DocumentResult:
    """Findings for one version of one document, under one settings generation."""

    version: int | None
    generation: int
    findings: list[Finding]


class TorchlsServer(LanguageServer):
    """pygls server with torchls's state: options, the jedi thread, the last results."""

    def __init__(self) -> None:
        super().__init__(
            "torchls",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=types.NotebookDocumentSyncOptions(
                notebook_selector=[
                    types.NotebookDocumentFilterWithCells(notebook="*", cells=[types.NotebookCellLanguage("python")])
                ]
            ),
            protocol_cls=TorchlsProtocol,
        )
        self.options = ServerOptions()
        self.catalog = load_catalog()
        self.jedi_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="torchls-jedi")
        self.freed_memory = FreedMemory()
        # One analyzer per workspace folder (None: files outside every folder), for that folder's python.
        self.analyzers = AnalyzerPool(self.catalog, on_restart=self.environment_restarted)
        self.event_loop: asyncio.AbstractEventLoop | None = None
        self.results: dict[str, DocumentResult] = {}
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.settings = SettingsProvider(on_error=self.report_settings_error)
        self.folder_settings: dict[Path, SettingsProvider] = {}  # the folders with their own editor settings
        self.generation = 0  # bumped when settings change: cached results become stale
        self.pull_diagnostics = False
        self.reported: set[str] = set()  # messages already shown, so each is shown once
        self.edited = asyncio.Event()  # set on every edit, open, save or settings change
        self.preload_problem: str | None = None  # found while loading torch during initialize

    # The jedi thread ----------------------------------------------------------------------

    async def on_jedi_thread(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function`` on the one thread that uses jedi."""
        self.event_loop = asyncio.get_running_loop()  # the jedi thread's callbacks are sent from it
        return await self.event_loop.run_in_executor(self.jedi_thread, function, *args)

    def is_open(self, uri: str) -> bool:
        """Whether the editor has the document open (pygls keys documents by the unquoted URI)."""
        return unquote(uri) in self.workspace.text_documents

    def workspace_folders(self) -> list[Path]:
        """The workspace's folders (the root path for clients without workspace folders)."""
        folders = [Path(to_fs_path(f.uri) or "") for f in self.workspace.folders.values()]
        if not folders and self.workspace.root_path:
            folders = [Path(self.workspace.root_path)]
        return folders

    def folder_of(self, path: Path | None) -> Path | None:
        """The workspace folder that holds ``path`` (the innermost one); for None, the first folder."""
        folders = self.workspace_folders()
        if path is None:
            return folders[0] if folders else None
        holding = [folder for folder in folders if path.is_relative_to(folder)]
        return max(holding, key=lambda folder: len(folder.parts), default=None)

    def needs_new_analyzer(self, folder: Path | None) -> bool:
        """Whether the next analysis in ``folder`` starts a new jedi environment (slow: torch is indexed)."""
        return not self.analyzers.has(self.options.python_for(folder), folder)

    def current_analyzer(self, path: Path | None = None) -> tuple[Analyzer, str | None]:
        """The analyzer for ``path``'s folder (jedi thread); when it is new, a problem message if it fell back."""
        folder = self.folder_of(path)
        new = self.needs_new_analyzer(folder)
        pooled = self.analyzers.get(self.options.python_for(folder), folder)
        if not new:
            return pooled.analyzer, None
        problem = f"torchls: {pooled.fallback_reason}." if pooled.fallback_reason else ""
        if pooled.analyzer.torch_note:
            problem += (
                f" torchls: {pooled.analyzer.torch_note}. For full types, set torchls's `python` setting to your"
                " project's interpreter."
            )
        return pooled.analyzer, problem.strip() or None

    def environment_restarted(self, analyzer: Analyzer) -> None:
        """Jedi's helper process died or hung during an analysis, which ran again (called on the jedi thread)."""
        message = f"torchls: jedi's environment process for {analyzer.environment.executable} died and was restarted"
        params = types.LogMessageParams(type=types.MessageType.Log, message=message)
        assert self.event_loop is not None  # analyses run through on_jedi_thread
        self.event_loop.call_soon_threadsafe(self.window_log_message, params)

    # Analysis -------------------------------------------------------------------------------

    def settings_for(self, path: Path | None) -> Settings:
        """The settings that govern the file (an untitled one: the first folder's)."""
        folder = self.folder_of(path)
        settings = self.folder_settings.get(folder, self.settings) if folder is not None else self.settings
        if path is not None:
            return settings.for_file(path)
        return settings.for_folder(folder or Path.cwd())

    async def analyze(self, uri: str, last_line: int | None = None) -> DocumentResult | None:
        """Analyse the document's current version (None if it closed or changed meanwhile).

        With ``last_line``, a first screenful (Analyzer.analyze), not kept as the document's result.
        """
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        if notebook is not None:
            results = await self.analyze_notebook(notebook.uri)
            return results.get(uri) if results else None
        document = self.workspace.get_text_document(uri)
        version, source, generation = document.version, document.source, self.generation
        path = _path_of(uri)
        findings = await self.run_analysis(source, path, self.settings_for(path), last_line)
        if not self.is_open(uri) or self.workspace.get_text_document(uri).version != version:
            return None
        result = DocumentResult(version, generation, findings)
        if last_line is None:
            self.results[uri] = result
        return result

    async def run_analysis(
        self, source: str, path: Path | None, settings: Settings, last_line: int | None = None
    ) -> list[Finding]:
        """Analyse ``source`` on the jedi thread; report an environment problem or restart."""
        documents = self.open_texts()

        def run() -> tuple[list[Finding], str | None]:
            analyzer, problem = self.current_analyzer(path)
            analyzer.workspace.documents = documents  # callers' unsaved text wins over the disk
            # The environment may have been loaded during initialize: its problem is shown before the first results.
            problem, self.preload_problem = problem or self.preload_problem, None
            findings = analyzer.analyze(source, path, settings, last_line)
            self.freed_memory.release()  # a long session's RSS stays flat (memory.py)
            return findings, problem

        findings, problem = await self.on_jedi_thread(run)
        if problem:
            self.report_once(problem)
        return findings

    def notebook_cells(self, notebook: types.NotebookDocument) -> tuple[JoinedCells, dict[str, int]]:
        """The notebook's open code cells joined, and each cell document's number in the notebook."""
        numbers = {
            cell.document: number
            for number, cell in enumerate(notebook.cells, 1)
            if cell.kind == types.NotebookCellKind.Code and self.is_open(cell.document)
        }
        sources = [(n, self.workspace.get_text_document(uri).source) for uri, n in numbers.items()]
        return join_cells(sources), numbers

    async def analyze_notebook(self, notebook_uri: str) -> dict[str, DocumentResult] | None:
        """Analyse a notebook's code cells together: a result per cell (None if it changed meanwhile)."""
        notebook = self.workspace.get_notebook_document(notebook_uri=notebook_uri)
        if notebook is None:
            return None
        joined, numbers = self.notebook_cells(notebook)
        versions = {uri: self.workspace.get_text_document(uri).version for uri in numbers}
        path, generation = _path_of(notebook.uri), self.generation
        findings = await self.run_analysis(joined.text, path, self.settings_for(path))
        current = self.workspace.get_notebook_document(notebook_uri=notebook_uri)
        if current is None or self.notebook_cells(current)[1] != numbers:
            return None
        if any(self.workspace.get_text_document(uri).version != version for uri, version in versions.items()):
            return None
        per_cell = joined.findings_by_cell(findings)
        results = {uri: DocumentResult(versions[uri], generation, per_cell[n]) for uri, n in numbers.items()}
        self.results.update(results)
        return results

    def analysis_input(self, uri: str, position: Position) -> tuple[str, Path | None, Position]:
        """What jedi analyses for a position in a document: a notebook cell's position is in the joined cells."""
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        if notebook is None:
            return self.workspace.get_text_document(uri).source, _path_of(uri), position
        joined, numbers = self.notebook_cells(notebook)
        cell = joined.cell(numbers[uri])
        assert cell is not None
        return joined.text, _path_of(notebook.uri), joined.to_joined(cell, position)

    async def current_result(self, uri: str, timeout_s: float | None = None) -> DocumentResult | None:
        """The result for the document's current version, analysing it if needed.

        With ``timeout_s``, None when that takes longer: code actions never wait behind a long
        analysis of a pathological file.
        """
        document = self.workspace.get_text_document(uri)
        cached = self.results.get(uri)
        if cached is not None and cached.version == document.version and cached.generation == self.generation:
            return cached
        try:
            return await asyncio.wait_for(self.analyze(uri), timeout_s)
        except asyncio.TimeoutError:
            return None

    async def first_screen(self, uri: str) -> DocumentResult | None:
        """On a long document's first analysis, the findings of its first screenful; else None."""
        if uri in self.results or self.workspace.get_text_document(uri).source.count("\n") <= FIRST_SCREEN_LINES:
            return None
        return await self.analyze(uri, FIRST_SCREEN_LINES)

    def refresh_when_complete(self, uri: str) -> None:
        """Pulled diagnostics after a first screenful: analyse all of the document, then have the client pull."""

        async def complete() -> None:
            try:
                if await self.current_result(uri) is not None:
                    self.workspace_diagnostic_refresh(None)
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("torchls: diagnosing %s failed", uri)

        self.pending[uri] = asyncio.ensure_future(complete())  # an edit or close cancels it: the client pulls again

    def schedule(self, uri: str, delay_s: float) -> None:
        """(Re)start the debounced diagnosis of a document or notebook.

        Only in push mode for documents; notebook cells are always pushed: VS Code does not pull them.
        """
        self.edited.set()
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        if not self.pull_diagnostics or self.workspace.get_notebook_document(notebook_uri=uri) is not None:
            self.pending[uri] = asyncio.ensure_future(self._diagnose_later(uri, delay_s))

    async def _diagnose_later(self, uri: str, delay_s: float) -> None:
        try:
            await asyncio.sleep(delay_s)
            if self.workspace.get_notebook_document(notebook_uri=uri) is not None:
                for cell_uri, cell_result in (await self.analyze_notebook(uri) or {}).items():
                    self.publish(cell_uri, cell_result)
                return
            first_screen = await self.first_screen(uri)
            if first_screen is not None:
                self.publish(uri, first_screen)
            result = await self.analyze(uri)
            if result is not None:
                self.publish(uri, result)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("torchls: diagnosing %s failed", uri)

    def publish(self, uri: str, result: DocumentResult) -> None:
        """Push the diagnostics of one document version."""
        converter = PositionConverter(self.workspace.get_text_document(uri))
        diagnostics = [converter.to_diagnostic(f, result.version) for f in result.findings]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=result.version)
        )

    def refresh_all(self) -> None:
        """Settings changed: re-diagnose every open document."""
        self.edited.set()
        self.generation += 1
        for settings in (self.settings, *self.folder_settings.values()):
            settings.forget()
        for notebook in list(self.workspace.notebook_documents.values()):
            self.schedule(notebook.uri, 0)  # pushed even in pull mode
        if self.pull_diagnostics:
            if self.refresh_supported():
                self.workspace_diagnostic_refresh(None)
            return
        for document in list(self.workspace.text_documents.values()):
            if self.workspace.get_notebook_document(cell_uri=document.uri) is None:
                self.schedule(document.uri, 0)

    def open_texts(self) -> dict[Path, str]:
        """The open Python documents' text by file: the call sites of other files are read from it."""
        documents = list(self.workspace.text_documents.values())
        return {path.resolve(): d.source for d in documents if (path := _path_of(d.uri)) and path.suffix == ".py"}

    def refresh_dependents(self, saved_uri: str) -> None:
        """A file was saved: re-diagnose the open documents that import it (jedi reads imports from disk),
        and those it imports (its calls may decide what their functions' parameters are).

        Kept findings of every file may rest on the saved one, so the analyzers forget them first.
        """
        path = _path_of(saved_uri)
        if path is None:
            return
        saved = self.open_texts().get(path.resolve()) or _read(path)
        dependents = [
            document.uri
            for document in list(self.workspace.text_documents.values())
            if document.uri != saved_uri
            and (_imports(document.source, path) or ((other := _path_of(document.uri)) and _imports(saved, other)))
        ]
        if not dependents:
            return
        for analyzer in self.analyzers.analyzers():
            self.jedi_thread.submit(analyzer.forget_findings)
        self.generation += 1
        if self.pull_diagnostics:
            if self.refresh_supported():
                self.workspace_diagnostic_refresh(None)
            return
        for uri in dependents:
            if self.workspace.get_notebook_document(cell_uri=uri) is None:
                self.schedule(uri, 0)

    def forget(self, uri: str, clear: bool) -> None:
        """A document (or notebook) closed: drop its pending analysis and result; clear pushed diagnostics."""
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self.results.pop(uri, None)
        if clear:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def refresh_supported(self) -> bool:
        """Whether the client pulls diagnostics again when asked (``workspace/diagnostic/refresh``)."""
        workspace = self.client_capabilities.workspace
        return bool(workspace and workspace.diagnostics and workspace.diagnostics.refresh_support)

    def report_once(self, message: str) -> None:
        """Show a problem to the user once (and log it every time)."""
        self.window_log_message(types.LogMessageParams(type=types.MessageType.Warning, message=message))
        if message not in self.reported:
            self.reported.add(message)
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=message))

    def report_settings_error(self, error: SettingsError) -> None:
        """A configuration file is wrong: said once; its folder gets the defaults meanwhile."""
        self.report_once(str(error))

    def apply_options(self, raw: Any) -> None:
        """Take new editor settings."""
        self.options = parse_options(raw)
        self.settings = SettingsProvider(self.options.rule_overrides, on_error=self.report_settings_error)
        self.folder_settings = {
            entry.folder: SettingsProvider(
                self.options.rule_overrides_for(entry.folder), on_error=self.report_settings_error
            )
            for entry in self.options.folders
        }
        for problem in self.options.problems:
            self.report_once(f"torchls setting ignored: {problem}")


def _path_of(uri: str) -> Path | None:
    """The file behind a ``file:`` URI; None for unsaved documents and other schemes."""
    return Path(to_fs_path(uri) or "") if uri.startswith("file:") else None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _imports(source: str, path: Path) -> bool:
    """Whether ``source`` has an import statement that names ``path``'s module (a package: its folder)."""
    module = path.parent.name if path.stem == "__init__" else path.stem
    return re.search(rf"^[ \t]*(?:from|import)[ \t][^\n]*\b{re.escape(module)}\b", source, re.MULTILINE) is not None


#: Every feature: (LSP method, its options, its handler).
FEATURES: tuple[tuple[str, Any, Callable[..., Any]], ...] = (
    (types.INITIALIZE, None, handlers.initialize),
    (types.INITIALIZED, None, handlers.initialized),
    (types.TEXT_DOCUMENT_DID_OPEN, None, handlers.did_open),
    (types.TEXT_DOCUMENT_DID_CHANGE, None, handlers.did_change),
    (types.TEXT_DOCUMENT_DID_SAVE, None, handlers.did_save),
    (types.TEXT_DOCUMENT_DID_CLOSE, None, handlers.did_close),
    (types.NOTEBOOK_DOCUMENT_DID_OPEN, None, handlers.did_open_notebook),
    (types.NOTEBOOK_DOCUMENT_DID_CHANGE, None, handlers.did_change_notebook),
    (types.NOTEBOOK_DOCUMENT_DID_CLOSE, None, handlers.did_close_notebook),
    (types.WORKSPACE_DID_CHANGE_CONFIGURATION, None, handlers.did_change_configuration),
    (types.TEXT_DOCUMENT_DIAGNOSTIC, DIAGNOSTIC_OPTIONS, pull_diagnostics),
    (types.WORKSPACE_DIAGNOSTIC, None, workspace_diagnostics),
    (types.TEXT_DOCUMENT_HOVER, None, hover),
    (types.TEXT_DOCUMENT_CODE_ACTION, CODE_ACTION_OPTIONS, code_action),
)


def create_server() -> TorchlsServer:
    """A server with every feature registered."""
    server = TorchlsServer()
    for method, options, handler in FEATURES:
        server.feature(method, options)(handler)
    return server
