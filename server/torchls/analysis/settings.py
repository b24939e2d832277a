"""Settings shared by the CLI and the server: defaults, ``[tool.torchls]`` in pyproject.toml,
then command-line flags or editor settings on top.

A workspace's pyproject.toml cannot choose the interpreter: that would let a repository make
torchls run a program of its choice. The interpreter comes from the command line, the editor,
or the environment torchls runs in.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.9 and 3.10 only
    import tomli as tomllib

from torchls.analysis.findings import Finding, Severity

SEVERITY_NAMES = {severity.value for severity in Severity}


class SettingsError(ValueError):
    """A setting has a wrong value; the message says which."""


@dataclass(frozen=True)
class Settings:
    """Which rules run and how their findings are reported."""

    select: tuple[str, ...] = ("TL",)  # code prefixes; "TL" is every rule
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)  # code -> severity override

    def enabled(self, code: str) -> bool:
        """True when ``code`` is selected and not ignored (prefixes allowed, longest wins)."""
        selected = max((len(p) for p in self.select if code.startswith(p)), default=-1)
        ignored = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        return selected >= 0 and selected > ignored

    def apply(self, finding: Finding) -> Finding:
        """The finding with its severity overridden, if configured."""
        override = self.severity.get(finding.code)
        return replace(finding, severity=override) if override else finding

    def merged(self, options: dict[str, Any]) -> Settings:
        """These settings with ``select`` / ``ignore`` / ``severity`` from ``options`` on top."""
        result = self
        if options.get("select") is not None:
            result = replace(result, select=_codes(options["select"], "select"))
        if options.get("ignore") is not None:
            result = replace(result, ignore=_codes(options["ignore"], "ignore"))
        if options.get("severity") is not None:
            raw = options["severity"]
            if not isinstance(raw, dict):
                raise SettingsError('severity must be a table of CODE = "error|warning|information|hint"')
            severity = dict(result.severity)
            for code, name in raw.items():
                if name not in SEVERITY_NAMES:
                    raise SettingsError(f"severity of {code}: {name!r} is not one of {sorted(SEVERITY_NAMES)}")
                severity[str(code).upper()] = Severity(name)
            result = replace(result, severity=severity)
        return result


def _codes(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f'{key} must be a list of rule codes or prefixes, such as ["TL001"]')
    return tuple(v.strip().upper() for v in value if v.strip())


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has a ``[tool.torchls]`` table."""
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if "torchls" in data.get("tool", {}):
                return path
    return None


def load_settings(start: Path, base: Settings | None = None) -> Settings:
    """Settings from the ``[tool.torchls]`` table nearest to ``start`` (defaults if none)."""
    base = base or Settings()
    path = find_pyproject(start)
    if path is None:
        return base
    table = tomllib.loads(path.read_text(encoding="utf-8"))["tool"]["torchls"]
    try:
        return base.merged(table)
    except SettingsError as error:
        raise SettingsError(f"{path}: [tool.torchls] {error}") from error
