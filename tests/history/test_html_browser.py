"""The HTML report in a real browser: Debian's Chromium, driven by playwright (its own
browser download does not work offline). The page loads with no console error, its charts
draw, its tables sort, and hostile names show as text without running.

Skipped when /usr/bin/chromium is missing, except under CI=true, where it fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pitstop.reports.history_report import render_history
from tests.browser import artifacts, launched_browser, opened_page
from tests.history.sample_report import HOSTILE, HOSTILE_IMAGE, HOSTILE_SCRIPT, sample_report


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launched_browser()


@pytest.fixture
def page(browser, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(render_history(sample_report(), "html"), encoding="utf-8")
    yield from opened_page(browser, path)


def test_the_page_loads_cleanly_and_draws_its_charts(page):
    opened, problems, requests, uri = page
    assert problems == []
    assert requests == [uri]  # nothing fetched but the file itself
    assert opened.locator("svg polyline").count() == 3
    assert opened.locator("svg circle").count() == 15
    box = opened.locator("svg polyline").first.bounding_box()
    assert box is not None and box["width"] > 100
    opened.screenshot(path=str(artifacts() / "history-report.png"), full_page=True)


def test_hostile_names_are_text_and_never_run(page):
    opened, problems, _, _ = page
    assert opened.evaluate("window.pwned") is None
    assert opened.locator("img").count() == 0
    assert opened.locator("svg svg, body > svg, td svg").count() == 0
    cells = opened.locator("#slowest td.test").all_inner_texts()
    assert HOSTILE in cells and HOSTILE_SCRIPT in cells
    titles = opened.locator("svg g.series > title").all_text_contents()
    assert HOSTILE_IMAGE in titles
    data = opened.evaluate("JSON.parse(document.getElementById('pitstop-report-data').textContent)")
    assert data["tests"]["slowest"][2]["test"] == HOSTILE_SCRIPT
    assert problems == []


def test_clicking_a_header_sorts_its_table(page):
    opened, problems, _, _ = page

    def first_column() -> list[str]:
        return opened.locator("#slowest tbody tr td:first-child").all_inner_texts()

    def runs() -> list[str]:
        return opened.locator("#slowest tbody tr td:nth-child(2)").all_inner_texts()

    header = opened.locator("#slowest th", has_text="Runs")
    header.click()
    assert runs() == ["3", "40", "40"]
    assert opened.locator("#slowest th[aria-sort=ascending]").inner_text() == "Runs"
    header.click()
    assert runs() == ["40", "40", "3"]
    opened.locator("#slowest th", has_text="p95").click()
    assert first_column()[0] == HOSTILE_SCRIPT  # not enough data sorts lowest
    opened.locator("#slowest th", has_text="p95").click()
    assert first_column()[0] == HOSTILE  # 30.25 s
    assert problems == []
