"""The differential flame graph in a real browser (Debian's Chromium driven by playwright,
as tests/history/test_html_browser.py does): it loads with no console error and fetches
nothing, draws the expected frames coloured by their change, and a hostile function name
shows as text without running.

Skipped when /usr/bin/chromium is missing, except under CI=true, where it fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pitstop import api
from tests.browser import artifacts, launched_browser, opened_page

HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
BASE = "main (app.py:1);parse (app.py:5) 50\nmain (app.py:1);render (app.py:9) 50\n"
HEAD = (
    "main (app.py:1);parse (app.py:5) 20\n"
    "main (app.py:1);render (app.py:9) 70\n"
    f"main (app.py:1);render (app.py:9);{HOSTILE} 10\n"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launched_browser()


@pytest.fixture
def page(browser, tmp_path):
    (tmp_path / "base.txt").write_text(BASE)
    (tmp_path / "head.txt").write_text(HEAD)
    diff = api.profile_diff(tmp_path / "base.txt", tmp_path / "head.txt", flamegraph=True)
    path = tmp_path / "flame.html"
    path.write_text(api.render_flamegraph(diff), encoding="utf-8")
    yield from opened_page(browser, path)


def frame_fill(opened, name: str) -> str:
    frame = opened.locator("g.frame").filter(has=opened.locator("title", has_text=name)).first
    return frame.locator("rect").get_attribute("fill")


def test_the_graph_loads_cleanly_with_its_frames_coloured(page):
    opened, problems, requests, uri = page
    assert problems == []
    assert requests == [uri]  # nothing fetched but the file itself
    titles = opened.locator("g.frame > title").all_text_contents()
    names = sorted(title.split("\n")[0].removesuffix(" (app.py:9)") for title in titles)
    expected = ["all", "main (app.py:1)", "parse (app.py:5)", "render", HOSTILE]
    assert names == sorted(expected)
    assert frame_fill(opened, "render (app.py:9)").startswith("rgb(235,")  # grew: red
    assert frame_fill(opened, "parse (app.py:5)").endswith(",235)")  # shrank: blue
    render = opened.locator("g.frame", has=opened.locator("title", has_text="render")).first
    box = render.locator("rect").bounding_box()
    assert box is not None and 950 < box["width"] < 970  # 80% of 1200 pixels
    opened.screenshot(path=str(artifacts() / "profile-flamegraph.png"), full_page=True)


def test_a_hostile_name_is_text_and_never_runs(page):
    opened, problems, _, _ = page
    assert opened.evaluate("window.pwned") is None
    assert opened.locator("img").count() == 0
    assert opened.locator("script").count() == 0
    titles = opened.locator("g.frame > title").all_text_contents()
    assert any(title.startswith(HOSTILE) for title in titles)
    assert problems == []
