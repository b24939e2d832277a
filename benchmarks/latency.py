"""Editor latency: torchls vs basedpyright-langserver, driven over stdio as an editor does, in one run.

Files: a generated 1,000-line training module (models, loops, evaluation, helpers, seeded bugs), a
generated 1,000-line module-level training script (as in a notebook), a 5,000-line module, and
transformers' trainer.py (``pip download``). For each file and each kind of edit a person makes
(typing at the end of a line in a body, a comment line inserted at column 0 and indented, a new
top-level line between functions, in scripts a statement inserted mid-file and typing at the end of
a module-level line, deleting lines, pasting a 20-line block, undoing the paste), 20 edits are made,
each timed from didChange to the publish of that version; the file is then set back (untimed).
Then cold starts: a fresh server, initialize → didOpen of the 1,000-line module → its first publish
and its complete one (torchls publishes a long file's first screenful first), as for each file's open
in the running server.
Also the peak RSS of each server with its subprocesses. It prints medians, p95 and ratios; it is a
measurement, not a test.

``realcode_1000`` is a 1,000-line module shaped like application code (benchmarks/realcode_module.py):
models handed in as unannotated parameters, factories of an imported sibling module, objects of a package
that is not installed. Its receivers are typed from call sites (analysis/callsites.py) and from use
(analysis/evidence.py); ``--stages-cost`` measures what those two stages cost: it runs torchls twice in
the same run, as "torchls" and as "torchls-without-stages" (``TORCHLS_CALL_SITES_AND_EVIDENCE=0``), and
the ratio column is with / without. ``--rounds`` repeats every measurement, alternating the servers'
order, and pools the timings (the machine is shared: side by side beats one after the other).
Measured 2026-12-03 (2 shared cores, the command below, edits 20, rounds 2): on realcode_1000 the
stages cost 1.08-1.33× per edit kind (median 7-12 ms with, 5-11 ms without) and 1.53× on a cold start
(1.30 s against 0.85 s from spawning: typing the receivers is what makes jedi infer into torch); on
module_1000 and script_1000, whose receivers jedi types alone, 0.84-1.07× (noise), cold start 0.96×.

    .venv/bin/pip install basedpyright   # the benchmark's own setup, not a test dependency
    .venv/bin/python benchmarks/latency.py
    .venv/bin/python benchmarks/latency.py --files module script --servers torchls --edits 10
    .venv/bin/python benchmarks/latency.py --stages-cost --files realcode_1000 module_1000 --rounds 2 \
        --cold-files realcode_1000 module_1000 --cold-runs 5
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).parents[1]))
from benchmarks.realcode_module import MODELS_MODULE, realcode_module  # noqa: E402
from tests.training_module import training_module, training_script  # noqa: E402

from torchls.lsp.server import FIRST_SCREEN_LINES  # noqa: E402

SERVERS = {
    "torchls": [sys.executable, "-m", "torchls", "serve"],
    "torchls-without-stages": [sys.executable, "-m", "torchls", "serve"],
    "basedpyright": [str(Path(sys.executable).with_name("basedpyright-langserver")), "--stdio"],
}
# Each server's environment variables besides ours: without typing receivers from call sites and use.
SERVER_ENVIRONMENTS = {"torchls-without-stages": {"TORCHLS_CALL_SITES_AND_EVIDENCE": "0"}}


def _server_environment(name: str) -> dict[str, str]:
    return {**os.environ, **SERVER_ENVIRONMENTS.get(name, {})}


class Session:
    """One language server driven over stdio, recording when each document version is published."""

    def __init__(
        self, name: str, environment: dict[str, str] | None = None, first_screen_lines: float | None = None
    ) -> None:
        self.name = name
        # A longer document is published twice on open, its first screenful first (torchls: lsp/server.py).
        default = FIRST_SCREEN_LINES if name.startswith("torchls") else math.inf
        self.first_screen_lines = default if first_screen_lines is None else first_screen_lines
        self.environment = environment or _server_environment(name)  # the server process's variables
        self.client = LanguageClient("torchls-bench", "1")
        self.published: dict[tuple[str, int | None], list[float]] = {}  # the times of each version's publishes
        self.events: dict[tuple[str, int | None], asyncio.Event] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            key = (params.uri, params.version)
            self.published.setdefault(key, []).append(time.perf_counter())
            self.events.setdefault(key, asyncio.Event()).set()

        @self.client.feature(types.WORKSPACE_CONFIGURATION)
        def configuration(params: types.ConfigurationParams) -> list[object]:
            return [{"pythonPath": sys.executable} if i.section == "python" else {} for i in params.items]

        @self.client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(params: types.RegistrationParams) -> None:
            return None

        @self.client.feature("torchls/status")
        def status(params: object) -> None:
            return None

        @self.client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def progress(params: types.WorkDoneProgressCreateParams) -> None:
            return None

    async def start(self, folder: Path) -> None:
        command = SERVERS[self.name]
        await self.client.start_io(command[0], *command[1:], env=self.environment)
        await self.initialize(folder)

    async def initialize(self, folder: Path) -> None:
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

    async def wait(self, uri: str, version: int, count: int = 1) -> float:
        """When the ``count``-th publish of the version arrived."""
        key = (uri, version)
        while len(self.published.get(key, [])) < count:
            event = self.events.setdefault(key, asyncio.Event())
            await asyncio.wait_for(event.wait(), 300)
            event.clear()
        return self.published[key][count - 1]

    def publishes_on_open(self, text: str) -> int:
        """How many times the server publishes a newly opened document."""
        return 2 if text.count("\n") > self.first_screen_lines else 1

    async def open(self, path: Path) -> float:
        """Seconds from didOpen to the complete diagnostics (``open_timed``: the first publish as well)."""
        return (await self.open_timed(path))[1]

    async def open_timed(self, path: Path) -> tuple[float, float]:
        """Seconds from didOpen to the first diagnostics, and to the complete ones."""
        text = path.read_text(encoding="utf-8")
        start = time.perf_counter()
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=path.as_uri(), language_id="python", version=1, text=text)
            )
        )
        first = await self.wait(path.as_uri(), 1)
        return first - start, await self.wait(path.as_uri(), 1, self.publishes_on_open(text)) - start

    async def change(self, path: Path, text: str, change: Change | None, version: int) -> float:
        """Seconds from one didChange (``change`` on ``text``, or all of ``text``) to that version's publish."""
        if change is None:
            event: types.TextDocumentContentChangeEvent = types.TextDocumentContentChangeWholeDocument(text=text)
        else:
            lines = text.splitlines(keepends=True) + [""]
            start = types.Position(change.line, _utf16(lines[change.line][: change.column]))
            end = types.Position(change.end_line, _utf16(lines[change.end_line][: change.end_column]))
            event = types.TextDocumentContentChangePartial(range=types.Range(start, end), text=change.text)
        begin = time.perf_counter()
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version), [event]
            )
        )
        return await self.wait(path.as_uri(), version) - begin

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


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Change:
    """Replace from (line, column) to (end_line, end_column) (0-based, code points) by ``text``."""

    line: int
    column: int
    end_line: int
    end_column: int
    text: str


