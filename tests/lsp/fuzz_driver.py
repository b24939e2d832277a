"""Drive a live ``torchls serve`` with random incremental edits and check it after every step.

Used by ``test_fuzz.py`` (hypothesis chooses the edits, a bounded run in CI) and runnable for the
long version, which prints counts and the server's memory:

    .venv/bin/python -m tests.lsp.fuzz_driver --edits 10000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from parso import load_grammar
from pygls.lsp.client import LanguageClient
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import PositionCodec

SERVER = [sys.executable, "-m", "torchls", "serve"]
EXAMPLE = Path(__file__).parents[2] / "examples" / "train.py"
PIECES = [
    "😋",
    "𝔘𝔫𝔦",
    "日本語",
    "e\u0301",
    "\r\n",
    "\r",
    "\n",
    "\t",
    "\x00",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    '"',
    "'",
    '"""',
    "x" * 3000,
    " model.eval\n",
    "x.shape(0)",
    "optimizer.zero_grad",
    "for p in model.parameters:\n",
    "with torch.no_grad:\n    pass\n",
    "def f(:\n",
    "import torch\n",
    "#",
    "\\",
    ";",
    "loss.item + 1\n",
]


@dataclass
class Edit:
    """Replace ``length`` characters at fraction ``where`` of the text by ``text`` (``delete_all`` empties it).

    ``line`` instead replaces the whole content of that line (a steady-size editing session).
    """

    where: float
    length: int
    text: str
    delete_all: bool = False
    line: int | None = None


@dataclass
class Counts:
    edits: int = 0
    publishes: int = 0
    hovers: int = 0
    code_actions: int = 0
    fixes_applied: int = 0
    problems: list[str] = field(default_factory=list)


def random_edit(rng: random.Random) -> Edit:
    """An edit the way the hypothesis strategy builds them, from a seeded generator."""
    if rng.random() < 0.01:
        return Edit(0, 0, "", delete_all=True)
    text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 3)))
    return Edit(rng.random(), rng.choice([0, 0, 1, 2, 5, 40]), text)


def parse_errors(text: str) -> int:
    grammar = load_grammar()
    return len(list(grammar.iter_errors(grammar.parse(text))))


