"""The reports: the exact JSON contract, the Markdown PR comment, the text report, and
hostile function names in each."""

from __future__ import annotations

import json

from pitstop.parsers.profiles import Frame, Profile
from pitstop.perf.profile import diff_profiles
from pitstop.reports.profile_report import render_profile_diff

HOSTILE = "<img src=x onerror=alert(1)>|`**x**`\x1b[31m"


def sampled(counts: dict[Frame, int], path: str) -> Profile:
    main = Frame("main", "app.py", 1)
    stacks = {(main, frame): float(n) for frame, n in counts.items()}
    return Profile(path, "collapsed", "samples", stacks, sum(stacks.values()))


A, B, C, D = (Frame(n, "app.py", i) for i, n in ((5, "a"), (9, "b"), (13, "c"), (17, "d")))
E = Frame(HOSTILE, "evil<b>.py", None)
BASE = sampled({A: 1000, B: 1000, C: 1000, D: 1000, E: 1000}, "base.txt")
# From a fifth each of 5000 samples: the hostile one to 30% (z ~ 11.8), a to 25% (z ~ 6.1),
# d falls to 10% (z ~ -14), b and c to 17.5% (z ~ -3.2, a tie: ranked by name).
HEAD = sampled({A: 1250, B: 875, C: 875, D: 500, E: 1500}, "head.txt")


def test_json_is_the_exact_contract_most_significant_first():
    document = json.loads(render_profile_diff(diff_profiles(BASE, HEAD), "json"))
    assert list(document) == ["version", "regressions", "improvements"]
    assert document["version"] == 1
    first = document["regressions"][0]
    assert list(first) == ["function", "file", "line", "base_share", "head_share", "z"]
    assert first["function"] == HOSTILE and first["file"] == "evil<b>.py" and first["line"] is None
    zs = [r["z"] for r in document["regressions"]]
    assert [r["function"] for r in document["regressions"]] == [HOSTILE, "a"]
    assert zs == sorted(zs, reverse=True)
    assert [r["function"] for r in document["improvements"]] == ["d", "b", "c"]
    assert document["improvements"][0]["z"] < -3


def test_top_keeps_the_first_n():
    document = json.loads(render_profile_diff(diff_profiles(BASE, HEAD), "json", top=1))
    assert len(document["regressions"]) == 1


def test_markdown_is_a_pr_comment_with_the_names_escaped():
    comment = render_profile_diff(diff_profiles(BASE, HEAD), "markdown")
    lines = comment.splitlines()
    assert lines[0] == "### Top 3 functions that got slower"
    row = next(line for line in lines if line.startswith("| 1 |"))
    cells = row.split(" | ")
    assert len(cells) == 5  # the name's `|` did not open a cell
    assert "<img" in cells[1] and "`" not in cells[1].strip(
        "`"
    )  # in a code span, backtick replaced
    assert "evil&lt;b&gt;.py" in cells[2] and "\x1b" not in comment
    assert "20.0% → 30.0%" in cells[3]
    assert "<details><summary>How this was decided</summary>" in comment
    assert "two-proportion z-test" in comment


def test_markdown_says_when_nothing_got_slower():
    comment = render_profile_diff(diff_profiles(BASE, BASE), "markdown")
    assert "No function's share grew with z ≥ 3." in comment


def test_text_shows_self_and_cumulative_and_escapes_control_characters():
    text = render_profile_diff(diff_profiles(BASE, HEAD), "text")
    assert "Regressions (2):" in text and "Improvements (3):" in text
    assert "\x1b" not in text and "\\x1b[31m" in text
    assert "20.0% -> 30.0%" in text
    assert "base.txt (collapsed stacks, 5,000 samples)" in text


def test_cprofile_says_what_stands_in_for_samples():
    base = Profile("b.pstats", "cprofile", "ms", {(A,): 600.0, (B,): 400.0}, 1000.0, {})
    text = render_profile_diff(diff_profiles(base, base), "markdown")
    assert "milliseconds of tottime stand in for samples" in text
