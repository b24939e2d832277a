"""torchls next to mypy, basedpyright, pylint and ruff on the real-code set (tests/fixtures/realcode).

Each file is checked alone: copied into an empty temporary folder with only its helper modules
(``_*.py``, ``_*/``) beside it, and each tool is run on that one file. A tool finds a bug when it
reports a diagnostic on the bug's ``# bug:`` line; diagnostics that are about something else
(unused imports, annotations, style) are left out per tool below. Prints, per tool, how many of
the bugs it finds (per category and in all), how many diagnostics it puts on the negatives
(correct code), and every bug that another tool finds and torchls does not, with the message.

The tools live in their own virtualenv, created on the first run with pip (``--tools-venv``,
default ``~/.cache/torchls/bench-tools``), never in the test dependencies; they analyse this
interpreter's packages (real torch): mypy and basedpyright through their ``--python-executable``
and ``--pythonpath``, pylint through an init hook that appends this environment's site-packages.

    .venv/bin/python -m benchmarks.compare [--jobs 2] [--tools-venv DIR]   # from the repository root
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.golden import REALCODE, is_negative, realcode_files, realcode_table
from tests.truth_helpers import bug_lines, case_functions, case_of_line

from torchls.analysis.engine import Analyzer
from torchls.analysis.environment import find_environment

TOOLS = ["mypy==2.4.1", "basedpyright==1.40.2", "pylint==4.1.4", "ruff==0.17.6"]
DEFAULT_VENV = Path.home() / ".cache" / "torchls" / "bench-tools"
TIMEOUT_S = 600

# Diagnostics that never describe a bug of this kind, whatever line they land on.
MYPY_IGNORED = {"import-untyped", "import-not-found", "var-annotated", "annotation-unchecked", "no-untyped-def"}
BASEDPYRIGHT_COUNTED_WARNINGS = {"reportUnusedExpression", "reportOptionalMemberAccess", "reportCallIssue"}
BASEDPYRIGHT_IGNORED = {
    "reportConstantRedefinition",
    "reportPossiblyUnbound",
    "reportMissingImports",
    "reportMissingModuleSource",
    "reportRedeclaration",
    "reportUnusedVariable",
}
PYLINT_IGNORED = {
    "unused-import",
    "unused-variable",
    "unused-argument",
    "redefined-outer-name",
    "abstract-method",
    "import-error",
    "no-name-in-module",
    "protected-access",
    "attribute-defined-outside-init",
    "import-outside-toplevel",
    "unspecified-encoding",
    "redefined-builtin",
    "broad-exception-caught",
    "unnecessary-lambda",
    "logging-fstring-interpolation",
}
RUFF_SELECT = "B,PLE,PLW"
RUFF_IGNORED = {"B007", "B905", "PLW2901", "B006", "B008"}


@dataclass(frozen=True)
class Diagnostic:
    line: int
    code: str
    message: str


@dataclass(frozen=True)
class Tools:
    venv: Path
    python: str  # the analysed interpreter (this one: it has torch)

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)


def ensure_tools(venv: Path) -> None:
    """Create the tools' own virtualenv and install the pinned tools, once."""
    marker = venv / "installed.txt"
    if marker.exists() and marker.read_text(encoding="utf-8").split() == TOOLS:
        return
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *TOOLS], check=True)
    marker.write_text(" ".join(TOOLS), encoding="utf-8")


def run(command: list[str], cwd: Path) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S)
    return result.stdout


def mypy(tools: Tools, folder: Path, name: str) -> list[Diagnostic]:
    out = run(
        [
            tools.bin("mypy"),
            "--check-untyped-defs",
            "--python-executable",
            tools.python,
            "--show-error-codes",
            "--no-error-summary",
            "--cache-dir",
            str(tools.venv / "mypy-cache"),
            name,
        ],
        folder,
    )
    found = []
    for line in out.splitlines():
        head, _, rest = line.partition(": error: ")
        if not rest or not head.startswith(f"{name}:"):
            continue
        message, _, code = rest.rpartition("  [")
        code = code.rstrip("]")
        if code not in MYPY_IGNORED:
            found.append(Diagnostic(int(head.split(":")[1]), code, message))
    return found


def basedpyright(tools: Tools, folder: Path, name: str) -> list[Diagnostic]:
    out = run([tools.bin("basedpyright"), "--pythonpath", tools.python, "--outputjson", name], folder)
    found = []
    for item in json.loads(out or "{}").get("generalDiagnostics", []):
        rule = item.get("rule", "")
        counted = item["severity"] == "error" or rule in BASEDPYRIGHT_COUNTED_WARNINGS
        if counted and rule not in BASEDPYRIGHT_IGNORED and Path(item["file"]).name == name:
            found.append(Diagnostic(item["range"]["start"]["line"] + 1, rule, item["message"].replace("\n", " ")))
    return found


def pylint(tools: Tools, folder: Path, name: str) -> list[Diagnostic]:
    site = sysconfig.get_paths()["purelib"]
    hook = f"import sys; sys.path.append({site!r})"  # appended: pylint's own packages stay first
    out = run(
        [tools.bin("pylint"), "--init-hook", hook, "--output-format=json", "--score=n", "--disable=C,R", name],
        folder,
    )
    return [
        Diagnostic(item["line"], item["symbol"], item["message"])
        for item in json.loads(out or "[]")
        if item["symbol"] not in PYLINT_IGNORED
    ]


