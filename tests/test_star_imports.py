"""Star imports followed by name (jedi_bridge.search_star_imports_by_name, star_imports.py): jedi finds
the same names through chains of ``from .x import *`` as before, and parses only the files that may
define the name looked up."""

from __future__ import annotations

import inspect
from pathlib import Path

import jedi
import pytest

import torchls.analysis.engine  # noqa: F401  (installs the lazy star imports, as every analysis has them)
from torchls.analysis import jedi_bridge, star_imports
from torchls.analysis.environment import find_environment

PACKAGE = {
    "__init__.py": "from .a import *\nfrom .unrelated import *\nfrom .sub import *\n",
    "a.py": "from .b import *\nALPHA = 1\n",
    "b.py": "from .a import *  # a cycle\nclass Beta:\n    pass\n",
    "unrelated.py": "class Other:\n    pass\n",
    "sub/__init__.py": "if False:\n    from .deep import *\n",
    "sub/deep.py": "class Deep:\n    pass\n",
    "alone.py": "class Gamma:\n    pass\n",
}


@pytest.fixture
def package(tmp_path: Path) -> Path:
    for name, text in PACKAGE.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def script_in(root: Path, source: str) -> jedi.Script:
    return jedi.Script(source, path=root / "user.py", project=jedi.Project(root), environment=find_environment())


def infer(root: Path, source: str) -> list[str]:
    script = script_in(root, source)
    line = len(source.splitlines())
    return sorted(name.full_name or "" for name in script.infer(line, len(source.splitlines()[-1]) - 1))


def test_the_patch_is_installed() -> None:
    from jedi.inference.value.module import ModuleMixin

    assert getattr(ModuleMixin.iter_star_filters, "torchls_lazy", False)
    assert callable(ModuleMixin.star_imports)  # jedi's own method, still there for its other callers
    from jedi.inference.imports import Importer

    parameters = list(inspect.signature(Importer).parameters)
    assert parameters[:4] == ["inference_state", "import_path", "module_context", "level"]
    jedi_bridge.search_star_imports_by_name()  # idempotent
    assert getattr(ModuleMixin.iter_star_filters, "torchls_lazy", False)


@pytest.mark.parametrize(
    "name,expected",
    [("Beta", ["pkg.b.Beta"]), ("Deep", ["pkg.sub.deep.Deep"]), ("ALPHA", ["builtins.int"]), ("Gamma", [])],
)
def test_names_found_through_star_imports(package: Path, name: str, expected: list[str]) -> None:
    assert infer(package, f"from pkg import {name}\n{name}\n") == expected


def test_only_files_that_may_define_the_name_are_parsed(package: Path) -> None:
    assert infer(package, "from pkg import Deep\nDeep\n") == ["pkg.sub.deep.Deep"]
    parsed = {str(path) for trees in jedi_bridge.parse_trees() for path in trees}
    assert str(package / "pkg" / "sub" / "deep.py") in parsed
    assert str(package / "pkg" / "unrelated.py") not in parsed  # star-imported, but `Deep` is not in it


def test_completion_still_lists_every_star_imported_name(package: Path) -> None:
    source = "import pkg\npkg.\n"
    script = jedi.Script(
        source, path=package / "user.py", project=jedi.Project(package), environment=find_environment()
    )
    names = {completion.name for completion in script.complete(2, 4)}
    assert {"ALPHA", "Beta", "Other", "Deep"} <= names
    assert "Gamma" not in names


def test_may_define_reads_chains_cycles_and_what_it_cannot_read(tmp_path: Path) -> None:
    files = {
        "a.py": "from .b import *\nfrom .d import *\n",
        "b.py": "from .a import *\n",  # `Name` only through a, which b's cycle reaches first
        "d.py": "Name = 1\n",
        "odd.py": "from .d import \\\n    *\n",  # a star import this reading does not parse
        "none.py": "x = 1\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    here = tmp_path / "here.py"
    assert star_imports.may_define(here, 1, ["a"], "Name")
    assert star_imports.may_define(here, 1, ["b"], "Name")  # b's answer, cut short in a's search, was not kept
    assert not star_imports.may_define(here, 1, ["none"], "Name")
    assert star_imports.may_define(here, 1, ["odd"], "Name")
    assert star_imports.may_define(here, 1, ["missing"], "Name")  # not a file here: jedi decides
    assert star_imports.may_define(here, 0, ["os"], "Name")  # absolute: jedi decides
    (tmp_path / "none.py").write_text("Name = 2\n", encoding="utf-8")
    assert star_imports.may_define(here, 1, ["none"], "Name")  # the file changed: read again
