"""A long editing session's memory: RSS of ``torchls serve`` and of jedi's helper, and where it grows.

Drives a live server with the steady edits of ``tests/lsp/fuzz_driver.py`` (one line rewritten in
place, with a hover and a code-action request after each edit, as an editor sends them) and prints
the resident memory of the server and of its jedi helper every ``--every`` edits, and the growth per
1,000 edits between the first report and the last. With ``--objects`` each report adds the types
whose live objects (``gc.get_objects()`` in the server) grew most since the first report: where a
leak is. (tracemalloc made the server too slow here to reach 1,000 edits in half an hour.) It is a
measurement, not a test.

    .venv/bin/python benchmarks/memory.py --edits 10000
    .venv/bin/python benchmarks/memory.py --edits 2000 --every 500 --objects
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.lsp import fuzz_driver  # noqa: E402

# Runs the server; SIGUSR1 writes the number of live objects of each type to argv[1] (JSON).
COUNTING_SERVER = """
import collections, gc, json, signal, sys
dump = sys.argv.pop(1)
def on_signal(*_):
    gc.collect()
    objects = gc.get_objects()
    counts = collections.Counter(type(o).__module__ + "." + type(o).__qualname__ for o in objects)
    counts["(allocated blocks)"] = sys.getallocatedblocks()  # every Python object, str and bytes too
    for o in objects:  # the total length of each kind of container, by its type
        if isinstance(o, (dict, list, set, collections.deque)):
            counts["(items in " + type(o).__qualname__ + ")"] += len(o)
    with open(dump + ".tmp", "w") as f:
        json.dump(counts, f)
    import os
    os.replace(dump + ".tmp", dump)
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


async def object_counts(fuzzer: fuzz_driver.Fuzzer, dump: Path) -> Counter[str]:
    """The server's live objects per type (it writes them between two messages)."""
    dump.unlink(missing_ok=True)
    server = fuzzer.client._server
    assert server is not None
    os.kill(server.pid, signal.SIGUSR1)
    for _ in range(600):
        await asyncio.sleep(0.1)
        if dump.exists():
            return Counter(json.loads(dump.read_text()))
    raise TimeoutError("the server wrote no object counts")


async def run(edits: int, every: int, count_objects: bool, seed: int) -> None:
    folder = Path(tempfile.mkdtemp())
    dump = folder / "objects.json"
    if count_objects:
        fuzz_driver.SERVER = [sys.executable, "-c", COUNTING_SERVER, str(dump)]
    fuzzer = fuzz_driver.Fuzzer(folder)
    await fuzzer.start()
    rng = random.Random(seed)
    start = time.monotonic()
    first: tuple[int, float, Counter[str]] | None = None
    samples: list[tuple[int, float]] = []
    for index, edit in enumerate(steady_edits(edits, seed), 1):
        await fuzzer.step(edit, rng)
        if index % every:
            continue
        server_mb, jedi_mb = fuzzer.server_rss_mb()
        elapsed = time.monotonic() - start
        print(f"{index:6} edits {elapsed:6.0f} s  RSS server {server_mb:6.1f} MB  jedi {jedi_mb:6.1f} MB", flush=True)
        samples.append((index, server_mb))
        counts = await object_counts(fuzzer, dump) if count_objects else Counter[str]()
        if first is None:
            first = index, server_mb, counts
            continue
        per_k = (server_mb - first[1]) / (index - first[0]) * 1000
        print(f"        server growth since {first[0]} edits: {per_k:+.2f} MB per 1,000 edits", flush=True)
        if count_objects:
            grown = (counts - first[2]).most_common(10)
            print(f"        objects gained since {first[0]} edits: {sum((counts - first[2]).values())}: {grown}")
    if len(samples) > 1:  # RSS jumps between plateaus: the fitted slope says more than two end points
        mean_x = sum(x for x, _ in samples) / len(samples)
        mean_y = sum(y for _, y in samples) / len(samples)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in samples) / sum((x - mean_x) ** 2 for x, _ in samples)
        low, high = min(y for _, y in samples), max(y for _, y in samples)
        print(f"server RSS {low:.1f}..{high:.1f} MB; fitted growth {slope * 1000:+.2f} MB per 1,000 edits")
    print(fuzzer.counts)
    await fuzzer.finish()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=1000, help="report every N edits")
    parser.add_argument("--objects", action="store_true", help="also count the server's live objects per type")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(run(args.edits, args.every, args.objects, args.seed))


if __name__ == "__main__":
    main()
