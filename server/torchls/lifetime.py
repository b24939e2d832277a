"""Process lifetime: no process torchls starts outlives the one that started it.

- ``torchls check --jobs N`` workers call :func:`die_with_parent` first: on Linux the kernel kills
  them when the main process dies (``PR_SET_PDEATHSIG``), on every platform a watcher thread ends
  them within a second of it (POSIX: the parent pid changes; Windows: the parent's handle is
  signalled). Without it a worker waits forever on its task queue, whose write end it holds itself.
- jedi's helper process (one per jedi environment: the server's, ``check``'s, each worker's) is
  started through ``jedi_helper.py`` (:func:`tie_jedi_helpers_to_parent`), which watches its parent
  the same way; the helper also ends by itself when its stdin (a pipe from its parent) closes.
- The language server ends when the editor whose pid ``initialize`` names is gone
  (:func:`exit_when_gone`), even if its stdin stays open, and :func:`exit_now` ends it at once
  when its input ends, without waiting for an analysis under way.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)
PARENT_POLL_S = 0.5  # how often a worker looks for its parent (when the kernel cannot tell it)
EDITOR_POLL_S = 2.0  # how often the server looks for its editor's process
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
HELPER_SCRIPT = Path(__file__).with_name("jedi_helper.py")


def die_with_parent(parent_pid: int) -> None:
    """End this process when ``parent_pid`` (the process that started it) dies, for any reason."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            log.warning("torchls: prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    if not pid_alive(parent_pid) or (os.name == "posix" and os.getppid() != parent_pid):
        os._exit(1)  # the parent died before the line above could take effect
    _watch(lambda: _is_parent(parent_pid), "torchls-parent-watch", PARENT_POLL_S)


def exit_when_gone(pid: int | None, code: int = 1) -> None:
    """End this process (status ``code``) once process ``pid`` no longer runs; None: nothing to watch."""
    if pid is None or pid <= 0 or pid == os.getpid():
        return
    if not pid_alive(pid):  # an editor in another pid namespace (a container, WSL): its pid means nothing here
        log.warning("torchls: the editor's process %d is not visible here; not watching it", pid)
        return
    _watch(lambda: pid_alive(pid), "torchls-editor-watch", EDITOR_POLL_S, code)


def exit_now(code: int) -> None:
    """End this process now: flush what was written, skip waiting for threads (an analysis under way)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    logging.shutdown()
    os._exit(code)


def pid_alive(pid: int) -> bool:
    """True while process ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    if sys.platform == "win32":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no /proc (macOS) or just gone
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def tie_jedi_helpers_to_parent() -> None:
    """Start every jedi helper process through ``jedi_helper.py``, which ends it with its parent.

    ``test_processes.py`` fails if jedi stops starting its helper the way the bridge expects.
    """
    from torchls.analysis import jedi_bridge

    def through_helper_script(args: list[str]) -> list[str]:
        return [args[0], str(HELPER_SCRIPT), str(os.getpid()), *args[1:]]

    def unknown() -> None:
        log.warning("torchls: jedi starts its helper in an unknown way; it may outlive torchls")

    jedi_bridge.start_helpers_through(through_helper_script, unknown)


def _is_parent(parent_pid: int) -> bool:
    if os.name == "posix":
        return os.getppid() == parent_pid  # re-parented: the parent died (its pid may be reused)
    return pid_alive(parent_pid)


def _watch(alive: Callable[[], bool], name: str, every_s: float, code: int = 1) -> None:
    def watch() -> None:
        while alive():
            time.sleep(every_s)
        exit_now(code)

    threading.Thread(target=watch, name=name, daemon=True).start()


def _windows_pid_alive(pid: int) -> bool:
    still_active, query_limited_information = 259, 0x1000
    kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined,unused-ignore]
    handle = kernel32.OpenProcess(query_limited_information, False, pid)
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == still_active
    finally:
        kernel32.CloseHandle(handle)
