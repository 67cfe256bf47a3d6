"""SARIF: the rule list, levels, locations, fixes, invocations and stable fingerprints."""

from __future__ import annotations

import dataclasses
from typing import Any

import pitstop
from pitstop.model import Finding, Location, ReviewResult
from pitstop.reports import sarif

from .conftest import NO_PIP_CACHE, OUTSIDE_CONTEXT, PINNED_RULES, SOURCE_BEFORE_INSTALL


def _run(result: ReviewResult) -> Any:
    return sarif.sarif_log(result, PINNED_RULES)["runs"][0]  # type: ignore[index]


def _moved(finding: Finding, line: int) -> Finding:
    return dataclasses.replace(finding, location=dataclasses.replace(finding.location, line=line))


def test_fingerprint_survives_a_line_move() -> None:
    before = sarif.fingerprints([SOURCE_BEFORE_INSTALL, NO_PIP_CACHE])
    after = sarif.fingerprints([_moved(SOURCE_BEFORE_INSTALL, 40), NO_PIP_CACHE])
    assert before == after


def test_fingerprint_ignores_the_message() -> None:
    reworded = dataclasses.replace(SOURCE_BEFORE_INSTALL, message="now at line 9")
    assert sarif.fingerprints([reworded]) == sarif.fingerprints([SOURCE_BEFORE_INSTALL])


def test_fingerprint_tells_repeated_findings_apart_in_line_order() -> None:
    first, second = _moved(NO_PIP_CACHE, 5), _moved(NO_PIP_CACHE, 9)
    prints = sarif.fingerprints([second, first])
    assert prints[0] != prints[1]
    assert sarif.fingerprints([first, second]) == prints[::-1]
    # Both move down together: the pair keeps its fingerprints.
    assert sarif.fingerprints([_moved(first, 15), _moved(second, 19)]) == prints[::-1]


def test_fingerprint_differs_by_path_and_rule() -> None:
    other_path = dataclasses.replace(NO_PIP_CACHE, location=Location(".github/workflows/x.yml"))
    other_rule = dataclasses.replace(NO_PIP_CACHE, rule="PS999")
    prints = sarif.fingerprints([NO_PIP_CACHE, other_path, other_rule])
    assert len(set(prints)) == 3


def test_result_carries_the_fingerprint_under_the_versioned_key(result: ReviewResult) -> None:
    results = _run(result)["results"]
    expected = sarif.fingerprints(result.findings)
    assert [r["partialFingerprints"] for r in results] == [{"pitstop/v1": fp} for fp in expected]


def test_rules_are_the_table_then_codes_only_findings_name(result: ReviewResult) -> None:
    rules = _run(result)["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["PS101", "PS102", "PS201", "PS301", "PS401"]


def test_rule_from_table_uses_table_text_and_unknown_rule_the_finding(
    result: ReviewResult,
) -> None:
    rules = {r["id"]: r for r in _run(result)["tool"]["driver"]["rules"]}
    assert rules["PS101"]["shortDescription"] == {"text": "Dependency outside the build context"}
    assert rules["PS101"]["properties"] == {"tags": ["context"]}
    assert rules["PS401"]["shortDescription"] == {"text": "setup-python without a pip cache"}
    assert rules["PS401"]["defaultConfiguration"] == {"level": "note"}


def test_rule_index_points_at_the_rule(result: ReviewResult) -> None:
    run = _run(result)
    rules = run["tool"]["driver"]["rules"]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def test_levels(result: ReviewResult) -> None:
    levels = {r["ruleId"]: r["level"] for r in _run(result)["results"]}
    assert levels == {"PS401": "note", "PS201": "warning", "PS301": "warning", "PS101": "error"}


def test_related_locations_have_ids_and_messages(result: ReviewResult) -> None:
    related = _run(result)["results"][3]["relatedLocations"]
    assert [r["id"] for r in related] == [1, 2]
    assert related[0]["message"] == {"text": "path dependency declared here"}
    assert related[0]["physicalLocation"] == {
        "artifactLocation": {"uri": "services/api/pyproject.toml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 12, "startColumn": 5},
    }


def test_fix_is_a_replacement_of_the_edited_region(result: ReviewResult) -> None:
    (fix,) = _run(result)["results"][1]["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 4, "startColumn": 1, "endLine": 6, "endColumn": 1},
            "insertedContent": {
                "text": "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n"
            },
        }
    ]


def test_results_without_related_or_fix_omit_them(result: ReviewResult) -> None:
    plain = _run(result)["results"][0]
    assert "relatedLocations" not in plain
    assert "fixes" not in plain


def test_input_problems_make_the_invocation_unsuccessful(result: ReviewResult) -> None:
    (invocation,) = _run(result)["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["locations"][0]["physicalLocation"]["region"] == {"startLine": 4}


def test_no_problems_is_a_successful_invocation(result: ReviewResult) -> None:
    (invocation,) = _run(dataclasses.replace(result, problems=()))["invocations"]
    assert invocation == {"executionSuccessful": True, "toolExecutionNotifications": []}


def test_paths_are_uris_relative_to_srcroot(result: ReviewResult) -> None:
    spaced = dataclasses.replace(OUTSIDE_CONTEXT, location=Location("my app/Dockerfile", 3))
    run = _run(dataclasses.replace(result, findings=(spaced,)))
    artifact = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "my%20app/Dockerfile", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///srv/shop/"}}


def test_relative_root_is_described_not_given_as_a_uri(result: ReviewResult) -> None:
    run = _run(dataclasses.replace(result, root="."))
    assert "uri" not in run["originalUriBaseIds"]["%SRCROOT%"]


def test_log_header(result: ReviewResult) -> None:
    log = sarif.sarif_log(result)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    driver = _run(result)["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("pitstop", pitstop.__version__)
