"""Call sites across files (analysis/workspace.py): a function's parameter is what the project's other
files pass to it, when every call agrees; the CLI and its results cache follow the callers, the index
reads only the files that changed, and open documents' text wins over the disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from torchls.analysis import workspace
from torchls.analysis.engine import Analyzer
from torchls.analysis.environment import find_environment

from .helpers import ENV, ROOT

LIBRARY = "def count_parameters(model):\n    return sum(p.numel() for p in model.parameters)\n"
NET = "from torch import nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
MAIN = NET + "\n\nfrom train_lib import count_parameters\n\ncount_parameters(Net())\n"
PLAIN = "from train_lib import count_parameters\n\n\nclass Box:\n    parameters = [1]\n\n\ncount_parameters(Box())\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "pyproject.toml").write_text("")
    (folder / "train_lib.py").write_text(LIBRARY)
    (folder / "main.py").write_text(MAIN)
    return folder


@pytest.fixture
def project_analyzer(project: Path) -> Iterator[Analyzer]:
    analyzer = Analyzer(find_environment(sys.executable), project_root=project)
    yield analyzer
    analyzer.close()


def findings_in(analyzer: Analyzer, path: Path) -> list[str]:
    """A fresh analysis of the file: what was kept for its unchanged text rests on callers that changed."""
    analyzer.forget_findings()
    return [f.message for f in analyzer.analyze(path.read_text(), path)]


def test_cli_follows_the_callers_through_its_cache(project: Path, tmp_path: Path) -> None:
    def check() -> list[dict[str, object]]:
        result = subprocess.run(
            [sys.executable, "-m", "torchls", "check", "--format", "json", "."],
            cwd=project,
            capture_output=True,
            text=True,
            env={**ENV, "XDG_CACHE_HOME": str(tmp_path / "cache")},
            timeout=600,
        )
        assert result.returncode in (0, 1), result.stderr
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    (finding,) = check()
    assert (finding["path"], finding["line"]) == ("train_lib.py", 2)
    assert "(`model` is a `main.Net` at the call of its function in `main.py`.)" in str(finding["message"])
    assert len(check()) == 1  # served from the cache
    # train_lib.py is unchanged, but its caller now passes a plain object: its entry no longer applies.
    (project / "main.py").write_text(PLAIN)
    assert check() == []
    (project / "main.py").write_text(MAIN)
    assert len(check()) == 1
    # A new caller that passes a plain object: the calls disagree.
    (project / "stats.py").write_text(PLAIN)
    assert check() == []


def test_every_kind_of_import_is_followed(project: Path, project_analyzer: Analyzer) -> None:
    library = project / "train_lib.py"
    (project / "main.py").write_text(NET)
    callers = {
        "from_import.py": "from main import Net\nfrom train_lib import count_parameters\ncount_parameters(Net())\n",
        "attribute.py": "import main\nimport train_lib as lib\nlib.count_parameters(main.Net().to('cpu'))\n",
        "star.py": "from main import Net\nfrom train_lib import *\n\n\ndef run():\n    count_parameters(Net())\n",
        "pkg/__init__.py": "from train_lib import count_parameters\n",
        "pkg/run.py": "from main import Net\n\nfrom . import count_parameters\n\ncount_parameters(Net())\n",
        "uses_pkg.py": "import pkg\nfrom main import Net\npkg.count_parameters(Net())\n",
    }
    for name, text in callers.items():
        (project / name).parent.mkdir(exist_ok=True)
        (project / name).write_text(text)
    (message,) = findings_in(project_analyzer, library)
    assert "all 5 calls of its function in 5 files" in message


@pytest.mark.parametrize(
    "caller",
    [
        "from threading import Thread\nfrom train_lib import count_parameters\nThread(target=count_parameters)\n",
        "from train_lib import count_parameters as count\nfrom main import Net\ncount(Net())\n",
        "import pickle\nfrom train_lib import count_parameters\ncount_parameters(pickle.loads(b''))\n",
        "from main import Net\nfrom train_lib import count_parameters\ncount_parameters(*[Net()])\n",
    ],
    ids=["used-as-a-value", "aliased-import", "unknown-argument", "star-arguments"],
)
def test_a_caller_out_of_view_leaves_the_parameter_unknown(
    caller: str, project: Path, project_analyzer: Analyzer
) -> None:
    assert len(findings_in(project_analyzer, project / "train_lib.py")) == 1  # main.py's call alone
    (project / "other.py").write_text(caller)
    assert findings_in(project_analyzer, project / "train_lib.py") == []


def test_a_notebook_that_may_call_it_leaves_it_unknown(project: Path, project_analyzer: Analyzer) -> None:
    assert len(findings_in(project_analyzer, project / "train_lib.py")) == 1
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": PLAIN}
    (project / "explore.ipynb").write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4}))
    assert findings_in(project_analyzer, project / "train_lib.py") == []


def test_too_many_caller_files_leave_it_unknown(
    project: Path, project_analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "again.py").write_text(MAIN.replace("class Net", "class Other").replace("(Net())", "(Other())"))
    assert len(findings_in(project_analyzer, project / "train_lib.py")) == 1
    monkeypatch.setattr(workspace, "MAX_CALLER_FILES", 1)
    assert findings_in(project_analyzer, project / "train_lib.py") == []


def test_the_index_reads_only_changed_files_and_open_text_wins(project: Path, project_analyzer: Analyzer) -> None:
    library = project / "train_lib.py"
    for number in range(5):
        (project / f"unrelated_{number}.py").write_text(f"value = {number}\n")
    assert len(findings_in(project_analyzer, library)) == 1
    index = project_analyzer.workspace
    read = index.stats["files read"]
    assert read == 6  # every other file of the project, once
    assert len(findings_in(project_analyzer, library)) == 1
    assert index.stats["files read"] == read  # nothing changed: nothing read again

    main = project / "main.py"
    main.write_text(MAIN + "\n")
    os.utime(main, ns=(main.stat().st_mtime_ns + 1_000_000, main.stat().st_mtime_ns + 1_000_000))
    index.refresh()  # as after LISTING_TTL_S, or a save
    assert len(findings_in(project_analyzer, library)) == 1
    assert index.stats["files read"] == read + 1  # the changed file only

    index.documents[main.resolve()] = PLAIN  # the editor's unsaved text of main.py
    assert findings_in(project_analyzer, library) == []
    del index.documents[main.resolve()]
    assert len(findings_in(project_analyzer, library)) == 1


def test_a_named_pipe_in_the_project_is_never_opened(project: Path, project_analyzer: Analyzer) -> None:
    os.mkfifo(project / "pipe.py")  # reading it would block the analysis forever
    assert len(findings_in(project_analyzer, project / "train_lib.py")) == 1


def test_files_outside_the_project_are_never_read(tmp_path: Path, project: Path, project_analyzer: Analyzer) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "caller.py").write_text(MAIN)
    (project / "main.py").write_text(NET)
    assert findings_in(project_analyzer, project / "train_lib.py") == []
    assert all(project in path.parents for path in project_analyzer.workspace._words)


def test_the_repository_itself_is_within_the_bounds() -> None:
    """The walk of a real project (this repository, venvs and node_modules skipped) stays under MAX_FILES."""
    assert workspace.WorkspaceIndex().files(ROOT) is not None


# What callers pass is kept across analyses (WorkspaceIndex.kept_arguments): an edit of the callee's body reuses
# it; each test below edits the callee's body after something the kept values rest on changed, as an editor does
# (no forget_findings), and fails if a stale value is served.
MODELS = "from torch import nn\n\n\nclass Net(nn.Module):\n    pass\n"
PLAIN_NET = "class Net:\n    parameters = [1]\n"
FROM_MODELS = "from models import Net\nfrom train_lib import count_parameters\n\ncount_parameters(Net())\n"


def after_body_edit(analyzer: Analyzer, library: Path, number: int) -> list[str]:
    """The findings of the library with a line typed in count_parameters's body (its header unchanged)."""
    text = library.read_text().replace("    return sum", f"    step = {number}\n    return sum", 1)
    return [f.message for f in analyzer.analyze(text, library)]


