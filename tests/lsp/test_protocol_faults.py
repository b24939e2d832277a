"""Bad protocol input over raw stdio: JSON-RPC errors or silent ignores as the spec says, never a
crash, and no process left behind when the client goes away."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types

from torchls.lsp.server import create_server

from .helpers import SERVER_COMMAND, child_processes

SOURCE = "import torch\nmodel = torch.nn.Linear(2, 2)\nmodel.eval\n"


class RawClient:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            SERVER_COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            headers = {}
            while (line := stdout.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            if not line:
                return
            self.messages.put(json.loads(stdout.read(int(headers["content-length"]))))

    def raw(self, body: bytes, length: int | None = None) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length) + body)
        self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.raw(json.dumps({"jsonrpc": "2.0", **message}).encode())

    def response(self, request_id: int, timeout: float = 120) -> dict[str, Any]:
        return self.next_message(lambda m: m.get("id") == request_id and "method" not in m, timeout)

    def notification(self, method: str, timeout: float = 120) -> dict[str, Any]:
        return self.next_message(lambda m: m.get("method") == method and "id" not in m, timeout)

    def next_message(self, wanted: Callable[[dict[str, Any]], bool], timeout: float) -> dict[str, Any]:
        """The next message from the server that is ``wanted`` (the others before it are dropped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.messages.get(timeout=0.5)
            except queue.Empty:
                continue
            if wanted(message):
                return message
        raise AssertionError(f"no such message from the server within {timeout} s")


def hover(uri: str, line: Any, character: Any) -> dict[str, Any]:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}


def test_bad_input_gets_errors_and_the_server_keeps_working(tmp_path: Path) -> None:
    uri = (tmp_path / "doc.py").as_uri()
    client = RawClient()
    try:
        client.send({"id": 1, "method": "textDocument/hover", "params": hover(uri, 0, 0)})  # before initialize
        assert "error" in client.response(1) or client.response(1).get("result") is None
        client.raw(b"{this is not json}")
        client.send(
            {
                "id": 2,
                "method": "initialize",
                "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}},
            }
        )
        assert "capabilities" in client.response(2)["result"]
        client.send({"method": "initialized", "params": {}})
        client.send(
            {
                "method": "textDocument/didOpen",
                "params": {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": SOURCE}},
            }
        )
        client.send({"id": 3, "method": "torchls/noSuchMethod", "params": {}})
        assert client.response(3)["error"]["code"] == -32601  # MethodNotFound
        client.send({"method": "torchls/noSuchNotification", "params": {}})
        client.send({"id": 4, "method": "textDocument/hover", "params": hover(uri, "two", None)})
        assert client.response(4)["error"]["code"] in (-32602, -32603)  # InvalidParams (or internal)
        client.send({"id": 5, "method": "textDocument/hover", "params": hover(uri, 2, 10_000)})  # past the line
        assert "error" not in client.response(5)
        client.send({"id": 6, "method": "textDocument/hover", "params": hover(uri, 99, 0)})  # past the document
        assert "error" not in client.response(6)
        never_opened = (tmp_path / "never.py").as_uri()
        client.send({"id": 7, "method": "textDocument/hover", "params": hover(never_opened, 0, 0)})
        assert "error" not in client.response(7)
        client.send(
            {
                "method": "textDocument/didChange",
                "params": {
                    "textDocument": {"uri": never_opened, "version": 2},
                    "contentChanges": [{"text": "x = 1\n"}],
                },
            }
        )
        client.send(
            {
                "id": 8,
                "method": "textDocument/codeAction",
                "params": {
                    "textDocument": {"uri": uri},
                    "range": {"start": {"line": 5, "character": 3}, "end": {"line": 0, "character": 0}},
                    "context": {"diagnostics": []},
                },
            }
        )
        assert "error" not in client.response(8)
        client.send({"id": 9, "method": "textDocument/hover", "params": hover(uri, 2, 7)})
        answer = client.response(9)
        assert "is a method of `torch.nn.Module`" in answer["result"]["contents"]["value"]
        # A wrong Content-Length desynchronises the stream for good (LSP framing cannot recover):
        # the server must survive it, and still leave when the client does.
        client.raw(json.dumps({"jsonrpc": "2.0", "method": "x"}).encode(), length=5)
        client.raw(b'{"jsonrpc": "2.0", "method": "y"}', length=4096)
        # pygls tells the editor of a message it cannot read once it has handled it; the rest of the
        # stream is then read as headers, and the body announced for 4096 bytes never ends.
        shown = client.notification("window/showMessage")
        assert shown["params"]["type"] == types.MessageType.Error
        assert "Unterminated string" in shown["params"]["message"]  # the 5-byte body, `{"jso`
        assert client.process.poll() is None
        assert client.process.stdin is not None
        client.process.stdin.close()
        assert client.process.wait(timeout=30) is not None
    finally:
        client.process.kill()


def test_exit_without_shutdown(tmp_path: Path) -> None:
    client = RawClient()
    try:
        client.send(
            {
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}},
            }
        )
        client.response(1)
        client.send({"method": "exit"})  # the spec: exit code 1 when no shutdown request came first
        assert client.process.wait(timeout=30) == 1
    finally:
        client.process.kill()


def test_a_vanishing_client_leaves_no_process(tmp_path: Path) -> None:
    client = RawClient()
    client.send(
        {
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}},
        }
    )
    client.response(1)
    client.send({"method": "initialized", "params": {}})
    uri = (tmp_path / "doc.py").as_uri()
    client.send(
        {
            "method": "textDocument/didOpen",
            "params": {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": SOURCE}},
        }
    )

    deadline = time.monotonic() + 120  # the analysis of the opened document starts jedi's helper
    while not (children := child_processes(client.process.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert children, "the server started jedi's helper process"
    assert client.process.stdin is not None
    client.process.stdin.close()  # the editor is gone
    assert client.process.wait(timeout=30) is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(
        Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text() for pid in children
    ):
        time.sleep(0.2)
    assert not [
        pid
        for pid in children
        if Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()
    ]


def test_handled_notifications_are_not_kept() -> None:
    """pygls 2.1 keeps the future of every notification it runs through a generator handler
    (``didChange`` on each keystroke); torchls's protocol lets them go once handled."""
    protocol = create_server().protocol
    for _ in range(3):
        protocol._handle_notification(types.SET_TRACE, types.SetTraceParams(value=types.TraceValue.Off))
    assert protocol._request_futures == {}
