"""torchls on real PyTorch code nobody here wrote: findings, candidates and speed per library.

Fetches pinned releases with ``pip download --no-deps`` and unpacks them (never imports or installs
them), then runs the same analysis as ``torchls check`` with the current interpreter's environment
(torch 2.13 in the test venv) and prints a table:

    .venv/bin/python benchmarks/realworld.py                      # all libraries
    .venv/bin/python benchmarks/realworld.py --only timm --show   # one library, print findings
    .venv/bin/python benchmarks/realworld.py --without-torch      # analyse with a venv that lacks torch
    .venv/bin/python benchmarks/realworld.py --corpus examples=/tmp/pytorch-examples --show

``--corpus NAME=PATH`` (repeatable) analyses a folder of application code (training scripts) you extracted
yourself, outside this repository; with it, the libraries run only if ``--only`` names them. Corpora measured so
far (only their ``*.py`` files, e.g. ``git archive HEAD -- '*.py' | tar -x -C PATH``):
pytorch/examples 77f55b9 (whole repository), Lightning-AI/pytorch-lightning 7f0c343 (``examples/``),
huggingface/accelerate 16cb6eb (``examples/``), karpathy/nanoGPT 3adf61e (whole repository).

Every finding it prints must be reviewed: a real bug, or a false positive to fix in the engine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from torchls.analysis.engine import Analyzer
from torchls.analysis.environment import find_environment
from torchls.check import SettingsProvider, check_paths
from torchls.output import format_text

# Outside this repository (torchls skips what its .gitignore ignores) and not hidden (pyright skips those).
CACHE = Path(os.environ.get("TORCHLS_BENCHMARK_CACHE") or Path(tempfile.gettempdir()) / "torchls-benchmarks")
# name, version, folder inside the wheel that holds the library's code
LIBRARIES = [
    ("torchvision", "0.29.1", "torchvision"),
    ("timm", "1.0.31", "timm"),
    ("pytorch-lightning", "2.6.6", "pytorch_lightning"),
    ("transformers", "5.24.0", "transformers"),
]


def fetch(name: str, version: str) -> Path:
    """The unpacked wheel of ``name==version`` (downloaded once into ``CACHE``)."""
    target = CACHE / f"{name}-{version}"
    if not target.exists():
        wheels = CACHE / "wheels"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary",
                ":all:",
                "-d",
                str(wheels),
                f"{name}=={version}",
            ],
            check=True,
        )
        normalized = name.replace("-", "_")
        wheel = next(w for w in wheels.glob("*.whl") if w.name.lower().startswith(f"{normalized}-{version}"))
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target)
    return target


def venv_without_torch() -> Path:
    """The interpreter of a virtualenv with no packages at all (torchls's fallback mode)."""
    venv = CACHE / "venv-without-torch"
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    return venv / "bin" / "python"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", help="library names to run")
    parser.add_argument("--show", action="store_true", help="print the findings")
    parser.add_argument("--corpus", action="append", default=[], metavar="NAME=PATH", help="an extracted folder")
    parser.add_argument("--without-torch", action="store_true", help="analyse with an environment that lacks torch")
    args = parser.parse_args()
    python = str(venv_without_torch()) if args.without_torch else None
    # label, folder to analyse, project root (a wheel's library folder imports itself from the wheel's root)
    runs = []
    for name, version, folder in LIBRARIES:
        if name in args.only if args.only else not args.corpus:
            wheel = fetch(name, version)
            runs.append((f"{name} {version}", wheel / folder, wheel))
    for corpus in args.corpus:
        label, _, path = corpus.partition("=")
        runs.append((label, Path(path), Path(path)))
    rows = []
    for label, root, project_root in runs:
        files = sorted(root.rglob("*.py"))
        lines = sum(len(f.read_bytes().splitlines()) for f in files)
        analyzer = Analyzer(find_environment(python), project_root=project_root)
        start = time.perf_counter()
        result = check_paths(analyzer, [root], SettingsProvider({}))
        seconds = time.perf_counter() - start
        findings = sum(len(report.findings) for report in result.findings)
        stats = analyzer.stats
        rows.append(
            f"| {label} | {len(files):,} | {lines:,} | {stats['candidates']:,} |"
            f" {stats['torch receivers']:,} / {stats['other or unknown receivers']:,} | {findings} |"
            f" {seconds:.1f} | {lines / seconds:,.0f} |"
        )
        if args.show and result.findings:
            print(format_text(result.findings))
    print(f"analysed environment: {analyzer.environment.executable} ({analyzer.torch_note or 'torch installed'})")
    columns = "library or corpus | files | lines | candidates | torch / other-or-unknown receivers | findings | seconds"
    columns += " | lines/s"
    print(f"| {columns} |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
