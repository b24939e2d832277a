"""Finding, reading and safely rewriting the files ``torchls check`` works on."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import tempfile
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SKIPPED_DIRECTORIES = frozenset({"__pycache__", "node_modules", "site-packages", "venv", "env", ".venv"})
SOURCE_SUFFIXES = (".py", ".ipynb")
MAX_FILE_BYTES = 10 * 1024 * 1024  # bigger files are generated or data, not code to lint


class FileError(Exception):
    """A file cannot be checked; the message says why."""


@dataclass(frozen=True)
class SourceFile:
    """A file's text as read, and what is needed to write it back unchanged but for fixes."""

    path: Path
    text: str
    encoding: str
    raw: bytes


def discover(paths: list[Path], excluded: Callable[[Path], bool] = lambda _: False) -> Iterator[Path | FileError]:
    """The ``.py`` and ``.ipynb`` files under ``paths``, sorted.

    In folders, hidden folders, venvs, caches, ``excluded`` paths and files git ignores are skipped;
    files named explicitly are always checked.
    """
    seen: set[Path] = set()
    for path in paths:
        if not path.exists():
            yield FileError(f"{path}: no such file or directory")
            continue
        if path.is_file():
            yield path
            continue
        if not path.is_dir():
            yield FileError(f"{path}: not a regular file")
            continue
        found = []
        for root, directories, files in os.walk(path, followlinks=False):
            directories[:] = sorted(
                d for d in directories if not _skipped(Path(root) / d) and not excluded(Path(root) / d)
            )
            for name in sorted(files):
                file = Path(root) / name
                if (
                    name.endswith(SOURCE_SUFFIXES)
                    and file.is_file()
                    and not excluded(file)
                    and file.resolve() not in seen
                ):
                    seen.add(file.resolve())
                    found.append(file)
        ignored = git_ignored(path, found)
        yield from (file for file in found if file not in ignored)


def git_ignored(folder: Path, files: list[Path]) -> set[Path]:
    """The files that the git repository around ``folder`` ignores (none outside a repository)."""
    if not files:
        return set()
    try:
        result = subprocess.run(
            ["git", "-C", str(folder), "check-ignore", "--stdin", "-z"],
            input="\0".join(str(f.resolve()) for f in files) + "\0",
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return set()
    if result.returncode not in (0, 1):  # 128: not a repository, or git failed
        return set()
    ignored = {Path(name) for name in result.stdout.split("\0") if name}
    return {f for f in files if f.resolve() in ignored}


def _skipped(directory: Path) -> bool:
    name = directory.name
    return name.startswith(".") or name in SKIPPED_DIRECTORIES or (directory / "pyvenv.cfg").exists()


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FileError(
                f"{path}: skipped: {size / 1024 / 1024:.0f} MB is more than the {MAX_FILE_BYTES >> 20} MB limit"
            )
        return path.read_bytes()
    except OSError as error:
        raise FileError(f"{path}: cannot read: {error.strerror or error}") from error


def read_source(path: Path) -> SourceFile:
    """Read a Python file, honouring a PEP 263 encoding cookie; newlines are kept as they are."""
    raw = _read_bytes(path)
    if b"\x00" in raw:
        raise FileError(f"{path}: not a text file (contains NUL bytes)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        text = raw.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as error:
        raise FileError(f"{path}: cannot decode: {error}") from error
    if encoding == "utf-8-sig":
        text = text.removeprefix("\ufeff")
    return SourceFile(path, text, encoding, raw)


@dataclass(frozen=True)
class Notebook:
    """A Jupyter notebook as read: its JSON text and data, and its Python code cells."""

    file: SourceFile
    data: dict[str, Any]
    code_cells: list[tuple[int, str]]  # (number among all cells, 1-based; source)


def read_notebook(path: Path) -> Notebook:
    """Read an ``.ipynb`` file (nbformat 4); a notebook of another language has no code cells here."""
    raw = _read_bytes(path)
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FileError(f"{path}: not a notebook: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise FileError(f"{path}: not a notebook of nbformat 4 (no list of cells)")
    metadata = data.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    language = (metadata.get("kernelspec") or {}).get("language") or (metadata.get("language_info") or {}).get("name")
    cells = []
    if language in (None, "python"):
        for number, cell in enumerate(data["cells"], 1):
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                source = cell.get("source", "")
                cells.append((number, "".join(source) if isinstance(source, list) else str(source)))
    return Notebook(SourceFile(path, text, "utf-8", raw), data, cells)


def notebook_with_sources(notebook: Notebook, sources: dict[int, str]) -> str | None:
    """The notebook's JSON text with new sources for some cells, everything else byte for byte.

    None when the file's JSON layout cannot be reproduced (then it must not be rewritten).
    """
    text = notebook.file.text
    indent_match = re.search(r"\n( +)\S", text)
    indent = len(indent_match.group(1)) if indent_match else None
    ending = "\n" if text.endswith("\n") else ""

    def dump(data: dict[str, Any]) -> str:
        return json.dumps(data, indent=indent, ensure_ascii=text.isascii()) + ending

    if dump(notebook.data) != text:
        return None
    data = json.loads(text)
    for number, source in sources.items():
        cell = data["cells"][number - 1]
        cell["source"] = source.splitlines(keepends=True) if isinstance(cell.get("source"), list) else source
    return dump(data)


def write_source(source: SourceFile, text: str) -> None:
    """Replace the file atomically (temporary file + rename), keeping its permissions.

    Refuses when the file changed on disk since it was read.
    """
    try:
        current = source.path.read_bytes()
    except OSError as error:
        raise FileError(f"{source.path}: cannot re-read before writing: {error.strerror or error}") from error
    if current != source.raw:
        raise FileError(f"{source.path}: changed on disk while torchls was checking it; not written")
    data = text.encode(source.encoding)
    if source.encoding == "utf-8-sig":
        data = data if data.startswith(b"\xef\xbb\xbf") else b"\xef\xbb\xbf" + data
    target = source.path.resolve()
    mode = target.stat().st_mode
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".torchls")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode & 0o7777)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
