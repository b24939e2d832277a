"""The ``torchls`` command: ``check``, ``serve``, ``rule`` and ``--version``.

Exit status of ``check``: 0 no findings, 1 findings (or, with ``--diff``, fixes to show),
2 usage error, internal error, bad interpreter, or a file that could not be read or analysed
(even when there are findings too); 130 interrupted (Ctrl-C), 143 terminated (SIGTERM): as a shell
reports a process killed by that signal, after stopping the worker processes, without a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from concurrent.futures import InvalidStateError
from pathlib import Path
from typing import TYPE_CHECKING

from torchls import __version__, lifetime

if TYPE_CHECKING:
    from torchls.check import FileReport

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 128 + signal.SIGINT, 128 + signal.SIGTERM


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C (workers stopped, no traceback), exit 143."""


# The signals that arrived during a check. Python drops the exception a handler raises while a
# finalizer runs, and the check then goes on: its end still reports the interruption.
_SIGNALLED: list[int] = []


def _terminate(signum: int, frame: object) -> None:
    _SIGNALLED.append(EXIT_TERMINATED)
    raise Terminated


def _interrupt(signum: int, frame: object) -> None:
    _SIGNALLED.append(EXIT_INTERRUPTED)
    raise KeyboardInterrupt


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to document the CLI)."""
    parser = argparse.ArgumentParser(
        prog="torchls",
        description="A PyTorch-aware linter and language server for attribute-versus-method confusions.",
    )
    parser.add_argument("--version", action="version", version=f"torchls {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="check files and directories", description="Check Python files.")
    check.add_argument(
        "paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH", help="files or directories (default: .)"
    )
    check.add_argument(
        "--format", choices=("text", "json", "sarif", "github"), default="text", help="output format (default: text)"
    )
    check.add_argument("--show-source", action="store_true", help="text format: show each finding's source line")
    check.add_argument("--statistics", action="store_true", help="print the number of findings per rule")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--quiet", action="store_true", help="text format: findings only, no summary line")
    check.add_argument("--output-file", type=Path, metavar="PATH", help="write the report to PATH")
    check.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="a pyproject.toml or torchls.toml to use instead of the nearest pyproject.toml",
    )
    check.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    check.add_argument("--diff", action="store_true", help="show the safe fixes as a diff; change nothing")
    check.add_argument("--select", metavar="CODES", help="comma-separated rule codes or prefixes to enable")
    check.add_argument("--ignore", metavar="CODES", help="comma-separated rule codes or prefixes to disable")
    check.add_argument(
        "--no-cache",
        action="store_true",
        help="analyse every file again, neither reading nor writing the results cache (~/.cache/torchls)",
    )
    check.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="worker processes for big runs (default: the number of CPUs; 1: none)",
    )
    check.add_argument(
        "--python",
        metavar="PATH",
        help="interpreter (or venv) whose packages are analysed; default: the active virtualenv or conda"
        " environment, else .venv, venv or env in the current directory, else the interpreter torchls runs in",
    )

    serve = commands.add_parser("serve", help="run the language server", description="Run the language server.")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")

    rule = commands.add_parser("rule", help="show a rule's documentation", description="Show a rule's documentation.")
    rule.add_argument("code", help="rule code, e.g. TL001")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script and ``python -m torchls``."""
    args = build_parser().parse_args(argv)
    if args.command == "rule":
        return _rule(args.code)
    if args.command == "serve":
        return _serve(args.tcp)
    status = _check_command(args)
    if argv is None and "multiprocessing.resource_tracker" not in sys.modules:
        # The program itself, the report out, the cache written: skip the interpreter's teardown of
        # jedi's objects (4 s of a 10 s run here). Not after worker processes: their queues' semaphores
        # must be released, or multiprocessing's resource tracker warns about them.
        lifetime.exit_now(status)
    return status


