"""No stray process: every process torchls starts ends with the one that started it.

Real processes only: ``torchls check --jobs 2`` and ``torchls serve`` are started, their process
trees collected from /proc while they run, then their parent is killed (SIGKILL: no chance to clean
up) and nothing of the tree may remain 10 s later. Linux only (/proc).
"""

from __future__ import annotations

import ctypes
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from torchls.analysis.environment import find_environment
from torchls.lifetime import HELPER_SCRIPT, pid_alive

from .training_module import training_module

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process trees from /proc")

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
GRACE_S = 10.0
CHECK = [sys.executable, "-m", "torchls", "check", "--jobs", "2", "--no-cache", "--format", "json", "."]


def parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def descendants(root: int) -> set[int]:
    """The processes below ``root`` now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = parent_of(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


def collect_tree(root: int, ready: Callable[[set[int]], bool], timeout_s: float = 240) -> set[int]:
    """Every process seen below ``root`` until ``ready(tree)``; fails if that never happens."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        seen |= descendants(root)
        if ready(seen):
            return seen
        time.sleep(0.05)
    pytest.fail(f"the process tree never got ready: {[cmdline(pid) for pid in seen]}")


def survivors(pids: set[int], grace_s: float = GRACE_S) -> dict[int, str]:
    """Those of ``pids`` still running after ``grace_s`` (killed then, so that none is left behind)."""
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(pid_alive(pid) for pid in pids):
        time.sleep(0.1)
    alive = {pid: cmdline(pid) for pid in pids if pid_alive(pid)}
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    return alive


def jedi_helpers(pids: set[int]) -> set[int]:
    return {pid for pid in pids if "jedi/inference/compiled/subprocess/__main__.py" in cmdline(pid)}


def sleeping(pid: int) -> bool:
    """``pid``'s main thread is in a timed sleep (``time.sleep``), as the kernel's wait channel says."""
    try:
        return "nanosleep" in Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False


IN_OPEN = 0x20  # <sys/inotify.h>
INOTIFY_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name


class OpenedFiles:
    """The names of the files in ``folder`` that any process opened since this was made (Linux inotify)."""

    def __init__(self, folder: Path) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0 or libc.inotify_add_watch(self.fd, os.fsencode(folder), IN_OPEN) < 0:
            raise OSError(ctypes.get_errno(), "inotify")
        self.names: set[str] = set()

    def __call__(self) -> set[str]:
        while True:
            try:
                events = os.read(self.fd, 65536)
            except BlockingIOError:
                return self.names
            offset = 0
            while offset < len(events):
                *_, length = INOTIFY_EVENT.unpack_from(events, offset)
                offset += INOTIFY_EVENT.size
                name = events[offset : offset + length].rstrip(b"\0")
                offset += length
                if name:  # the folder itself is opened to list it
                    self.names.add(os.fsdecode(name))

    def close(self) -> None:
        os.close(self.fd)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 files: long enough to check that the workers are busy when the run is killed."""
    folder = tmp_path_factory.mktemp("sixty")
    text = training_module(300)
    for i in range(60):
        (folder / f"train_{i:02}.py").write_text(text, encoding="utf-8")
    return folder


def workers_busy(tree: set[int]) -> bool:
    """Both workers run, each with its jedi helper (and the main process has its own)."""
    return len(jedi_helpers(tree)) >= 3


@pytest.fixture
def check_run(project: Path) -> Iterator[tuple[subprocess.Popen[str], set[int]]]:
    """``torchls check --jobs 2`` in its own process group, and its tree once both workers analyse files."""
    opened = OpenedFiles(project)  # with --no-cache only the workers read the files: to analyse them
    process = subprocess.Popen(
        CHECK, cwd=project, env=ENV, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    tree: set[int] = set()
    try:
        tree = collect_tree(process.pid, lambda tree: workers_busy(tree) and len(opened()) >= 2)
        yield process, tree
    finally:
        opened.close()
        process.kill()
        survivors(tree, 0)  # strays hold its stderr open: communicate would wait for them
        process.communicate()


def test_sigkill_of_check_leaves_no_process(check_run: tuple[subprocess.Popen[str], set[int]]) -> None:
    process, tree = check_run
    assert process.poll() is None, "the run ended before it could be killed: make it longer"
    process.kill()
    process.wait()
    assert survivors(tree) == {}


@pytest.mark.parametrize(("signum", "status", "to_group"), [(signal.SIGINT, 130, True), (signal.SIGTERM, 143, False)])
def test_ctrl_c_and_sigterm_end_check_at_once(
    check_run: tuple[subprocess.Popen[str], set[int]], signum: int, status: int, to_group: bool
) -> None:
    """Ctrl-C reaches the whole process group; SIGTERM (``timeout``, ``kill``) the main process only."""
    process, tree = check_run
    if to_group:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    try:
        _, stderr = process.communicate(timeout=GRACE_S)  # with --jobs 2 on a busy 2-core machine
    except subprocess.TimeoutExpired:
        pytest.fail(f"torchls check did not end within {GRACE_S} s of the signal")
    assert process.returncode == status, stderr
    assert "Traceback" not in stderr
    assert stderr.strip() in ("torchls: interrupted", "torchls: terminated")
    assert survivors(tree) == {}


CLIENT = """
import asyncio, os, sys
from lsprotocol import types
from pygls.lsp.client import LanguageClient

