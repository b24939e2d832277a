"""Give the memory an analysis freed back to the operating system.

glibc's malloc keeps freed memory in its arenas for reuse. In a long editing session the server's
resident memory climbed by 10-12 MB per 500 edits early on while its live Python objects, container
sizes and allocated blocks did not change (``benchmarks/memory.py --objects``); one ``malloc_trim``
then gave 12.5 MB back. So the server trims now and then; with it, 10,000 edits stay between 154 and
184 MB (184 MB from the 2,000th edit to the 10,000th: a plateau, not a leak). Elsewhere (macOS,
Windows, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import time
from typing import Any

TRIM_EVERY_S = 10.0  # at most this often: a trim of the server's heap takes a few milliseconds


class FreedMemory:
    """Calls ``malloc_trim(0)`` after an analysis when the last trim is ``TRIM_EVERY_S`` old."""

    def __init__(self) -> None:
        self._trim: Any = None
        if sys.platform.startswith("linux"):
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            self._trim = getattr(libc, "malloc_trim", None)  # glibc only
        self._last = time.monotonic()

    def release(self) -> None:
        """Give free heap pages back, unless that was done in the last ``TRIM_EVERY_S``."""
        if self._trim is None or time.monotonic() - self._last < TRIM_EVERY_S:
            return
        self._trim(0)
        self._last = time.monotonic()
