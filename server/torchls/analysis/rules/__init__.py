"""The rules. Each is one module: ``CODE``, ``NAME``, a docstring in sections (What it does /
Why is this bad? / Example / Use instead / Fix safety) that feeds hover, ``torchls rule``,
``codeDescription`` and the generated ``docs/rules/<CODE>.md``, and its check functions.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from types import ModuleType

from torchls.analysis.rules import missing_call, not_callable

DOCS_URL = "https://github.com/torchls/torchls/blob/main/docs/rules/{code}.md"


@dataclass(frozen=True)
class Rule:
    """A rule's identity and documentation."""

    code: str
    name: str
    doc: str  # Markdown

    @property
    def summary(self) -> str:
        """The first line of the documentation."""
        return self.doc.splitlines()[0]

    @property
    def url(self) -> str:
        """Where the rule's documentation page lives."""
        return DOCS_URL.format(code=self.code)

    def section(self, title: str) -> str:
        """The text of one ``## title`` section of the documentation."""
        marker = f"## {title}\n"
        if marker not in self.doc:
            return ""
        return self.doc.split(marker, 1)[1].split("\n## ", 1)[0].strip()


def _rule(module: ModuleType) -> Rule:
    return Rule(code=module.CODE, name=module.NAME, doc=inspect.cleandoc(module.__doc__ or ""))


RULES: dict[str, Rule] = {rule.code: rule for rule in (_rule(missing_call), _rule(not_callable))}
