"""Recall with torch and without it (types from imports): the seeded corpus and the real-code set.

The corpus (tests/fixtures/TL*): every ``case_*`` function of a positive fixture holds exactly one
bug, proven by running it with real torch (tests/test_truth.py). The real-code set
(tests/fixtures/realcode): contexts reproduced from public code, each case calling one bug on a
``# bug:`` line (tests/test_realcode.py), its category and bug kind in the set's README table.
This prints how many bugs each mode finds, per fixture for the corpus and per category and bug
kind for the real-code set, and how many findings fall on correct code:

    .venv/bin/python -m benchmarks.recall   # from the repository root
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from tests.golden import FIXTURES, corpus_files, is_negative, realcode_files, realcode_table
from tests.truth_helpers import bug_lines, case_functions, case_of, case_of_line

from torchls.analysis.engine import Analyzer
from torchls.analysis.environment import find_environment
from torchls.analysis.findings import Finding


def corpus_table(modes: dict[str, Analyzer]) -> None:
    print("## Seeded corpus\n")
    print("| fixture | seeded bugs | " + " | ".join(f"found {mode}" for mode in modes) + " |")
    print("|---|---|" + "---|" * len(modes))
    totals = dict.fromkeys(modes, 0)
    cases_total = 0
    for path in corpus_files():
        source = path.read_text(encoding="utf-8")
        cases = case_functions(source)
        row = []
        for mode, analyzer in modes.items():
            findings = analyzer.analyze(source, path)
            found = len(findings) if is_negative(path) else len({case_of(f, source, cases) for f in findings})
            totals[mode] += 0 if is_negative(path) else found
            row.append(f"{found} false positives" if is_negative(path) else f"{found}")
        seeded = "0 (correct code)" if is_negative(path) else str(len(cases))
        cases_total += 0 if is_negative(path) else len(cases)
        print(f"| {path.parent.name}/{path.name} | {seeded} | " + " | ".join(row) + " |")
    summary = " | ".join(f"{found} ({found / cases_total:.0%})" for found in totals.values())
    print(f"| all | {cases_total} | {summary} |\n")


def found_cases(path: Path, findings: list[Finding]) -> tuple[set[str], int]:
    """The cases whose marked bug line got a finding, and the findings off every marked line."""
    source = path.read_text(encoding="utf-8")
    marks = bug_lines(source)
    cases = case_functions(source)
    on_marks = {case_of_line(f.span.start[0], source, cases) for f in findings if f.span.start[0] in marks}
    return on_marks, sum(1 for f in findings if f.span.start[0] not in marks)


def share(found: set[tuple[str, str]], total: int) -> str:
    return f"{len(found)} ({len(found) / total:.2f})"


def realcode_tables(modes: dict[str, Analyzer]) -> None:
    table = realcode_table()
    found: dict[str, set[tuple[str, str]]] = {mode: set() for mode in modes}
    false_positives = dict.fromkeys(modes, 0)
    for path in realcode_files():
        source = path.read_text(encoding="utf-8")
        for mode, analyzer in modes.items():
            cases, off_marks = found_cases(path, analyzer.analyze(source, path))
            found[mode] |= {(path.name, case) for case in cases}
            false_positives[mode] += off_marks
    for column, title in ((0, "category (where the receiver came from)"), (1, "bug kind")):
        print(f"## Real-code set, per {title}\n")
        print(f"| {title.split(' (')[0]} | bugs | " + " | ".join(f"found {mode}" for mode in modes) + " |")
        print("|---|---|" + "---|" * len(modes))
        groups = Counter(row[column] for row in table.values())
        for group, count in sorted(groups.items(), key=lambda item: (-item[1], item[0])):
            keys = {key for key, row in table.items() if row[column] == group}
            print(f"| {group} | {count} | " + " | ".join(share(found[mode] & keys, count) for mode in modes) + " |")
        totals = [share(found[mode] & set(table), len(table)) for mode in modes]
        print(f"| all | {len(table)} | " + " | ".join(totals) + " |\n")
    fps = ", ".join(f"{mode}: {count}" for mode, count in false_positives.items())
    print(f"Findings off the marked lines (false positives, negatives included): {fps}\n")


def main() -> None:
    with tempfile.TemporaryDirectory() as temporary:
        venv = Path(temporary) / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        modes = {
            "with torch": Analyzer(find_environment(sys.executable), project_root=FIXTURES),
            "without torch": Analyzer(find_environment(str(venv / "bin" / "python")), project_root=FIXTURES),
        }
        corpus_table(modes)
        realcode_tables(modes)


if __name__ == "__main__":
    main()