def kept_values(analyzer: Analyzer) -> list[object]:
    return [kept for kept in analyzer.workspace.kept_arguments.values() if kept]


def test_an_edit_of_the_callee_reuses_what_its_callers_pass(project: Path, project_analyzer: Analyzer) -> None:
    library = project / "train_lib.py"
    (message,) = after_body_edit(project_analyzer, library, 1)
    assert "(`model` is a `main.Net` at the call of its function in `main.py`.)" in message
    kept = dict(project_analyzer.workspace.kept_arguments)
    assert len(kept_values(project_analyzer)) == 1  # main.py's `Net()`, kept as a class to make again
    for number in (2, 3):
        (again,) = after_body_edit(project_analyzer, library, number)
        assert again.replace(str(number + 1), "") == message.replace("2", "")  # only the line moved
        assert project_analyzer.workspace.kept_arguments == kept  # reused: nothing inferred again


def test_a_change_of_the_callers_unsaved_text_is_seen(project: Path, project_analyzer: Analyzer) -> None:
    library, main = project / "train_lib.py", (project / "main.py").resolve()
    (project / "models.py").write_text(MODELS)
    documents = project_analyzer.workspace.documents
    # The call keeps its place (line 4): only the versions of the files tell a kept value from the new one.
    documents[main] = FROM_MODELS.replace("from models", "from nowhere")  # unknown: the parameter too
    assert after_body_edit(project_analyzer, library, 1) == []
    documents[main] = FROM_MODELS
    assert len(after_body_edit(project_analyzer, library, 2)) == 1
    documents[main] = FROM_MODELS.replace("from models", "from nowhere")
    assert after_body_edit(project_analyzer, library, 3) == []


