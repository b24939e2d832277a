"""``torchls check``'s results kept across runs, keyed by everything they depend on.

A file's findings depend on its text, on the project files it imports, directly or not (jedi
follows them: a subclass of ``nn.Module`` may live in another file), on the analysed environment
(the interpreter and what is installed in it), on torchls (version, catalog) and on the settings
that govern the file. The key hashes all of these, so a changed file, or a changed file it imports,
or a ``pip install``, misses the cache; an entry is never used when anything it rests on changed.
Entries live in the user's cache directory, one small JSON file each, written atomically.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from torchls import __version__
from torchls.analysis.catalog import CATALOG_PATH
from torchls.analysis.engine import Analyzer
from torchls.analysis.findings import Finding, finding_from_data, finding_to_data
from torchls.analysis.settings import Settings

FORMAT = "torchls-check-cache-2"


def default_directory() -> Path:
    """``$XDG_CACHE_HOME/torchls/check`` (``~/.cache/torchls/check``)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "torchls" / "check"


class ResultsCache:
    """Findings per file, looked up by a key over the file and everything it depends on."""

    def __init__(self, analyzer: Analyzer, directory: Path | None = None) -> None:
        self.directory = directory or default_directory()
        self.root = analyzer.project.path if analyzer.project else Path.cwd()
        self._environment = _environment_fingerprint(analyzer)
        self._imports: dict[Path, list[Path] | None] = {}
        self._digests: dict[Path, str] = {}

    def key(self, path: Path, text: str, settings: Settings, callers: Iterable[Path] = ()) -> str | None:
        """The key of ``path``'s findings; None when its imports cannot be read (never cached).

        ``callers`` are the project files that may call its functions: what they pass (and what they
        import) decides what its parameters are.
        """
        path = path.resolve()
        dependencies = self._dependencies(path, text)
        if dependencies is None:
            return None
        for caller in callers:
            more = self._dependencies(caller.resolve(), None)
            if more is None:
                return None
            dependencies = sorted({*dependencies, caller.resolve(), *more} - {path})
        digest = hashlib.sha256()
        for part in (self._environment, repr(settings), str(path), text):
            digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
        for dependency in dependencies:
            digest.update(f"{dependency}\0{self._digest(dependency)}\0".encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def get(self, key: str) -> list[Finding] | None:
        """The cached findings, or None."""
        try:
            raw = json.loads(self._entry(key).read_text(encoding="utf-8"))
            return [finding_from_data(item) for item in raw]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, findings: list[Finding]) -> None:
        """Keep ``findings`` under ``key`` (silently not, when the cache cannot be written)."""
        entry = self._entry(key)
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=entry.parent, delete=False, encoding="utf-8") as temporary:
                json.dump([finding_to_data(finding) for finding in findings], temporary)
            os.replace(temporary.name, entry)
        except OSError:
            pass

    def _entry(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key[2:]}.json"

    def _digest(self, path: Path) -> str:
        if path not in self._digests:
            try:
                self._digests[path] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                self._digests[path] = "unreadable"
        return self._digests[path]

    def _dependencies(self, path: Path, text: str | None) -> list[Path] | None:
        """The project files ``path`` imports, directly or through others (sorted)."""
        direct = self._direct_imports(path, text)
        if direct is None:
            return None
        seen = {path}
        pending = [module for module in direct if module not in seen]
        while pending:
            module = pending.pop()
            if module in seen:
                continue
            seen.add(module)
            more = self._direct_imports(module)
            if more is None:
                return None
            pending += [other for other in more if other not in seen]
        seen.discard(path)
        return sorted(seen)

    def _direct_imports(self, path: Path, text: str | None = None) -> list[Path] | None:
        """The project files one file's import statements may load (None: it cannot be parsed)."""
        if path not in self._imports:
            try:
                tree = ast.parse(path.read_bytes() if text is None else text)
            except (OSError, SyntaxError, ValueError):
                self._imports[path] = None
            else:
                self._imports[path] = self._imported_files(tree, path)
        return self._imports[path]

    def _imported_files(self, tree: ast.Module, path: Path) -> list[Path]:
        """The project files an import statement of ``path`` may load (packages' ``__init__`` too)."""
        files: list[Path] = []
        absolute: tuple[Path, ...] = (self.root, path.parent)  # a sibling script is importable by name
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    files += _module_files(alias.name, absolute)
            elif isinstance(node, ast.ImportFrom):
                bases = absolute
                if node.level:
                    bases = (path.parents[node.level - 1],) if node.level <= len(path.parents) else ()
                    files += [init for base in bases if (init := base / "__init__.py").is_file()]
                module = node.module or ""
                for name in (module, *(f"{module}.{alias.name}".lstrip(".") for alias in node.names)):
                    files += _module_files(name, bases) if name else []
        return list(dict.fromkeys(file.resolve() for file in files))


@cache
def _module_files(name: str, bases: tuple[Path, ...]) -> list[Path]:
    """The files a dotted module name (and the packages above it) can be, under ``bases``."""
    parts = name.split(".")
    files = []
    for base in bases:
        for depth in range(1, len(parts) + 1):
            stem = base.joinpath(*parts[:depth])
            files += [file for file in (stem.with_suffix(".py"), stem / "__init__.py") if file.is_file()]
    return files


def _environment_fingerprint(analyzer: Analyzer) -> str:
    """torchls, its catalog, the interpreter, and the state of its installed packages."""
    parts = [
        FORMAT,
        __version__,
        hashlib.sha256(CATALOG_PATH.read_bytes()).hexdigest(),
        analyzer.environment.executable,
    ]
    for entry in analyzer.environment.get_sys_path():
        try:
            parts.append(f"{entry}:{os.stat(entry).st_mtime_ns}")  # a folder's mtime changes on (un)install
        except OSError:
            parts.append(entry)
    return "\0".join(parts)
