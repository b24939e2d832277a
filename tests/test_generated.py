"""Generated artefacts stay in sync with their sources: the torch catalog and the rule docs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torch

from torchls.analysis.catalog import load_catalog
from torchls.analysis.rules import RULES
from torchls.docs import pages

ROOT = Path(__file__).parents[1]


def test_catalog_matches_installed_torch() -> None:
    assert load_catalog().torch_version == torch.__version__.split("+")[0]
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_catalog.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_catalog_sections() -> None:
    """The drift check above covers every section; these are the ones the analysis reads."""
    catalog = load_catalog()
    assert set(catalog.members) == {"Module", "Optimizer", "LRScheduler", "ReduceLROnPlateau", "Tensor"}
    assert len({id(info) for info in catalog.classes.values()}) > 250
    assert len({id(info) for info in catalog.functions.values()}) > 200
    linear = catalog.class_info("torch.nn.Linear")
    assert linear is not None and linear is catalog.class_info("torch.nn.modules.linear.Linear")
    assert linear.bases == ("torch.nn.modules.module.Module",) and "in_features" in linear.own


def test_docs_are_generated_from_their_sources() -> None:
    for name, content in pages().items():
        assert (ROOT / "docs" / name).read_text(encoding="utf-8") == content, (
            f"stale docs/{name}: python -m torchls.docs docs"
        )


def test_every_rule_documents_every_section() -> None:
    for rule in RULES.values():
        for section in ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety"):
            assert rule.section(section), f"{rule.code} lacks ## {section}"


def test_catalog_facts_the_messages_rely_on() -> None:
    """The hover's contrast and the messages' claims, checked against real torch."""
    catalog = load_catalog()
    model = torch.nn.Sequential(torch.nn.Linear(2, 2))
    own = catalog.member("Module", "_parameters")
    assert own is not None and own.types == (type(model._parameters).__name__,)
    assert len(model._parameters) == 0 < len(list(model.parameters()))  # direct parameters only
    assert type(model.parameters).__name__ == catalog.member("Module", "parameters").bound_type  # type: ignore[union-attr]
    assert type(torch.ones(1).item).__name__ == catalog.member("Tensor", "item").bound_type  # type: ignore[union-attr]
    assert catalog.member("Module", "training").kind == "data"  # type: ignore[union-attr]
