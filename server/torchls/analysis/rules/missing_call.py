"""A method of a torch object is referenced where its result was meant.

## What it does
Reports a method of a `torch.nn.Module`, `torch.optim.Optimizer`, learning-rate scheduler or
`torch.Tensor` (or of a subclass, such as your own model) that is used without being called,
in a place where its result was clearly meant: as a statement of its own, iterated, passed as an
optimizer's parameters, indexed, in arithmetic or comparisons, formatted or printed,
truth-tested, stored, saved with `torch.save`, or followed by an attribute only its result has
(`x.detach.cpu()`, `model.state_dict.items()`). It also reports a grad-mode class used as a
context manager without instantiating it (`with torch.no_grad:`), a torch function used as a value
(`if torch.cuda.is_available:`, `torch.cuda.device_count > 1`, a bare `torch.cuda.empty_cache`),
a bound method stored in a name that is then used that way (`state = model.state_dict` before
`torch.save(state, path)`), and a bare method statement of a library's or your own class
(`trainer.fit`).

Where nobody wrote a receiver's type down, it is known from the arguments of every call of its
function (or class) in the file and in the project's other files, from a `DataLoader`'s dataset
(`for x, y in loader`), or from how its scope uses it (`loss.backward()` next to `loss.item`); some
uses are wrong whatever the receiver, as long as the member is the method torch has (a bare
`optimizer.zero_grad`, `torch.save(x.state_dict, ...)`, `SGD(x.parameters, ...)`): those are
reported in files that import torch, and the message says how the receiver is known.

Whether the receiver is a torch object is decided by type inference on your environment (jedi),
so `inspect.signature(f).parameters`, an argparse `args.train` or a Trainer that stores its own
`self.parameters` list are never reported. References that may be deliberate are left alone:
assignments (`orig = optimizer.zero_grad`), callbacks and hooks, `functools.partial`,
`getattr`, `map`, `key=` arguments, decorators and mock configuration. In a notebook, an
uncalled method alone on a cell's last line is displayed (`<bound method ...>`) instead of
discarded, and still not called: it is reported too, saying so.

## Why is this bad?
`model.parameters` is a *bound method*, not the parameters: `model.parameters()` returns a
generator over all the parameters of the module and its submodules, recursively
(`model._parameters` is the module's own dictionary of direct parameters only). Where the method
object is used instead of its result, the code either raises later (`TypeError: 'method'
object is not iterable` inside the optimizer) or, worse, silently does nothing: a bare
`model.eval` leaves dropout and batch norm in training mode, a bare `optimizer.zero_grad`
lets gradients accumulate, `torch.save(model.state_dict, path)` pickles the whole model instead
of its state dict.

## Example
```python
optimizer = torch.optim.SGD(model.parameters, lr=0.01)
model.eval
with torch.no_grad:
    total += loss.item
```

## Use instead
```python
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
model.eval()
with torch.no_grad():
    total += loss.item()
```

## Fix safety
Adding `()` is a safe fix where the code raises or where the method was evidently meant to run
(a bare statement, an optimizer's parameters, a format spec, `torch.save`). Where calling is not
enough it rewrites the expression: `len(model.parameters)` becomes
`len(list(model.parameters()))`. In a truth test (`if model.parameters:`) the fix changes which
branch runs, so it is unsafe, and for generators it is `any(True for _ in model.parameters())`
(a generator is always true); for methods that return nothing or the object itself it is only
displayed. In `==` / `!=` comparisons the fix is unsafe.

## References
ruff's B018 (useless-expression) flags any bare attribute statement without knowing the receiver
and has no fix; this rule knows which objects are torch objects and fixes the call.
"""

from __future__ import annotations

import dataclasses

from torchls.analysis.candidates import GradModeUse, MemberAccess, code_of
from torchls.analysis.catalog import Catalog, FunctionInfo, GradModeClass, Member
from torchls.analysis.findings import Applicability, Edit, Facts, Finding, Fix, Severity, Span
from torchls.analysis.usage import STAR, Usage, UsageKind

CODE = "TL001"
NAME = "missing-call"

