"""`pitstop report`'s renderers: the JSON contract, withheld figures, escaping."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace

import pytest

from pitstop.reports.history_report import FORMATS, duration, render_history
from tests.history.sample_report import (
    HOSTILE,
    HOSTILE_IMAGE,
    HOSTILE_SCRIPT,
    HOSTILE_WORKFLOW,
    sample_report,
)


def test_json_keeps_the_contract():
    document = json.loads(render_history(sample_report(), "json"))
    assert document["version"] == 1
    assert document["runs"] == 240
    assert {"metric", "scope", "n", "value", "interval", "target", "status", "unit"} <= set(
        document["slo"][0]
    )
    slowest, flaky = document["tests"]["slowest"], document["tests"]["flaky"]
    assert slowest[0] == {
        "test": HOSTILE,
        "runs": 40,
        "p50": 12.5,
        "p95": 30.25,
        "seconds": 520.0,
        "share": 0.31,
    }
    assert {k: flaky[0][k] for k in ("test", "runs", "flaky", "rate", "interval")} == {
        "test": "tests/test_b.py::test_race",
        "runs": 50,
        "flaky": 10,
        "rate": 0.2,
        "interval": [0.11, 0.33],
    }


def test_json_gives_null_where_a_figure_is_withheld():
    document = json.loads(render_history(sample_report(), "json"))
    withheld = next(r for r in document["slo"] if r["metric"] == "main-pipeline-p95")
    assert (withheld["n"], withheld["value"], withheld["status"]) == (3, None, "not enough data")
    assert document["tests"]["slowest"][2]["p95"] is None


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_a_withheld_figure_reads_not_enough_data_with_its_sample(fmt):
    output = render_history(sample_report(), fmt)
    assert "not enough data (n=3)" in output
    assert "not recorded" in output


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_every_figure_has_its_sample_size(fmt):
    output = render_history(sample_report(), fmt)
    heading = {"text": "  Figure", "markdown": "| Figure", "html": ">Figure<"}[fmt]
    assert heading in output
    assert re.search(r"\bn\b", output.split("Slowest")[0])


def test_text_lines_up_columns_and_escapes_control_characters():
    report = sample_report()
    evil = replace(report.slowest[1], test="tests/t.py::test_\x1b[31mred")
    output = render_history(replace(report, slowest=(evil,)), "text")
    assert "\x1b" not in output
    assert "tests/t.py::test_\\x1b[31mred" in output
    header, first = output.split("Service levels:\n")[1].splitlines()[:2]
    assert first.startswith("  pr-pipeline-p50")
    assert first.index("2m 05s") == header.index("Value")


def test_markdown_escapes_html_and_markdown_in_names():
    output = render_history(sample_report(), "markdown")
    assert "<img" not in output and "<b>" not in output and "<svg" not in output
    assert "&lt;img src=x onerror=window.pwned=1&gt;" in output
    assert "ci \\| &lt;b&gt;bold&lt;/b&gt; \\[link\\](http://example.com) \\`x\\`" in output
    for line in output.splitlines():
        if line.startswith("| ") and "pr-pipeline-p50" in line:
            assert len(re.findall(r"(?<!\\)\|", line)) == 8  # 7 cells, no extra separator


def test_html_escapes_every_name_and_keeps_data_out_of_scripts():
    output = render_history(sample_report(), "html")
    for name in (HOSTILE, HOSTILE_IMAGE, HOSTILE_WORKFLOW):
        assert html.escape(name, quote=False) in output or html.escape(name) in output
    assert "<img" not in output and "<svg onload" not in output
    assert "</script><script>window.pwned" not in output
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", output, re.S)
    assert len(scripts) == 2
    assert json.loads(scripts[0])["tests"]["slowest"][2]["test"] == HOSTILE_SCRIPT
    assert "pwned" not in scripts[1]


def test_html_needs_nothing_from_the_network():
    output = render_history(sample_report(), "html")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", output)
    assert "default-src 'none'" in html.unescape(output)


def test_html_charts_have_a_line_per_series():
    output = render_history(sample_report(), "html")
    assert output.count("<polyline") == 3
    assert "(n=8)" in output  # a point's title gives its sample


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown format"):
        render_history(sample_report(), "yaml")
    assert FORMATS == ("text", "markdown", "json", "html")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.423, "0.42 s"), (12.34, "12.3 s"), (125, "2m 05s"), (3720, "1h 02m")],
)
def test_durations_read_as_people_write_them(seconds, text):
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("fmt", "extension"), [("text", "txt"), ("markdown", "md"), ("json", "json"), ("html", "html")]
)
def test_history_report_matches_golden(fmt, extension, check_golden):
    check_golden(f"history.{extension}", render_history(sample_report(), fmt))
