"""Settings shared by the CLI and the server: defaults, ``[tool.torchls]`` in pyproject.toml,
then command-line flags or editor settings on top.

A workspace's pyproject.toml cannot choose the interpreter: that would let a repository make
torchls run a program of its choice. The interpreter comes from the command line, the editor,
or the environment torchls runs in.
"""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.9 and 3.10 only
    import tomli as tomllib

from torchls.analysis.findings import Finding, Severity

SEVERITY_NAMES = {severity.value for severity in Severity}


@dataclass(frozen=True)
class Option:
    """One ``[tool.torchls]`` key, documented once here for the generated configuration reference."""

    name: str
    type: str
    default: str
    doc: str
    example: str


OPTIONS = (
    Option("select", "list of codes or prefixes", '["TL"]', "Rules to run; `TL` is every rule.", 'select = ["TL001"]'),
    Option(
        "ignore",
        "list of codes or prefixes",
        "[]",
        "Rules not to run; the longer prefix wins over `select`.",
        'ignore = ["TL002"]',
    ),
    Option(
        "severity",
        "table of code = severity",
        "{}",
        "Report a rule at `error`, `warning`, `information` or `hint`.",
        'severity = { TL001 = "error" }',
    ),
    Option(
        "per-file-ignores",
        "table of glob = list of codes",
        "{}",
        "Rules not to run in matching files; globs are relative to the pyproject.toml's folder.",
        'per-file-ignores = { "tests/*" = ["TL001"] }',
    ),
    Option(
        "exclude",
        "list of globs",
        "[]",
        "Files and folders `torchls check` and workspace diagnostics skip (files named on the command line"
        " are still checked).",
        'exclude = ["legacy/*", "notebooks"]',
    ),
)
KNOWN_KEYS = frozenset(option.name for option in OPTIONS)


class SettingsError(ValueError):
    """A setting has a wrong value; the message says which."""


@dataclass(frozen=True)
class Settings:
    """Which rules run and how their findings are reported."""

    select: tuple[str, ...] = ("TL",)  # code prefixes; "TL" is every rule
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)  # code -> severity override
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob, codes)
    exclude: tuple[str, ...] = ()
    root: Path | None = None  # the folder globs are relative to (the pyproject.toml's)

    def for_file(self, path: Path) -> Settings:
        """These settings with the ``per-file-ignores`` that match ``path`` added to ``ignore``."""
        extra = tuple(code for glob, codes in self.per_file_ignores if self._matches(path, glob) for code in codes)
        return replace(self, ignore=self.ignore + extra) if extra else self

    def excluded(self, path: Path) -> bool:
        """True when ``path`` (or a folder above it, up to the root) matches ``exclude``."""
        return any(self._matches(path, glob) for glob in self.exclude)

    def _matches(self, path: Path, glob: str) -> bool:
        try:
            relative = PurePosixPath(path.resolve().relative_to((self.root or Path.cwd()).resolve()).as_posix())
        except ValueError:
            relative = PurePosixPath(path.as_posix())
        glob = glob.rstrip("/")
        candidates = [relative, *relative.parents[:-1]]
        return any(fnmatch.fnmatch(str(c), glob) or c.name == glob for c in candidates)

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
        """These settings with the keys of ``options`` (a ``[tool.torchls]`` table) on top."""
        if options.get("python") is not None:
            raise SettingsError(
                "python cannot be set here: a repository must not choose the program torchls runs;"
                " use --python or the editor's python setting"
            )
        unknown = sorted(set(options) - KNOWN_KEYS - {"python"})
        if unknown:
            raise SettingsError(f"unknown key {unknown[0]!r}; known keys: {', '.join(sorted(KNOWN_KEYS))}")
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
        if options.get("per-file-ignores") is not None:
            table = options["per-file-ignores"]
            if not isinstance(table, dict):
                raise SettingsError('per-file-ignores must be a table of "glob" = ["CODE", ...]')
            pairs = tuple((str(glob), _codes(codes, f"per-file-ignores {glob!r}")) for glob, codes in table.items())
            result = replace(result, per_file_ignores=result.per_file_ignores + pairs)
        if options.get("exclude") is not None:
            globs = options["exclude"]
            if not isinstance(globs, list) or not all(isinstance(g, str) for g in globs):
                raise SettingsError("exclude must be a list of globs")
            result = replace(result, exclude=result.exclude + tuple(globs))
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
    path = find_pyproject(start)
    if path is None:
        return base or Settings()
    return load_config_file(path, base)


def load_config_file(path: Path, base: Settings | None = None) -> Settings:
    """Settings from one file: a pyproject.toml's ``[tool.torchls]``, or a torchls.toml's top level."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"{path}: cannot read: {error}") from error
    table = data.get("tool", {}).get("torchls", {}) if path.name == "pyproject.toml" else data
    try:
        return replace(base or Settings(), root=path.parent.resolve()).merged(table)
    except SettingsError as error:
        raise SettingsError(f"{path}: [tool.torchls] {error}") from error


class SettingsProvider:
    """The settings that govern each file: the one way the CLI, the server and the pylsp plugin get them.

    ``config`` (``--config``) if given, else the nearest ``[tool.torchls]``; ``overrides`` (command-line
    flags, the editor's settings) on top; then the file's ``per-file-ignores``. A configuration error
    raises :class:`SettingsError`, unless ``on_error`` takes it: then it is reported once per folder
    and the folder gets the defaults under ``overrides`` (an editor keeps working while the user fixes
    the file).
    """

    def __init__(
        self,
        overrides: dict[str, Any] | None = None,
        config: Path | None = None,
        on_error: Callable[[SettingsError], None] | None = None,
    ) -> None:
        self.overrides = dict(overrides or {})
        self.config = config
        self.on_error = on_error
        self._config = load_config_file(config) if config else None
        self._by_folder: dict[Path, Settings] = {}

    def for_folder(self, folder: Path) -> Settings:
        """Settings for the files of ``folder``, before any file's ``per-file-ignores``."""
        folder = folder.resolve()
        if folder not in self._by_folder:
            try:
                base = self._config if self._config is not None else load_settings(folder)
                self._by_folder[folder] = base.merged(self.overrides)
            except SettingsError as error:
                if self.on_error is None:
                    raise
                self.on_error(error)
                self._by_folder[folder] = Settings().merged(self.overrides)
        return self._by_folder[folder]

    def for_file(self, path: Path) -> Settings:
        """Settings for one file, its ``per-file-ignores`` applied."""
        return self.for_folder(path.parent).for_file(path)

    def excluded(self, path: Path) -> bool:
        """True when the settings that govern ``path`` exclude it."""
        return self.for_file(path).excluded(path)

    def forget(self) -> None:
        """Read the configuration files again on next use (one changed)."""
        self._by_folder.clear()
