"""Types defined in other files of the project: package re-exports through ``__init__.py``, relative and
absolute imports, sibling scripts in a folder without ``__init__.py``, attributes typed in another file."""

from __future__ import annotations

import json
from pathlib import Path

from .helpers import seeded_bug_lines, torchls

PROJECT = {
    "models/__init__.py": "from .net import Net, build\n",
    "models/net.py": """from torch import nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 2)


def build() -> Net:
    return Net()
""",
    "pkg/__init__.py": "",
    "pkg/sub/__init__.py": "",
    "pkg/holder.py": """import torch


class Holder:
    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        self.parameters = []  # a list named like the method: not a torch member here
""",
    "pkg/sub/train.py": """import torch

from ..holder import Holder
from models import Net, build

model = Net()
model.eval  # bug
optimizer = torch.optim.SGD(build().parameters, lr=0.1)  # bug
holder = Holder(model)
holder.optimizer.zero_grad  # bug
for p in holder.model.parameters:  # bug
    print(p)
for p in holder.parameters:
    print(p)
""",
    "scripts/helper.py": """from torch import nn


class Head(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.out = nn.Linear(2, 1)
""",
    "scripts/run.py": "from helper import Head\n\nhead = Head()\nhead.train  # bug\n",
}


def test_types_from_other_files_are_recognised(tmp_path: Path) -> None:
    for name, text in PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    findings = json.loads(torchls("check", "--format", "json", ".", cwd=tmp_path).stdout)
    reported = sorted((f["path"], f["line"]) for f in findings)
    expected = sorted(
        (name, line) for name in ("pkg/sub/train.py", "scripts/run.py") for line in seeded_bug_lines(tmp_path / name)
    )
    assert len(expected) == 5 and reported == expected