# Contexts that only matter for methods whose result is data: `callbacks.append(model.train)` or
# `print(model.eval)` may be deliberate or harmless.
DATA_ONLY_USAGES = frozenset({UsageKind.STORED, UsageKind.PRINTED, UsageKind.FORMATTED, UsageKind.EQUALITY})

RESULT_NOUNS = {
    "parameters": "the parameters",
    "named_parameters": "the named parameters",
    "buffers": "the buffers",
    "named_buffers": "the named buffers",
    "children": "the child modules",
    "named_children": "the named child modules",
    "modules": "the modules",
    "named_modules": "the named modules",
    "state_dict": "the state dict",
    "item": "the number",
    "tolist": "the list",
    "size": "the size",
    "numel": "the element count",
    "dim": "the number of dimensions",
    "get_last_lr": "the learning rates",
}

CONVERSION_ERRORS = {
    "range": "'{bound}' object cannot be interpreted as an integer",
    "float": "float() argument must be a string or a real number, not '{bound}'",
    "int": "int() argument must be a string, a bytes-like object or a real number, not '{bound}'",
    "round": "type {bound} doesn't define __round__ method",
    "abs": "bad operand type for abs(): '{bound}'",
    "complex": "complex() first argument must be a string or a number, not '{bound}'",
}


def statement_effect(member: Member, receiver: str, overridden: bool) -> str:
    """What a bare, uncalled ``receiver.member`` fails to do, for the common methods."""
    if overridden:
        return ""
    key = (member.root, member.name)
    effects = {
        ("Module", "eval"): f", so `{receiver}` is not put in evaluation mode (dropout and batch norm keep"
        " their training behaviour)",
        ("Module", "train"): f", so `{receiver}` is not put in training mode",
        ("Module", "zero_grad"): ", so the gradients are not reset and keep accumulating",
        ("Optimizer", "zero_grad"): ", so the gradients are not reset and keep accumulating",
        ("Optimizer", "step"): ", so the parameters are not updated",
        ("LRScheduler", "step"): ", so the learning rate is not updated",
        ("ReduceLROnPlateau", "step"): ", so the learning rate is not updated",
        ("Tensor", "backward"): ", so no gradients are computed",
    }
    if key in effects:
        return effects[key]
    if member.root == "Tensor" and member.name.endswith("_") and not member.name.startswith("_"):
        return f", so `{receiver}` is not modified"
    return ""


