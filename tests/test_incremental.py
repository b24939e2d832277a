"""Incremental re-analysis: after every edit, the findings equal those of a fresh, whole-file analysis.

One analyzer keeps its previous results and re-analyses only what an edit can change; another
forgets the file before every analysis. Random edits (bugs added, lines removed, factories,
attributes and ``forward`` changed, syntax broken, in functions and in module-level code; comments
and whitespace; 20-line blocks pasted; lines deleted; undo) must never make them disagree.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
from parso import parse

from torchls.analysis.engine import Analyzer
from torchls.analysis.findings import Finding
from torchls.analysis.incremental import layout, reuse_plan, units_to_reuse

from .golden import render as render_all
from .training_module import training_module, training_script


def render(findings: list[Finding]) -> str:
    """The findings without their notes. How a receiver nobody typed is known ("(`net` is a `Linear`
    at the call on line 29.)") is an explanation jedi may reach by another route when only part of
    the file is inferred again; which findings there are, where, and their fixes must be the same."""
    return render_all([dataclasses.replace(f, message=f.message.removesuffix(f" {f.facts.note}")) for f in findings])


SOURCE = """\
import torch
from torch import nn, optim
from elsewhere import load_model


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x)


class Base:
    def __init__(self):
        self.layer = nn.Linear(2, 2)


class Child(Base):
    def use(self):
        print(self.layer.weight())


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


def check(net):
    net.eval
    print(net.training())


def run():
    made = wrap()
    check(made)


class Runner:
    def __init__(self):
        self.model = load_model()

    def fit(self):
        self.model.train()
        self.model.zero_grad()

    def save(self):
        if self.model.training():
            pass


def annotated() -> Net:
    return Net()


def unresolved() -> "Missing":
    return Net()


def use_annotated():
    a = annotated()
    a.eval
    u = unresolved()
    u.eval


loaded = load_model()
loaded.train()
loaded.zero_grad()
if loaded.training():
    pass
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
    "class Net(object):",
    "class Extra(Net): pass",
    "xs.append(Net())",
    "self.model.train()",
    "loaded.zero_grad()",
    "loaded = 1",
    "xs = [] *",
    "model = build() *",
    "assert isinstance(model, Net) *",
    "if isinstance(out, int) *:",
    "from elsewhere import build",
    "from torch import nn as wrap",
]


def random_edit(
    source: str,
    rng: random.Random,
    snippets: list[str] = SNIPPETS,
    operations: tuple[str, ...] = ("replace", "insert", "delete", "break"),
) -> str:
    lines = source.splitlines()
    index = rng.randrange(len(lines))
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    operation = rng.choice(operations)
    if operation == "delete" and len(lines) > 5:
        del lines[index]
    elif operation == "break":
        lines[index] += rng.choice([" *", " (", " =", ":"])  # typing, half done
    elif operation == "insert":
        lines.insert(index, indent + rng.choice(snippets))
    else:
        lines[index] = indent + rng.choice(snippets)
    return "\n".join(lines) + "\n"


def _apart(path: Path) -> Path:
    """The same file name in a folder of its own, for the whole-file analyzer.

    parso keeps one tree per path and its diff parser changes it in place: two analyzers editing the
    same path would each see trees the other one changed.
    """
    folder = path.parent / "whole"
    folder.mkdir(exist_ok=True)
    return folder / path.name


def assert_as_whole(incremental: Analyzer, whole: Analyzer, source: str, path: Path, where: str) -> None:
    """The incremental analysis of ``source`` finds what a whole-file analysis of it finds."""
    whole.forget(_apart(path))
    expected = render(whole.analyze(source, _apart(path)))
    assert render(incremental.analyze(source, path)) == expected, f"{where}:\n{source}"


@pytest.fixture
def analyzers(analyzer: Analyzer, tmp_path: Path) -> tuple[Analyzer, Analyzer]:
    incremental = Analyzer(analyzer.environment, project_root=tmp_path, catalog=analyzer.catalog)
    whole = Analyzer(analyzer.environment, project_root=tmp_path, catalog=analyzer.catalog)
    return incremental, whole


