"""Incremental re-analysis: after every edit, the findings equal those of a fresh, whole-file analysis.

One analyzer keeps its previous results and re-analyses only what an edit can change; another
forgets the file before every analysis. Random line edits (bugs added, lines removed, factories,
attributes and ``forward`` changed, syntax broken) must never make them disagree.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from torchls.analysis.engine import Analyzer

from .golden import render
from .training_module import training_module

SOURCE = """\
import torch
from torch import nn, optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x)


def build():
    return Net()


def wrap():
    return build()


def train():
    model = wrap()
    model.eval
    out = model(torch.randn(2, 4))
    total = out.item + 1
    opt = optim.SGD(model.parameters, lr=0.1)
    return total, opt


def other():
    net = Net()
    net.fc.train
    return net


make = build


def via_alias():
    made = make()
    made.eval


def with_default(net=wrap()):
    net.train
"""

SNIPPETS = [
    "return [1]",
    "return 3",
    "self.fc = [1]",
    "self.fc = nn.Linear(2, 2)",
    "model.eval",
    "model = build()",
    "model = 'text'",
    "out = model(torch.randn(2, 4))",
    "x = out.shape()",
    "loss = out.sum().item",
    "with torch.no_grad:",
    "pass",
    "global model",
    "def helper(): return Net()",
    "make = wrap",
    "self.fc.weight.data = 1",
    "",
    "# a comment",
    "(",
]


def random_edit(source: str, rng: random.Random) -> str:
    lines = source.splitlines()
    index = rng.randrange(len(lines))
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    operation = rng.choice(["replace", "insert", "delete"])
    if operation == "delete" and len(lines) > 5:
        del lines[index]
    elif operation == "insert":
        lines.insert(index, indent + rng.choice(SNIPPETS))
    else:
        lines[index] = indent + rng.choice(SNIPPETS)
    return "\n".join(lines) + "\n"


@pytest.fixture
def analyzers(analyzer: Analyzer, tmp_path: Path) -> tuple[Analyzer, Analyzer]:
    incremental = Analyzer(analyzer.environment, project_root=tmp_path, catalog=analyzer.catalog)
    whole = Analyzer(analyzer.environment, project_root=tmp_path, catalog=analyzer.catalog)
    return incremental, whole


@pytest.mark.parametrize("seed", range(6))
def test_random_edits_give_the_findings_of_a_whole_analysis(
    analyzers: tuple[Analyzer, Analyzer], tmp_path: Path, seed: int
) -> None:
    incremental, whole = analyzers
    path = tmp_path / "train.py"
    rng = random.Random(seed)
    source = SOURCE
    incremental.analyze(source, path)
    for step in range(40):
        source = random_edit(source, rng) if rng.random() < 0.8 else SOURCE  # back to the start now and then
        whole.forget(path)
        expected = render(whole.analyze(source, path))
        assert render(incremental.analyze(source, path)) == expected, f"step {step}:\n{source}"
    assert incremental.stats["units reused"] > 0


def test_an_edit_in_one_function_reanalyses_only_what_depends_on_it(
    analyzers: tuple[Analyzer, Analyzer], tmp_path: Path
) -> None:
    incremental, whole = analyzers
    path = tmp_path / "train.py"
    source = training_module(1000)
    first = incremental.analyze(source, path)
    candidates = incremental.stats["candidates"]
    # A new bug in the middle of a training loop, two lines long: everything below moves down.
    lines = source.splitlines(keepends=True)
    middle = next(i for i in range(len(lines) // 2, len(lines)) if lines[i].strip() == "optimizer.step()")
    edited = "".join(lines[:middle] + ["            optimizer.step\n", "            model.eval\n"] + lines[middle:])
    findings = incremental.analyze(edited, path)
    assert render(findings) == render(whole.analyze(edited, path))
    assert len(findings) == len(first) + 2
    reanalysed = incremental.stats["candidates"] - candidates
    assert 0 < reanalysed < candidates / 4, (reanalysed, candidates)
    assert incremental.stats["units reused"] >= 100  # of its 114 functions and methods


@pytest.mark.parametrize(
    "before, after",
    [
        ("    return Net()\n\n\ndef wrap", "    return [1]\n\n\ndef wrap"),  # `make = build` at module level
        ("        self.fc = nn.Linear(4, 4)", "        self.fc = None"),  # an attribute other code reads
        ("        return self.fc(x)", "        return 3"),  # forward: reached by calling the module
    ],
)
def test_edits_reaching_other_code_without_its_name(
    analyzers: tuple[Analyzer, Analyzer], tmp_path: Path, before: str, after: str
) -> None:
    incremental, whole = analyzers
    path = tmp_path / "train.py"
    assert before in SOURCE
    edited = SOURCE.replace(before, after)
    first = incremental.analyze(SOURCE, path)
    findings = incremental.analyze(edited, path)
    assert render(findings) == render(whole.analyze(edited, path))
    assert len(findings) < len(first)
