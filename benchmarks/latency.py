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

BLOCK = """

class Net{i}(nn.Module):
    def __init__(self, features: int = 16, classes: int = 4) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(features, 32), nn.ReLU(), nn.Dropout(0.1))
        self.head = nn.Linear(32, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def make_loader{i}(samples: int = 64) -> DataLoader:
    inputs, labels = torch.randn(samples, 16), torch.randint(0, 4, (samples,))
    return DataLoader(TensorDataset(inputs, labels), batch_size=16)


def train{i}(model: Net{i}, loader: DataLoader, epochs: int = 2) -> float:
    optimizer = optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = StepLR(optimizer, step_size=1)
    criterion = nn.CrossEntropyLoss()
    model.train()
    total = 0.0
    for epoch in range(epochs):
        for inputs, labels in loader:
            optimizer.zero_grad()
            loss = criterion(model(inputs), labels)
            loss.backward()
            optimizer.step()
            total += loss.item()
        scheduler.step()
        print(f"epoch {{epoch}} loss {{loss.item():.4f}} lr {{scheduler.get_last_lr()[0]}}")
    return total


def evaluate{i}(model: Net{i}, loader: DataLoader) -> float:
    model.eval(){bug_eval}
    correct = 0
    with torch.no_grad():
        for inputs, labels in loader:
            logits = model(inputs)
            correct += int((logits.argmax(dim=1) == labels).sum())
            batch = logits.shape[0]
    return correct / max(batch, 1)


def checkpoint{i}(model: Net{i}, path: str) -> None:
    state = {{"model": model.state_dict(), "parameters": sum(p.numel() for p in model.parameters())}}
    torch.save(state, path)
    for name, parameter in model.named_parameters():
        if parameter.grad is not None and parameter.requires_grad:
            print(name, parameter.grad.norm().item())
"""
HEADER = """import torch
from torch import nn, optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset
"""


def training_module(lines: int) -> str:
    """A training module of about ``lines`` lines; every fifth block has a bare `model.eval`."""
    parts = [HEADER]
    i = 0
    while sum(p.count("\n") for p in parts) < lines:
        parts.append(BLOCK.format(i=i, bug_eval="\n    model.eval" if i % 5 == 0 else ""))
        i += 1
    return "".join(parts)


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
