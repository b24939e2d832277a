"""The claims that silent-bug messages make, verified with real torch.

Each test analyses a snippet, checks what the message says, then runs the snippet and observes
that exactly that happens.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest
import torch

from torchls.analysis.engine import Analyzer
from torchls.analysis.findings import Finding


def only_finding(analyzer: Analyzer, source: str) -> Finding:
    findings = analyzer.analyze(textwrap.dedent(source), Path("claim.py"))
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


def run(source: str) -> dict[str, object]:
    namespace: dict[str, object] = {}
    exec(textwrap.dedent(source), namespace)
    return namespace


def test_bare_eval_leaves_training_mode(analyzer: Analyzer) -> None:
    source = """
        import torch
        model = torch.nn.Dropout(0.5)
        model.eval
    """
    assert "is not put in evaluation mode" in only_finding(analyzer, source).message
    model = run(source)["model"]
    assert isinstance(model, torch.nn.Module) and model.training
    torch.manual_seed(0)
    assert not torch.equal(model(torch.ones(100)), torch.ones(100))  # dropout still active


def test_bare_zero_grad_keeps_accumulating(analyzer: Analyzer) -> None:
    source = """
        import torch
        weight = torch.nn.Parameter(torch.ones(1))
        optimizer = torch.optim.SGD([weight], lr=0.1)
        (weight * 2).sum().backward()
        optimizer.zero_grad
        (weight * 2).sum().backward()
    """
    assert "the gradients are not reset and keep accumulating" in only_finding(analyzer, source).message
    weight = run(source)["weight"]
    assert isinstance(weight, torch.Tensor) and weight.grad is not None and weight.grad.item() == 4.0


def test_bare_step_does_not_update(analyzer: Analyzer) -> None:
    source = """
        import torch
        weight = torch.nn.Parameter(torch.ones(1))
        optimizer = torch.optim.SGD([weight], lr=0.1)
        (weight * 2).sum().backward()
        optimizer.step
    """
    assert "the parameters are not updated" in only_finding(analyzer, source).message
    weight = run(source)["weight"]
    assert isinstance(weight, torch.Tensor) and weight.item() == 1.0


def test_bare_backward_computes_no_gradient(analyzer: Analyzer) -> None:
    source = """
        import torch
        weight = torch.ones(1, requires_grad=True)
        loss = (weight * 2).sum()
        loss.backward
    """
    assert "no gradients are computed" in only_finding(analyzer, source).message
    weight = run(source)["weight"]
    assert isinstance(weight, torch.Tensor) and weight.grad is None


def test_bare_scheduler_step_keeps_learning_rate(analyzer: Analyzer) -> None:
    source = """
        import torch
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
        optimizer.step()
        scheduler.step
    """
    assert "the learning rate is not updated" in only_finding(analyzer, source).message
    optimizer = run(source)["optimizer"]
    assert isinstance(optimizer, torch.optim.Optimizer) and optimizer.param_groups[0]["lr"] == 0.1


def test_parameters_is_truthy_even_when_called(analyzer: Analyzer) -> None:
    source = """
        import torch
        model = torch.nn.ReLU()  # no parameters at all
        has_parameters = bool(model.parameters)
    """
    message = only_finding(analyzer, source).message
    assert "always true" in message and "a generator is always true" in message
    extra = "with_call = bool(model.parameters())\nfixed = any(True for _ in model.parameters())\n"
    namespace = run(textwrap.dedent(source) + extra)
    assert namespace["has_parameters"] is True and namespace["with_call"] is True and namespace["fixed"] is False


@pytest.mark.parametrize(
    "expression,shown", [("loss.item", "<built-in method item of Tensor object"), ("model.state_dict", "<bound method")]
)
def test_formatting_shows_the_method_repr(analyzer: Analyzer, expression: str, shown: str) -> None:
    source = f"""
        import torch
        model = torch.nn.Linear(1, 1)
        loss = model(torch.ones(1)).sum()
        text = f"{{{expression}}}"
    """
    marker = "`<built-in method …>`" if "built-in" in shown else "`<bound method …>`"
    assert marker in only_finding(analyzer, source).message
    assert str(run(source)["text"]).startswith(shown)


def test_equality_with_a_method_is_false(analyzer: Analyzer) -> None:
    source = """
        import torch
        loss = torch.zeros(1).sum()
        same = loss.item == 0.0
    """
    assert "so it is False for any value" in only_finding(analyzer, source).message
    assert run(source)["same"] is False


def test_deepcopy_of_state_dict_copies_the_module(analyzer: Analyzer) -> None:
    source = """
        import copy
        import torch
        model = torch.nn.Linear(1, 1)
        snapshot = copy.deepcopy(model.state_dict)
    """
    assert "copies the method object together with the whole `model`" in only_finding(analyzer, source).message
    namespace = run(source)
    snapshot = namespace["snapshot"]
    assert isinstance(snapshot.__self__, torch.nn.Linear) and snapshot.__self__ is not namespace["model"]  # type: ignore[attr-defined]


def test_saved_method_fails_to_load(analyzer: Analyzer) -> None:
    source = """
        import io
        import torch
        model = torch.nn.Linear(1, 1)
        buffer = io.BytesIO()
        torch.save(model.state_dict, buffer)
    """
    message = only_finding(analyzer, source).message
    assert "drags in the whole `model`" in message and "fails with UnpicklingError" in message
    buffer = run(source)["buffer"]
    assert isinstance(buffer, io.BytesIO)
    buffer.seek(0)
    with pytest.raises(Exception, match="Weights only load failed"):
        torch.load(buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)  # the whole module came along
    assert isinstance(loaded.__self__, torch.nn.Linear)
