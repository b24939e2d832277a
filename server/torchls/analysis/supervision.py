"""Supervision of jedi's helper process for one analyzer: hang kill, periodic renewal, crash retry.

jedi runs the analysed interpreter in a helper process. It can hang (a pathological module), die
(out of memory, killed) or grow. The supervisor notices each, restarts the helper and runs the
interrupted analysis once more, and tells its listeners (the server logs it) through ``on_restart``.
:meth:`Supervisor.close` ends its watchdog thread and the helper: nothing outlives the analyzer.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from jedi.api.environment import Environment
from jedi.api.exceptions import InternalError

from torchls.analysis import jedi_bridge

log = logging.getLogger(__name__)
T = TypeVar("T")

# One receiver taking longer means jedi's environment process hangs: it is killed, and restarted.
HANG_TIMEOUT_S = float(os.environ.get("TORCHLS_HANG_TIMEOUT", "60"))
# jedi's helper process grows by about a kilobyte per analysis (its memory is its own, out of our
# reach): a fresh one is started after this many analyses, a second's pause every few hours of typing.
RENEW_EVERY_ANALYSES = 5000


class Supervisor:
    """Keeps one environment's helper process healthy across analyses."""

    def __init__(
        self,
        environment: Environment,
        on_restart: Callable[[], None] | None = None,
        hang_timeout_s: float = HANG_TIMEOUT_S,
        renew_every: int = RENEW_EVERY_ANALYSES,
    ) -> None:
        self.environment = environment
        self.on_restart = on_restart
        self.hang_timeout_s = hang_timeout_s
        self.renew_every = renew_every
        self.restarts = 0  # the helper died or hung during an analysis, which then ran again
        self.renewals = 0
        self.crashed = False  # during the analysis under way: the rest of it is skipped, then it runs again
        self._analyses = 0
        self._candidate_started: float | None = None
        self._closed = threading.Event()
        self._watchdog = threading.Thread(target=self._watch_for_hangs, name="torchls-watchdog", daemon=True)
        self._watchdog.start()

    def run(self, analysis: Callable[[], T], new_process: Callable[[], None]) -> T:
        """Run ``analysis``; run it again if the helper died meanwhile.

        ``new_process`` drops what the caller keeps from the old helper (its Scripts).
        """
        self._analyses += 1
        if self._analyses % self.renew_every == 0:
            jedi_bridge.stop_environment_process(self.environment)
            new_process()
            self.renewals += 1
        self.crashed = False
        result = analysis()
        if self.crashed:
            self.restarts += 1
            log.warning("torchls: jedi's environment process died; restarted, analysing again")
            new_process()
            self.crashed = False
            result = analysis()
            if self.on_restart is not None:
                self.on_restart()
        return result

    @contextmanager
    def candidate(self) -> Iterator[None]:
        """One candidate's inference: watched for hangs; a dead helper marks the analysis crashed."""
        self._candidate_started = time.monotonic()
        try:
            yield
        except InternalError:
            self.crashed = True
        finally:
            self._candidate_started = None

    def close(self) -> None:
        """Stop watching and end the helper process (it is not restarted)."""
        self._closed.set()
        if self._watchdog is not threading.current_thread():
            self._watchdog.join()
        jedi_bridge.stop_environment_process(self.environment)

    def _watch_for_hangs(self) -> None:
        while not self._closed.wait(min(1.0, self.hang_timeout_s / 4)):
            started = self._candidate_started
            if started is not None and time.monotonic() - started > self.hang_timeout_s:
                log.warning("torchls: jedi's environment process hangs; killing it")
                self._candidate_started = None
                try:
                    jedi_bridge.kill_environment_process(self.environment)
                except Exception:
                    log.exception("torchls: could not kill jedi's environment process")
