"""Shared fixtures: one analyzer on the test interpreter (real jedi, real torch 2.13), and one on a
real virtualenv without torch (torchls's fallback: types inferred from imports)."""

from __future__ import annotations

import subprocess
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


@pytest.fixture(scope="session")
def python_without_torch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter of a fresh virtualenv with no packages at all."""
    venv = tmp_path_factory.mktemp("without-torch") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    return venv / "bin" / "python"


@pytest.fixture(scope="session")
def fallback_analyzer(python_without_torch: Path) -> Analyzer:
    return Analyzer(find_environment(str(python_without_torch)), project_root=FIXTURES)
