"""Hover text: what a torch member really is, and the finding there, if any."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from torchls.analysis.catalog import ROOT_TITLES, Catalog, Member
from torchls.analysis.engine import MemberInfo
from torchls.analysis.findings import Finding, Position
from torchls.analysis.rules import RULES
from torchls.lsp.convert import PositionConverter

if TYPE_CHECKING:
    from torchls.lsp.server import DocumentResult, TorchlsServer

log = logging.getLogger(__name__)
HOVER_TIMEOUT_S = 4.0  # jedi may be busy with an analysis; the finding alone is shown after that


async def hover(ls: TorchlsServer, params: types.HoverParams) -> types.Hover | None:
    """What the member under the cursor really is, with the finding there."""
    uri = params.text_document.uri
    if not ls.is_open(uri):
        return None
    document = ls.workspace.get_text_document(uri)
    converter = PositionConverter(document)
    position = converter.from_lsp_position(params.position)
    result = ls.results.get(uri)
    findings = _findings_at(result, position) if result and result.version == document.version else []
    source, path, analysed_position = ls.analysis_input(uri, position)

    def describe() -> tuple[MemberInfo | None, str | None]:
        analyzer = ls.current_analyzer(path)[0]
        return analyzer.describe(source, path, analysed_position), analyzer.torch_note

    info, note = None, None
    try:
        info, note = await asyncio.wait_for(ls.on_jedi_thread(describe), HOVER_TIMEOUT_S)
    except asyncio.TimeoutError:  # a long analysis holds jedi: answer with the finding alone
        log.warning("torchls: hover timed out waiting for the analysis")
    except Exception:
        log.exception("torchls: hover failed")
    if info is None and not findings:
        return None
    span = info.span if info is not None else findings[0].span
    return types.Hover(
        contents=types.MarkupContent(
            kind=types.MarkupKind.Markdown, value=hover_markdown(info, findings, ls.catalog, note)
        ),
        range=converter.to_lsp_range(span),
    )


def _findings_at(result: DocumentResult | None, position: Position) -> list[Finding]:
    if result is None:
        return []
    return [f for f in result.findings if f.span.start <= position <= f.span.end]


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
