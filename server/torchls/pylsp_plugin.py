"""torchls as a python-lsp-server (pylsp) plugin: one server for editors that already run pylsp.

A thin adapter over the same analysis as ``torchls serve``: ``pylsp_lint`` returns torchls's
findings as diagnostics, ``pylsp_code_actions`` their quick fixes. pylsp finds it through the
``pylsp`` entry point group (``pyproject.toml``); nothing to configure. JupyterLab connects a
notebook to one Python server only, so this is how pylsp users there get torchls's checks.

Settings (pylsp's ``plugins.torchls``): ``enabled`` (default true) and ``python``, the interpreter
analysed; without it, the one pylsp's jedi uses (``plugins.jedi.environment``), then as for
``torchls check`` (``VIRTUAL_ENV``, ``CONDA_PREFIX``, a ``.venv`` in the workspace root...).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pluggy
from lsprotocol import types
from lsprotocol.converters import get_converter
from pygls.workspace import TextDocument

from torchls.analysis.engine import Analyzer
from torchls.analysis.findings import Applicability
from torchls.analysis.pool import AnalyzerPool
from torchls.analysis.settings import Settings, SettingsProvider
from torchls.lsp.convert import PositionConverter, diagnostic_fix

log = logging.getLogger(__name__)
hookimpl = pluggy.HookimplMarker("pylsp")  # what pylsp.hookimpl is
_converter = get_converter()
# pylsp lints on a timer thread and answers code actions on its main thread; jedi is not thread-safe.
_lock = threading.Lock()
_pool = AnalyzerPool()  # pylsp runs one plugin instance per process


@hookimpl
def pylsp_settings() -> dict[str, Any]:
    """The plugin's defaults."""
    return {"plugins": {"torchls": {"enabled": True, "python": None}}}


@hookimpl
def pylsp_lint(config: Any, workspace: Any, document: Any, is_saved: bool) -> list[dict[str, Any]]:
    """The document's torchls diagnostics (LSP JSON, positions in UTF-16 as pylsp sends them)."""
    try:
        findings = _analyze(config, workspace, document)
    except Exception:  # a plugin that raises makes pylsp drop every other plugin's diagnostics
        log.exception("torchls: analysing %s failed", document.uri)
        return []
    converter = PositionConverter(TextDocument(document.uri, document.source))
    return [_converter.unstructure(converter.to_diagnostic(f, document.version)) for f in findings]


@hookimpl
def pylsp_code_actions(
    config: Any, workspace: Any, document: Any, range: dict[str, Any], context: dict[str, Any]
) -> list[dict[str, Any]]:
    """The quick fix of each torchls diagnostic in the request (carried in the diagnostic's data)."""
    actions = []
    for diagnostic in context.get("diagnostics", []):
        if diagnostic.get("source") != "torchls":
            continue
        fix = diagnostic_fix(diagnostic.get("data"))
        if fix is None or fix[1] == Applicability.DISPLAY_ONLY:
            continue
        title, applicability, edits, _ = fix
        action = types.CodeAction(
            title=title + (" (unsafe)" if applicability == Applicability.UNSAFE else ""),
            kind=types.CodeActionKind.QuickFix,
            is_preferred=applicability == Applicability.SAFE,
            edit=types.WorkspaceEdit(changes={document.uri: edits}),
        )
        actions.append({**_converter.unstructure(action), "diagnostics": [diagnostic]})
    return actions


def _analyze(config: Any, workspace: Any, document: Any) -> list[Any]:
    path = Path(document.path) if document.path else None
    root = Path(workspace.root_path) if workspace.root_path else None
    python = config.plugin_settings("torchls", document_path=document.path).get("python") or config.plugin_settings(
        "jedi", document_path=document.path
    ).get("environment")
    with _lock:
        analyzer = _analyzer(python, root)
        return analyzer.analyze(document.source, path, _settings(path))


def _analyzer(python: str | None, root: Path | None) -> Analyzer:
    new = not _pool.has(python, root)
    pooled = _pool.get(python, root)
    if new and pooled.fallback_reason:
        log.warning("torchls: %s", pooled.fallback_reason)
    return pooled.analyzer


def _settings(path: Path | None) -> Settings:
    # A new provider each time: pylsp gives no event when a pyproject.toml changes.
    provider = SettingsProvider(on_error=lambda error: log.warning("torchls: %s", error))
    return provider.for_file(path) if path else provider.for_folder(Path.cwd())