@pytest.mark.parametrize("seed", range(14))
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
        assert_as_whole(incremental, whole, source, path, f"step {step}")
    assert incremental.stats["units reused"] > 0
    assert incremental.stats["statements reused"] > 0  # in an edited function, what the edit cannot reach


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
    assert render(findings) == render(whole.analyze(edited, _apart(path)))
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
        # Evidence from use: how another method uses `self.model`, how a function uses `loaded`.
        ("        self.model.train()\n        self.model.zero_grad()", "        pass"),
        ("loaded.train()\nloaded.zero_grad()", "pass"),
        ("def check(net):", "def check(net):\n    loaded = 2"),  # `loaded` bound twice in the file
        ('def unresolved() -> "Missing":\n    return Net()', 'def unresolved() -> "Missing":\n    return 1'),
        ("    check(made)\n", "    made.eval()\n"),  # the one call of `check` gone: `net` is unknown
        ("    out = model(torch.randn(2, 4))", "    out = 3"),  # a statement of the edited function reads it
        ("    model.eval\n    out =", "    model = 'text'\n    out ="),  # ... or reads what one bound from it
        ("        self.layer = nn.Linear(2, 2)", "        self.layer = None"),  # a subclass's `self.layer`
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
    assert render(findings) == render(whole.analyze(edited, _apart(path)))
    assert len(findings) < len(first)


# Module-level code, as in scripts and notebooks: names rebound in loops, branches and blocks.
SCRIPT = """\
import torch
from torch import nn, optim

model = nn.Linear(4, 4)
opt = optim.SGD(model.parameters(), lr=0.1)
model.eval
for step in range(3):
    x = torch.randn(2, 4)
    loss = model(x).sum()
    loss.backward
    opt.step()
print(loss.item)
if torch.cuda.is_available():
    model = "text"
model.train
with torch.no_grad():
    out = model(x)
    total = out.item + 1
items = []
items.append(nn.ReLU())
items[0].eval


def helper(net):
    net.eval
    return net


model = helper(nn.Linear(2, 2))
model.train
try:
    other = nn.Linear(1, 1)
except ValueError:
    other = None
other.eval
"""

SCRIPT_SNIPPETS = [
    "model = nn.Linear(2, 2)",
    "model = 'text'",
    "model.eval",
    "loss = x.sum()",
    "loss = 3",
    "x = model.weight",
    "opt = optim.SGD(model.parameters, lr=0.1)",
    "items.append('text')",
    "other = nn.Linear(1, 1)",
    "del model",
    "assert isinstance(model, nn.Module)",
    "from torch import nn as model",
    "global loss",
    "def helper(net): return 'text'",
    "for loss in range(3): pass",
    "with torch.no_grad: pass",
    "import torch as nn",
    "(",
]


def script_edit(source: str, rng: random.Random) -> str:
    """One edit of module-level code: a line replaced, inserted at any indentation, or deleted."""
    lines = source.splitlines()
    index = rng.randrange(len(lines))
    indent = rng.choice(["", lines[index][: len(lines[index]) - len(lines[index].lstrip())]])
    operation = rng.choice(["replace", "insert", "delete", "break"])
    if operation == "delete" and len(lines) > 5:
        del lines[index]
    elif operation == "break":
        lines[index] += rng.choice([" *", " (", " =", ":"])  # typing, half done
    elif operation == "insert":
        lines.insert(index, indent + rng.choice(SCRIPT_SNIPPETS))
    else:
        lines[index] = indent + rng.choice(SCRIPT_SNIPPETS)
    return "\n".join(lines) + "\n"


def layout_edit(source: str, rng: random.Random) -> str:
    """An edit that changes no code, or moves whole lines: comments, whitespace, paste, delete."""
    lines = source.splitlines()
    index = rng.randrange(len(lines))
    line = lines[index]
    indent = line[: len(line) - len(line.lstrip())]
    operation = rng.choice(["comment", "indented comment", "trailing comment", "spaces", "blank", "paste", "delete"])
    if operation == "comment":
        lines.insert(index, "# a comment")
    elif operation == "indented comment":
        lines.insert(index, indent + "# a comment")
    elif operation == "trailing comment" and line.strip():
        lines[index] = line + "  # type: ignore" if rng.random() < 0.2 else line + "  # note"
    elif operation == "spaces":
        lines[index] = line.replace(", ", " , ").replace(" = ", "  =  ").replace("(", "( ")
    elif operation == "blank":
        lines.insert(index, rng.choice(["", indent]))
    elif operation == "paste":
        start = rng.randrange(len(lines))
        lines[index:index] = lines[start : start + 20]
    elif operation == "delete" and len(lines) > 5:
        del lines[index]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(4))
