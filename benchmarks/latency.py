"""Editor latency of ``torchls serve``: first diagnostics after didOpen, then one-line edits.

Drives the server over stdio as an editor does (pygls's client), on generated training modules
(models, loops, evaluation, helpers, with some bugs) of the given sizes:

    .venv/bin/python benchmarks/latency.py                 # 1,000 lines, 20 edits
    .venv/bin/python benchmarks/latency.py --lines 1000 5000 --edits 20

Each edit inserts one line in the middle of a function body; the time is from didChange to the
publish of that version. It prints a table; it is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.training_module import training_module  # noqa: E402


class Bench:
    def __init__(self) -> None:
        self.client = LanguageClient("torchls-bench", "1")
        self.published: dict[int | None, float] = {}
        self.events: dict[int | None, asyncio.Event] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.published[params.version] = time.perf_counter()
            self.events.setdefault(params.version, asyncio.Event()).set()

    async def wait(self, version: int) -> float:
        await asyncio.wait_for(self.events.setdefault(version, asyncio.Event()).wait(), 300)
        return self.published[version]


async def measure(lines: int, edits: int, debounce_ms: int) -> dict[str, float]:
    source = training_module(lines)
    folder = Path(tempfile.mkdtemp())
    path = folder / f"train_{lines}.py"
    path.write_text(source)
    bench = Bench()
    await bench.client.start_io(sys.executable, "-m", "torchls", "serve")
    capabilities = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True)
        )
    )
    await bench.client.initialize_async(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=folder.as_uri(),
            process_id=None,
            initialization_options={"debounceMs": debounce_ms},
        )
    )
    bench.client.initialized(types.InitializedParams())
    uri = path.as_uri()
    start = time.perf_counter()
    bench.client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=source))
    )
    first = await bench.wait(1) - start
    body_lines = [n for n, text in enumerate(source.splitlines()) if text.startswith("    total = 0.0")]
    target = body_lines[len(body_lines) // 2]
    timings = []
    for version in range(2, edits + 2):
        edit = types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(target, 0), types.Position(target, 0)),
            text=f"    marker_{version} = {version}\n",
        )
        start = time.perf_counter()
        bench.client.text_document_did_change(
            types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(uri=uri, version=version), [edit])
        )
        timings.append(await bench.wait(version) - start)
    await bench.client.shutdown_async(None)
    bench.client.exit(None)
    await bench.client.stop()
    timings.sort()
    return {
        "lines": source.count("\n"),
        "first": first,
        "median": statistics.median(timings),
        "p95": timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, nargs="+", default=[1000])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--debounce-ms", type=int, default=150, help="the server's debounce (default 150)")
    args = parser.parse_args()
    print("| file | lines | first diagnostics after didOpen | edit → publish median | p95 |")
    print("|---|---|---|---|---|")
    for lines in args.lines:
        result = asyncio.run(measure(lines, args.edits, args.debounce_ms))
        print(
            f"| generated training module | {result['lines']:,} | {result['first']:.2f} s |"
            f" {result['median'] * 1000:.0f} ms | {result['p95'] * 1000:.0f} ms |"
        )
    print(f"(edit timings include the server's debounce of {args.debounce_ms} ms)")


if __name__ == "__main__":
    main()