def apply_change(source: str, change: Change) -> str:
    """``source`` after ``change``."""
    lines = source.splitlines(keepends=True) + [""]
    start = sum(map(len, lines[: change.line])) + change.column
    end = sum(map(len, lines[: change.end_line])) + change.end_column
    return source[:start] + change.text + source[end:]


def _statements(module: ast.Module) -> list[tuple[ast.stmt, list[ast.stmt]]]:
    """Every statement with the body it is in."""
    found: list[tuple[ast.stmt, list[ast.stmt]]] = []
    for node in ast.walk(module):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                found += [(statement, body) for statement in body]
    return found


def _nearest(statements: list[ast.stmt], line: int) -> ast.stmt:
    return min(statements, key=lambda s: abs(s.lineno - line))


def _first_line(statement: ast.stmt) -> int:
    """0-based first line, decorators included."""
    decorators = getattr(statement, "decorator_list", [])
    return min([statement.lineno, *(d.lineno for d in decorators)]) - 1


def _typing(line: str, index: int, count: int) -> list[Change]:
    """Typing ``count`` characters one after another at the end of line ``index``."""
    typed = (" * 2" * count)[:count]
    return [Change(index, len(line) + k, index, len(line) + k, typed[k]) for k in range(count)]


def edit_kinds(source: str, script: bool, count: int = 20) -> dict[str, list[Change]]:
    """For each kind of edit, the ``count`` successive changes made to ``source``."""
    lines = source.splitlines()
    middle = len(lines) // 2
    module = ast.parse(source)
    every = _statements(module)
    functions = [n for n in ast.walk(module) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    simple = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign)
    in_bodies = [
        s
        for s, body in every
        if isinstance(s, simple)
        and s.lineno == s.end_lineno
        and any(f.lineno < s.lineno <= (f.end_lineno or 0) for f in functions)
    ]
    top = [s for s in module.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    kinds: dict[str, list[Change]] = {}
    if script:
        statement = _nearest([s for s in top if isinstance(s, simple) and s.lineno == s.end_lineno], middle)
        kinds["script: typing at the end of a line"] = _typing(lines[statement.lineno - 1], statement.lineno - 1, count)
        at = _first_line(_nearest(top, middle))
        kinds["script: inserting a statement mid-file"] = [
            Change(at, 0, at, 0, f"marker_{k} = {k}\n") for k in range(count)
        ]
    else:
        statement = _nearest(in_bodies, middle)
        index = statement.lineno - 1
        kinds["typing at the end of a line in a body"] = _typing(lines[index], index, count)
        indent = " " * statement.col_offset
        kinds["comment line in a body, column 0"] = [Change(index, 0, index, 0, "# note\n")] * count
        kinds["comment line in a body, indented"] = [Change(index, 0, index, 0, f"{indent}# note\n")] * count
        definitions = [s for s in module.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        at = _first_line(_nearest(definitions, middle))
        kinds["new top-level line between functions"] = [
            Change(at, 0, at, 0, f"SETTING_{k} = {k}\n") for k in range(count)
        ]
    # Deleting single-line statements near the middle, bottom-up, never emptying a block.
    left = {id(body): len(body) - 1 for _, body in every}
    chosen: list[ast.stmt] = []
    for statement, body in sorted(every, key=lambda pair: abs(pair[0].lineno - middle)):
        if isinstance(statement, simple) and statement.lineno == statement.end_lineno and left[id(body)] > 0:
            left[id(body)] -= 1
            chosen.append(statement)
        if len(chosen) == count:
            break
    kinds["deleting a line"] = [
        Change(s.lineno - 1, 0, s.lineno, 0, "") for s in sorted(chosen, key=lambda s: -s.lineno)
    ]
    # Pasting a copy of the statements from near the middle that make about 20 lines, then undoing it.
    body = module.body
    while True:
        holder = _nearest(body, middle)
        if isinstance(holder, ast.ClassDef) and (holder.end_lineno or 0) - holder.lineno > 40:
            body = holder.body
        else:
            break
    start = body.index(holder)
    end = start
    while end < len(body) - 1 and (body[end].end_lineno or 0) - _first_line(body[start]) < 20:
        end += 1
    first, last = _first_line(body[start]), body[end].end_lineno or 0
    block = "".join(line + "\n" for line in lines[first:last])
    # Each paste is of another text (a comment names it), never a redo of the last one, which torchls
    # would answer from its kept analyses of earlier texts; an undo gives the text before the paste back.
    undo = Change(first, 0, last + 1, 0, "")
    kinds["pasting a 20-line block"] = [  # timed apart: paste, then undo
        change for k in range(count // 2) for change in (Change(first, 0, first, 0, f"# paste {k}\n{block}"), undo)
    ]
    return kinds


# file label -> (goal for the median, goal for p95), in seconds
GOALS = {
    "module_1000": (0.030, 0.060),
    "script_1000": (0.030, 0.060),
    "realcode_1000": (0.030, 0.060),
    "module_5000": (0.080, None),
    "trainer": (0.100, None),
}


def benchmark_files(names: list[str]) -> tuple[Path, dict[str, Path]]:
    """The files to edit, by label, in a fresh folder."""
    folder = Path(tempfile.mkdtemp(prefix="torchls-latency-"))
    (folder / "warmup.py").write_text("import torch\nmodel = torch.nn.Linear(1, 1)\nmodel.eval\n")
    files: dict[str, Path] = {}
    for name in names:
        path = folder / f"{name}.py"
        if name == "trainer":
            sys.path.insert(0, str(Path(__file__).parent))
            from realworld import fetch

            root = fetch("transformers", "5.24.0") / "transformers"
            path.write_text((root / "trainer.py").read_text(encoding="utf-8"), encoding="utf-8")
        elif name.startswith("realcode"):
            path.write_text(realcode_module(int(name.split("_")[1])))
            (folder / "realcode_models.py").write_text(MODELS_MODULE)  # the module it imports
        else:
            kind, lines = name.split("_")
            path.write_text((training_script if kind == "script" else training_module)(int(lines)))
        files[name] = path
    return folder, files


Timings = dict[tuple[str, str], list[float]]  # (file, edit kind) -> seconds


async def measure(
    name: str, files: dict[str, Path], edits: int, folder: Path
) -> tuple[Timings, dict[str, tuple[float, float]], float]:
    """Every edit kind on every file in one running server; the first and complete diagnostics per file; peak RSS."""
    session = Session(name)
    await session.start(folder)
    await session.open(folder / "warmup.py")
    timings: Timings = {}
    first: dict[str, tuple[float, float]] = {}
    version = 1
    for label, path in files.items():
        original = path.read_text(encoding="utf-8")
        first[label] = await session.open_timed(path)
        version = 1
        for kind, changes in edit_kinds(original, label.startswith("script"), edits).items():
            text = original
            for number, change in enumerate(changes):
                version += 1
                seconds = await session.change(path, text, change, version)
                text = apply_change(text, change)
                group = kind if not kind.startswith("pasting") else ("pasting a 20-line block", "undo")[number % 2]
                timings.setdefault((label, group), []).append(seconds)
            version += 1
            await session.change(path, original, None, version)  # back to the start, untimed
        session.client.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=path.as_uri()))
        )
    rss = session.peak_rss_mb()
    await session.stop()
    return timings, first, rss


