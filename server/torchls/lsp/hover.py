"""Hover text: what a torch member really is, and the finding there, if any."""

from __future__ import annotations

from torchls.analysis.catalog import ROOT_TITLES, Catalog, Member
from torchls.analysis.engine import MemberInfo
from torchls.analysis.findings import Finding
from torchls.analysis.rules import RULES


def hover_markdown(info: MemberInfo | None, findings: list[Finding], catalog: Catalog, note: str | None = None) -> str:
    """Markdown for a hover on a catalogued member or on a finding; ``note`` says how types were found."""
    parts: list[str] = []
    if info is not None and info.grad_mode is not None:
        grad = info.grad_mode
        parts.append(f"**`{info.text}`**: class `{grad.name}` (a context manager once instantiated)\n\n{grad.doc}")
    elif info is not None and info.member is not None and info.receiver is not None:
        parts.append(_describe_member(info, info.member, catalog))
    for finding in findings:
        rule = RULES[finding.code]
        fix = f"\n\nFix ({finding.fix.applicability.value}): {finding.fix.title}" if finding.fix else ""
        parts.append(
            f"**{rule.code} {rule.name}** ({finding.severity.value}): {finding.message}{fix}\n\n"
            f"[{rule.code} documentation]({rule.url})"
        )
    if note:
        parts.append(f"_{note}_")
    return "\n\n---\n\n".join(parts)


def _describe_member(info: MemberInfo, member: Member, catalog: Catalog) -> str:
    assert info.receiver is not None
    owner = ROOT_TITLES.get(member.root) or _public_name(member.owner, catalog)
    receiver = info.receiver.class_name
    aliases = {"", owner, *(name for name, root in catalog.qualnames.items() if root == member.root)}
    of = f"`{owner}`" if receiver in aliases else f"`{owner}` (receiver: `{receiver}`)"
    if member.is_method:
        returns = f" -> {member.returns}" if member.returns else ""
        head = (
            f"**`{info.text}`** is a method of {of}: call it to get its result.\n\n"
            f"```python\ndef {member.name}{member.signature}{returns}\n```"
        )
    else:
        kinds = " or ".join(t for t in member.types)
        head = f"**`{info.text}`** is data of {of}, not a method: a `{kinds}`."
    doc = f"\n\n{member.doc}" if member.doc else ""
    return head + doc + _contrast(member, catalog)


def _contrast(member: Member, catalog: Catalog) -> str:
    """For the parameter accessors, say how they differ: the confusion torchls exists for."""
    if member.root != "Module" or member.name not in ("parameters", "named_parameters", "_parameters"):
        return ""
    own = catalog.member("Module", "_parameters")
    own_type = own.types[0] if own and own.types else "dict"
    return (
        "\n\n- `parameters()`: a generator over all parameters of the module and its submodules, recursively"
        "\n- `named_parameters()`: the same, as `(name, parameter)` pairs"
        f"\n- `_parameters`: a `{own_type}` of the module's own parameters only (not its submodules'), internal"
        f"\n\n(torch {catalog.torch_version})"
    )


def _public_name(qualname: str, catalog: Catalog) -> str:
    """The shortest name torch exports a class under: ``torch.utils.data.DataLoader``."""
    info = catalog.class_info(qualname)
    names = [qualname, *(info.aliases if info else ())]
    return min(names, key=lambda name: (name.count("."), len(name)))
