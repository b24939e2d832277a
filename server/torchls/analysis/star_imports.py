"""Which relative ``from .x import *`` targets can define a name, read from the files' text.

Libraries re-export their whole API through chains of star imports: transformers' ``__init__``
does ``from .models import *`` inside ``if TYPE_CHECKING:``, ``models/__init__`` star-imports 557
model packages, each of which star-imports its 3 or 4 modules. jedi resolves every star import of a
module before it looks a name up, so ``from transformers import BertModel`` parsed 2,241 files (34
to 59 s here, most of it loading parse trees). A file whose text does not contain a name, and that
star-imports nothing that could, cannot define it: only the star imports that can are followed
(jedi_bridge.search_star_imports_by_name), and the name jedi finds is the same.

Only what is certain is skipped: a target that is not a plain source file on disk, an absolute star
import, or one this text reading does not understand, counts as "may define it".
"""

from __future__ import annotations

import re
from pathlib import Path

STAR_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.*)[ \t]*([\w.]*)[ \t]+import[ \t]+\*", re.MULTILINE)
ANY_STAR_IMPORT = re.compile(r"import[\s\\]*\*")
SOURCE_SUFFIXES = (".py", ".pyi")
MAX_CACHED = 200_000  # (file, name) answers kept; a long session's edits change the files' stamps

_answers: dict[tuple[str, str, int, int], bool] = {}  # (file, name, mtime, size) -> may define


def target_files(module_file: Path, level: int, names: list[str]) -> list[Path]:
    """The files ``from <level dots><names> import *`` in ``module_file`` may load (empty: not known)."""
    if level == 0:
        return []  # absolute: found on sys.path, not here
    base = module_file.parent
    for _ in range(level - 1):
        base = base.parent
    target = base.joinpath(*names)
    candidates = [target.with_name(target.name + suffix) for suffix in SOURCE_SUFFIXES] if names else []
    candidates += [target / f"__init__{suffix}" for suffix in SOURCE_SUFFIXES]
    return [path for path in candidates if path.is_file()]


def may_define(module_file: Path, level: int, names: list[str], name: str) -> bool:
    """False only when the star import's target surely cannot define ``name`` (nor re-export it)."""
    files = target_files(module_file, level, names)
    if not files:
        return True
    return any(_file_may_define(path, name, [])[0] for path in files)


def _file_may_define(path: Path, name: str, visiting: list[Path]) -> tuple[bool, bool]:
    """(may it define ``name``, is that answer final); an answer cut short by a cycle is not kept."""
    try:
        stat = path.stat()
    except OSError:
        return True, True
    key = (str(path), name, stat.st_mtime_ns, stat.st_size)
    if key in _answers:
        return _answers[key], True
    if path in visiting:
        return False, False  # a cycle of star imports: decided where it started
    visiting.append(path)
    answer, final = _text_may_define(path, name, visiting)
    visiting.pop()
    if final:
        if len(_answers) >= MAX_CACHED:
            _answers.clear()
        _answers[key] = answer
    return answer, final


def _text_may_define(path: Path, name: str, visiting: list[Path]) -> tuple[bool, bool]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True, True
    if re.search(rf"\b{re.escape(name)}\b", text):
        return True, True
    stars = STAR_IMPORT.findall(text)
    if len(stars) != len(ANY_STAR_IMPORT.findall(text)):
        return True, True  # a star import written in a way not read here
    final = True
    for dots, dotted in stars:
        names = [part for part in dotted.split(".") if part]
        files = target_files(path, len(dots), names)
        if not files:
            return True, True
        for target in files:
            answer, target_final = _file_may_define(target, name, visiting)
            if answer:
                return True, True
            final = final and target_final
    return False, final
