"""The server's memory release (``torchls.memory``) is really wired to glibc where glibc runs."""

from __future__ import annotations

import platform
import sys

import pytest

from torchls.memory import FreedMemory


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's"
)
def test_malloc_trim_is_found_and_called() -> None:
    freed = FreedMemory()
    assert freed._trim is not None
    freed._last = 0.0  # long ago
    freed.release()
    assert freed._last > 0.0
