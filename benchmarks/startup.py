"""Server start time and memory of two or more torchls source trees, side by side (before and after a change).

Each ``--tree LABEL=SERVER_DIR`` is run as ``python -m torchls serve`` with ``PYTHONPATH=SERVER_DIR`` and
this interpreter's packages (check a tree's ``torchls.__file__``, printed first). Per run, alternating
the trees' order, each tree gets:

- ``load_catalog()`` in a fresh interpreter: the seconds of the call alone (its module imported first);
- a fresh server: seconds from spawning it to the initialize response, and to the first
  publishDiagnostics of a generated 1,000-line training module (tests/training_module.py);
- the resident memory (VmRSS) of the server and of its subprocesses (jedi's helper) after that
  first publish and after ``--edits`` edits (typing at the end of a line in a body, each waited for).

It prints each tree's medians and each tree's ratio to the first one; it is a measurement, not a test.

    git worktree add /tmp/before 9a5b2aa^1
    .venv/bin/python benchmarks/startup.py --tree before=/tmp/before/server --tree after=server --runs 5
    git worktree remove /tmp/before
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
from benchmarks.latency import SERVERS, Session, apply_change, edit_kinds  # noqa: E402
from tests.training_module import training_module  # noqa: E402

CATALOG_TIMER = """
import json, time
import torchls
from torchls.analysis import catalog
start = time.perf_counter()
catalog.load_catalog()
seconds = time.perf_counter() - start
classes = len(json.load(open(catalog.CATALOG_PATH))["classes"])
from torchls.lsp import server
first_screen = getattr(server, "FIRST_SCREEN_LINES", None)  # None: a tree that publishes once
print(json.dumps({"file": torchls.__file__, "seconds": seconds, "classes": classes, "first_screen": first_screen}))
"""


def tree_environment(server_dir: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(server_dir.resolve())}


def catalog_run(server_dir: Path) -> dict[str, object]:
    """``load_catalog()``'s seconds, the number of classes in the catalog, and which torchls ran."""
    done = subprocess.run(
        [sys.executable, "-c", CATALOG_TIMER],
        env=tree_environment(server_dir),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _descendants(pid: int) -> list[int]:
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in children.read_text().split():
            found += [int(child), *_descendants(int(child))]
    return found


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mb(session: Session) -> tuple[float, float]:
    """Resident memory now of the server process, and of all its subprocesses together."""
    server = session.client._server
    assert server is not None
    return _rss_mb(server.pid), sum(_rss_mb(pid) for pid in _descendants(server.pid))


async def server_run(
    server_dir: Path, folder: Path, path: Path, edits: int, first_screen_lines: float
) -> dict[str, float]:
    """One fresh server: its start times, and its memory after opening ``path`` and after ``edits`` edits."""
    session = Session("torchls", tree_environment(server_dir), first_screen_lines)
    command = SERVERS["torchls"]
    spawned = time.perf_counter()
    await session.client.start_io(command[0], *command[1:], env=session.environment)
    await session.initialize(folder)  # returns with the initialize response
    initialized = time.perf_counter()
    source = path.read_text(encoding="utf-8")
    await session.open(path)
    published = session.published[(path.as_uri(), 1)][-1]
    server_mb, helper_mb = rss_mb(session)
    text, version = source, 1
    for change in edit_kinds(source, False, edits)["typing at the end of a line in a body"]:
        version += 1
        await session.change(path, text, change, version)
        text = apply_change(text, change)
    server_after, helper_after = rss_mb(session)
    await session.stop()
    return {
        "spawn → initialize response s": initialized - spawned,
        "spawn → complete diagnostics s": published - spawned,
        "server RSS after open MB": server_mb,
        "helper RSS after open MB": helper_mb,
        "server RSS after edits MB": server_after,
        "helper RSS after edits MB": helper_after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", action="append", required=True, metavar="LABEL=SERVER_DIR")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--lines", type=int, default=1000)
    args = parser.parse_args()
    trees = {label: Path(folder) for label, _, folder in (tree.partition("=") for tree in args.tree)}
    folder = Path(tempfile.mkdtemp(prefix="torchls-startup-"))
    path = folder / f"module_{args.lines}.py"
    path.write_text(training_module(args.lines), encoding="utf-8")
    results: dict[str, dict[str, list[float]]] = {label: {} for label in trees}
    first_screen: dict[str, float] = {}
    for label, server_dir in trees.items():
        found = catalog_run(server_dir)
        first_screen[label] = float(found["first_screen"] or math.inf)  # type: ignore[arg-type]
        print(f"{label}: torchls from {found['file']}, {found['classes']} catalogued classes")
    for run in range(args.runs):
        for label in list(trees) if run % 2 == 0 else list(trees)[::-1]:
            values = asyncio.run(server_run(trees[label], folder, path, args.edits, first_screen[label]))
            values["load_catalog() s"] = float(catalog_run(trees[label])["seconds"])  # type: ignore[arg-type]
            for name, value in values.items():
                results[label].setdefault(name, []).append(value)
            print(f"run {run + 1} {label}: " + ", ".join(f"{k} {v:.3f}" for k, v in values.items()), flush=True)
    first = next(iter(trees))
    print(f"\nmedians of {args.runs} runs ({args.edits} edits, {path.name}); ratio: to {first}")
    print("| measure | " + " | ".join(trees) + " | " + " | ".join(f"{t} / {first}" for t in list(trees)[1:]) + " |")
    print("|---" * (1 + 2 * len(trees) - 1) + "|")
    for name in results[first]:
        medians = {label: statistics.median(results[label][name]) for label in trees}
        cells = " | ".join(f"{medians[label]:.3f}" for label in trees)
        ratios = " | ".join(
            f"{medians[label] / medians[first]:.2f}×" if medians[first] else "–" for label in list(trees)[1:]
        )
        print(f"| {name} | {cells} | {ratios} |")


if __name__ == "__main__":
    main()
