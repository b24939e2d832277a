"""torchls in JupyterLab and Notebook 7: the language-server spec that jupyter-lsp finds.

jupyter-lsp (the server half of jupyterlab-lsp) looks for servers through the ``jupyter_lsp_spec_v1``
entry point group; torchls's ``pyproject.toml`` points it at :func:`spec`, so installing torchls
next to jupyterlab-lsp is all it takes, and no configuration file has to be written. Other Python
servers (pylsp, pyright...) are found the same way and started beside it, but JupyterLab connects a
notebook to one of them (docs/editors.md); pylsp users get torchls through its pylsp plugin.

The server runs in the interpreter JupyterLab runs in. It analyses the environment of the default
Python kernel when that kernel runs another interpreter (a kernel registered from a project's
virtualenv), handed over as the spec's default ``torchls.python`` setting; else torchls looks as
usual (``VIRTUAL_ENV``, ``CONDA_PREFIX``, a ``.venv`` in the served folder, its own interpreter).
jupyter-lsp does not say which kernel a notebook uses.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from typing import Any

from torchls import __version__
from torchls.lsp.options import EDITOR_OPTIONS

log = logging.getLogger(__name__)

KEY = "torchls"
SPEC_VERSION = 2  # jupyter-lsp's language-server spec schema version


def spec(manager: Any = None) -> dict[str, dict[str, Any]]:
    """The spec jupyter-lsp starts torchls from (``manager`` is jupyter-lsp's, unused)."""
    settings: dict[str, Any] = {}
    python = kernel_python()
    if python is not None:
        settings["torchls.python"] = python
    return {
        KEY: {
            "version": SPEC_VERSION,
            "argv": [sys.executable, "-m", "torchls", "serve"],
            "languages": ["python"],
            "mime_types": ["text/python", "text/x-ipython"],
            "display_name": f"torchls {__version__}",
            # torchls reads the document the client sends; it needs no copy in .virtual_documents.
            "requires_documents_on_disk": False,
            "workspace_configuration": settings,
            "config_schema": config_schema(),
            "env": {"PYTHONUNBUFFERED": "1"},
            "urls": {
                "home": "https://github.com/torchls/torchls",
                "issues": "https://github.com/torchls/torchls/issues",
            },
            "install": {"pip": "pip install torchls"},
        }
    }


def config_schema() -> dict[str, Any]:
    """The settings JupyterLab's Language Servers page offers (jupyter-lsp wants dotted names)."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "torchls",
        "type": "object",
        "properties": {
            "torchls.python": {"type": "string", "description": EDITOR_OPTIONS[0][3]},
            "torchls.select": {"type": "array", "items": {"type": "string"}, "description": EDITOR_OPTIONS[1][3]},
            "torchls.ignore": {"type": "array", "items": {"type": "string"}, "description": EDITOR_OPTIONS[2][3]},
            "torchls.severity": {
                "type": "object",
                "additionalProperties": {"enum": ["error", "warning", "information", "hint"]},
                "description": EDITOR_OPTIONS[3][3],
            },
            "torchls.debounceMs": {
                "type": "integer",
                "minimum": 0,
                "maximum": 10000,
                "description": EDITOR_OPTIONS[4][3],
            },
            "torchls.folders": {"type": "array", "items": {"type": "object"}, "description": EDITOR_OPTIONS[5][3]},
        },
    }


def kernel_python() -> str | None:
    """The interpreter of the default Python kernel, when it is not the one torchls runs in.

    Read from the kernelspec (``argv[0]``), never by starting a kernel. None when jupyter_client is
    missing, the kernel runs this interpreter, or its interpreter cannot be found.
    """
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError:
        return None
    try:
        kernel = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        return None
    except Exception:  # a broken kernel.json must not keep JupyterLab from starting torchls
        log.exception("torchls: reading the python3 kernelspec failed")
        return None
    if not kernel.argv or kernel.language.lower() != "python":
        return None
    program = kernel.argv[0]
    if program in ("python", "python3", "{python}"):
        return None  # whichever Python is first on PATH: JupyterLab's own, as a rule
    found: str | None = shutil.which(program)
    # Compared unresolved: a virtualenv's python is a symlink to its base interpreter's binary.
    if found is None or os.path.abspath(found) == os.path.abspath(sys.executable):
        return None
    return found
