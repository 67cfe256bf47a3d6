"""The review run: read the project, run the enabled rules, apply suppressions and
severity overrides, score. Files that cannot be read or parsed become InputProblems;
the rest are still reviewed."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from pitstop.config import Config
from pitstop.model import BuildInfo, Finding, ReviewResult, Severity
from pitstop.review.load import load_project
from pitstop.review.project import Build, Project
from pitstop.review.registry import RULES
from pitstop.review.rules.base import Hit, Rule
from pitstop.review.scoring import reviewed_files, score_areas, verdict

_SUPPRESSION = re.compile(r"#\s*pitstop:\s*ignore(?:\[(?P<codes>[A-Za-z0-9_,\s]+)\])?")


def review_tree(root: Path, config: Config, only: str | None = None) -> ReviewResult:
    """Review the repository at `root` (or just the Dockerfile `only`, relative to it)."""
    loaded = load_project(root, config, only)
    project = loaded.project
    findings = run_rules(project, config, RULES)
    enabled = [r for r in RULES if config.enabled(r.code)]
    scores = score_areas(findings, project, enabled)
    return ReviewResult(
        root=str(root),
        findings=tuple(findings),
        scores=scores,
        verdict=verdict(findings, scores),
        files_reviewed=reviewed_files(project, {r.area for r in enabled}),
        # after the rules: the context walks they asked for report what they could not read
        problems=tuple(loaded.problems + project.walk_problems()),
        builds=tuple(
            BuildInfo(s.path, b.context, b.target, b.declared_at)
            for s in project.dockerfiles
            for b in s.builds
        ),
    )


def run_rules(project: Project, config: Config, rules: Iterable[Rule]) -> list[Finding]:
    lines = {s.path: s.dockerfile.lines for s in project.dockerfiles}
    lines.update({w.path: w.lines for w in project.workflows})  # `# pitstop: ignore` in YAML
    findings = []
    for rule in rules:
        if not config.enabled(rule.code):
            continue
        for hit in rule.run(project):
            if _suppressed(rule.code, hit, lines, config):
                continue
            findings.append(_finding(rule, hit, config))
    return sorted(findings, key=lambda f: f.sort_key)


def _finding(rule: Rule, hit: Hit, config: Config) -> Finding:
    default = hit.severity or rule.severity
    message = hit.message
    assumption = assumed_context(hit.builds)
    if assumption is not None:
        # What depends on a guessed context cannot certainly fail: never blocking by default.
        message = f"{message} {assumption}"
        default = min(default, Severity.WARNING, key=lambda s: s.rank)
    return Finding(
        rule=rule.code,
        severity=config.severity_of(rule.code, default),
        title=rule.title,
        message=message,
        location=hit.location,
        area=rule.area,
        related=hit.related,
        fix=hit.fix,
        imports=hit.imports,
    )


def assumed_context(builds: tuple[Build, ...]) -> str | None:
    """The sentence saying which context was assumed, when every build of a hit is assumed."""
    if not builds or any(build.declared for build in builds):
        return None
    return builds[0].assumption


def _suppressed(code: str, hit: Hit, lines: dict[str, tuple[str, ...]], config: Config) -> bool:
    path = hit.location.path
    if config.ignored_at(code, path):
        return True
    return code in inline_ignores(lines.get(path, ()), hit.location.line)


def inline_ignores(lines: tuple[str, ...], line: int) -> set[str]:
    """Codes ignored at `line` by `# pitstop: ignore[...]` on it, on a continuation line of its
    instruction, or in the comment lines right above the instruction. A bare
    `# pitstop: ignore` ignores every rule there."""
    codes: set[str] = set()
    number = line
    while 1 <= number <= len(lines):
        text = lines[number - 1]
        codes |= _codes_in(text)
        above = lines[number - 2].rstrip() if number >= 2 else ""
        if not (above.endswith("\\") or above.lstrip().startswith("#")):
            break
        number -= 1
    return codes


def _codes_in(text: str) -> set[str]:
    match = _SUPPRESSION.search(text)
    if match is None:
        return set()
    if match.group("codes") is None:
        return {code.code for code in RULES}
    return {c.strip().upper() for c in match.group("codes").split(",") if c.strip()}