async def main(process_id, file):
    client = LanguageClient("editor", "1")
    published, ready = asyncio.Event(), asyncio.Event()
    client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda params: published.set())
    client.feature("torchls/status")(lambda params: params.state == "ready" and ready.set())
    await client.start_io(sys.executable, "-m", "torchls", "serve")
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(),
                                                         process_id=process_id))
    client.initialized(types.InitializedParams())
    uri = "file://" + file
    text = open(file).read()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text)))
    if sys.argv[3] == "idle":
        await asyncio.wait_for(published.wait(), 240)
    else:  # busy: torch is loaded ("ready"), the file's analysis is next on the jedi thread, and not done
        await asyncio.wait_for(ready.wait(), 240)
        if published.is_set():
            print("analysed too soon: make the file longer", flush=True)
    print("ready", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main(int(sys.argv[1]) or None, sys.argv[2]))
"""


def start_editor(process_id: int, file: Path, state: str = "idle") -> subprocess.Popen[str]:
    """An editor (a real LSP client process) running ``torchls serve`` on its pipes, once the file is
    diagnosed (``idle``) or while it is analysed (``busy``)."""
    editor = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CLIENT), str(process_id), str(file), state],
        env=ENV, text=True, stdout=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    assert editor.stdout is not None
    assert editor.stdout.readline() == "ready\n"
    return editor


def server_tree(editor: subprocess.Popen[str]) -> set[int]:
    tree = collect_tree(editor.pid, lambda pids: bool(jedi_helpers(pids)))
    assert any("torchls serve" in cmdline(pid) for pid in tree)
    return tree


@pytest.mark.parametrize("state", ["idle", "busy"])
def test_server_ends_when_its_editor_is_killed(project: Path, tmp_path: Path, state: str) -> None:
    """SIGKILL of the editor closes the server's stdin (no processId given: this alone must do).

    Busy: the server is in the middle of a long analysis, which must not keep it alive.
    """
    file = project / "train_00.py"
    if state == "busy":
        file = tmp_path / "big.py"
        file.write_text(training_module(20_000), encoding="utf-8")
    editor = start_editor(0, file, state)
    tree: set[int] = set()
    try:
        tree = server_tree(editor)
        editor.kill()
        editor.wait()
        assert survivors(tree) == {}
    finally:
        editor.kill()
        survivors(tree, 0)
        editor.communicate()


def test_server_ends_when_the_process_id_is_gone(project: Path) -> None:
    """The process named in ``initialize`` dies while the server's stdin stays open."""
    named = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    editor = start_editor(named.pid, project / "train_00.py")
    tree: set[int] = set()
    try:
        tree = server_tree(editor)
        named.kill()
        named.wait()
        assert survivors(tree) == {}
        assert editor.poll() is None  # its pipes are still open: only the processId told the server
    finally:
        named.kill()
        named.wait()
        survivors(tree, 0)
        editor.kill()
        editor.communicate()


def test_jedi_helper_is_started_through_torchls(tmp_path: Path) -> None:
    """Fails if jedi stops starting its helper the way ``lifetime.tie_jedi_helpers_to_parent`` wraps."""
    environment = find_environment(sys.executable)
    assert environment.get_sys_path()  # the helper runs and answers
    helpers = jedi_helpers(descendants(os.getpid()))
    wrapped = [pid for pid in helpers if f"{HELPER_SCRIPT} {os.getpid()} " in cmdline(pid)]
    assert wrapped, f"no jedi helper started through {HELPER_SCRIPT}: {[cmdline(pid) for pid in helpers]}"


def test_jedi_helper_ends_with_a_killed_parent_even_when_busy() -> None:
    """A process holding a jedi environment is SIGKILLed while its helper is busy with a long request.

    An idle helper ends on its own when its stdin closes; a busy one does not read it. The request
    (``time.sleep`` sent as jedi sends its functions: a test-only use of jedi's internals) stands
    for a slow inspection.
    """
    script = textwrap.dedent("""
        import sys, threading, time
        from torchls.analysis.environment import find_environment
        environment = find_environment(sys.executable)
        helper = environment._subprocess
        threading.Thread(target=helper._send, args=(None, time.sleep, (120,), {}), daemon=True).start()
        time.sleep(3600)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], env=ENV, text=True)
    try:
        tree = collect_tree(parent.pid, lambda tree: any(sleeping(pid) for pid in jedi_helpers(tree)), timeout_s=120)
        helpers = jedi_helpers(tree)
        assert helpers
        parent.kill()
        parent.wait()
        assert survivors(helpers, 5) == {}
    finally:
        parent.kill()
        parent.communicate()