def _check_command(args: argparse.Namespace) -> int:
    in_main_thread = threading.current_thread() is threading.main_thread()  # else signals are not ours
    _SIGNALLED.clear()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    previous_interrupt = signal.signal(signal.SIGINT, _interrupt) if in_main_thread else None
    try:
        status = _check(args)
        return _interrupted(_SIGNALLED[0]) if _SIGNALLED else status
    except KeyboardInterrupt:
        return _interrupted(EXIT_INTERRUPTED)
    except Terminated:
        return _interrupted(EXIT_TERMINATED)
    except BrokenPipeError:  # `torchls check | head`: the reader left; leave quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FINDINGS
    except Exception as error:  # never a traceback for the user, but say what broke
        print(f"torchls: internal error: {error!r}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if previous_interrupt is not None and not _SIGNALLED:  # else: ignored while exiting (_interrupted)
            signal.signal(signal.SIGINT, previous_interrupt)


def _interrupted(status: int) -> int:
    # The workers are stopped; ignore a second Ctrl-C while the interpreter exits: no traceback.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.excepthook = _quiet_pool_manager
    print("torchls: interrupted" if status == EXIT_INTERRUPTED else "torchls: terminated", file=sys.stderr)
    return status


def _quiet_pool_manager(args: threading.ExceptHookArgs) -> None:
    """After an interruption the worker pool's manager thread may fail on the futures it was told to
    cancel (``InvalidStateError``): that is the interruption itself, not something to show the user.
    """
    if not isinstance(args.exc_value, InvalidStateError):
        threading.__excepthook__(args)


def _rule(code: str) -> int:
    from torchls.analysis.rules import RULES

    rule = RULES.get(code.upper())
    if rule is None:
        print(f"torchls: unknown rule {code!r}; rules: {', '.join(RULES)}", file=sys.stderr)
        return EXIT_ERROR
    print(f"# {rule.code} {rule.name}\n\n{rule.doc}")
    return EXIT_CLEAN


def _serve(tcp: str | None) -> int:
    from torchls.lsp.protocol import shutdown_requested
    from torchls.lsp.server import create_server

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    server = create_server()
    if tcp:
        host, _, port = tcp.rpartition(":")
        if not port.isdigit():
            print("torchls: --tcp expects HOST:PORT", file=sys.stderr)
            return EXIT_ERROR
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    # LSP: exit code 0 only if a shutdown request came before the exit (or the end of input).
    # Now, even if jedi is busy with an analysis: the editor is gone, and its helper follows us.
    lifetime.exit_now(EXIT_CLEAN if shutdown_requested(server) else 1)
    return EXIT_ERROR  # not reached


def _check(args: argparse.Namespace) -> int:
    from torchls.analysis.environment import InterpreterError
    from torchls.analysis.pool import AnalyzerPool
    from torchls.analysis.settings import SettingsError, SettingsProvider
    from torchls.cache import ResultsCache
    from torchls.check import check_paths
    from torchls.output import format_github, format_json, format_sarif, format_statistics, format_text

    logging.basicConfig(stream=sys.stderr, level=logging.ERROR, format="%(message)s")
    overrides = {"select": args.select, "ignore": args.ignore}
    pool = AnalyzerPool()
    try:
        provider = SettingsProvider(overrides, args.config)
        analyzer = pool.get(args.python, Path.cwd(), fallback=False).analyzer
        if analyzer.torch_note:
            print(
                f"torchls: {analyzer.torch_note}. For full types, pass your project's interpreter with --python.",
                file=sys.stderr,
            )
        cache = None if args.no_cache else ResultsCache(analyzer)
        result = check_paths(analyzer, args.paths, provider, args.fix, args.diff, args.jobs, cache)
    except (InterpreterError, SettingsError) as error:
        pool.close()
        print(f"torchls: {error}", file=sys.stderr)
        return EXIT_ERROR
    # Not when interrupted: the process ends at once, and its helpers with it (lifetime.py).
    pool.close()
    for message in result.errors:
        print(f"torchls: {message}", file=sys.stderr)
    if args.diff:
        report = "".join(result.diffs)
    elif args.statistics:
        report = format_statistics(result.findings)
    elif args.format == "json":
        report = format_json(result.findings)
    elif args.format == "sarif":
        report = format_sarif(result.findings)
    elif args.format == "github":
        report = format_github(result.findings)
    else:
        sources = _sources(result.findings) if args.show_source else None
        report = format_text(result.findings, result.fixed, sources, args.quiet, len(result.errors))
    if args.output_file:
        args.output_file.write_text(report + "\n" if report else "", encoding="utf-8")
    elif report:
        print(report, end="" if args.diff else "\n")
    if result.errors:  # a file that could not be checked outweighs findings: CI must notice it
        return EXIT_ERROR
    if (result.findings or (args.diff and result.diffs)) and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _sources(reports: list[FileReport]) -> dict[tuple[Path, int | None], str]:
    """The text of each reported file or notebook cell, for ``--show-source``."""
    from torchls.files import FileError, read_notebook

    sources: dict[tuple[Path, int | None], str] = {}
    for report in reports:
        if report.cell is None:
            sources[(report.path, None)] = report.path.read_text(encoding="utf-8", errors="replace")
        elif (report.path, report.cell) not in sources:
            try:
                sources.update({(report.path, n): text for n, text in read_notebook(report.path).code_cells})
            except FileError:
                continue
    return sources
