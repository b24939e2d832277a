"""Editor settings: ``initializationOptions`` and ``workspace/didChangeConfiguration``.

Accepted shapes: ``{"torchls": {...}}`` or the table itself; keys in camelCase or snake_case:
``python`` (interpreter path), ``select``, ``ignore``, ``severity`` (``{"TL001": "error"}``),
``debounceMs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
)


@dataclass(frozen=True)
class ServerOptions:
    """The editor's torchls settings."""

    python: str | None = None
    select: list[str] | None = None
    ignore: list[str] | None = None
    severity: dict[str, str] | None = None
    debounce_ms: int = DEFAULT_DEBOUNCE_MS
    problems: list[str] = field(default_factory=list)  # settings that were ignored, and why

    @property
    def rule_overrides(self) -> dict[str, Any]:
        """The rule settings in the form ``Settings.merged`` takes."""
        return {"select": self.select, "ignore": self.ignore, "severity": self.severity}


def parse_options(raw: Any) -> ServerOptions:
    """Options from whatever the client sent; wrong values are reported in ``problems``, not raised."""
    if not isinstance(raw, dict):
        return ServerOptions()
    if isinstance(raw.get("torchls"), dict):
        raw = raw["torchls"]
    problems: list[str] = []

    def get(*names: str) -> Any:
        for name in names:
            if raw.get(name) is not None:
                return raw[name]
        return None

    python = get("python", "interpreter")
    if isinstance(python, list):  # VS Code's Python extension gives an argv list
        python = python[0] if python else None
    if python is not None and not isinstance(python, str):
        problems.append("python must be a path")
        python = None
    select, ignore = get("select"), get("ignore")
    for name, value in (("select", select), ("ignore", ignore)):
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            problems.append(f"{name} must be a list of rule codes")
    select = select if isinstance(select, list) else None
    ignore = ignore if isinstance(ignore, list) else None
    severity = get("severity")
    if severity is not None and not isinstance(severity, dict):
        problems.append("severity must map rule codes to error|warning|information|hint")
        severity = None
    debounce = get("debounceMs", "debounce_ms")
    if debounce is None:
        debounce_ms = DEFAULT_DEBOUNCE_MS
    elif isinstance(debounce, (int, float)) and not isinstance(debounce, bool) and 0 <= debounce <= 10_000:
        debounce_ms = int(debounce)
    else:
        problems.append("debounceMs must be a number of milliseconds between 0 and 10000")
        debounce_ms = DEFAULT_DEBOUNCE_MS
    return ServerOptions(python or None, select, ignore, severity, debounce_ms, problems)
