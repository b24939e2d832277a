"""What the real-editor tests share (a helper module, not a test module: no test module imports another)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# CI installs every editor and sets this, so that a missing one fails instead of skipping.
REQUIRED = os.environ.get("TORCHLS_REQUIRE_EDITORS") == "1"
TIMEOUT_S = 240


def editor(path: str | None, install: str) -> str:
    """The editor's executable; skip (or, in CI, fail) when it is not installed."""
    if path is None or not Path(path).exists():
        (pytest.fail if REQUIRED else pytest.skip)(f"not installed: {install}")
    return str(path)
