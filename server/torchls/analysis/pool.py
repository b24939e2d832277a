"""The analyzers of one process, shared by the CLI, the server and the pylsp plugin.

An analyzer is made per (interpreter asked for, folder): each folder has its own environment (its
``.venv``) and import root. The pool owns their lifetime: asking for another interpreter closes
the analyzers made for the old one (their watchdog threads, jedi helper processes and jedi state
go with them), and closing the pool closes them all. Not thread-safe: use it from the one thread
that runs analyses, as the analyzers themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from torchls.analysis.catalog import Catalog, load_catalog
from torchls.analysis.engine import Analyzer
from torchls.analysis.environment import InterpreterError, find_environment


@dataclass(frozen=True)
class Pooled:
    """An analyzer, and why it analyses another interpreter than the one asked for (None: it does not)."""

    analyzer: Analyzer
    fallback_reason: str | None = None


class AnalyzerPool:
    """Analyzers by folder, for one interpreter setting at a time."""

    def __init__(self, catalog: Catalog | None = None, on_restart: Callable[[Analyzer], None] | None = None) -> None:
        """``on_restart`` is told when an analyzer's jedi helper process was restarted."""
        self.catalog = catalog or load_catalog()
        self.on_restart = on_restart
        self.python: str | None = None
        self._analyzers: dict[Path | None, Pooled] = {}

    def has(self, python: str | None, folder: Path | None) -> bool:
        """Whether :meth:`get` would return an analyzer it already has (else: slow, torch is indexed)."""
        return python == self.python and folder in self._analyzers

    def get(self, python: str | None, folder: Path | None, fallback: bool = True) -> Pooled:
        """The analyzer for files in ``folder`` with interpreter ``python`` (None: the folder's own).

        A ``python`` that cannot be used raises :class:`InterpreterError`, or with ``fallback`` gives
        the folder's default environment and the reason.
        """
        if python != self.python:
            self.close()
            self.python = python
        if folder not in self._analyzers:
            reason = None
            try:
                environment = find_environment(python, folder)
            except InterpreterError as error:
                if not fallback:
                    raise
                environment = find_environment(None, folder)
                reason = f"{error}; analysing with {environment.executable} instead"
            analyzer = Analyzer(environment, project_root=folder, catalog=self.catalog)
            if self.on_restart is not None:
                on_restart = self.on_restart
                analyzer.supervisor.on_restart = lambda: on_restart(analyzer)
            self._analyzers[folder] = Pooled(analyzer, reason)
        return self._analyzers[folder]

    def analyzers(self) -> list[Analyzer]:
        """The analyzers alive now."""
        return [pooled.analyzer for pooled in self._analyzers.values()]

    def close(self) -> None:
        """Close every analyzer: none is used again."""
        for pooled in self._analyzers.values():
            pooled.analyzer.close()
        self._analyzers.clear()
