"""A data member of a torch object is called as if it were a method.

## What it does
Reports calls of members that are data, not methods, on a `torch.nn.Module`, optimizer,
learning-rate scheduler or `torch.Tensor`: `model.training()`, `x.shape()`, `x.dtype()`,
`x.device()`, `x.grad()`, `optimizer.param_groups()`, `model._parameters()` and the like. Which
members are data is read from real torch (the catalog), and the receiver's type from jedi: a
`torch_sparse.SparseTensor`, whose `.device()` *is* a method, is never reported.

## Why is this bad?
The call raises at run time: `model.training` is a `bool`, so `model.training()` raises
`TypeError: 'bool' object is not callable`; `x.shape` is a `torch.Size`, so `x.shape(0)` raises
`TypeError: 'torch.Size' object is not callable`.

## Example
```python
if model.training():
    batch = x.shape(0)
```

## Use instead
```python
if model.training:
    batch = x.shape[0]
```

## Fix safety
The code always raises, so the fix cannot break working code: `x.shape()` loses its `()`, and a
call with one positional argument on a sequence or mapping (`x.shape(0)`) becomes an index
(`x.shape[0]`). Both are safe. Other calls (`x.dtype(torch.float32)`) get no automatic fix.
"""

from __future__ import annotations

from torchls.analysis.candidates import MemberAccess
from torchls.analysis.catalog import Member
from torchls.analysis.findings import Applicability, Edit, Facts, Finding, Fix, Severity, Span

CODE = "TL002"
NAME = "not-callable"

SUBSCRIPTABLE = frozenset({"torch.Size", "list", "tuple", "dict", "collections.defaultdict", "collections.OrderedDict"})


def describe_types(member: Member) -> str:
    """``a torch.Size``, ``a bool``, ``a torch.Tensor or None``..."""
    types = [t for t in member.types if t != "NoneType"]
    text = " or ".join(types) or "None"
    article = "an" if text[0].lower() in "aeiou" else "a"
    return f"{article} {text}" + (" or None" if "NoneType" in member.types and types else "")


def check_call(access: MemberAccess, member: Member) -> Finding | None:
    """A finding for ``receiver.member(...)`` where ``member`` is data."""
    trailer = access.call_trailer
    if trailer is None or member.is_method or member.callable:
        return None
    expr = access.text
    errors = member.call_errors or (f"'{member.types[0]}' object is not callable",)
    arguments = trailer.children[1] if len(trailer.children) == 3 else None
    call_text = f"{expr}({arguments.get_code(include_prefix=False) if arguments is not None else ''})"
    fix: Fix | None = None
    if arguments is None:
        fix = Fix(
            f"Remove `()` from `{expr}`",
            Applicability.SAFE,
            (Edit(Span(trailer.start_pos, trailer.end_pos), ""),),
        )
        advice = f"Use `{expr}`."
    elif _single_positional(arguments) and set(member.types) <= SUBSCRIPTABLE:
        index = arguments.get_code(include_prefix=False)
        fix = Fix(
            f"Index it: `{expr}[{index}]`",
            Applicability.SAFE,
            (
                Edit(Span(trailer.children[0].start_pos, trailer.children[0].end_pos), "["),
                Edit(Span(trailer.children[-1].start_pos, trailer.children[-1].end_pos), "]"),
            ),
        )
        advice = f"Index it: `{expr}[{index}]`."
    else:
        advice = f"Use `{expr}` without calling it."
    if member.call_errors or not member.argument:
        facts = Facts("call", expr, raises="TypeError", error_texts=errors)
        raises = f"raises TypeError: {' / '.join(errors)}"
    else:  # whatever was passed as the constructor's `dataset`: the error names its class
        facts = Facts("call", expr, raises="TypeError")
        raises = f"raises TypeError (the `{member.argument}` it was given is not callable)"
    message = f"`{expr}` is {describe_types(member)}, not a method: `{call_text}` {raises}. {advice}"
    span = Span(access.member.start_pos, access.member.end_pos)
    return Finding(CODE, NAME, Severity.ERROR, message, span, fix, facts)


def _single_positional(arguments: object) -> bool:
    node_type = getattr(arguments, "type", "")
    if node_type == "arglist":
        return False
    if node_type == "argument":
        return False  # keyword, `*args` or a generator expression
    return True
