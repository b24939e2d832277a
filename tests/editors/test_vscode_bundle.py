"""The Python server bundled in the VS Code extension: pinned, hashed, trimmed, and losing nothing.

``vscode-client/scripts/bundle.js`` (``npm run package``) installs ``vscode-client/requirements.txt``
with ``--require-hashes`` into ``bundled/libs``, moves the licenses to ``bundled/licenses`` and drops
the metadata and the jedi data torchls never reads (typeshed's third-party stubs, Django's stubs).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement  # packaging comes with pytest
from packaging.utils import canonicalize_name
from tests.editors.common import TIMEOUT_S, editor

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).parents[2]
CLIENT = ROOT / "vscode-client"
LIBS = CLIENT / "bundled" / "libs"
PYTHON_3_10 = {"python_version": "3.10", "python_full_version": "3.10.0"}  # what requirements.txt is for


def pinned() -> dict[str, tuple[str, list[str]]]:
    """requirements.txt: name -> (version, hashes)."""
    pins: dict[str, tuple[str, list[str]]] = {}
    text = (CLIENT / "requirements.txt").read_text()
    for block in re.split(r"\n(?=\S)", text):
        match = re.match(r"([A-Za-z0-9._-]+)==(\S+)", block)
        if match:
            pins[canonicalize_name(match[1])] = (match[2], re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return pins


def test_pinned_requirements_follow_pyproject() -> None:
    """Every runtime dependency (on 3.10, which needs the most) is pinned, hashed, at a version it allows."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = pinned()
    assert pins, "requirements.txt pins nothing"
    for line in dependencies:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate(PYTHON_3_10):
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not pinned: regenerate vscode-client/requirements.txt"
        version, _ = pins[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{requirement.name}=={version} is pinned, pyproject.toml wants {requirement.specifier}:"
            " regenerate vscode-client/requirements.txt"
        )
    assert all(hashes for _, hashes in pins.values()), "a pin without --hash"


def built_libs() -> Path:
    return Path(
        editor(str(LIBS) if (LIBS / "torchls").is_dir() else None, "the bundle: cd vscode-client && npm run package")
    )


def test_the_bundle_is_trimmed_and_keeps_the_licenses() -> None:
    libs = built_libs()
    assert not list(libs.glob("*.dist-info")) and not (libs / "bin").exists()
    assert not (libs / "jedi" / "third_party" / "typeshed" / "stubs").exists()
    assert not (libs / "jedi" / "third_party" / "django-stubs").exists()
    assert (libs / "jedi" / "third_party" / "typeshed" / "stdlib" / "builtins.pyi").is_file()  # jedi needs these
    licenses = {path.parent.name.split("-")[0] for path in (CLIENT / "bundled" / "licenses").glob("*/*")}
    assert {canonicalize_name(name).replace("-", "_") for name in pinned()} <= licenses | {"typing_extensions"}


# Run the goldens with the bundle first on sys.path (as bundled/tool/serve.py puts it), then check that
# torchls and its dependencies really came from there.
GOLDENS_ON_THE_BUNDLE = """
import sys
sys.path.insert(0, sys.argv[1])
import pytest
status = pytest.main(["-q", "-p", "no:cacheprovider", "tests/test_fixtures.py"])
for name in ("torchls", "jedi", "parso", "pygls", "lsprotocol", "cattrs"):
    module = sys.modules[name]
    assert module.__file__.startswith(sys.argv[1]), (name, module.__file__)
print("modules from the bundle")
sys.exit(status)
"""


def test_the_golden_fixtures_give_the_same_results_on_the_trimmed_bundle() -> None:
    libs = built_libs()
    result = subprocess.run(
        [sys.executable, "-c", GOLDENS_ON_THE_BUNDLE, str(libs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S * 2,
    )
    assert result.returncode == 0 and "modules from the bundle" in result.stdout, result.stdout + result.stderr
    assert re.search(r"\b\d+ passed\b", result.stdout) and " failed" not in result.stdout, result.stdout
