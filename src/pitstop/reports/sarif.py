"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Spec: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html; what GitHub reads:
https://docs.github.com/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning.
Paths are relative to `%SRCROOT%`, the reviewed root. Columns count Unicode code points, as
Python strings do, hence `columnKind`. Regions are end-exclusive, like `TextEdit`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath, PureWindowsPath
from typing import NamedTuple, Protocol
from urllib.parse import quote

from pitstop import __version__
from pitstop.model import (
    Area,
    Finding,
    Fix,
    InputProblem,
    Location,
    Related,
    ReviewResult,
    Severity,
    TextEdit,
)

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://pypi.org/project/pitstop/"
SRCROOT = "%SRCROOT%"
# Bump the key, never the recipe behind it: code scanning matches alerts by this value.
FINGERPRINT_KEY = "pitstop/v1"

_LEVELS = {Severity.BLOCKING: "error", Severity.WARNING: "warning", Severity.INFO: "note"}

JSONObject = dict[str, object]


class RuleDescription(Protocol):
    """What the report reads of a rule in the table (`pitstop.api.rules()` gives them)."""

    @property
    def code(self) -> str: ...  # the stable code, `PS301`
    @property
    def name(self) -> str: ...  # the kebab-case name
    @property
    def title(self) -> str: ...  # one line
    @property
    def why(self) -> str: ...  # the paragraph on why it matters
    @property
    def severity(self) -> Severity: ...  # the default severity
    @property
    def area(self) -> Area: ...  # the scored area


class RuleInfo(NamedTuple):
    """What a SARIF rule descriptor says, from the rule table or, failing that, a finding."""

    code: str
    name: str
    title: str
    why: str
    severity: Severity
    area: Area


def render(result: ReviewResult, rules: Sequence[RuleDescription] = ()) -> str:
    """The SARIF log as 2-space indented JSON with a trailing newline; `rules` is the rule
    table the driver describes (the CLI passes every built-in rule)."""
    return json.dumps(sarif_log(result, rules), indent=2) + "\n"


def sarif_log(result: ReviewResult, rules: Sequence[RuleDescription] = ()) -> JSONObject:
    """The SARIF log as plain dicts and lists: one run of pitstop."""
    return {"$schema": SCHEMA, "version": SARIF_VERSION, "runs": [_run(result, rules)]}


def rule_infos(
    findings: Iterable[Finding], rules: Sequence[RuleDescription] = ()
) -> list[RuleInfo]:
    """Every rule in `rules`, then, by code, any rule a finding names that they lack."""
    infos = [
        RuleInfo(rule.code, rule.name, rule.title, rule.why, rule.severity, rule.area)
        for rule in rules
    ]
    known = {info.code for info in infos}
    missing: dict[str, Finding] = {}
    for finding in findings:
        if finding.rule not in known:
            missing.setdefault(finding.rule, finding)
    infos += [_info_from_finding(missing[code]) for code in sorted(missing)]
    return infos


def fingerprints(findings: Sequence[Finding]) -> list[str]:
    """A `partialFingerprints` value per finding, stable while the finding's line moves.

    The report has no file text to anchor on, so a finding is identified by its rule code,
    path and title (never the message, which may quote line numbers) plus its occurrence
    index among the findings with that same (rule, path, title), counted in line order.
    Edits above a finding keep its fingerprint; a second identical finding above it shifts
    it to the next index, as GitHub's own line-hash fingerprints do.
    """
    order = sorted(range(len(findings)), key=lambda i: _position(findings[i]))
    seen: Counter[tuple[str, str, str]] = Counter()
    prints = [""] * len(findings)
    for i in order:
        anchor = _anchor(findings[i])
        prints[i] = _digest(*anchor, str(seen[anchor]))
        seen[anchor] += 1
    return prints


