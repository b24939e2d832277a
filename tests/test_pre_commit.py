"""The pre-commit hooks of ``.pre-commit-hooks.yaml``, run by real pre-commit on a temporary repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "train.py"


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def torchls_repo(tmp_path: Path) -> Path:
    """This checkout's files (working tree, without what git ignores) as a repository pre-commit can install from."""
    copy = tmp_path / "torchls"
    for name in git("ls-files", "--cached", "--others", "--exclude-standard", cwd=ROOT).splitlines():
        if (ROOT / name).is_file():  # a file deleted but not yet staged is listed too
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    git("init", "-q", cwd=copy)
    git("add", "-A", cwd=copy)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "snapshot", cwd=copy)
    return copy


def test_hooks_report_and_fix(tmp_path: Path, torchls_repo: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    git("init", "-q", cwd=project)
    shutil.copy(EXAMPLE, project / "train.py")
    rev = git("rev-parse", "HEAD", cwd=torchls_repo)
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {torchls_repo}\n  rev: {rev}\n  hooks:\n"
        f"  - id: torchls\n    args: [--python, {sys.executable}]\n"
        f"  - id: torchls-fix\n    args: [--python, {sys.executable}]\n    stages: [manual]\n"
    )
    git("add", "-A", cwd=project)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache")}
    env.pop("VIRTUAL_ENV", None)
    pre_commit = [sys.executable, "-m", "pre_commit", "run", "--all-files"]

    check = subprocess.run([*pre_commit, "torchls"], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "train.py:29:33: TL001" in check.stdout and "Found 10 findings." in check.stdout

    fix = subprocess.run(
        [*pre_commit, "--hook-stage", "manual", "torchls-fix"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert fix.returncode == 1 and "files were modified by this hook" in fix.stdout, fix.stdout + fix.stderr
    assert "optim.SGD(model.parameters(), lr=0.01)" in (project / "train.py").read_text()
    git("add", "-A", cwd=project)
    clean = subprocess.run([*pre_commit, "torchls"], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert clean.returncode == 0, clean.stdout + clean.stderr