def ruff(tools: Tools, folder: Path, name: str) -> list[Diagnostic]:
    command = [tools.bin("ruff"), "check", "--no-cache", "--isolated", "--select", RUFF_SELECT]
    out = run([*command, "--output-format", "json", "--exit-zero", name], folder)
    return [
        Diagnostic(item["location"]["row"], item["code"], item["message"])
        for item in json.loads(out or "[]")
        if item["code"] not in RUFF_IGNORED
    ]


def torchls(analyzer_for: Callable[[Path], Analyzer], folder: Path, name: str) -> list[Diagnostic]:
    path = folder / name
    findings = analyzer_for(folder).analyze(path.read_text(encoding="utf-8"), path)
    return [Diagnostic(f.span.start[0], f.code, f.message) for f in findings]


def isolated_copy(path: Path, root: Path) -> Path:
    """A folder holding the file and its helper modules only."""
    folder = root / path.stem
    folder.mkdir()
    shutil.copy(path, folder / path.name)
    for helper in REALCODE.glob("_*"):
        if helper.is_dir():
            shutil.copytree(helper, folder / helper.name, ignore=shutil.ignore_patterns("__pycache__"))
        elif helper.suffix == ".py":
            shutil.copy(helper, folder / helper.name)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools-venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    ensure_tools(args.tools_venv)
    tools = Tools(args.tools_venv, sys.executable)
    environment = find_environment(sys.executable)

    def analyzer_for(folder: Path) -> Analyzer:
        return Analyzer(environment, project_root=folder)

    checkers: dict[str, Callable[[Path, str], list[Diagnostic]]] = {
        "torchls": lambda folder, name: torchls(analyzer_for, folder, name),
        "mypy": lambda folder, name: mypy(tools, folder, name),
        "basedpyright": lambda folder, name: basedpyright(tools, folder, name),
        "pylint": lambda folder, name: pylint(tools, folder, name),
        "ruff": lambda folder, name: ruff(tools, folder, name),
    }
    table = realcode_table()
    files = realcode_files()
    with tempfile.TemporaryDirectory() as temporary:
        folders = {path: isolated_copy(path, Path(temporary)) for path in files}
        jobs = [(path, tool) for path in files for tool in checkers if tool != "torchls"]
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:  # the tools are processes
            futures = {job: pool.submit(checkers[job[1]], folders[job[0]], job[0].name) for job in jobs}
            # torchls in this thread meanwhile: its analyzers share one jedi environment
            results = {(path, "torchls"): checkers["torchls"](folders[path], path.name) for path in files}
            results |= {job: future.result() for job, future in futures.items()}

    found: dict[str, dict[tuple[str, str], list[Diagnostic]]] = {tool: {} for tool in checkers}
    on_negatives: dict[str, list[tuple[str, Diagnostic]]] = {tool: [] for tool in checkers}
    for (path, tool), diagnostics in results.items():
        if is_negative(path):
            on_negatives[tool] += [(path.name, diagnostic) for diagnostic in diagnostics]
            continue
        source = path.read_text(encoding="utf-8")
        marks, cases = bug_lines(source), case_functions(source)
        for diagnostic in diagnostics:
            if diagnostic.line in marks:
                key = (path.name, case_of_line(diagnostic.line, source, cases))
                found[tool].setdefault(key, []).append(diagnostic)

    categories = sorted({row[0] for row in table.values()})
    print("| tool | " + " | ".join(categories) + " | all | on the negatives |")
    print("|---|" + "---|" * (len(categories) + 2))
    for tool in checkers:
        cells = []
        for category in categories:
            keys = {key for key, row in table.items() if row[0] == category}
            cells.append(f"{len(keys & set(found[tool]))}/{len(keys)}")
        total = len(set(found[tool]) & set(table))
        cells += [f"{total}/{len(table)} ({total / len(table):.2f})", str(len(on_negatives[tool]))]
        print(f"| {tool} | " + " | ".join(cells) + " |")
    others = set().union(*(set(found[tool]) for tool in checkers if tool != "torchls")) & set(table)
    print(f"\nAny of mypy, basedpyright, pylint, ruff: {len(others)}/{len(table)}; torchls: {len(found['torchls'])}.")
    missed = sorted(others - set(found["torchls"]))
    print(f"\n## Found by another tool, not by torchls ({len(missed)})\n")
    for key in missed:
        category, kind, mark = table[key]
        print(f"- {key[0]} `{key[1]}` ({category}, {kind}, {mark})")
        for tool in checkers:
            for diagnostic in found[tool].get(key, [])[:1] if tool != "torchls" else []:
                print(f"    - {tool} [{diagnostic.code}] line {diagnostic.line}: {diagnostic.message[:150]}")

    print("\n## Diagnostics on the negatives (correct code)\n")
    for tool, items in on_negatives.items():
        for name, diagnostic in items:
            print(f"- {tool} {name}:{diagnostic.line} [{diagnostic.code}] {diagnostic.message[:150]}")


if __name__ == "__main__":
    main()