def test_random_module_level_edits_give_the_findings_of_a_whole_analysis(
    analyzers: tuple[Analyzer, Analyzer], tmp_path: Path, seed: int
) -> None:
    incremental, whole = analyzers
    path = tmp_path / "script.py"
    rng = random.Random(seed)
    sources = [SCRIPT]
    incremental.analyze(SCRIPT, path)
    for step in range(40):
        choice = rng.random()
        if choice < 0.15 and len(sources) > 1:
            sources.pop()  # undo
        elif choice < 0.25:
            sources.append(SCRIPT)
        else:
            edit = script_edit if choice < 0.75 else layout_edit
            sources.append(edit(sources[-1], rng))
        source = sources[-1]
        assert_as_whole(incremental, whole, source, path, f"step {step}")
    assert incremental.stats["units reused"] > 0


@pytest.mark.parametrize("seed", range(3))
def test_comments_pastes_deletions_and_undo_give_the_findings_of_a_whole_analysis(
    analyzers: tuple[Analyzer, Analyzer], tmp_path: Path, seed: int
) -> None:
    incremental, whole = analyzers
    rng = random.Random(seed)
    for name, original in (("module", training_module(150, bug_every=1)), ("script", training_script(120, 1))):
        path = tmp_path / f"{name}.py"
        sources = [original]
        incremental.analyze(original, path)
        for step in range(12):
            if rng.random() < 0.2 and len(sources) > 1:
                sources.pop()  # undo
            else:
                sources.append(layout_edit(sources[-1], rng))
            source = sources[-1]
            assert_as_whole(incremental, whole, source, path, f"{name} step {step}")


def test_comment_and_whitespace_edits_republish_without_inference(
    analyzers: tuple[Analyzer, Analyzer], tmp_path: Path
) -> None:
    incremental, whole = analyzers
    path = tmp_path / "script.py"
    source = training_script(200, bug_every=1)
    first = incremental.analyze(source, path)
    candidates = incremental.stats["candidates"]
    lines = source.splitlines(keepends=True)
    middle = len(lines) // 2
    edited = "".join(
        lines[:middle]
        + ["# a comment\n", "\n", "    # indented\n"]
        + [line.replace(", ", " ,  ") for line in lines[middle:]]
    )
    findings = incremental.analyze(edited, path)
    assert incremental.stats["candidates"] == candidates  # nothing resolved again
    assert render(findings) == render(whole.analyze(edited, _apart(path)))
    assert len(findings) == len(first) > 0


CLASS = """\
import torch
from torch import nn


class Trainer:
    def __init__(self, model: nn.Module):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        self.steps = 0

    def step(self):
        self.optimizer.zero_grad
        self.steps += 1
        return self.steps

    def evaluate(self):
        self.model.eval
        return self.model

    def report(self):
        total = 0
        total += self.step()
        self.optimizer.step()
        print(total)
"""


def reanalysed(before: str, after: str, *names: str) -> set[str]:
    """The functions and methods that an edit from ``before`` to ``after`` has analysed again."""
    previous, current = (layout(parse(text), text) for text in (before, after))
    reused = units_to_reuse(previous, current)
    assert reused is not None, "the whole file"
    return {unit.name for index, unit in enumerate(current.units) if unit.name and index not in reused}


def test_a_method_edit_reanalyses_only_what_reads_what_it_changed() -> None:
    # A statement that changes no attribute and no return value: only the method itself.
    edited = CLASS.replace("        print(total)\n", "        print(total, 1)\n")
    assert reanalysed(CLASS, edited) == {"report"}
    # An attribute: the methods that read `.optimizer`.
    edited = CLASS.replace("lr=0.1)", "lr=0.2)")
    assert reanalysed(CLASS, edited) == {"__init__", "step", "report"}
    # A return value: the callers of `step`.
    edited = CLASS.replace("        return self.steps\n", "        return None\n")
    assert reanalysed(CLASS, edited) == {"step", "report"}


