"""A long editing session's memory: RSS of ``torchls serve`` and of jedi's helper, and where it grows.

Drives a live server with the steady edits of ``tests/lsp/fuzz_driver.py`` (one line rewritten in
place, with a hover and a code-action request after each edit, as an editor sends them) and prints
the resident memory of the server and of its jedi helper every ``--every`` edits, and the growth per
1,000 edits between the first report and the last. With ``--tracemalloc`` the server starts tracing
its allocations at the first report (after the warm-up, which tracing would make very slow) and each
later report adds the allocation sites that grew most since the second (slower: use it to find a
leak, not to measure RSS). It is a measurement, not a test.

    .venv/bin/python benchmarks/memory.py --edits 10000
    .venv/bin/python benchmarks/memory.py --edits 3000 --tracemalloc
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.lsp import fuzz_driver  # noqa: E402

# Runs the server; a first SIGUSR1 starts tracemalloc, the next ones dump a snapshot to argv[1].
TRACED_SERVER = """
import signal, sys, tracemalloc
dump = sys.argv.pop(1)
def on_signal(*_):
    if tracemalloc.is_tracing():
        tracemalloc.take_snapshot().dump(dump)
    else:
        tracemalloc.start(10)
signal.signal(signal.SIGUSR1, on_signal)
from torchls.cli import main
sys.exit(main(["serve"]))
"""


def steady_edits(count: int, seed: int) -> list[fuzz_driver.Edit]:
    rng = random.Random(seed)
    middle = len(fuzz_driver.EXAMPLE.read_text(encoding="utf-8").splitlines()) // 2
    snippets = ["    model.eval", "    x = loss.item + 1", "    print(model.training())", "    pass"]
    snippets.append("    y = '😋 日本'")  # the snippets of fuzz_driver.py --steady
    return [fuzz_driver.Edit(0, 0, rng.choice(snippets), line=middle) for _ in range(count)]


def signal_server(fuzzer: fuzz_driver.Fuzzer) -> None:
    server = fuzzer.client._server
    assert server is not None
    os.kill(server.pid, signal.SIGUSR1)


async def snapshot(fuzzer: fuzz_driver.Fuzzer, dump: Path) -> tracemalloc.Snapshot:
    dump.unlink(missing_ok=True)
    signal_server(fuzzer)
    for _ in range(600):  # the server dumps between two messages
        await asyncio.sleep(0.1)
        if dump.exists():
            await asyncio.sleep(0.5)  # let it finish writing
            return tracemalloc.Snapshot.load(str(dump))
    raise TimeoutError("the server wrote no snapshot")


async def run(edits: int, every: int, tracing: bool, seed: int) -> None:
    folder = Path(tempfile.mkdtemp())
    dump = folder / "snapshot.bin"
    if tracing:
        fuzz_driver.SERVER = [sys.executable, "-c", TRACED_SERVER, str(dump)]
    fuzzer = fuzz_driver.Fuzzer(folder)
    await fuzzer.start()
    rng = random.Random(seed)
    start = time.monotonic()
    first: tuple[int, float] | None = None
    traced: tracemalloc.Snapshot | None = None
    for index, edit in enumerate(steady_edits(edits, seed), 1):
        await fuzzer.step(edit, rng)
        if index % every:
            continue
        server_mb, jedi_mb = fuzzer.server_rss_mb()
        elapsed = time.monotonic() - start
        print(f"{index:6} edits {elapsed:6.0f} s  RSS server {server_mb:6.1f} MB  jedi {jedi_mb:6.1f} MB")
        if first is None:
            first = index, server_mb
            if tracing:
                signal_server(fuzzer)  # start tracing
            continue
        per_k = (server_mb - first[1]) / (index - first[0]) * 1000
        print(f"        server growth since {first[0]} edits: {per_k:+.2f} MB per 1,000 edits", flush=True)
        if not tracing:
            continue
        taken = await snapshot(fuzzer, dump)
        if traced is None:
            traced = taken
        else:
            stats = taken.compare_to(traced, "traceback")
            total = sum(stat.size_diff for stat in stats)
            window = index - first[0] - every
            print(f"        traced growth over the last {window} edits: {total / 1e6:+.2f} MB; by file:")
            for stat in taken.compare_to(traced, "filename")[:6]:
                print(f"        {stat.size_diff / 1e3:+9.1f} kB {stat.traceback[0].filename}")
            print("        largest allocation sites:")
            for stat in stats[:8]:
                print(f"        {stat.size_diff / 1e3:+9.1f} kB {stat.count_diff:+7} blocks")
                for line in stat.traceback.format()[-12:]:
                    print(f"            {line}")
    print(fuzzer.counts)
    await fuzzer.finish()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=1000, help="report every N edits")
    parser.add_argument("--tracemalloc", action="store_true", help="run the server under tracemalloc")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(run(args.edits, args.every, args.tracemalloc, args.seed))


if __name__ == "__main__":
    main()
