"""``# torchls: ignore``, ``# torchls: ignore[TL001,TL002]`` and ``# noqa`` / ``# noqa: TL001`` comments."""

from __future__ import annotations

import re

from torchls.analysis.findings import Finding

TORCHLS_IGNORE = re.compile(r"#\s*torchls:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)


def suppressed_codes(line: str) -> set[str] | None:
    """Codes a line's comment suppresses; an empty set means "all"; None means no suppression."""
    if "#" not in line:
        return None
    codes: set[str] = set()
    found = False
    for pattern in (TORCHLS_IGNORE, NOQA):
        for match in pattern.finditer(line):
            found = True
            listed = match.group("codes")
            if not listed:
                return set()
            codes |= {code.strip().upper() for code in re.split(r"[\s,]+", listed) if code.strip()}
    return codes if found else None


def is_suppressed(finding: Finding, lines: list[str]) -> bool:
    """True when the finding's line carries a comment that suppresses its code."""
    line_number = finding.span.start[0]
    if not 0 < line_number <= len(lines):
        return False
    codes = suppressed_codes(lines[line_number - 1])
    return codes is not None and (not codes or finding.code in codes)


def ignore_comment_edit(line: str, code: str) -> str:
    """The line with ``code`` added to its torchls ignore comment (or a new one)."""
    stripped = line.rstrip("\r\n")
    ending = line[len(stripped) :]
    match = TORCHLS_IGNORE.search(stripped)
    if match is None:
        return f"{stripped}  # torchls: ignore[{code}]{ending}"
    listed = match.group("codes")
    if not listed:
        return line  # already ignores everything
    codes = [c.strip() for c in listed.split(",") if c.strip()]
    if code not in codes:
        codes.append(code)
    replacement = f"# torchls: ignore[{','.join(codes)}]"
    return f"{stripped[: match.start()]}{replacement}{stripped[match.end() :]}{ending}"