def test_a_change_of_a_file_the_argument_comes_from_is_seen(project: Path, project_analyzer: Analyzer) -> None:
    """models.py calls nothing of train_lib: only the kept value rests on it."""
    library, models = project / "train_lib.py", project / "models.py"
    models.write_text("from nowhere import Net\n")
    (project / "main.py").write_text(FROM_MODELS)
    assert after_body_edit(project_analyzer, library, 1) == []
    # (An unsaved text of models.py is not what jedi imports, here as for any import: only callers' texts are.)
    models.write_text(MODELS)
    project_analyzer.workspace.refresh()  # as the server does on a save
    assert len(after_body_edit(project_analyzer, library, 2)) == 1
    assert kept_values(project_analyzer)
    models.write_text(PLAIN_NET)
    project_analyzer.workspace.refresh()
    assert after_body_edit(project_analyzer, library, 3) == []


def test_a_new_or_removed_caller_is_seen(project: Path, project_analyzer: Analyzer) -> None:
    library = project / "train_lib.py"
    assert len(after_body_edit(project_analyzer, library, 1)) == 1
    (project / "stats.py").write_text(PLAIN)
    project_analyzer.workspace.refresh()
    assert after_body_edit(project_analyzer, library, 2) == []
    (project / "stats.py").unlink()
    project_analyzer.workspace.refresh()
    assert len(after_body_edit(project_analyzer, library, 3)) == 1


def test_an_argument_made_by_the_analysed_file_follows_its_edits(project: Path, project_analyzer: Analyzer) -> None:
    """``count_parameters(build())``: what main.py passes is what train_lib.py's own build() returns."""
    library = project / "train_lib.py"
    (project / "models.py").write_text(MODELS)
    library.write_text("from models import Net\n\n\ndef build():\n    return Net()\n\n\n" + LIBRARY)
    (project / "main.py").write_text("from train_lib import build, count_parameters\n\ncount_parameters(build())\n")
    assert len(after_body_edit(project_analyzer, library, 1)) == 1
    assert kept_values(project_analyzer) == []  # it rests on the analysed file: not kept
    library.write_text(library.read_text().replace("return Net()", "return Box()") + "\n\n" + PLAIN.split("\n\n\n")[1])
    assert "class Box" in library.read_text()
    assert after_body_edit(project_analyzer, library, 2) == []