def check_access(access: MemberAccess, usage: Usage, member: Member, overridden: bool) -> Finding | None:
    """A finding for the uncalled method ``access`` used as ``usage``, or None if that is fine."""
    if usage.kind in DATA_ONLY_USAGES and not member.returns_data:
        return None
    expr, bound, kind = access.text, member.bound_type, usage.kind
    noun = RESULT_NOUNS.get(member.name, "its result")
    head = f"`{expr}` is a method, not {noun}"
    fix: Fix | None = _call_fix(access, Applicability.SAFE)
    advice = f"Call it: `{expr}()`."
    if kind in (UsageKind.LEN, UsageKind.SUBSCRIPTED) and member.returns_kind == "iterator":
        fix = _wrap_fix(access, "list({}())")  # a generator has no len() and no [] either
        advice = f"{fix.title}."
    facts = Facts(kind.value, expr, needs_arguments=member.requires_arguments)
    if kind == UsageKind.STATEMENT:
        facts = dataclasses.replace(facts, effect=statement_effect(member, access.receiver_text, overridden))
        return _statement_finding(access, facts, fix)
    if kind == UsageKind.ITERATED:
        # Unpacking words its error differently: "Value after * must be an iterable, not method".
        error = f"must be an iterable, not {bound}" if usage.detail == STAR else f"'{bound}' object is not iterable"
        message, facts = _raising(f"{head}: {usage.detail} fails with", facts, "TypeError", error)
    elif kind == UsageKind.LEN:
        error = f"object of type '{bound}' has no len()"
        message, facts = _raising(f"{head}: `len()` raises", facts, "TypeError", error)
    elif kind == UsageKind.PARAM_GROUP:
        error = f"'{bound}' object is not iterable"
        message, facts = _raising(f"{head}: the optimizer fails with", facts, "TypeError", error)
        message = message.removesuffix(".") + " when it reads this parameter group."
    elif kind == UsageKind.SUBSCRIPTED:
        error = f"'{bound}' object is not subscriptable"
        message, facts = _raising(f"`{expr}` is a method: indexing it raises", facts, "TypeError", error)
    elif kind == UsageKind.ARITHMETIC:
        message, facts = _raising(f"{head}: {usage.detail} raises", facts, "TypeError")
    elif kind == UsageKind.ORDERING:
        message, facts = _raising(f"{head}: `{usage.detail}` raises", facts, "TypeError")
    elif kind == UsageKind.MEMBERSHIP:
        message, facts = _raising(f"{head}: `{usage.detail}` raises", facts, "TypeError")
        message = message.removesuffix(".") + " (a method is not a container)."
    elif kind in VALUE_USAGES:
        if kind == UsageKind.EQUALITY:
            fix = _call_fix(access, Applicability.UNSAFE)
        shown = "`<bound method …>`" if bound == "method" else "`<built-in method …>`"
        message, facts = _used_as_value(head, usage, bound, shown, facts)
    elif kind == UsageKind.TRUTH:
        message, advice, fix = _truth(access, member, noun)
    elif kind == UsageKind.STORED:
        what = "gets the method object"
        if usage.detail.startswith("`copy."):
            what = f"copies the method object together with the whole `{access.receiver_text}`"
        message = f"{head}: {usage.detail} {what}, not {noun}."
    elif kind == UsageKind.SAVED:
        message, facts = _raising(
            f"`torch.save` pickles the method `{expr}`, which drags in the whole `{access.receiver_text}`, not"
            f" {noun}; `torch.load` with its default `weights_only=True` then fails with",
            facts,
            "UnpicklingError",
        )
    elif kind == UsageKind.ATTRIBUTE and not bound:  # a Module's `float` is a 'method', a Tensor's a builtin
        message, facts = _raising(
            f"`{expr}` is a method, not {noun}: `.{usage.detail}` raises", facts, "AttributeError"
        )
        message = message.removesuffix(".") + " (no method has it)."
    elif kind == UsageKind.ATTRIBUTE:
        owner = "function" if bound == "method" else bound  # a bound method looks its attributes up on its function
        error = f"'{owner}' object has no attribute '{usage.detail}'"
        message, facts = _raising(
            f"`{expr}` is a method, not {noun}: `.{usage.detail}` raises", facts, "AttributeError", error
        )
    elif kind == UsageKind.LOADED:
        error = f"Expected state_dict to be dict-like, got <class '{bound}'>"
        message, facts = _raising(
            f"`{expr}` is a method, not a state dict: `load_state_dict` raises", facts, "TypeError", error
        )
    else:
        return None
    if member.requires_arguments:  # `()` alone would raise as well: say so, and offer no automatic fix
        fix, advice = None, f"Call it with its arguments: `{expr}(...)`."
    if usage.stored_in:
        advice += f" (It is stored in `{usage.stored_in}` here, and `{usage.stored_in}` is used so later.)"
    severity = Severity.ERROR if facts.raises else Severity.WARNING
    return Finding(CODE, NAME, severity, f"{message} {advice}", _member_span(access), fix, facts)


def statement_message(facts: Facts, displayed: bool = False) -> str:
    """The message for a bare, uncalled ``facts.subject``; ``displayed``: on a notebook cell's last line."""
    expr = facts.subject
    if displayed:
        what = (
            "is only displayed (a notebook shows the value of a cell's last line: `<bound method ...>`): the"
            f" {facts.callee} is not called"
        )
    else:
        what = f"does nothing: the {facts.callee} is not called"
    advice = f"Call it with its arguments: `{expr}(...)`." if facts.needs_arguments else f"Call it: `{expr}()`."
    return " ".join(part for part in (f"`{expr}` {what}{facts.effect}.", advice, facts.note) if part)


def _statement_finding(access: MemberAccess, facts: Facts, fix: Fix | None) -> Finding:
    fix = None if facts.needs_arguments else fix
    return Finding(CODE, NAME, Severity.WARNING, statement_message(facts), _member_span(access), fix, facts)


