"""Recall on the seeded bugs of the test fixtures, with torch and without it (types from imports).

Every ``case_*`` function of a positive fixture holds exactly one bug, proven by running it with real
torch (tests/test_truth.py). This prints how many of those bugs each mode finds, and how many
findings fall on correct code (the negative fixtures):

    .venv/bin/python -m benchmarks.recall   # from the repository root
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tests.golden import FIXTURES, fixture_files, is_negative
from tests.test_truth import case_functions, case_of

from torchls.analysis.engine import Analyzer
from torchls.analysis.environment import find_environment


def main() -> None:
    with tempfile.TemporaryDirectory() as temporary:
        venv = Path(temporary) / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        modes = {
            "with torch": Analyzer(find_environment(sys.executable), project_root=FIXTURES),
            "without torch": Analyzer(find_environment(str(venv / "bin" / "python")), project_root=FIXTURES),
        }
        print("| fixture | seeded bugs | " + " | ".join(f"found {mode}" for mode in modes) + " |")
        print("|---|---|" + "---|" * len(modes))
        totals = dict.fromkeys(modes, 0)
        cases_total = 0
        for path in fixture_files():
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
        print(f"| all | {cases_total} | {summary} |")


if __name__ == "__main__":
    main()
