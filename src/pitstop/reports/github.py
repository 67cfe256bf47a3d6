"""GitHub Actions workflow commands: one annotation per finding and per input problem.

Printed in a workflow step, each line becomes an annotation on the file and line it names
(https://docs.github.com/actions/reference/workflow-commands-for-github-actions). Escaping
follows actions/toolkit `packages/core/src/command.ts` exactly: data escapes `%`, CR and LF;
property values also escape `:` and `,`, which would otherwise end the value.
"""

from __future__ import annotations

from collections.abc import Mapping

from pitstop.model import Finding, InputProblem, ReviewResult, Severity
from pitstop.reports._common import where

_COMMANDS = {Severity.BLOCKING: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}

PROBLEM_TITLE = "pitstop could not review this file"


def render(result: ReviewResult) -> str:
    """One `::error`/`::warning`/`::notice` line per finding, then one `::error` per problem."""
    lines = [_finding_command(f) for f in result.findings]
    lines += [_problem_command(p) for p in result.problems]
    return "".join(f"{line}\n" for line in lines)


def escape_data(text: str) -> str:
    """A command's message, as `escapeData` in actions/toolkit."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command property's value, as `escapeProperty` in actions/toolkit."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: Mapping[str, str], message: str) -> str:
    """`::name key=value,...::message` with everything escaped."""
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{name}{' ' if props else ''}{props}::{escape_data(message)}"


def _finding_command(finding: Finding) -> str:
    location = finding.location
    properties = {
        "file": location.path,
        "line": str(location.line),
        "col": str(location.column),
        "title": f"{finding.rule} {finding.title}",
    }
    return command(_COMMANDS[finding.severity], properties, _finding_message(finding))


def _finding_message(finding: Finding) -> str:
    """The message, then the related places and the fix, one per line."""
    lines = [finding.message]
    lines += [f"↳ {where(r.location)} {r.message}" for r in finding.related]
    if finding.fix is not None:
        lines.append(f"Fix available: {finding.fix.description}")
    return "\n".join(lines)


def _problem_command(problem: InputProblem) -> str:
    properties = {"file": problem.path}
    if problem.line is not None:
        properties["line"] = str(problem.line)
    properties["title"] = PROBLEM_TITLE
    return command("error", properties, problem.message)