class Fuzzer:
    def __init__(self, folder: Path, encoding: str = "utf-16") -> None:
        self.client = LanguageClient("torchls-fuzz", "1")
        self.folder = folder
        self.encoding = encoding
        self.path = folder / "fuzzed.py"
        self.uri = self.path.as_uri()
        self.texts: dict[int, str] = {}
        self.version = 1
        self.published: list[int] = []
        self.counts = Counts()
        self.latest_published = asyncio.Event()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_publish(params: types.PublishDiagnosticsParams) -> None:
            self.counts.publishes += 1
            if params.uri != self.uri or params.version is None:
                return
            if self.published and params.version < self.published[-1]:
                self.problem(f"publish went back: {params.version} after {self.published[-1]}")
            if params.version > self.version:
                self.problem(f"publish for a version never sent: {params.version}")
            self.published.append(params.version)
            text = self.texts.get(params.version)
            for diagnostic in params.diagnostics:
                if text is not None and not self.inside(text, diagnostic.range):
                    self.problem(f"range outside the document: {diagnostic.range} in version {params.version}")
            if params.version == self.version:
                self.latest_published.set()

        @self.client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def progress(params: types.WorkDoneProgressCreateParams) -> None:
            return None

        @self.client.feature("torchls/status")
        def status(params: object) -> None:
            return None

    def problem(self, message: str) -> None:
        self.counts.problems.append(message)

    def document(self, text: str) -> TextDocument:
        return TextDocument(self.uri, text, position_codec=PositionCodec(self.encoding))

    def inside(self, text: str, lsp_range: types.Range) -> bool:
        lines = self.document(text).lines
        for position in (lsp_range.start, lsp_range.end):
            if position.line > len(lines) or position.line < 0:
                return False
            line = lines[position.line] if position.line < len(lines) else ""
            if position.character > self.document(text).position_codec.client_num_units(line):
                return False
        return True

    async def start(self) -> None:
        await self.client.start_io(*SERVER)
        capabilities = types.ClientCapabilities(
            general=types.GeneralClientCapabilities(position_encodings=[self.encoding]),
            text_document=types.TextDocumentClientCapabilities(
                publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True)
            ),
        )
        result = await self.client.initialize_async(
            types.InitializeParams(
                capabilities=capabilities, root_uri=self.folder.as_uri(), initialization_options={"debounceMs": 0}
            )
        )
        assert result.capabilities.position_encoding == self.encoding
        self.client.initialized(types.InitializedParams())
        text = EXAMPLE.read_text(encoding="utf-8")
        self.texts[1] = text
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(self.uri, "python", 1, text))
        )

    def position_at(self, text: str, fraction: float) -> types.Position:
        if not text:  # pygls's offset conversion fails on an empty document
            return types.Position(0, 0)
        return self.document(text).client_position_at_offset(int(fraction * len(text)))

    async def step(self, edit: Edit, rng: random.Random) -> None:
        text = self.texts[self.version]
        document = self.document(text)
        if edit.delete_all:
            change: types.TextDocumentContentChangeEvent = types.TextDocumentContentChangeWholeDocument(text="")
            new_text = ""
        elif edit.line is not None:
            length = len(document.lines[edit.line].rstrip("\r\n"))
            end = types.Position(
                edit.line, document.position_codec.client_num_units(document.lines[edit.line][:length])
            )
            change = types.TextDocumentContentChangePartial(
                range=types.Range(types.Position(edit.line, 0), end), text=edit.text
            )
            document.apply_change(change)
            new_text = document.source
        else:
            start = int(edit.where * len(text))
            end = min(len(text), start + edit.length)
            lsp_range = types.Range(
                self.position_at(text, start / max(len(text), 1)), self.position_at(text, end / max(len(text), 1))
            )
            change = types.TextDocumentContentChangePartial(range=lsp_range, text=edit.text)
            document.apply_change(change)
            new_text = document.source
        self.version += 1
        self.texts[self.version] = new_text
        self.latest_published.clear()
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version), [change]
            )
        )
        self.counts.edits += 1
        position = self.position_at(new_text, rng.random())
        hover = self.client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(self.uri), position)
        )
        actions = self.client.text_document_code_action_async(
            types.CodeActionParams(
                types.TextDocumentIdentifier(self.uri),
                types.Range(position, self.position_at(new_text, min(1.0, rng.random() + 0.05))),
                types.CodeActionContext(diagnostics=[]),
            )
        )
        await asyncio.wait_for(hover, 60)
        self.counts.hovers += 1
        offered = await asyncio.wait_for(actions, 60) or []
        self.counts.code_actions += 1
        before = parse_errors(new_text)
        for action in offered:
            if isinstance(action, types.CodeAction) and action.edit and action.edit.changes:
                fixed = self.document(new_text)
                for text_edit in sorted(
                    action.edit.changes[self.uri],
                    key=lambda e: (e.range.start.line, e.range.start.character),
                    reverse=True,
                ):
                    fixed.apply_change(
                        types.TextDocumentContentChangePartial(range=text_edit.range, text=text_edit.new_text)
                    )
                self.counts.fixes_applied += 1
                if parse_errors(fixed.source) > before:
                    self.problem(f"fix {action.title!r} made version {self.version} parse worse")

    async def finish(self) -> None:
        await asyncio.wait_for(self.latest_published.wait(), 120)  # the last version is published
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()

    def server_rss_mb(self) -> tuple[float, float]:
        """Resident memory of the server process and of its children (jedi's environment process)."""
        server = self.client._server
        if server is None:
            return 0.0, 0.0
        children = [
            int(pid) for c in Path(f"/proc/{server.pid}/task").glob("*/children") for pid in c.read_text().split()
        ]

        def rss(pid: int) -> float:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
            return 0.0

        return rss(server.pid), sum(rss(pid) for pid in children)


async def run(
    edits: list[Edit], folder: Path, seed: int = 0, encoding: str = "utf-16", report_every: int = 0
) -> Counts:
    """Apply ``edits`` one by one to a live server, checking it after each; the counts and problems."""
    rng = random.Random(seed)
    fuzzer = Fuzzer(folder, encoding)
    await fuzzer.start()
    start = time.monotonic()
    for index, edit in enumerate(edits, 1):
        await fuzzer.step(edit, rng)
        if report_every and index % report_every == 0:
            print(
                f"{index} edits, {time.monotonic() - start:.0f} s, RSS server %.0f MB + jedi %.0f MB"
                % fuzzer.server_rss_mb(),
                flush=True,
            )
    rss = sum(fuzzer.server_rss_mb())
    await fuzzer.finish()
    if report_every:
        print(f"final RSS before shutdown: {rss:.0f} MB")
    return fuzzer.counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--encoding", default="utf-16", choices=["utf-8", "utf-16", "utf-32"])
    parser.add_argument(
        "--steady", action="store_true", help="rewrite one line in place: the document keeps its size (memory)"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    import tempfile

    if args.steady:
        middle = len(EXAMPLE.read_text(encoding="utf-8").splitlines()) // 2
        snippets = [
            "    model.eval",
            "    x = loss.item + 1",
            "    print(model.training())",
            "    pass",
            "    y = '😋 日本'",
        ]
        edits = [Edit(0, 0, rng.choice(snippets), line=middle) for _ in range(args.edits)]
    else:
        edits = [random_edit(rng) for _ in range(args.edits)]
    counts = asyncio.run(run(edits, Path(tempfile.mkdtemp()), args.seed, args.encoding, 1000))
    print(counts)
    sys.exit(1 if counts.problems else 0)


if __name__ == "__main__":
    main()
