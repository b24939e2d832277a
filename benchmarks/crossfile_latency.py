"""Per-edit cost of a function whose callers are in other files: with the callers' arguments kept, side by side.

In one process, three analyzers on the same project take the same edits in turn: a line typed in the body
of a function that other files call, a new number each time (analysis/workspace.py, ``kept_arguments``).

- ``kept``: as torchls runs; an edit of the body reuses what the callers' arguments were inferred to be.
- ``inferred``: the kept values are dropped before each edit, so every edit infers the callers' arguments
  again (what every edit cost before they were kept, plus the caller's own inference state).
- ``no stages``: call sites and evidence off (``TORCHLS_CALL_SITES_AND_EVIDENCE=0``): the floor.

Each analyzer has its own copy of the project: parso keeps one tree per path, and the first analyzer to parse an
edited text would otherwise pay the parse for all three. It prints the median and max ms per edit for each,
and the ratio kept / inferred. A measurement, not a test.
Files are given relative to the project; by default, those of pytorch/examples whose functions other files
call (``git archive HEAD -- '*.py' | tar -x -C /tmp/corp/examples``).

    .venv/bin/python benchmarks/crossfile_latency.py /tmp/corp/examples --edits 20

Measured 2026-12-03 (2 shared cores, the command above): utils.py:gram_matrix, whose callers in neural_style.py
are inferred in vain (jedi cannot type them: the parameter stays unknown), 4.0 ms median / 5.6 max kept against
38.8 / 41.3 inferred (0.10x; 2.4 without the stages: the rest is the callers' search and goto, ~1.5 ms). The other
functions listed cost the same either way (0.98-1.03x): their callers' arguments are cheap or not looked at.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import parso

from torchls.analysis import resolve
from torchls.analysis.engine import Analyzer
from torchls.analysis.environment import find_environment

# file:function, the function's parameters being receivers that only its callers in other files type
FILES = [
    "fast_neural_style/neural_style/utils.py:gram_matrix",
    "fast_neural_style/neural_style/utils.py:normalize_batch",
    "mnist_hogwild/train.py:train",
    "mnist_hogwild/train.py:test_epoch",
    "distributed/FSDP/utils/train_utils.py:train",
    "distributed/FSDP/utils/train_utils.py:validation",
]
MODES = ("kept", "inferred", "no stages")


def edit_line(source: str, name: str) -> tuple[int, str] | None:
    """Where to type in the body of the top-level function ``name``: (0-based line, indentation)."""
    for function in parso.parse(source).iter_funcdefs():
        body = function.children[-1]
        if function.name.value != name or body.type != "suite":
            continue
        first = body.children[1]  # after the newline
        line, column = first.start_pos
        return line - 1, " " * column
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", type=Path)
    parser.add_argument("files", nargs="*", default=FILES, help="file:function (relative to the project)")
    parser.add_argument("--edits", type=int, default=20)
    arguments = parser.parse_args()
    environment = find_environment(sys.executable)
    scratch = Path(tempfile.mkdtemp(prefix="crossfile-"))
    copies = {mode: scratch / str(number) for number, mode in enumerate(MODES)}
    for copy in copies.values():
        shutil.copytree(arguments.project, copy, ignore=shutil.ignore_patterns(".git", "__pycache__"))
    analyzers = {mode: Analyzer(environment, project_root=copies[mode]) for mode in MODES}
    print(f"{'file:function':55s} {'mode':10s} {'median ms':>9s} {'max ms':>7s}")
    for name in arguments.files:
        file, function = name.split(":")
        source = (arguments.project / file).read_text()
        where = edit_line(source, function)
        if where is None:
            print(f"{name}: no such top-level function")
            continue
        line, indent = where
        lines = source.splitlines(keepends=True)
        times: dict[str, list[float]] = {mode: [] for mode in MODES}
        for number in range(-1, arguments.edits):  # edit -1 warms each analyzer up: not counted
            edited = "".join([*lines[:line], f"{indent}_typed = {number}\n", *lines[line:]])
            for mode, analyzer in analyzers.items():
                resolve.CALL_SITES_AND_EVIDENCE = mode != "no stages"
                if mode == "inferred":
                    analyzer.workspace.kept_arguments.clear()
                start = time.perf_counter()
                analyzer.analyze(edited, (copies[mode] / file).resolve())
                if number >= 0:
                    times[mode].append((time.perf_counter() - start) * 1000)
        resolve.CALL_SITES_AND_EVIDENCE = True
        for mode in MODES:
            print(f"{name:55s} {mode:10s} {statistics.median(times[mode]):9.1f} {max(times[mode]):7.1f}")
        ratio = statistics.median(times["kept"]) / statistics.median(times["inferred"])
        print(f"{name:55s} {'kept/inferred':10s} {ratio:9.2f}")
    for analyzer in analyzers.values():
        analyzer.close()
    shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
