"""Editor latency: torchls vs basedpyright-langserver, driven over stdio as an editor does.

Files: generated training modules (models, loops, evaluation, helpers, with seeded bugs) of the
given sizes, and transformers' modeling_llama.py and trainer.py (fetched with pip download). Each
server first opens a small warm-up file (the cold start, loading torch); then, per file: first
diagnostics after didOpen in the running server, and 20 one-line edits in the middle of a function,
each timed from didChange to the publish of that version. Also the peak RSS of each server with its
subprocesses. It prints a table; it is a measurement, not a test.

    pip install basedpyright
    .venv/bin/python benchmarks/latency.py                        # 1k and 5k lines + transformers
    .venv/bin/python benchmarks/latency.py --lines 1000 --no-real --servers torchls
"""

from __future__ import annotations

import argparse
import ast
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

SERVERS = {
    "torchls": [sys.executable, "-m", "torchls", "serve"],
    "basedpyright": [str(Path(sys.executable).with_name("basedpyright-langserver")), "--stdio"],
}


class Session:
    """One language server driven over stdio, recording when each document version is published."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.client = LanguageClient("torchls-bench", "1")
        self.published: dict[tuple[str, int | None], float] = {}
        self.events: dict[tuple[str, int | None], asyncio.Event] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            key = (params.uri, params.version)
            self.published[key] = time.perf_counter()
            self.events.setdefault(key, asyncio.Event()).set()

        @self.client.feature(types.WORKSPACE_CONFIGURATION)
        def configuration(params: types.ConfigurationParams) -> list[object]:
            return [{"pythonPath": sys.executable} if i.section == "python" else {} for i in params.items]

        @self.client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(params: types.RegistrationParams) -> None:
            return None

        @self.client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def progress(params: types.WorkDoneProgressCreateParams) -> None:
            return None

    async def start(self, folder: Path) -> None:
        command = SERVERS[self.name]
        await self.client.start_io(command[0], *command[1:])
        capabilities = types.ClientCapabilities(
            text_document=types.TextDocumentClientCapabilities(
                publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True)
            ),
            workspace=types.WorkspaceClientCapabilities(configuration=True),
        )
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=capabilities,
                root_uri=folder.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=folder.as_uri(), name=folder.name)],
                process_id=None,
                initialization_options={"debounceMs": DEBOUNCE_MS},
            )
        )
        self.client.initialized(types.InitializedParams())

    async def wait(self, uri: str, version: int) -> float:
        await asyncio.wait_for(self.events.setdefault((uri, version), asyncio.Event()).wait(), 600)
        return self.published[(uri, version)]

    async def open(self, path: Path) -> float:
        """Seconds from didOpen to the first diagnostics."""
        text = path.read_text(encoding="utf-8")
        start = time.perf_counter()
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=path.as_uri(), language_id="python", version=1, text=text)
            )
        )
        return await self.wait(path.as_uri(), 1) - start

    async def edit(self, path: Path, line: int, indent: str, version: int) -> float:
        """Seconds from a one-line insertion to the diagnostics of that version."""
        change = types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(line, 0), types.Position(line, 0)),
            text=f"{indent}marker_{version} = {version}\n",
        )
        start = time.perf_counter()
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version), [change]
            )
        )
        return await self.wait(path.as_uri(), version) - start

    def peak_rss_mb(self) -> float:
        """Peak resident memory of the server process and its children (jedi's subprocess)."""
        server = self.client._server  # the asyncio subprocess pygls started
        if server is None:
            return 0.0
        pids = [server.pid]  # and its children, spawned from any of its threads (jedi's is)
        for children in Path(f"/proc/{server.pid}/task").glob("*/children"):
            pids += [int(pid) for pid in children.read_text().split()]
        total = 0
        for pid in pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        return total / 1024

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


def edit_line(path: Path) -> tuple[int, str]:
    """A statement in the middle of the body of the function nearest the middle of the file: its
    0-based line and its indentation (where a one-line insertion keeps the code valid)."""
    source = path.read_text(encoding="utf-8")
    middle = len(source.splitlines()) // 2
    functions = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and len(node.body) > 2
    ]
    function = min(functions, key=lambda f: abs((f.lineno + (f.end_lineno or f.lineno)) // 2 - middle))
    # Not before a decorated definition: its line number is the `def`'s, after the decorators.
    plain = [s for s in function.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    statement = plain[len(plain) // 2]
    return statement.lineno - 1, " " * statement.col_offset


async def measure(name: str, files: list[Path], edits: int, folder: Path) -> list[dict[str, object]]:
    session = Session(name)
    await session.start(folder)
    cold = await session.open(folder / "warmup.py")
    rows: list[dict[str, object]] = []
    for path in files:
        first = await session.open(path)
        line, indent = edit_line(path)
        timings = sorted([await session.edit(path, line, indent, version) for version in range(2, edits + 2)])
        rows.append(
            {
                "server": name,
                "file": path.name,
                "lines": len(path.read_text(encoding="utf-8").splitlines()),
                "cold": cold,
                "first": first,
                "median": statistics.median(timings),
                "p95": timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))],
            }
        )
    rss = session.peak_rss_mb()
    for row in rows:
        row["rss"] = rss
    await session.stop()
    return rows


def benchmark_files(lines: list[int], real: bool) -> tuple[Path, list[Path]]:
    folder = Path(tempfile.mkdtemp(prefix="torchls-latency-"))
    (folder / "warmup.py").write_text("import torch\nmodel = torch.nn.Linear(1, 1)\nmodel.eval\n")
    files = []
    for count in lines:
        path = folder / f"train_{count}.py"
        path.write_text(training_module(count))
        files.append(path)
    if real:
        sys.path.insert(0, str(Path(__file__).parent))
        from realworld import fetch

        root = fetch("transformers", "5.24.0") / "transformers"
        for relative in ("models/llama/modeling_llama.py", "trainer.py"):
            target = folder / Path(relative).name
            target.write_text((root / relative).read_text(encoding="utf-8"))
            files.append(target)
    return folder, files


def main() -> None:
    global DEBOUNCE_MS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, nargs="*", default=[1000, 5000], help="generated file sizes")
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--no-real", action="store_true", help="skip the transformers files")
    parser.add_argument("--servers", nargs="+", default=list(SERVERS), choices=list(SERVERS))
    parser.add_argument("--debounce-ms", type=int, default=0, help="torchls's debounce (editors: 150)")
    args = parser.parse_args()
    DEBOUNCE_MS = args.debounce_ms
    folder, files = benchmark_files(args.lines, not args.no_real)
    results = {name: asyncio.run(measure(name, files, args.edits, folder)) for name in args.servers}
    print("| file | lines | server | first diagnostics (warm server) | edit→publish median | p95 | peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for index, path in enumerate(files):
        for name in args.servers:
            row = results[name][index]
            print(
                f"| {path.name} | {row['lines']:,} | {name} | {row['first']:.2f} s | {row['median'] * 1000:.0f} ms |"
                f" {row['p95'] * 1000:.0f} ms | {row['rss']:.0f} MB |"
            )
        if len(args.servers) == 2:
            a, b = (results[name][index] for name in args.servers)
            print(
                f"| | | ratio {args.servers[1]}/{args.servers[0]} | {b['first'] / a['first']:.1f}× |"
                f" {b['median'] / a['median']:.1f}× | {b['p95'] / a['p95']:.1f}× | |"
            )
    for name in args.servers:
        print(f"{name}: first file after start (cold, includes loading torch): {results[name][0]['cold']:.2f} s")
    print(f"torchls debounce: {DEBOUNCE_MS} ms (included in its edit timings)")


DEBOUNCE_MS = 0

if __name__ == "__main__":
    main()