def test_a_changed_call_site_reanalyses_the_function_it_calls() -> None:
    # The call's arguments may give `helper`'s parameter its type.
    edited = SCRIPT.replace("model = helper(nn.Linear(2, 2))", "model = helper(nn.Linear(3, 3))")
    assert "helper" in reanalysed(SCRIPT, edited)
    # `step` has no parameter a call could type: calling it otherwise changes nothing in it.
    edited = CLASS.replace("        total += self.step()\n", "        total += self.step() + 1\n")
    assert reanalysed(CLASS, edited) == {"report"}


def test_what_a_caller_analysed_again_passes_reanalyses_the_callee_transitively() -> None:
    # `main` reads `build`, whose return changed; what it passes to `train` (and `train` to `step`)
    # may have changed with it. `typed`'s parameter is annotated: its calls do not type it.
    before = """\
def build():
    return 1


def step(net):
    net.eval


def train(model):
    step(model)


def typed(model: int):
    model.eval


def main():
    m = build()
    train(m)
    typed(m)
"""
    assert reanalysed(before, before.replace("return 1", "return 2")) == {"build", "main", "train", "step"}


def test_module_level_code_sees_only_the_nearest_certain_binding_above_it() -> None:
    text = "import torch\nmodel = torch.nn.Linear(1, 1)\nmodel.eval\nmodel = torch.nn.ReLU()\nmodel.train\n"
    previous, current = (layout(parse(t), t) for t in (text, text.replace("Linear(1, 1)", "Linear(2, 2)")))
    reused = units_to_reuse(previous, current)
    assert reused is not None
    assert [index in reused for index in range(len(current.units))] == [True, False, False, True, True]


def test_a_use_seen_twice_is_evidence_for_the_other_one(analyzers: tuple[Analyzer, Analyzer], tmp_path: Path) -> None:
    """Each use is left out of its own evidence: removing one of two equal uses changes the other's."""
    incremental, whole = analyzers
    path = tmp_path / "train.py"
    twice = SOURCE.replace(
        "        self.model.zero_grad()\n", "        self.model.zero_grad()\n        self.model.training()\n"
    )
    assert twice != SOURCE
    incremental.analyze(twice, path)
    findings = incremental.analyze(SOURCE, path)
    assert render(findings) == render(whole.analyze(SOURCE, _apart(path)))
    assert any("training" in f.message for f in findings)


def test_a_first_screenful_is_the_whole_analysis_cut_at_its_last_line_and_not_kept(
    analyzers: tuple[Analyzer, Analyzer], tmp_path: Path
) -> None:
    incremental, whole = analyzers
    path = tmp_path / "script.py"
    source = training_script(200, bug_every=1)
    complete = whole.analyze(source, _apart(path))
    assert {f.span.start[0] <= 60 for f in complete} == {True, False}  # findings on both sides of the cut
    first_screen = incremental.analyze(source, path, last_line=60)
    assert render(first_screen) == render([f for f in complete if f.span.start[0] <= 60])
    reused = incremental.stats["units reused"]
    assert render(incremental.analyze(source, path)) == render(complete)
    assert incremental.stats["units reused"] == reused  # the cut analysis was not kept for reuse
    assert render(incremental.analyze(source, path, last_line=60)) == render(complete)  # reused: all of it


def test_an_undo_or_redo_gives_an_earlier_texts_findings_back_without_inference(
    analyzers: tuple[Analyzer, Analyzer], tmp_path: Path
) -> None:
    incremental, whole = analyzers
    path = tmp_path / "script.py"
    source = training_script(200, bug_every=1)
    edited = source + "\nimport torch\ntorch.nn.Linear(1, 1).eval\n"
    before, after = incremental.analyze(source, path), incremental.analyze(edited, path)
    assert len(after) == len(before) + 1
    candidates, restored = incremental.stats["candidates"], incremental.stats["earlier texts restored"]
    assert render(incremental.analyze(source, path)) == render(before)  # undo
    assert render(incremental.analyze(edited, path)) == render(after)  # redo
    assert (incremental.stats["candidates"], incremental.stats["earlier texts restored"]) == (candidates, restored + 2)
    # Another file's edit may change what this one infers: its earlier analyses are dropped with the last one.
    incremental.analyze("import torch\n", tmp_path / "other.py")
    assert render(incremental.analyze(source, path)) == render(whole.analyze(source, _apart(path)))
    assert incremental.stats["earlier texts restored"] == restored + 2
    assert incremental.stats["candidates"] > candidates