def _run(result: ReviewResult, rules: Sequence[RuleDescription]) -> JSONObject:
    infos = rule_infos(result.findings, rules)
    index = {info.code: i for i, info in enumerate(infos)}
    prints = fingerprints(result.findings)
    return {
        "tool": {"driver": _driver(infos)},
        "originalUriBaseIds": {SRCROOT: _root_base(result.root)},
        "invocations": [_invocation(result.problems)],
        "columnKind": "unicodeCodePoints",
        "results": [
            _result(f, index[f.rule], fp) for f, fp in zip(result.findings, prints, strict=True)
        ],
    }


def _driver(infos: Sequence[RuleInfo]) -> JSONObject:
    return {
        "name": "pitstop",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": INFORMATION_URI,
        "rules": [_descriptor(info) for info in infos],
    }


def _descriptor(info: RuleInfo) -> JSONObject:
    why = info.why or info.title
    return {
        "id": info.code,
        "name": info.name,
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": why},
        "help": {"text": why},
        "defaultConfiguration": {"level": _LEVELS[info.severity]},
        "properties": {"tags": [info.area.value]},
    }


def _info_from_finding(finding: Finding) -> RuleInfo:
    """A rule the table does not (yet) hold: described by what its finding says."""
    return RuleInfo(finding.rule, finding.rule, finding.title, "", finding.severity, finding.area)


def _root_base(root: str) -> JSONObject:
    """An absolute root as a `file:` URI; a relative one cannot be, so it is only described."""
    for flavour in (PurePosixPath, PureWindowsPath):
        path = flavour(root)
        if path.is_absolute():
            return {"uri": path.as_uri().rstrip("/") + "/"}
    return {"description": {"text": f"The reviewed root, {root}"}}


def _invocation(problems: Sequence[InputProblem]) -> JSONObject:
    return {
        "executionSuccessful": not problems,
        "toolExecutionNotifications": [_notification(p) for p in problems],
    }


def _notification(problem: InputProblem) -> JSONObject:
    region = {} if problem.line is None else {"region": {"startLine": problem.line}}
    physical = {"artifactLocation": _artifact(problem.path), **region}
    return {
        "level": "error",
        "message": {"text": problem.message},
        "locations": [{"physicalLocation": physical}],
    }


def _result(finding: Finding, rule_index: int, fingerprint: str) -> JSONObject:
    out: JSONObject = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": _LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": _physical(finding.location)}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if finding.related:
        out["relatedLocations"] = [_related(i, r) for i, r in enumerate(finding.related, 1)]
    if finding.fix is not None:
        out["fixes"] = [_fix(finding.fix)]
    return out


def _related(id_: int, related: Related) -> JSONObject:
    return {
        "id": id_,
        "physicalLocation": _physical(related.location),
        "message": {"text": related.message},
    }


def _physical(location: Location) -> JSONObject:
    return {
        "artifactLocation": _artifact(location.path),
        "region": {"startLine": location.line, "startColumn": location.column},
    }


def _artifact(path: str) -> JSONObject:
    # the file name's own bytes, percent-encoded (a name that is not UTF-8 included)
    return {"uri": quote(os.fsencode(path)), "uriBaseId": SRCROOT}


def _fix(fix: Fix) -> JSONObject:
    by_path: dict[str, list[TextEdit]] = {}
    for edit in fix.edits:
        by_path.setdefault(edit.path, []).append(edit)
    changes = [
        {"artifactLocation": _artifact(path), "replacements": [_replacement(e) for e in edits]}
        for path, edits in by_path.items()
    ]
    return {"description": {"text": fix.description}, "artifactChanges": changes}


def _replacement(edit: TextEdit) -> JSONObject:
    region = {
        "startLine": edit.start_line,
        "startColumn": edit.start_column,
        "endLine": edit.end_line,
        "endColumn": edit.end_column,
    }
    return {"deletedRegion": region, "insertedContent": {"text": edit.text}}


def _anchor(finding: Finding) -> tuple[str, str, str]:
    return (finding.rule, finding.location.path, finding.title)


def _position(finding: Finding) -> tuple[int, int]:
    return (finding.location.line, finding.location.column)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()
