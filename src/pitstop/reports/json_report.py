"""The versioned JSON document other tools read (`pitstop review --format json`).

The shape is a contract (DESIGN.md, "Contracts other tools rely on"): add keys only with a new
`FORMAT_VERSION`, never rename or drop one. Every area appears in `scores` and `areas`, in
`Area` order, so readers need not guess which keys exist; an area that was not reviewed has a
`null` score and zero counts.
"""

from __future__ import annotations

import json

from pitstop.model import Area, AreaScore, Finding, Fix, InputProblem, ReviewResult, TextEdit
from pitstop.reports._common import score_of

# Version 1: verdict, scores, areas, findings (with related and fix), errors, files_reviewed.
FORMAT_VERSION = 1

JSONObject = dict[str, object]


def render(result: ReviewResult) -> str:
    """The document as 2-space indented JSON with a trailing newline."""
    return json.dumps(document(result), indent=2) + "\n"


def document(result: ReviewResult) -> JSONObject:
    """The document as plain dicts and lists, keys in contract order."""
    return {
        "version": FORMAT_VERSION,
        "verdict": result.verdict.value,
        "scores": {area.value: _score(score_of(result, area)) for area in Area},
        "areas": {area.value: _counts(score_of(result, area)) for area in Area},
        "findings": [_finding(finding) for finding in result.findings],
        "errors": [_error(problem) for problem in result.problems],
        "files_reviewed": list(result.files_reviewed),
    }


def _score(score: AreaScore | None) -> float | None:
    return None if score is None or score.score is None else float(score.score)


def _counts(score: AreaScore | None) -> JSONObject:
    if score is None:
        return {"files": 0, "blocking": 0, "warning": 0, "info": 0}
    return {
        "files": score.files,
        "blocking": score.blocking,
        "warning": score.warning,
        "info": score.info,
    }


def _finding(finding: Finding) -> JSONObject:
    location = finding.location
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "title": finding.title,
        "message": finding.message,
        "location": {"path": location.path, "line": location.line, "column": location.column},
        "related": [
            {"path": r.location.path, "line": r.location.line, "message": r.message}
            for r in finding.related
        ],
        "fix": None if finding.fix is None else _fix(finding.fix),
    }


def _fix(fix: Fix) -> JSONObject:
    return {"description": fix.description, "edits": [_edit(edit) for edit in fix.edits]}


def _edit(edit: TextEdit) -> JSONObject:
    return {
        "path": edit.path,
        "start": {"line": edit.start_line, "column": edit.start_column},
        "end": {"line": edit.end_line, "column": edit.end_column},
        "text": edit.text,
    }


def _error(problem: InputProblem) -> JSONObject:
    return {"path": problem.path, "line": problem.line, "message": problem.message}
