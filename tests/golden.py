"""Rendering findings for the golden ``.expected`` files, and finding the fixture files."""

from __future__ import annotations

from pathlib import Path

from torchls.analysis.findings import Finding

FIXTURES = Path(__file__).parent / "fixtures"
REALCODE = FIXTURES / "realcode"


def corpus_files() -> list[Path]:
    """The seeded corpus: one bug per case, every bug found (helper modules start with an underscore)."""
    return sorted(p for p in FIXTURES.glob("TL*/*.py") if not p.name.startswith("_"))


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


def is_negative(path: Path) -> bool:
    """Negative fixtures hold correct code only."""
    return path.stem.startswith("negatives")


def render(findings: list[Finding]) -> str:
    """Findings as reviewable text: position (1-based), code, severity, message, fix and edits."""
    if not findings:
        return "(no findings)\n"
    lines = []
    for f in findings:
        (line, column), (end_line, end_column) = f.span.start, f.span.end
        lines.append(f"{line}:{column + 1}-{end_line}:{end_column + 1} {f.code} {f.severity.value}: {f.message}")
        if f.fix is not None:
            lines.append(f"    fix ({f.fix.applicability.value}): {f.fix.title}")
            for edit in f.fix.edits:
                (l1, c1), (l2, c2) = edit.span.start, edit.span.end
                lines.append(f"        {l1}:{c1 + 1}-{l2}:{c2 + 1} -> {edit.content!r}")
    return "\n".join(lines) + "\n"