PASSING = """\
import torch
from torch import nn


class Runner:
    def fit(self, model, data):
        model.eval
        data.item
        return model

    @staticmethod
    def check(model, data):
        model.eval
        data.item


def evaluate(model, data):
    model.eval
    data.item


def main():
    data = torch.zeros(1)
    model = nn.Linear(1, 1)
    Runner().fit(model, data)
    Runner.check(model, data=data)
    evaluate(data=data, model=model)
"""


@pytest.mark.parametrize(
    "edit",
    [
        ("data = torch.zeros(1)", "data = nn.Linear(1, 1)"),  # what each call passes as `data` changed
        ("model = nn.Linear(1, 1)", "model = torch.zeros(1)"),  # ... as `model`
        ("Runner().fit(model, data)", "Runner().fit(data, model)"),  # the call itself
        ("data=data)\n", "data=model)\n"),
        ("evaluate(data=data, model=model)", "evaluate(model, data)"),
    ],
)
def test_a_callee_reanalyses_only_what_reads_a_parameter_its_callers_pass_something_changed_to(
    analyzers: tuple[Analyzer, Analyzer], tmp_path: Path, edit: tuple[str, str]
) -> None:
    incremental, whole = analyzers
    path = tmp_path / "calls.py"
    incremental.analyze(PASSING, path)
    edited = PASSING.replace(*edit)
    assert edited != PASSING
    findings = incremental.analyze(edited, path)
    assert render(findings) == render(whole.analyze(edited, _apart(path)))


CALL_SNIPPETS = [
    "data = nn.Linear(1, 1)",
    "model = torch.zeros(1)",
    "x = data",
    "model = x",
    "Runner().fit(data, model)",
    "Runner().fit(model, x)",
    "Runner().fit(model=data, data=model)",
    "Runner().fit(*pair)",
    "evaluate(model, data=x)",
    "evaluate(x, model)",
    "Runner.check(data, model)",
    "Runner.fit(Runner(), data, model)",
    "Runner.fit(runner, model, data)",
    "runner = Runner()",
    "runner.fit(model, data)",
    "data.item",
    "return data",
    "def fit(self, data, model):",
    "def evaluate(data, *models):",
    "Runner().fit(model, data) *",
]


@pytest.mark.parametrize("seed", range(8))
def test_random_edits_of_calls_give_the_findings_of_a_whole_analysis(
    analyzers: tuple[Analyzer, Analyzer], tmp_path: Path, seed: int
) -> None:
    """Arguments swapped, passed by keyword or spread, parameters reordered: what reaches each parameter."""
    incremental, whole = analyzers
    path = tmp_path / "calls.py"
    rng = random.Random(seed)
    source = PASSING
    incremental.analyze(source, path)
    for step in range(30):
        source = random_edit(source, rng, CALL_SNIPPETS, ("replace", "insert")) if rng.random() < 0.85 else PASSING
        assert_as_whole(incremental, whole, source, path, f"step {step}")


def test_what_a_call_passes_is_known_per_parameter() -> None:
    # Only `data` changed: in the callees, the statements reading `model` keep their findings.
    previous, current = (
        layout(parse(text), text) for text in (PASSING, PASSING.replace("torch.zeros(1)", "torch.ones(1)"))
    )
    plan = reuse_plan(previous, current)
    assert plan is not None
    kept = {current.units[index].name: sorted(statements) for index, (_, statements) in plan.statements.items()}
    # `fit`: its header, `model.eval` and `return model` (statements 0, 1, 3) hold; `data.item` (2) does not.
    # A staticmethod's first parameter is not `self`: which one an argument goes to is not assumed.
    assert kept["fit"] == [0, 1, 3] and kept["evaluate"] == [0, 1] and kept["check"] == [0]
