"""Every link between the README and docs/ leads somewhere: the file exists and, for a
Markdown file, the anchor is one of its headings (GitHub's slugs). The command sections
moved from the README into docs/ keep their anchors; this keeps them from drifting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation but `-` and `_` dropped,
    spaces as `-`."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def headings(text: str) -> set[str]:
    found, fenced = set(), False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"#{1,6} (.*)", line)):
            found.add(slug(match.group(1)))
    return found


def outside_fences(text: str) -> str:
    return re.sub(r"(?ms)^```.*?^```", "", text)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves(page):
    broken = []
    for target in LINK.findall(outside_fences(page.read_text())):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        found = (page.parent / path).resolve() if path else page
        if not found.exists():
            broken.append(f"{target}: no such file")
        elif anchor and found.suffix == ".md" and anchor not in headings(found.read_text()):
            broken.append(f"{target}: no such heading")
    assert not broken, f"{page.name}: " + "; ".join(broken)


def test_slugs_as_github_makes_them():
    assert slug("`pitstop shard`: balanced CI shards") == "pitstop-shard-balanced-ci-shards"
    assert slug("CI history: `pitstop record` and `pitstop report`") == (
        "ci-history-pitstop-record-and-pitstop-report"
    )
