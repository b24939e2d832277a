"""Running fixture cases with real torch, and checking that a finding's message tells the truth.

Shared by the truth tests of the seeded corpus (tests/test_truth.py), the real-code set
(tests/test_realcode.py) and the recall benchmark.
"""

from __future__ import annotations

import ast
import re
import sys
import traceback
import types
import warnings
from pathlib import Path

from torchls.analysis.findings import Applicability, Finding, Severity
from torchls.analysis.fixes import apply_edits
from torchls.analysis.usage import UsageKind

RUN_MARKER = re.compile(r"# run: (case_\w+)")
BUG_MARKER = re.compile(r"# bug: (?P<kind>\w+)")


def load_module(source: str, path: Path) -> types.ModuleType:
    """Execute fixture source as a module (its folder on sys.path for sibling imports).

    The module is registered in ``sys.modules``, as a script's own module is: pickling one of its
    classes (``torch.save(model.state_dict, ...)`` pickles the whole model) finds it there.
    """
    module = types.ModuleType(f"fixture_{path.stem}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module
    sys.path.insert(0, str(path.parent))
    try:
        exec(compile(source, str(path), "exec"), module.__dict__)
    finally:
        sys.path.remove(str(path.parent))
    return module


def case_functions(source: str) -> dict[str, tuple[int, int]]:
    """Line ranges of the top-level ``case_*`` functions."""
    return {
        node.name: (node.lineno, node.end_lineno or node.lineno)
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("case_")
    }


def case_of_line(line: int, source: str, cases: dict[str, tuple[int, int]]) -> str:
    """The case a line belongs to: its enclosing case function, or a ``# run: case_x`` comment."""
    marker = RUN_MARKER.search(source.splitlines()[line - 1])
    if marker:
        return marker.group(1)
    for name, (first, last) in cases.items():
        if first <= line <= last:
            return name
    raise AssertionError(f"line {line} is outside every case function")


def case_of(finding: Finding, source: str, cases: dict[str, tuple[int, int]]) -> str:
    """The case a finding belongs to (see ``case_of_line``)."""
    return case_of_line(finding.span.start[0], source, cases)


def bug_lines(source: str) -> dict[int, str]:
    """The lines marked ``# bug: <ExceptionName>`` or ``# bug: silent``, with the mark."""
    return {
        number: match.group("kind")
        for number, text in enumerate(source.splitlines(), start=1)
        if (match := BUG_MARKER.search(text))
    }


def run_case(module: types.ModuleType, name: str) -> BaseException | None:
    """Run one case; return what it raised, or None."""
    return call_case(module, name)[0]


def call_case(module: types.ModuleType, name: str) -> tuple[BaseException | None, object]:
    """Run one case; return what it raised (or None) and what it returned."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return None, getattr(module, name)()
        except Exception as error:  # the claim decides whether this was expected
            return error, None


def assert_message_true(finding: Finding, source: str, path: Path, case: str) -> None:
    """Run the case: the error the finding's facts name is raised (or nothing, where they name none), the
    message states those facts, and the finding's fix makes the case run cleanly."""
    error = run_case(load_module(source, path), case)
    facts = finding.facts
    assert (finding.severity == Severity.ERROR) == bool(facts.raises), f"{case}: an error is what raises"
    if facts.raises:
        assert error is not None, f"{case}: the finding says {facts.raises}, but nothing was raised"
        assert type(error).__name__ == facts.raises, f"{case}: raised {error!r}, not {facts.raises}"
        assert facts.raises in finding.message, f"the message must say what it raises: {finding.message}"
        if facts.error_texts:
            assert any(text in str(error) for text in facts.error_texts), f"{case}: {error!r} vs {facts.error_texts}"
            assert any(text in finding.message for text in facts.error_texts), finding.message
    elif error is not None and facts.usage == UsageKind.TRUTH.value:
        # The condition itself is silent; what it guards runs when it should not, and may fail there.
        assert _line_raised(error, path) != finding.span.start[0], f"{case}: the condition raised {error!r}"
    else:
        assert "raises" not in finding.message, f"a warning is for silent bugs: {finding.message}"
        assert error is None, f"{case}: the message says the bug is silent, but it raised {error!r}"

    fix = finding.fix
    if fix is None:  # only where `()` alone cannot be right, and the message says so
        assert facts.needs_arguments
        assert f"`{facts.subject}(...)`" in finding.message
        return
    if fix.applicability != Applicability.DISPLAY_ONLY:
        fixed = apply_edits(source, fix.edits)
        assert run_case(load_module(fixed, path), case) is None, f"{case}: the fixed code fails"


def _line_raised(error: BaseException, path: Path) -> int | None:
    """The line of ``path`` where the error passed last (None if it never did)."""
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == str(path):
            line = frame.lineno
    return line
