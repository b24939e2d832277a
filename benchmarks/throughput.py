"""``torchls check`` vs basedpyright's CLI on pytorch-lightning 2.6.6: wall time, CPU time and lines/s.

Runs each tool on the same package folder, alternating, and prints medians (disk caches warm after
the first round): torchls without its results cache (every file analysed), and with it (the first
round fills it; the median is a re-run on unchanged code). ``pip install basedpyright`` first; the
sources come from ``pip download``.

    .venv/bin/python benchmarks/throughput.py --rounds 3
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from realworld import fetch  # noqa: E402


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, of the command and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = fetch("pytorch-lightning", "2.6.6")
    package = root / "pytorch_lightning"
    lines = sum(len(f.read_bytes().splitlines()) for f in package.rglob("*.py"))
    bin_dir = Path(sys.executable).parent
    torchls = [sys.executable, "-m", "torchls", "check"]  # --jobs: all CPUs
    commands = {
        "torchls check --no-cache": [*torchls, "--no-cache", "pytorch_lightning"],
        "torchls check, cache warm": [*torchls, "pytorch_lightning"],  # the first round fills it
        "basedpyright": [str(bin_dir / "basedpyright"), "--pythonpath", sys.executable, "pytorch_lightning"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.rounds):
        for name, command in commands.items():
            wall, seconds = timed(command, root)
            times[name].append(wall)
            cpu[name].append(seconds)
    print(f"pytorch_lightning 2.6.6: {lines:,} lines, {args.rounds} rounds")
    print("| tool | median wall s | min s | median CPU s | lines/s |")
    print("|---|---|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        cpu_median = statistics.median(cpu[name])
        print(f"| {name} | {median:.1f} | {min(values):.1f} | {cpu_median:.1f} | {lines / median:,.0f} |")
    for name in ("torchls check --no-cache", "torchls check, cache warm"):
        ratio = statistics.median(times["basedpyright"]) / statistics.median(times[name])
        cpu_ratio = statistics.median(cpu["basedpyright"]) / statistics.median(cpu[name])
        print(f"{name}: {ratio:.1f}× basedpyright's wall time, {cpu_ratio:.1f}× its CPU time")


if __name__ == "__main__":
    main()
