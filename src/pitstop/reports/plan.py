"""The action plan a reviewer writes: blocking issues first, each with where it is, its
patch, the commands that verify it, success criteria and how to roll it back; then the
rest, shorter. Every figure in it comes from the review; nothing is estimated.

Rendering only: the patches are planned before (`pitstop.api.plan_patches`), and passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pitstop.model import BuildInfo, Finding, ReviewResult, Severity

_IMPORT_CHECK = 'docker run --rm pitstop-verify python -c "import {module}"'


def render(result: ReviewResult, patches: Mapping[Finding, str] | None = None) -> str:
    """The plan; `patches` holds the unified diff of each blocking finding's fix."""
    patches = patches or {}
    blocking = [f for f in result.findings if f.severity is Severity.BLOCKING]
    others = [f for f in result.findings if f.severity is not Severity.BLOCKING]
    parts = [_summary(result, blocking)]
    parts += [
        _blocking(result, number, finding, patches.get(finding))
        for number, finding in enumerate(blocking, 1)
    ]
    if others:
        parts.append(_others(result, others))
    return "\n".join(parts).rstrip() + "\n"


def _summary(result: ReviewResult, blocking: list[Finding]) -> str:
    counts = {s: sum(1 for f in result.findings if f.severity is s) for s in Severity}
    scores = ", ".join(
        f"{s.area.value} {s.score:.1f}/10" for s in result.scores if s.score is not None
    )
    priority = f"{len(blocking)} blocking issue(s)" if blocking else "no blocking issue"
    return (
        f"# Action plan\n\n**Verdict**: {result.verdict.value}  \n**Priority**: {priority}  \n"
        f"**Findings**: {counts[Severity.BLOCKING]} blocking, {counts[Severity.WARNING]} "
        f"warning, {counts[Severity.INFO]} info  \n**Scores**: {scores or 'none'}\n"
    )


def _blocking(result: ReviewResult, number: int, finding: Finding, patch: str | None) -> str:
    lines = [
        f"## {number}. {finding.rule}: {finding.title}\n",
        _where(finding),
        "",
        finding.message,
        "",
    ]
    lines += _patch(finding, patch)
    lines += ["**Verify**:", "", "```bash", *_verify(result, finding), "```", ""]
    lines += ["**Success criteria**:", ""]
    lines += [f"- [ ] `pitstop review --select {finding.rule}` reports no finding at this location"]
    lines += [f"- [ ] `{b.command}` succeeds" for b in _builds_for(result, finding)]
    lines += ["", "**Roll back**:", "", "```bash", _rollback(result, finding), "```", ""]
    return "\n".join(lines)


def _where(finding: Finding) -> str:
    where = [f"- `{finding.location.path}:{finding.location.line}`"]
    where += [f"- `{r.location.path}:{r.location.line}`: {r.message}" for r in finding.related]
    return "**Where**:\n\n" + "\n".join(where)


def _patch(finding: Finding, patch: str | None) -> list[str]:
    if finding.fix is None:
        return [
            "**Patch**: no automatic fix; change the files above by hand as the finding says.",
            "",
        ]
    head = f"**Patch** ({finding.fix.description}; `pitstop review --fix` applies it)"
    if patch is None:
        return [f"{head}: `pitstop review --diff` shows it.", ""]
    return [f"{head}:", "", "```diff", patch.rstrip("\n"), "```", ""]


def _builds_for(result: ReviewResult, finding: Finding) -> list[BuildInfo]:
    paths = {finding.location.path, *(r.location.path for r in finding.related)}
    lines = {(finding.location.path, finding.location.line)}
    lines |= {(r.location.path, r.location.line) for r in finding.related}
    chosen = []
    for build in result.builds:
        declared = build.declared_at
        at_declaration = declared is not None and any(p == declared.path for p, _ in lines)
        if build.dockerfile in paths or at_declaration:
            chosen.append(build)
    return _unique(chosen)


def _unique(builds: Iterable[BuildInfo]) -> list[BuildInfo]:
    seen, unique = set(), []
    for build in builds:
        if build.command not in seen:
            seen.add(build.command)
            unique.append(build)
    return unique


def _verify(result: ReviewResult, finding: Finding) -> list[str]:
    commands = [f"pitstop review --select {finding.rule}"]
    commands += [f"{b.command} -t pitstop-verify" for b in _builds_for(result, finding)]
    commands += [_IMPORT_CHECK.format(module=module) for module in finding.imports]
    return commands


def _rollback(result: ReviewResult, finding: Finding) -> str:
    files = sorted(
        {finding.location.path, *(e.path for e in (finding.fix.edits if finding.fix else ()))}
    )
    return (
        f"git checkout HEAD -- {' '.join(files)}   # before committing the change\n"
        "git revert <commit>   # once committed"
    )


def _others(result: ReviewResult, others: list[Finding]) -> str:
    lines = ["## Other findings\n"]
    for finding in others:
        fix = " (fix: `pitstop review --fix`)" if finding.fix else ""
        lines.append(
            f"- **{finding.rule}** {finding.severity.value} `{finding.location.path}:"
            f"{finding.location.line}`: {finding.title}{fix}"
        )
    return "\n".join(lines) + "\n"
