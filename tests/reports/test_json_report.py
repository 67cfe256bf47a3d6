"""The JSON document is a contract: exact keys, order, values and layout."""

from __future__ import annotations

import dataclasses
import json

from pitstop.model import ReviewResult, Verdict
from pitstop.reports import json_report


def _document(result: ReviewResult) -> dict[str, object]:
    loaded = json.loads(json_report.render(result))
    assert isinstance(loaded, dict)
    return loaded


def test_top_level_keys_in_contract_order(result: ReviewResult) -> None:
    assert list(_document(result)) == [
        "version",
        "verdict",
        "scores",
        "areas",
        "findings",
        "errors",
        "files_reviewed",
    ]


def test_version_verdict_and_scores(result: ReviewResult) -> None:
    doc = _document(result)
    assert doc["version"] == 1
    assert doc["verdict"] == "NOT APPROVED"
    assert doc["scores"] == {
        "dockerfile": 8.5,
        "context": 4.0,
        "dependencies": None,
        "workflows": 9.5,
        "security": 7.5,
    }


def test_areas_hold_the_counts(result: ReviewResult) -> None:
    areas = _document(result)["areas"]
    assert isinstance(areas, dict)
    assert list(areas) == ["dockerfile", "context", "dependencies", "workflows", "security"]
    assert areas["context"] == {"files": 2, "blocking": 1, "warning": 0, "info": 0}


def test_area_missing_from_result_is_null_with_zero_counts(result: ReviewResult) -> None:
    doc = _document(dataclasses.replace(result, scores=result.scores[:1]))
    assert doc["scores"] == {
        "dockerfile": 8.5,
        "context": None,
        "dependencies": None,
        "workflows": None,
        "security": None,
    }
    assert isinstance(doc["areas"], dict)
    assert doc["areas"]["security"] == {"files": 0, "blocking": 0, "warning": 0, "info": 0}


def test_finding_with_related_locations(result: ReviewResult) -> None:
    findings = _document(result)["findings"]
    assert isinstance(findings, list)
    assert findings[3] == {
        "rule": "PS101",
        "severity": "blocking",
        "title": "Path dependency outside the build context",
        "message": result.findings[3].message,
        "location": {"path": "services/api/Dockerfile", "line": 7, "column": 1},
        "related": [
            {
                "path": "services/api/pyproject.toml",
                "line": 12,
                "message": "path dependency declared here",
            },
            {"path": ".github/workflows/ci.yml", "line": 31, "message": "build context set here"},
        ],
        "fix": None,
    }


def test_finding_with_a_multi_line_fix(result: ReviewResult) -> None:
    findings = _document(result)["findings"]
    assert isinstance(findings, list)
    assert findings[1]["fix"] == {
        "description": "Copy requirements.txt and install before copying the source",
        "edits": [
            {
                "path": "Dockerfile",
                "start": {"line": 4, "column": 1},
                "end": {"line": 6, "column": 1},
                "text": "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n",
            }
        ],
    }


def test_errors_and_files_reviewed(result: ReviewResult) -> None:
    doc = _document(result)
    assert doc["errors"] == [
        {"path": "docker-compose.yml", "line": 4, "message": "mapping values are not allowed here"}
    ]
    assert doc["files_reviewed"] == list(result.files_reviewed)


def test_severities_are_the_contract_words(result: ReviewResult) -> None:
    findings = _document(result)["findings"]
    assert isinstance(findings, list)
    assert [f["severity"] for f in findings] == ["info", "warning", "warning", "blocking"]


def test_layout_is_two_space_indent_with_trailing_newline(result: ReviewResult) -> None:
    rendered = json_report.render(result)
    assert rendered.startswith('{\n  "version": 1,\n  "verdict": "NOT APPROVED",\n')
    assert rendered.endswith("}\n")


def test_empty_review(result: ReviewResult) -> None:
    empty = dataclasses.replace(result, findings=(), problems=(), verdict=Verdict.APPROVED)
    doc = _document(empty)
    assert (doc["verdict"], doc["findings"], doc["errors"]) == ("APPROVED", [], [])
