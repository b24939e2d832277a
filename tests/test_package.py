"""The release artefacts: ``python -m build`` gives an sdist and a wheel that install and run in a
clean virtualenv, on every Python from 3.10 to 3.13 that this machine has (jedi 0.20 needs 3.10)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from torchls import __version__

ROOT = Path(__file__).parents[1]
PYTHONS = [f"3.{minor}" for minor in range(10, 14)]
BUG = "import torch\nmodel = torch.nn.Linear(1, 1)\nmodel.eval\n"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], check=True, capture_output=True)
    return out


def test_wheel_contents(dist: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    assert wheel.name == f"torchls-{__version__}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    assert "torchls/analysis/catalog.json" in names and "torchls/py.typed" in names
    assert not any(name.startswith(("tests/", "examples/")) for name in names)
    (sdist,) = dist.glob("*.tar.gz")
    assert sdist.name == f"torchls-{__version__}.tar.gz"


def test_sdist_installs(dist: Path, tmp_path: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(sdist)], capture_output=True, text=True
    )
    assert install.returncode == 0, install.stderr
    rule = subprocess.run([str(venv / "bin" / "torchls"), "rule", "TL002"], capture_output=True, text=True)
    assert rule.returncode == 0 and "# TL002 not-callable" in rule.stdout


def find_python(version: str) -> str | None:
    """An interpreter of that version: on PATH, or installed by pyenv (whose shims may refuse to run it)."""
    candidates = [shutil.which(f"python{version}")]
    roots = {Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))}
    if shutil.which("pyenv"):
        roots.add(Path(shutil.which("pyenv") or "").resolve().parents[1])
    for root in roots:
        candidates += sorted(str(p) for p in (root / "versions").glob(f"{version}.*/bin/python{version}"))
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "--version"], capture_output=True).returncode == 0:
            return candidate
    return None


@pytest.mark.parametrize("python", PYTHONS)
def test_installs_and_runs_in_a_clean_venv(python: str, dist: Path, tmp_path: Path) -> None:
    interpreter = find_python(python)
    if interpreter is None:
        pytest.skip(f"Python {python} is not installed here")
    venv = tmp_path / "venv"
    subprocess.run([interpreter, "-m", "venv", str(venv)], check=True)
    (wheel,) = dist.glob("*.whl")
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)], capture_output=True, text=True
    )
    assert install.returncode == 0, install.stderr
    torchls = str(venv / "bin" / "torchls")
    assert (
        subprocess.run([torchls, "--version"], capture_output=True, text=True).stdout.strip()
        == f"torchls {__version__}"
    )
    (tmp_path / "bug.py").write_text(BUG)
    # torchls's venv has no torch; it analyses the test interpreter's environment, which has.
    result = subprocess.run(
        [torchls, "check", "--format", "json", "--python", sys.executable, "bug.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    assert [f["code"] for f in json.loads(result.stdout)] == ["TL001"]
    alone = subprocess.run([torchls, "check", "bug.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    # Alone, it analyses its own venv: no torch there, so types are inferred from the imports.
    assert alone.returncode == 1 and "types inferred from imports" in alone.stderr, alone.stderr
