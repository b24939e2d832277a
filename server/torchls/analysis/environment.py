"""Which Python environment jedi analyses: the user's, not torchls's own.

Order: an explicit interpreter (``--python`` / the editor's ``python`` setting), then
``VIRTUAL_ENV``, ``CONDA_PREFIX``, then a virtualenv named ``.venv``, ``venv`` or ``env`` in the
project's root folder, and finally the interpreter torchls runs in. jedi runs that interpreter in
a subprocess to inspect compiled modules (not torch's, which are read from torch's stubs: see
engine.py); the user's own code is only parsed, never imported. (Running a project's own
virtualenv trusts that project, as running its tests would: editors ask for that trust first,
e.g. VS Code's Restricted Mode.)
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import jedi
from jedi.api.environment import Environment, InvalidPythonEnvironment

from torchls import lifetime

lifetime.tie_jedi_helpers_to_parent()  # every environment made here: its helper process ends with us


class InterpreterError(RuntimeError):
    """The requested interpreter cannot be used; the message says why."""


PROJECT_VENV_NAMES = (".venv", "venv", "env")


def find_environment(python: str | None = None, project_root: Path | None = None) -> Environment:
    """The jedi environment for ``python`` (a path to an interpreter or a venv), or the default."""
    if python:
        path = Path(python).expanduser()
        if not path.exists():
            raise InterpreterError(f"Python interpreter not found: {python}")
        try:
            return jedi.create_environment(str(path), safe=False)
        except InvalidPythonEnvironment as error:
            raise InterpreterError(f"{python} is not a usable Python interpreter: {error}") from error
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        prefix = os.environ.get(variable)
        if prefix and Path(prefix).is_dir():
            try:
                return jedi.create_environment(prefix, safe=False)
            except InvalidPythonEnvironment:
                continue
    venvs = [project_root / name for name in PROJECT_VENV_NAMES] if project_root else []
    for venv in venvs:
        if (venv / "pyvenv.cfg").is_file():
            try:
                return jedi.create_environment(str(venv), safe=False)
            except InvalidPythonEnvironment:
                continue
    return jedi.create_environment(sys.executable, safe=False)


def torch_location(environment: Environment) -> Path | None:
    """Where the environment's torch package is, or None when torch is not installed there."""
    for entry in environment.get_sys_path():
        candidate = Path(entry) / "torch" / "__init__.py"
        if candidate.is_file():
            return candidate.parent
    return None


def torch_version(location: Path) -> str | None:
    """The version of the torch package at ``location``, read from its ``version.py`` (never imported)."""
    try:
        text = (location / "version.py").read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", text, re.MULTILINE)
    return match.group(1) if match else None
