"""The analyzers of one process, shared by the CLI, the server and the pylsp plugin.

An analyzer is made per (folder, interpreter asked for): each folder has its own environment (its
``.venv``, or the interpreter the editor chose for it) and import root. The pool owns their
lifetime: asking for another interpreter in a folder closes that folder's analyzer (its watchdog
thread, jedi helper process and jedi state go with it) and no other folder's, and closing the pool
closes them all. Not thread-safe: use it from the one thread that runs analyses, as the analyzers
themselves.
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
    """One analyzer per folder, for the interpreter last asked for in that folder."""

    def __init__(self, catalog: Catalog | None = None, on_restart: Callable[[Analyzer], None] | None = None) -> None:
        """``on_restart`` is told when an analyzer's jedi helper process was restarted."""
        self.catalog = catalog or load_catalog()
        self.on_restart = on_restart
        self._analyzers: dict[Path | None, tuple[str | None, Pooled]] = {}  # folder: (python asked for, analyzer)

    def has(self, python: str | None, folder: Path | None) -> bool:
        """Whether :meth:`get` would return an analyzer it already has (else: slow, torch is indexed)."""
        return folder in self._analyzers and self._analyzers[folder][0] == python

    def get(self, python: str | None, folder: Path | None, fallback: bool = True) -> Pooled:
        """The analyzer for files in ``folder`` with interpreter ``python`` (None: the folder's own).

        A ``python`` that cannot be used raises :class:`InterpreterError`, or with ``fallback`` gives
        the folder's default environment and the reason.
        """
        if folder in self._analyzers and self._analyzers[folder][0] != python:
            self._analyzers.pop(folder)[1].analyzer.close()
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
            self._analyzers[folder] = (python, Pooled(analyzer, reason))
        return self._analyzers[folder][1]

    def analyzers(self) -> list[Analyzer]:
        """The analyzers alive now."""
        return [pooled.analyzer for _, pooled in self._analyzers.values()]

    def close(self) -> None:
        """Close every analyzer: none is used again."""
        for _, pooled in self._analyzers.values():
            pooled.analyzer.close()
        self._analyzers.clear()