# Methods called from other files through an instance: `trainer.fit(model)`, where jedi says `trainer` is a Trainer.
TRAINER = (
    "class Trainer:\n    def fit(self, model):\n        return sum(p.numel() for p in model.parameters)\n\n\n"
    "class Other:\n    def fit(self, model):\n        return sum(p.numel() for p in model.parameters)\n"
)
BOX = "class Box:\n    parameters = [1]\n"
FITS = NET + BOX + "\n\nfrom trainer_lib import Other, Trainer\n\nTrainer().fit(Net())\nOther().fit(Box())\n"


@pytest.fixture
def trainer_project(project: Path) -> Path:
    (project / "trainer_lib.py").write_text(TRAINER)
    (project / "main.py").write_text(FITS)
    return project


def fit_lines(analyzer: Analyzer, project: Path) -> list[int]:
    analyzer.forget_findings()
    library = project / "trainer_lib.py"
    return [f.span.start[0] for f in analyzer.analyze(library.read_text(), library)]


def test_a_method_called_from_another_file_through_an_instance(
    trainer_project: Path, project_analyzer: Analyzer
) -> None:
    """Trainer.fit gets main.Net; Other.fit, a same-named method of another class, gets a Box: no finding."""
    library = trainer_project / "trainer_lib.py"
    (message,) = [f.message for f in project_analyzer.analyze(library.read_text(), library)]
    assert "(`model` is a `main.Net` at the call of its function in `main.py`.)" in message
    assert fit_lines(project_analyzer, trainer_project) == [3]  # Trainer.fit's line, not Other.fit's (8)


@pytest.mark.parametrize(
    "caller",
    [
        "def run(trainer, model):\n    trainer.fit(model)\n",  # the receiver is not known
        "from trainer_lib import Trainer\n\nhooks = [Trainer().fit]\n",  # used as a value
        "from trainer_lib import Trainer\nfrom main import Box\n\nTrainer().fit(Box())\n",  # the callers disagree
    ],
    ids=["unknown-receiver", "used-as-a-value", "callers-disagree"],
)
def test_a_method_call_out_of_view_leaves_it_unknown(
    caller: str, trainer_project: Path, project_analyzer: Analyzer
) -> None:
    assert fit_lines(project_analyzer, trainer_project) == [3]
    (trainer_project / "other.py").write_text(caller)
    assert fit_lines(project_analyzer, trainer_project) == []


def test_a_subclass_that_defines_the_method_again_is_not_a_caller(
    trainer_project: Path, project_analyzer: Analyzer
) -> None:
    """`Fast().fit(Box())` runs Fast.fit, not Trainer.fit: Trainer.fit still gets only main.Net."""
    subclass = "from trainer_lib import Trainer\n\n\nclass Fast(Trainer):\n    def fit(self, model):\n        pass\n"
    (trainer_project / "fast.py").write_text(subclass + "\n\nfrom main import Box\n\nFast().fit(Box())\n")
    assert fit_lines(project_analyzer, trainer_project) == [3]
    inherited = subclass.replace("    def fit(self, model):\n        pass\n", "    pass\n")
    (trainer_project / "fast.py").write_text(inherited + "\n\nfrom main import Box\n\nFast().fit(Box())\n")
    assert fit_lines(project_analyzer, trainer_project) == []  # it runs Trainer.fit with a Box: they disagree


def test_a_method_that_overrides_a_base_class_method_is_left_alone(project: Path, project_analyzer: Analyzer) -> None:
    """A library may call a method its base class defines (Lightning's `training_step`): callers out of view."""
    base = "class Base:\n    def fit(self, model):\n        pass\n\n\n"
    (project / "trainer_lib.py").write_text(base + TRAINER.replace("class Trainer:", "class Trainer(Base):"))
    (project / "main.py").write_text(FITS)
    assert fit_lines(project_analyzer, project) == []
