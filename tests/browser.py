"""A real browser for the tests of pitstop's HTML outputs: Debian's Chromium driven by
playwright (its own browser download does not work offline). Missing Chromium skips the
test, except under CI=true, where .ci/run should have installed it and the test fails."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def artifacts() -> Path:
    """Where screenshots go: $PITSTOP_ARTIFACTS, else tests/history/artifacts."""
    default = Path(__file__).parent / "history" / "artifacts"
    folder = Path(os.environ.get("PITSTOP_ARTIFACTS") or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def launched_browser() -> Iterator[Any]:
    """The body of a browser fixture: Chromium, launched for the fixture's scope."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} not found; .ci/run should have installed chromium")
        pytest.skip(f"{CHROMIUM} not found")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def opened_page(browser: Any, path: Path) -> Iterator[tuple[Any, list[str], list[str], str]]:
    """The body of a page fixture: `path` loaded in a new page; yields the page, the console
    errors and page errors it raised, the URLs it requested, and its own URL."""
    opened = browser.new_page()
    problems: list[str] = []
    opened.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda error: problems.append(str(error)))
    requests: list[str] = []
    opened.on("request", lambda request: requests.append(request.url))
    opened.goto(path.as_uri())
    opened.wait_for_load_state("load")
    yield opened, problems, requests, path.as_uri()
    opened.close()
