"""Shared fixtures: one analyzer on the test interpreter (real jedi, real torch 2.13)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from torchls.analysis.engine import Analyzer
from torchls.analysis.environment import find_environment

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="rewrite the .expected files of the fixtures")


@pytest.fixture(scope="session")
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return Analyzer(find_environment(sys.executable), project_root=FIXTURES)
