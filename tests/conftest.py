"""Shared fixtures: one analyzer on the test interpreter (real jedi, real torch 2.13), and one on a
real virtualenv without torch (torchls's fallback: types inferred from imports)."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from torchls.analysis.engine import Analyzer
from torchls.analysis.environment import find_environment

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"


# The slow end-to-end tests, marked so that `-m "not e2e"` is a fast inner loop (CI runs all): real
# editors, package builds and installs, pre-commit, killed process trees, the live-server fuzz, and
# the two slowest single runs (the slowest in `--durations`, 25 to 55 s each on a 2-core machine).
E2E_PATHS = ("editors/", "test_package.py", "test_pre_commit.py", "test_processes.py", "lsp/test_fuzz.py")
E2E_TESTS = frozenset(
    {
        ("test_cli.py", "test_worker_processes_give_the_same_report"),  # 40 files, two worker processes
        ("lsp/test_faults.py", "test_the_editor_never_waits_behind_a_long_analysis"),
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        relative = item.path.relative_to(TESTS).as_posix()
        name = getattr(item, "originalname", item.name)
        if relative.startswith(E2E_PATHS) or (relative, name) in E2E_TESTS:
            item.add_marker(pytest.mark.e2e)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens", action="store_true", help="rewrite the .expected and .fixed.py files of the fixtures"
    )


# The suite leaves no process behind. On Linux this process becomes a "subreaper": a process whose
# parent dies while a test runs (a killed `check`'s workers, a killed editor's server) is re-parented
# here instead of to init, so the session's end sees every stray, and fails the run if one is left.
PR_SET_CHILD_SUBREAPER = 36
STRAY_GRACE_S = 10.0


def pytest_configure(config: pytest.Config) -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(ctypes.util.find_library("c")).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not Path("/proc/self/stat").exists():
        return
    deadline = time.monotonic() + STRAY_GRACE_S  # what is dying gets the time the tests give it
    while (strays := _stray_children()) and time.monotonic() < deadline:
        time.sleep(0.2)
    if strays:
        for pid in strays:
            os.kill(pid, signal.SIGKILL)
        listing = "\n".join(f"  {pid}: {command}" for pid, command in strays.items())
        print(f"\nFAILED: {len(strays)} processes outlived the tests (now killed):\n{listing}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _stray_children() -> dict[int, str]:
    """Running children of this process, except the jedi helpers of its own analyzers.

    Those are shared on purpose (the session's ``analyzer`` fixtures and in-process tests keep a
    jedi environment, whose helper runs until this process exits); they are recognised by the parent
    pid that torchls's ``jedi_helper.py`` is given: this process's. Zombies (dead, reparented here
    and not reaped) are reaped, not counted.
    """
    me = os.getpid()
    strays: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text().rpartition(")")[2].split()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError):
            continue
        if not entry.name.isdigit() or int(stat[1]) != me:
            continue
        if stat[0] == "Z":
            with contextlib.suppress(ChildProcessError):
                os.waitpid(int(entry.name), os.WNOHANG)
            continue
        words = [word.decode(errors="replace") for word in command]
        if len(words) > 2 and words[1].endswith("jedi_helper.py") and words[2] == str(me):
            continue
        strays[int(entry.name)] = " ".join(words)
    return strays


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