async def cold_start(name: str, path: Path, folder: Path) -> tuple[float, float, float]:
    """A fresh server: seconds from spawning it to the first diagnostics of ``path`` and to the complete ones,
    and from initialize to the complete ones."""
    spawned = time.perf_counter()
    session = Session(name)
    command = SERVERS[name]
    await session.client.start_io(command[0], *command[1:], env=_server_environment(name))
    initialized = time.perf_counter()
    await session.initialize(folder)
    opened = time.perf_counter()
    first, complete = await session.open_timed(path)
    await session.stop()
    return opened + first - spawned, opened + complete - spawned, opened + complete - initialized


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    global DEBOUNCE_MS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", nargs="+", default=list(GOALS), choices=list(GOALS))
    parser.add_argument("--edits", type=int, default=20, help="edits per kind")
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--cold-files", nargs="+", choices=list(GOALS), help="default: module_1000 or the first")
    parser.add_argument("--servers", nargs="+", default=["torchls", "basedpyright"], choices=list(SERVERS))
    parser.add_argument(
        "--stages-cost", action="store_true", help="torchls without, then with, call sites and evidence"
    )
    parser.add_argument("--rounds", type=int, default=1, help="repeat each measurement, alternating servers")
    parser.add_argument("--debounce-ms", type=int, default=0, help="torchls's debounce (editors: 150)")
    args = parser.parse_args()
    DEBOUNCE_MS = args.debounce_ms
    servers = ["torchls-without-stages", "torchls"] if args.stages_cost else args.servers
    folder, files = benchmark_files(args.files)
    results: dict[str, tuple[Timings, dict[str, list[tuple[float, float]]], float]] = {
        name: ({}, {}, 0.0) for name in servers
    }
    for round_number in range(args.rounds):
        for name in servers if round_number % 2 == 0 else servers[::-1]:
            timings, first, rss = asyncio.run(measure(name, files, args.edits, folder))
            pooled, opened, peak = results[name]
            for key, values in timings.items():
                pooled.setdefault(key, []).extend(values)
            for label, seconds in first.items():
                opened.setdefault(label, []).append(seconds)
            results[name] = pooled, opened, max(peak, rss)
    header = " | ".join(f"{name} median | {name} p95" for name in servers)
    ratio_title = f" {servers[1]} / {servers[0]} (median) |" if len(servers) == 2 else ""
    print(f"| file | edit | {header} |{ratio_title} goal |")
    print("|---" * (2 + 2 * len(servers) + (2 if len(servers) == 2 else 1)) + "|")
    for label in files:
        kinds = [kind for (file, kind) in results[servers[0]][0] if file == label]
        for kind in kinds:
            cells, medians = [], []
            for name in servers:
                values = results[name][0][(label, kind)]
                medians.append(statistics.median(values))
                cells.append(f"{medians[-1] * 1000:.0f} ms | {_percentile(values, 0.95) * 1000:.0f} ms")
            ratio = f" {medians[1] / medians[0]:.2f}× |" if len(servers) == 2 else ""
            goal_median, goal_p95 = GOALS[label]
            torchls = results["torchls"][0][(label, kind)] if "torchls" in results else None
            met = "–"
            if torchls is not None:
                ok = statistics.median(torchls) <= goal_median and (
                    goal_p95 is None or _percentile(torchls, 0.95) <= goal_p95
                )
                met = "met" if ok else "missed"
            print(f"| {label} | {kind} | {' | '.join(cells)} |{ratio} {met} |")
    for name in servers:
        _, first, rss = results[name]
        opened = ", ".join(
            f"{label} {statistics.median(s[0] for s in seconds):.2f} s"
            f" (complete {statistics.median(s[1] for s in seconds):.2f} s)"
            for label, seconds in first.items()
        )
        print(
            f"{name}: first diagnostics after didOpen in the running server (median of {args.rounds}): {opened};"
            f" peak RSS {rss:.0f} MB"
        )
    default = [label for label in files if label == "module_1000"] or list(files)[:1]
    for label in args.cold_files or default:
        cold_file = files[label]
        runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in servers}
        for run in range(args.cold_runs):
            for name in servers if run % 2 == 0 else servers[::-1]:
                runs[name].append(asyncio.run(cold_start(name, cold_file, folder)))
        spawned: dict[str, float] = {}
        for name in servers:
            first = statistics.median(r[0] for r in runs[name])
            spawned[name] = spawn = statistics.median(r[1] for r in runs[name])
            initialize = statistics.median(r[2] for r in runs[name])
            p95 = _percentile([r[1] for r in runs[name]], 0.95)
            print(
                f"{name}: cold start on {cold_file.name}, fresh server, median of {args.cold_runs}: from spawning"
                f" the process, first diagnostics {first:.2f} s, complete {spawn:.2f} s (p95 {p95:.2f} s);"
                f" initialize → didOpen → complete {initialize:.2f} s"
            )
        if len(servers) == 2:
            ratio = spawned[servers[1]] / spawned[servers[0]]
            print(f"cold start on {cold_file.name}, complete, from spawning: {servers[1]} / {servers[0]} {ratio:.2f}×")
    print(f"torchls debounce: {DEBOUNCE_MS} ms (included in its edit timings)")


DEBOUNCE_MS = 0

if __name__ == "__main__":
    main()
