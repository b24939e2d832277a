"""Rendering findings for the golden ``.expected`` files, and finding the fixture files."""

from __future__ import annotations

from pathlib import Path

from parso.utils import split_lines

from torchls.analysis.findings import Finding, Span
from torchls.analysis.fixes import apply_edits

FIXTURES = Path(__file__).parent / "fixtures"
REALCODE = FIXTURES / "realcode"


def corpus_files() -> list[Path]:
    """The seeded corpus: one bug per case, every bug found (helper modules start with an underscore)."""
    return sorted(p for p in FIXTURES.glob("TL*/*.py") if not p.name.startswith("_") and not is_fixed_output(p))


def realcode_files() -> list[Path]:
    """The real-code set: contexts reproduced from public code, recall measured, not asserted."""
    return sorted(p for p in REALCODE.glob("*.py") if not p.name.startswith("_"))


def realcode_table() -> dict[tuple[str, str], tuple[str, str, str]]:
    """The real-code set's README table: (file name, case) -> (category, bug kind, mark)."""
    rows: dict[tuple[str, str], tuple[str, str, str]] = {}
    for line in (REALCODE / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[1].startswith("`case_"):
            rows[(cells[0], cells[1].strip("`"))] = (cells[2], cells[3], cells[4])
    return rows


def fixture_files() -> list[Path]:
    """Every fixture input: the corpus and the real-code set."""
    return corpus_files() + realcode_files()


def is_fixed_output(path: Path) -> bool:
    """A generated ``<fixture>.fixed.py``: the fixture with every safe fix applied, not an input."""
    return path.name.endswith(".fixed.py")


def fixed_output_path(path: Path) -> Path:
    """Where the fixture's fix-all output is kept."""
    return path.with_suffix(".fixed.py")


def is_negative(path: Path) -> bool:
    """Negative fixtures hold correct code only."""
    return path.stem.startswith("negatives")


def render(findings: list[Finding], source: str | None = None) -> str:
    """Findings as reviewable text: position (1-based), code, severity, message, fix and edits.

    With ``source``, each finding also shows its source lines with carets under the span, and each
    fix the lines it yields (marked ``+``), as ruff's snapshots do: a reviewer sees what is found
    and what the fix changes without opening the fixture.
    """
    if not findings:
        return "(no findings)\n"
    lines = split_lines(source) if source is not None else None
    out = []
    for f in findings:
        (line, column), (end_line, end_column) = f.span.start, f.span.end
        out.append(f"{line}:{column + 1}-{end_line}:{end_column + 1} {f.code} {f.severity.value}: {f.message}")
        if lines is not None:
            out += _excerpt(lines, f.span)
        if f.fix is not None:
            out.append(f"    fix ({f.fix.applicability.value}): {f.fix.title}")
            for edit in f.fix.edits:
                (l1, c1), (l2, c2) = edit.span.start, edit.span.end
                out.append(f"        {l1}:{c1 + 1}-{l2}:{c2 + 1} -> {edit.content!r}")
            if source is not None and f.fix.edits:
                out += _fixed_lines(source, f)
    return "\n".join(out) + "\n"


def _gutter(number: int | None, mark: str = " ") -> str:
    return f"  {mark} {'' if number is None else number:>5} | "


def _excerpt(lines: list[str], span: Span) -> list[str]:
    """The span's lines, each followed by carets under the part of it the span covers."""
    (first, start), (last, end) = span.start, span.end
    out = []
    for number in range(first, last + 1):
        text = lines[number - 1]
        begin = start if number == first else len(text) - len(text.lstrip())
        stop = end if number == last else len(text)
        # The padding copies the line's tabs so the carets stay under the span in any tab width.
        padding = "".join(c if c == "\t" else " " for c in text[:begin])
        out += [_gutter(number) + text, (_gutter(None) + padding + "^" * max(stop - begin, 1)).rstrip(" ")]
    return out


def _fixed_lines(source: str, finding: Finding) -> list[str]:
    """The lines the finding's fix (alone) rewrites, as they read after it."""
    assert finding.fix is not None
    edits = finding.fix.edits
    fixed = split_lines(apply_edits(source, edits))
    first = min(e.span.start[0] for e in edits)
    last = max(e.span.end[0] for e in edits) + len(fixed) - len(split_lines(source))
    return [_gutter(number, "+") + fixed[number - 1] for number in range(first, last + 1)]
