"""Starts jedi's helper process so that it ends with the process that started it.

Run as a script by the analysed interpreter (which need not have torchls, or the same Python
version: keep this file standalone and plain), as ``python jedi_helper.py PARENT_PID JEDI_MAIN
ARGS...``: it arranges its own end, then runs jedi's ``__main__.py`` with jedi's arguments.

jedi's helper already exits when its stdin reaches end of file, which happens as soon as its parent
is gone, but only while it waits for a request; this also covers a helper busy in a long request.
It ignores Ctrl-C: that is meant for torchls, which stops the helper itself (or dies, and then the
helper follows).
"""

import os
import runpy
import signal
import sys
import threading
import time

POLL_S = 0.5


def _exit_when_orphaned(parent: int) -> None:
    # POSIX: a process whose parent dies is re-parented (to init or a subreaper), so getppid changes.
    while os.getppid() == parent:
        time.sleep(POLL_S)
    os._exit(0)


def _exit_when_process_ends(parent: int) -> None:
    # Windows: getppid keeps the dead parent's pid; wait on a handle to the parent process instead.
    import ctypes

    synchronize, infinite = 0x00100000, 0xFFFFFFFF
    kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(synchronize, False, parent)
    if handle:
        kernel32.WaitForSingleObject(handle, infinite)
    os._exit(0)


def main() -> None:
    """Watch the parent, ignore Ctrl-C, run jedi's helper."""
    parent = int(sys.argv[1])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch = _exit_when_process_ends if sys.platform == "win32" else _exit_when_orphaned
    threading.Thread(target=watch, args=(parent,), name="torchls-parent-watch", daemon=True).start()
    jedi_main = sys.argv[2]
    sys.argv = [jedi_main, *sys.argv[3:]]
    runpy.run_path(jedi_main, run_name="__main__")


if __name__ == "__main__":
    main()
