"""The rules reference (docs/rules.md) and `pitstop rules`, generated from the rule table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pitstop.reports.sarif import RuleDescription


class DocumentedRule(RuleDescription, Protocol):
    """A rule as the reference describes it."""

    @property
    def fixable(self) -> bool: ...  # whether it carries a safe automatic fix


_HEADER = """# pitstop rules

Generated from the rule table by `pitstop rules --format markdown > docs/rules.md`;
do not edit by hand. Severities are defaults: `[tool.pitstop] severity` overrides them.
Suppress one finding with `# pitstop: ignore[CODE]` on or above its line.
"""


def rules_markdown(rules: Sequence[DocumentedRule]) -> str:
    parts = [_HEADER]
    for rule in rules:
        fix = " Has a safe automatic fix." if rule.fixable else ""
        parts.append(
            f"\n## {rule.code} {rule.name}\n\n**{rule.title}** · default severity "
            f"`{rule.severity.value}` · area `{rule.area.value}`\n\n{rule.why}{fix}\n"
        )
    return "".join(parts)


def rules_text(rules: Sequence[DocumentedRule]) -> str:
    width = max(len(rule.name) for rule in rules)
    return "".join(
        f"{rule.code}  {rule.name:<{width}}  {rule.severity.value:<8}  {rule.title}\n"
        for rule in rules
    )
