"""What typing receivers from call sites and from use costs ``torchls check``: with and without, side by side.

Runs ``torchls check --no-cache`` on each folder, alternating with and without the two stages
(``TORCHLS_CALL_SITES_AND_EVIDENCE=0``, see analysis/resolve.py), and prints median wall and CPU time,
lines/s, the findings each way and the ratio with / without. A folder outside this repository should
hold only its ``*.py`` files (``git archive HEAD -- '*.py' | tar -x -C PATH``).

    .venv/bin/python benchmarks/stages_cli.py tests/fixtures/realcode /tmp/pytorch-examples --rounds 5
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

VARIANTS = {"with": "1", "without": "0"}  # the value of TORCHLS_CALL_SITES_AND_EVIDENCE


def run(folder: Path, stages: str) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (the check and its worker processes) and the number of findings."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "torchls", "check", "--no-cache", "."],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "TORCHLS_CALL_SITES_AND_EVIDENCE": stages},
        check=False,
        timeout=3600,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    found = re.search(r"Found (\d+) finding", done.stdout)
    if found is None and "All checks passed" not in done.stdout:
        raise RuntimeError(f"torchls check failed in {folder}: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, int(found.group(1)) if found else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print("| folder | files | lines | variant | median wall s | median CPU s | lines/s | findings |")
    print("|---|---|---|---|---|---|---|---|")
    ratios = []
    for folder in args.folders:
        files = sorted(folder.rglob("*.py"))
        lines = sum(len(f.read_bytes().splitlines()) for f in files)
        walls: dict[str, list[float]] = {name: [] for name in VARIANTS}
        cpus: dict[str, list[float]] = {name: [] for name in VARIANTS}
        findings: dict[str, set[int]] = {name: set() for name in VARIANTS}
        for number in range(args.rounds):
            order = list(VARIANTS) if number % 2 == 0 else list(VARIANTS)[::-1]
            for name in order:
                wall, cpu, found = run(folder.resolve(), VARIANTS[name])
                walls[name].append(wall)
                cpus[name].append(cpu)
                findings[name].add(found)
        for name in VARIANTS:
            wall = statistics.median(walls[name])
            counts = "/".join(map(str, sorted(findings[name])))
            print(
                f"| {folder} | {len(files)} | {lines:,} | {name} | {wall:.2f} | {statistics.median(cpus[name]):.2f} |"
                f" {lines / wall:,.0f} | {counts} |"
            )
        wall_ratio = statistics.median(walls["with"]) / statistics.median(walls["without"])
        cpu_ratio = statistics.median(cpus["with"]) / statistics.median(cpus["without"])
        ratios.append(f"{folder}: with / without {wall_ratio:.2f}× wall, {cpu_ratio:.2f}× CPU ({args.rounds} rounds)")
    print("\n".join(ratios))


if __name__ == "__main__":
    main()
