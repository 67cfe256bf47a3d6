"""The table of built-in rules, in code order. Nothing is discovered: a rule exists
when it is listed here (docs/rules.md is generated from this table)."""

from __future__ import annotations

from dataclasses import replace

from pitstop.review.rules import (
    cache,
    context_paths,
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

# Rules whose claim holds only for Linux images, so Windows Dockerfiles are not checked by them:
# PS103 (uid 0; Windows images run as ContainerAdministrator or ContainerUser), PS105 and PS106
# (`/bin/sh -c` and SIGTERM; Windows runs `cmd /S /C` and has no signals), PS110 (chown, chmod)
# and PS130-PS133 (apt).
LINUX_ONLY = frozenset({"PS103", "PS105", "PS106", "PS110", "PS130", "PS131", "PS132", "PS133"})


def _marked(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    return tuple(replace(r, linux_only=True) if r.code in LINUX_ONLY else r for r in rules)


RULES: tuple[Rule, ...] = _marked(
    (
        *hardening.RULES,
        *layers.RULES,
        *cache.RULES,
        *packages.RULES,
        *images.RULES,
        *secrets.RULES,
        *context_paths.RULES,
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
)

_BY_CODE = {rule.code: rule for rule in RULES}


def rule_by_code(code: str) -> Rule:
    return _BY_CODE[code]


def known_codes() -> tuple[str, ...]:
    return tuple(_BY_CODE)
