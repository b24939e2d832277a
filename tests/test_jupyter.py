"""torchls's registration with jupyter-lsp, checked with the real jupyter-lsp and jupyter_client.

The browser test (tests/editors/test_jupyterlab.py) shows that JupyterLab starts torchls from the
entry point; these tests cover the spec's details: jupyter-lsp's schema, the settings it hands to
torchls, and which interpreter is analysed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from torchls.jupyter import KEY, kernel_python, spec

pytest.importorskip("jupyter_lsp")
from jupyter_lsp import LanguageServerManager  # noqa: E402
from jupyter_lsp.schema import LANGUAGE_SERVER_SPEC_MAP, SPEC_VERSION  # noqa: E402


@pytest.fixture
def kernels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Jupyter data folder searched first for kernelspecs."""
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "user"))
    (tmp_path / "kernels").mkdir()
    return tmp_path / "kernels"


def write_kernel(kernels: Path, argv: list[str], language: str = "python") -> None:
    (kernels / "python3").mkdir()
    spec = {"argv": [*argv, "-m", "ipykernel_launcher", "-f", "{connection_file}"], "language": language}
    (kernels / "python3" / "kernel.json").write_text(json.dumps({"display_name": "Python 3", **spec}))


def test_the_spec_is_valid_and_found_through_the_entry_point() -> None:
    assert list(LANGUAGE_SERVER_SPEC_MAP.iter_errors(spec())) == []
    assert spec()[KEY]["version"] == SPEC_VERSION
    (point,) = [ep for ep in entry_points(group="jupyter_lsp_spec_v1") if ep.name == KEY]
    assert point.load() is spec
    manager = LanguageServerManager()
    manager.init_language_servers()
    found = manager.language_servers[KEY]
    assert found["argv"] == [sys.executable, "-m", "torchls", "serve"]
    assert found["requires_documents_on_disk"] is False
    # The command really is torchls's server.
    version = subprocess.run([*found["argv"][:-1], "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("torchls ")


def test_settings_offered_are_the_ones_torchls_reads() -> None:
    from torchls.lsp.options import EDITOR_OPTIONS, parse_options

    schema = spec()[KEY]["config_schema"]["properties"]
    assert sorted(schema) == sorted(f"torchls.{name}" for name, *_ in EDITOR_OPTIONS)
    # jupyterlab-lsp sends the dotted settings nested under "torchls" (as captured from JupyterLab).
    options = parse_options({"torchls": {"python": "/some/python", "select": ["TL001"], "debounceMs": 50}})
    assert (options.python, options.select, options.debounce_ms, options.problems) == (
        "/some/python",
        ["TL001"],
        50,
        [],
    )


def test_the_default_kernel_of_another_interpreter_is_analysed(kernels: Path, tmp_path: Path) -> None:
    venv = tmp_path / "project-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    write_kernel(kernels, [str(venv / "bin" / "python")])
    assert kernel_python() == str(venv / "bin" / "python")
    assert spec()[KEY]["workspace_configuration"] == {"torchls.python": str(venv / "bin" / "python")}


@pytest.mark.parametrize(
    "argv,language",
    [
        pytest.param([sys.executable], "python", id="JupyterLab's own interpreter"),
        pytest.param(["python3"], "python", id="whatever python3 is on PATH"),
        pytest.param(["/nonexistent/bin/python"], "python", id="missing interpreter"),
        pytest.param([sys.executable], "R", id="not a Python kernel"),
    ],
)
def test_otherwise_the_interpreter_torchls_runs_in(kernels: Path, argv: list[str], language: str) -> None:
    write_kernel(kernels, argv, language)
    assert kernel_python() is None
    assert spec()[KEY]["workspace_configuration"] == {}


def test_a_broken_kernelspec_does_not_stop_jupyterlab(kernels: Path) -> None:
    (kernels / "python3").mkdir()
    (kernels / "python3" / "kernel.json").write_text("{not json")
    assert kernel_python() is None
