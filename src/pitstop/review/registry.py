"""The table of built-in rules, in code order. Nothing is discovered: a rule exists
when it is listed here (docs/rules.md is generated from this table)."""

from __future__ import annotations

from pitstop.review.rules import (
    cache,
    context,
    context_size,
    dependencies,
    hardening,
    images,
    layers,
    packages,
    secrets,
    workflow_cache,
    workflow_deploy,
    workflow_docker,
    workflow_routing,
)
from pitstop.review.rules.base import Rule

RULES: tuple[Rule, ...] = (
    *hardening.RULES,
    *layers.RULES,
    *cache.RULES,
    *packages.RULES,
    *images.RULES,
    *secrets.RULES,
    *context.RULES,
    *context_size.RULES,
    *dependencies.RULES,
    # Workflow families share the PS4xx range; listed in code order.
    *sorted(
        (
            *workflow_cache.RULES,
            *workflow_docker.RULES,
            *workflow_routing.RULES,
            *workflow_deploy.RULES,
        ),
        key=lambda rule: rule.code,
    ),
)

_BY_CODE = {rule.code: rule for rule in RULES}


def rule_by_code(code: str) -> Rule:
    return _BY_CODE[code]


def known_codes() -> tuple[str, ...]:
    return tuple(_BY_CODE)
