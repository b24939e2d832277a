"""Editor settings: ``initializationOptions`` and ``workspace/didChangeConfiguration``.

Accepted shapes: ``{"torchls": {...}}`` or the table itself; keys in camelCase or snake_case:
``python`` (interpreter path), ``select``, ``ignore``, ``severity`` (``{"TL001": "error"}``),
``debounceMs``, and ``folders``: per workspace folder, ``{"uri": ..., "python": ..., "select": ...,
"ignore": ..., "severity": ...}``, whose values win over the top-level ones for that folder's files (VS
Code's settings and selected interpreter are per folder in a multi-root workspace).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pygls.uris import to_fs_path

DEFAULT_DEBOUNCE_MS = 150

#: The editor settings, for the generated configuration reference: (name, type, default, meaning).
EDITOR_OPTIONS = (
    (
        "python",
        "path",
        "`VIRTUAL_ENV`, `CONDA_PREFIX`, `.venv`/`venv`/`env` in the workspace folder, then torchls's own interpreter",
        "Interpreter (or virtualenv) whose packages jedi analyses: your project's, with torch.",
    ),
    ("select", "list of codes or prefixes", '`["TL"]`', "Rules to run (on top of `[tool.torchls]`)."),
    ("ignore", "list of codes or prefixes", "`[]`", "Rules not to run (on top of `[tool.torchls]`)."),
    ("severity", "table of code = severity", "`{}`", "Severity per rule: error, warning, information or hint."),
    ("debounceMs", "milliseconds", f"`{DEFAULT_DEBOUNCE_MS}`", "Delay after an edit before re-analysing."),
    (
        "folders",
        "list of tables",
        "`[]`",
        "Per workspace folder: `uri` (the folder's `file:` URI) and any of `python`, `select`, `ignore`,"
        " `severity`, which win over the top-level values for the files in that folder.",
    ),
)


@dataclass(frozen=True)
class FolderOptions:
    """The settings of one workspace folder; None: the top-level value applies."""

    folder: Path
    python: str | None = None
    select: list[str] | None = None
    ignore: list[str] | None = None
    severity: dict[str, str] | None = None


@dataclass(frozen=True)
class ServerOptions:
    """The editor's torchls settings."""

    python: str | None = None
    select: list[str] | None = None
    ignore: list[str] | None = None
    severity: dict[str, str] | None = None
    debounce_ms: int = DEFAULT_DEBOUNCE_MS
    folders: tuple[FolderOptions, ...] = ()
    problems: list[str] = field(default_factory=list)  # settings that were ignored, and why

    @property
    def rule_overrides(self) -> dict[str, Any]:
        """The rule settings in the form ``Settings.merged`` takes."""
        return {"select": self.select, "ignore": self.ignore, "severity": self.severity}

    def _folder(self, folder: Path | None) -> FolderOptions | None:
        return next((entry for entry in self.folders if folder is not None and entry.folder == folder), None)

    def python_for(self, folder: Path | None) -> str | None:
        """The interpreter to analyse ``folder``'s files with (None: the folder's own environment)."""
        entry = self._folder(folder)
        return entry.python if entry is not None and entry.python is not None else self.python

    def pythons(self) -> tuple[str | None, ...]:
        """Every interpreter setting (a change in any of them loads another environment)."""
        return (self.python, *(entry.python for entry in self.folders))

    def rule_overrides_for(self, folder: Path | None) -> dict[str, Any]:
        """The rule settings for ``folder``'s files: its own, else the top-level ones."""
        entry = self._folder(folder)
        if entry is None:
            return self.rule_overrides
        return {
            "select": entry.select if entry.select is not None else self.select,
            "ignore": entry.ignore if entry.ignore is not None else self.ignore,
            "severity": entry.severity if entry.severity is not None else self.severity,
        }


def parse_options(raw: Any) -> ServerOptions:
    """Options from whatever the client sent; wrong values are reported in ``problems``, not raised."""
    if not isinstance(raw, dict):
        return ServerOptions()
    if isinstance(raw.get("torchls"), dict):
        raw = raw["torchls"]
    problems: list[str] = []
    python, select, ignore, severity = _parse_common(raw, problems)
    debounce = _get(raw, "debounceMs", "debounce_ms")
    if debounce is None:
        debounce_ms = DEFAULT_DEBOUNCE_MS
    elif isinstance(debounce, (int, float)) and not isinstance(debounce, bool) and 0 <= debounce <= 10_000:
        debounce_ms = int(debounce)
    else:
        problems.append("debounceMs must be a number of milliseconds between 0 and 10000")
        debounce_ms = DEFAULT_DEBOUNCE_MS
    folders = _parse_folders(_get(raw, "folders"), problems)
    return ServerOptions(python, select, ignore, severity, debounce_ms, folders, problems)


def _get(raw: dict[str, Any], *names: str) -> Any:
    for name in names:
        if raw.get(name) is not None:
            return raw[name]
    return None


def _parse_common(
    raw: dict[str, Any], problems: list[str], where: str = ""
) -> tuple[str | None, list[str] | None, list[str] | None, dict[str, str] | None]:
    """``python``, ``select``, ``ignore`` and ``severity``, at the top level or in a folder's entry."""
    python = _get(raw, "python", "interpreter")
    if isinstance(python, list):  # VS Code's Python extension gives an argv list
        python = python[0] if python else None
    if python is not None and not isinstance(python, str):
        problems.append(f"{where}python must be a path")
        python = None
    select, ignore = _get(raw, "select"), _get(raw, "ignore")
    for name, value in (("select", select), ("ignore", ignore)):
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            problems.append(f"{where}{name} must be a list of rule codes")
    select = select if isinstance(select, list) else None
    ignore = ignore if isinstance(ignore, list) else None
    severity = _get(raw, "severity")
    if severity is not None and not isinstance(severity, dict):
        problems.append(f"{where}severity must map rule codes to error|warning|information|hint")
        severity = None
    return python or None, select, ignore, severity


def _parse_folders(raw: Any, problems: list[str]) -> tuple[FolderOptions, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append("folders must be a list of {uri, python, select, ignore, severity} tables")
        return ()
    folders: list[FolderOptions] = []
    for entry in raw:
        uri = entry.get("uri") if isinstance(entry, dict) else None
        path = to_fs_path(uri) if isinstance(uri, str) and uri.startswith("file:") else None
        if not isinstance(entry, dict) or not path:
            problems.append(f"folders: {entry!r} has no file: uri")
            continue
        python, select, ignore, severity = _parse_common(entry, problems, f"folders[{uri}].")
        folders.append(FolderOptions(Path(path), python, select, ignore, severity))
    return tuple(folders)
