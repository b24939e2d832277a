"""Jupyter notebooks in ``torchls check``: cells analysed together, findings per cell, ``--fix``
rewriting only the fixed cells' sources (the rest of the file byte for byte), IPython syntax skipped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from .helpers import torchls

CELLS: list[dict[str, Any]] = [
    {"cell_type": "markdown", "metadata": {}, "source": ["# Training — données 😋\n", "Notes."]},
    {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {},
        "outputs": [],
        "source": [
            "import torch\n",
            "from torch import nn, optim\n",
            "%config InlineBackend.figure_format = 'retina'\n",
            "model = nn.Linear(4, 2)\n",
            "optimizer = optim.SGD(model.parameters, lr=0.1)",
        ],
    },
    {
        "cell_type": "code",
        "execution_count": 2,
        "metadata": {"tags": ["keep"]},
        "outputs": [{"output_type": "stream", "name": "stdout", "text": ["hi\n"]}],
        "source": ["!echo hi\n", "model.eval"],
    },
    {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": "x = torch.ones(3, 4)\nprint(model(x).shape(0))\nmodel.train;\nsize = model(x).shape\n",
    },
]


def write_notebook(path: Path, cells: list[dict[str, Any]] = CELLS, **dump: Any) -> None:
    notebook = {"cells": cells, "metadata": {"kernelspec": {"language": "python", "name": "python3"}}, "nbformat": 4}
    path.write_text(json.dumps(notebook, **(dump or {"indent": 1, "ensure_ascii": False})) + "\n", encoding="utf-8")


def test_findings_are_reported_per_cell(tmp_path: Path) -> None:
    write_notebook(tmp_path / "train.ipynb")
    result = torchls("check", ".", cwd=tmp_path)
    lines = [line.split(" ", 2)[:2] for line in result.stdout.splitlines() if ": TL" in line]
    assert lines == [
        ["train.ipynb:cell", "2:5:29:"],
        ["train.ipynb:cell", "3:2:7:"],
        ["train.ipynb:cell", "4:2:16:"],
        ["train.ipynb:cell", "4:3:7:"],
    ]
    # The last line of cell 3 is displayed by Jupyter; `model.train;` is not (the semicolon hides it).
    assert "`model.eval` is only displayed (a notebook shows the value of a cell's last line" in result.stdout
    assert "`model.train` does nothing" in result.stdout
    findings = json.loads(torchls("check", "--format", "json", "train.ipynb", cwd=tmp_path).stdout)
    assert [(f["cell"], f["line"], f["code"]) for f in findings] == [
        (2, 5, "TL001"),
        (3, 2, "TL001"),
        (4, 2, "TL002"),
        (4, 3, "TL001"),
    ]


def test_fix_rewrites_only_the_fixed_sources_and_the_cells_run(tmp_path: Path) -> None:
    notebook = tmp_path / "train.ipynb"
    write_notebook(notebook)
    before = json.loads(notebook.read_text(encoding="utf-8"))
    result = torchls("check", "--fix", "train.ipynb", cwd=tmp_path)
    assert "Fixed 4" in result.stdout, result.stdout + result.stderr
    after = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in before["cells"]:
        cell.pop("source")
    sources = [cell.pop("source") for cell in after["cells"]]
    assert after == before  # outputs, metadata, markdown: unchanged
    assert sources[1][-1] == "optimizer = optim.SGD(model.parameters(), lr=0.1)"
    assert sources[2] == ["!echo hi\n", "model.eval()"]  # the shell line is kept, the list form too
    assert sources[3] == "x = torch.ones(3, 4)\nprint(model(x).shape[0])\nmodel.train();\nsize = model(x).shape\n"
    cells = ["".join(source) for source in sources[1:]]
    code = "\n".join(line for cell in cells for line in cell.splitlines() if not line.startswith(("%", "!")))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert notebook.read_text(encoding="utf-8").endswith('"nbformat": 4\n}\n')


def test_a_layout_torchls_cannot_reproduce_is_not_rewritten(tmp_path: Path) -> None:
    notebook = tmp_path / "compact.ipynb"
    write_notebook(notebook, separators=(",", ":"))
    original = notebook.read_bytes()
    result = torchls("check", "--fix", "compact.ipynb", cwd=tmp_path)
    assert result.returncode == 2 and "fixes not written: its JSON layout" in result.stderr
    assert notebook.read_bytes() == original


def test_bad_notebooks_get_a_message_and_the_others_are_checked(tmp_path: Path) -> None:
    (tmp_path / "broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    (tmp_path / "old.ipynb").write_text('{"worksheets": []}', encoding="utf-8")
    r_notebook = {
        "cells": [{"cell_type": "code", "source": "model.eval"}],
        "metadata": {"kernelspec": {"language": "R"}},
    }
    (tmp_path / "r.ipynb").write_text(json.dumps(r_notebook), encoding="utf-8")
    write_notebook(tmp_path / "train.ipynb")
    result = torchls("check", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        "broken.ipynb: not a notebook:" in result.stderr and "old.ipynb: not a notebook of nbformat 4" in result.stderr
    )
    assert "train.ipynb:cell 2:5:29" in result.stdout and "r.ipynb" not in result.stdout


def test_cell_magics_that_run_python_are_analysed(tmp_path: Path) -> None:
    # `%%time` and `%%capture` run their body in the notebook's namespace: what it defines is known
    # later, and its bugs are found. Other cell magics (`%%bash`, `%%timeit`...) are not Python there.
    cells = [
        {"cell_type": "code", "metadata": {}, "source": "%%time\nimport torch\nx = torch.ones(2)\nprint(x.shape(0))\n"},
        {"cell_type": "code", "metadata": {}, "source": "%%capture out\nmodel = torch.nn.Linear(2, 1)\n"},
        {"cell_type": "code", "metadata": {}, "source": "%%bash\nmodel.eval\n"},
        {"cell_type": "code", "metadata": {}, "source": "%%timeit\nlayer = torch.nn.Linear(2, 1)\n"},
        {"cell_type": "code", "metadata": {}, "source": "model.eval\nlayer.eval\n"},
    ]
    write_notebook(tmp_path / "magics.ipynb", cells)
    findings = json.loads(torchls("check", "--format", "json", "magics.ipynb", cwd=tmp_path).stdout)
    # `layer` is bound only in the `%%timeit` cell, so it is unknown: its bare `.eval` is reported as wrong
    # whatever the receiver; the `%%bash` cell's `model.eval` is not Python and is not reported.
    assert [(f["cell"], f["line"], f["column"], f["code"]) for f in findings] == [
        (1, 4, 9, "TL002"),
        (5, 1, 7, "TL001"),
        (5, 2, 7, "TL001"),
    ]