def _raising(head: str, facts: Facts, exception: str, error: str = "") -> tuple[str, Facts]:
    """``head`` completed by the exception it names, and the facts saying so."""
    facts = dataclasses.replace(facts, raises=exception, error_texts=(error,) if error else ())
    return f"{head} {exception}{': ' + error if error else ''}.", facts


# What a call's result is, for the result types torch's annotations name, as Python types.
RESULT_TYPES: dict[str, type] = {"dict": dict, "list": list, "tuple": tuple, "str": str, "bool": bool, "int": int}
RESULT_TYPES.update({"float": float, "_bool": bool, "_int": int, "_float": float, "OrderedDict": dict})


def call_gives(catalog: Catalog, member: Member, attribute: str) -> bool:
    """True when what calling ``member`` returns has ``attribute``: then ``x.m.attribute`` meant ``x.m().attribute``."""
    if member.returns_kind == "tensor":
        return catalog.member("Tensor", attribute) is not None
    if member.returns_kind == "self":
        return catalog.member(member.root, attribute) is not None if member.root else False
    if member.returns_class.startswith("builtins."):
        python_type = RESULT_TYPES.get(member.returns_class.removeprefix("builtins."))
        return python_type is not None and hasattr(python_type, attribute)
    foreign = catalog.foreign_classes.get(member.returns_class or member.returns)
    if foreign is not None:
        return attribute in foreign
    if member.returns_class:
        return catalog.class_member(member.returns_class, attribute) is not None
    head = member.returns.split("[", 1)[0].strip()
    python_type = RESULT_TYPES.get(head)
    return python_type is not None and " | " not in member.returns and hasattr(python_type, attribute)


# Uses of a function that wants its result, for torch's functions that return a value.
FUNCTION_VALUE_USAGES = frozenset(
    {
        UsageKind.TRUTH,
        UsageKind.ARITHMETIC,
        UsageKind.ORDERING,
        UsageKind.EQUALITY,
        UsageKind.FORMAT_SPEC,
        UsageKind.FORMATTED,
        UsageKind.PRINTED,
        UsageKind.CONVERTED,
    }
)


def check_function(access: MemberAccess, usage: Usage, function: FunctionInfo, bound: str) -> Finding | None:
    """A finding for a torch function named without a call (``if torch.cuda.is_available:``).

    ``bound`` is the function object's type: ``function``, or ``builtin_function_or_method``.
    """
    expr, kind = access.text, usage.kind
    returns, action = function.returns, function.is_action
    article = "an" if returns[:1].lower() in "aeiou" else "a"
    head = f"`{expr}` is a function, not its result ({article} `{returns}`)"
    fix: Fix | None = _call_fix(access, Applicability.SAFE)
    facts = Facts(kind.value, expr, callee="function", needs_arguments=function.requires_arguments)
    if kind == UsageKind.STATEMENT and action:
        return _statement_finding(access, facts, fix)
    if action or kind not in FUNCTION_VALUE_USAGES:
        return None
    if kind == UsageKind.TRUTH:
        fix = _call_fix(access, Applicability.UNSAFE)
        message = (
            f"`{expr}` is a function, so it is always true: the condition never looks at the `{returns}` it returns."
        )
    elif kind in (UsageKind.ARITHMETIC, UsageKind.ORDERING):
        message, facts = _raising(f"{head}: {usage.detail.strip('`').join('``')} raises", facts, "TypeError")
    else:
        if kind == UsageKind.EQUALITY:
            fix = _call_fix(access, Applicability.UNSAFE)
        shown = "`<function …>`" if bound == "function" else "`<built-in function …>`"
        message, facts = _used_as_value(head, usage, bound, shown, facts)
    advice = f"Call it: `{expr}()`."
    if function.requires_arguments:
        fix, advice = None, f"Call it with its arguments: `{expr}(...)`."
    severity = Severity.ERROR if facts.raises else Severity.WARNING
    return Finding(CODE, NAME, severity, f"{message} {advice}", _member_span(access), fix, facts)


# Uses whose message is the same for a method and a function, but for the word and what is shown.
VALUE_USAGES = frozenset(
    {UsageKind.EQUALITY, UsageKind.FORMAT_SPEC, UsageKind.FORMATTED, UsageKind.PRINTED, UsageKind.CONVERTED}
)


def _used_as_value(head: str, usage: Usage, bound: str, shown: str, facts: Facts) -> tuple[str, Facts]:
    """The message for a method or function compared, formatted, printed or converted instead of called."""
    what = facts.callee
    if usage.kind == UsageKind.EQUALITY:
        outcome = "False" if usage.detail == "==" else "True"
        return f"{head}: `{usage.detail}` compares the {what} object, so it is {outcome} for any value.", facts
    if usage.kind == UsageKind.FORMAT_SPEC and usage.detail == "%":
        return _raising(f"{head}: `%` formatting with a numeric conversion raises", facts, "TypeError")
    if usage.kind == UsageKind.FORMAT_SPEC:
        error = f"unsupported format string passed to {bound}.__format__"
        return _raising(f"{head}: the format spec `{usage.detail}` raises", facts, "TypeError", error)
    if usage.kind == UsageKind.CONVERTED:
        error = CONVERSION_ERRORS[usage.detail].format(bound=bound)
        return _raising(f"{head}: `{usage.detail}()` raises", facts, "TypeError", error)
    return f"{head}: {usage.detail} gets the {what} object and shows {shown} instead of the value.", facts


def as_displayed(finding: Finding) -> Finding:
    """The finding for a bare uncalled method on a notebook cell's last line: Jupyter displays it."""
    facts = finding.facts
    if finding.code != CODE or facts.usage != UsageKind.STATEMENT.value or facts.callee != "method":
        return finding
    return dataclasses.replace(finding, message=statement_message(facts, displayed=True))


def check_grad_mode(use: GradModeUse, grad_class: GradModeClass, python_version: tuple[int, int]) -> Finding:
    """A finding for ``with torch.no_grad:`` (the class instead of an instance)."""
    text = use.text
    if python_version >= (3, 11):
        exception, error = "TypeError", "'type' object does not support the context manager protocol"
    else:
        exception, error = "AttributeError", "__enter__"
    facts = Facts("with", text)
    message, facts = _raising(
        f"`{text}` is a class, not a context manager: `with {text}:` raises", facts, exception, error
    )
    end = use.expr.end_pos
    fix = Fix(f"Instantiate `{text}()`", Applicability.SAFE, (Edit(Span(end, end), "()"),))
    message += f" Instantiate it: `with {text}():`."
    return Finding(CODE, NAME, Severity.ERROR, message, Span(use.name.start_pos, use.name.end_pos), fix, facts)


def _truth(access: MemberAccess, member: Member, noun: str) -> tuple[str, str, Fix]:
    expr = access.text
    head = f"`{expr}` is a method, so it is always true"
    if member.returns_kind == "iterator":
        return (
            f"{head}: the condition never looks at {noun}, and `{expr}()` would not help either (a generator is"
            " always true).",
            f"Use `any(True for _ in {expr}())`.",
            _wrap_fix(access, "any(True for _ in {}())", Applicability.UNSAFE),
        )
    if member.returns_data:
        return (
            f"{head}: the condition never looks at {noun}.",
            f"Call it: `{expr}()`.",
            _call_fix(access, Applicability.UNSAFE),
        )
    return (
        f"{head} and the method is never run.",
        f"Call `{expr}()` on its own line before the condition.",
        _call_fix(access, Applicability.DISPLAY_ONLY),
    )


def _member_span(access: MemberAccess) -> Span:
    return Span(access.member.start_pos, access.member.end_pos)


def _call_fix(access: MemberAccess, applicability: Applicability) -> Fix:
    end = access.member.end_pos
    return Fix(f"Call `{access.text}()`", applicability, (Edit(Span(end, end), "()"),))


def _wrap_fix(access: MemberAccess, template: str, applicability: Applicability = Applicability.SAFE) -> Fix:
    """Replace ``receiver.member`` by ``template`` filled with its source text."""
    nodes = [*access.receiver_nodes, access.expr.children[access.index]]
    source = "".join(node.get_code(include_prefix=i > 0) for i, node in enumerate(nodes))
    replacement = template.format(source)
    span = Span(nodes[0].start_pos, access.member.end_pos)
    return Fix(f"Use `{template.format(code_of(nodes))}`", applicability, (Edit(span, replacement),))
