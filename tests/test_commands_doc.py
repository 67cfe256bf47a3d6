"""docs/commands.md and the README's command table against the real argument parser.

When a test here fails after a CLI change, regenerate the reference with
`python -m pitstop.commands_doc > docs/commands.md`, and give a new command its row in the
README's "Commands" table and its line in the "Usage" block.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pitstop.cli import build_parser
from pitstop.commands_doc import commands, commands_markdown, forms

ROOT = Path(__file__).resolve().parents[1]
REGENERATE = "python -m pitstop.commands_doc > docs/commands.md"


def test_commands_reference_is_up_to_date():
    done = subprocess.run(
        [sys.executable, "-m", "pitstop.commands_doc"], capture_output=True, text=True, check=True
    )
    assert done.stdout == (ROOT / "docs" / "commands.md").read_text(), f"regenerate: {REGENERATE}"


def test_every_command_of_the_parser_is_walked():
    names = [c.name for c in commands()]
    for expected in (
        "pitstop review",
        "pitstop affected",
        "pitstop record junit",
        "pitstop record prune",
        "pitstop bench compare",
        "pitstop profile diff",
        "pitstop rules",
    ):
        assert expected in names
    affected = next(c for c in commands() if c.name == "pitstop affected")
    assert forms(affected) == ["pitstop affected", "pitstop affected audit"]


def test_a_command_added_later_is_documented_without_touching_the_generator():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    later = subparsers.add_parser("later", help="a command added later")
    later.add_argument("path", nargs="?", default=".", help="the repository")
    later.add_argument("--dry-run", action="store_true", help="show the diff")
    document = commands_markdown(parser)
    assert "| [pitstop later](#pitstop-later) | a command added later |" in document
    assert "\n## pitstop later\n" in document
    assert "pitstop later [path] [--dry-run]" in document
    assert "| `--dry-run` |  |  | show the diff |" in document
    assert document != commands_markdown()  # so the up-to-date test asks to regenerate


def _toy() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pitstop")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    tool = commands.add_parser("tool", help="a command with kinds", aliases=["t"])
    kinds = tool.add_subparsers(dest="kind", metavar="KIND", required=True)
    kind = kinds.add_parser("kind", help="one kind", description="Does the <kind> on *.txt.")
    kind.add_argument("files", nargs="+", metavar="FILE", help="the inputs")
    kind.add_argument("mode", nargs="?", choices=("check",), help="check: only look")
    kind.add_argument("--level", type=int, default=3, help="how deep (default: %(default)s)")
    kind.add_argument("--format", "-f", choices=("text", "json"), default="text", help="format")
    kind.add_argument("--tag", action="append", default=[], metavar="T", help="a | b")
    exclusive = kind.add_mutually_exclusive_group()
    exclusive.add_argument("--base", metavar="REF", help="from git")
    exclusive.add_argument("--changed", nargs="*", metavar="PATH", help="given")
    group = kind.add_argument_group("the run (default: from GitHub)")
    group.add_argument("--job", metavar="JOB", required=True, help="the job")
    return parser


def test_the_reference_shows_each_option_with_its_value_default_and_help():
    document = commands_markdown(_toy())
    assert [line for line in document.splitlines() if line.startswith("## ")] == [
        "## pitstop tool",  # the alias `t` is the same parser: listed once
        "## pitstop tool kind",
        "## pitstop tool kind check",
    ]
    expected_rows = [
        "| `FILE` | one or more | required | the inputs |",
        "| `{check}` | `check` (optional) |  | check: only look |",
        "| `--level` | `LEVEL` | `3` | how deep (default: 3) |",  # help %-expanded
        "| `--format`, `-f` | `text`, `json` | `text` | format |",
        "| `--tag` | `T` (repeatable) |  | a \\| b |",  # a `|` would end the cell
        "| `--changed` | `PATH` (zero or more) |  | given |",
        "| `--job` | `JOB` | required | the job |",
    ]
    for row in expected_rows:
        assert row in document
    assert "\nThe run (default: from GitHub):\n" in document
    assert "Does the \\<kind> on \\*.txt." in document  # not an HTML tag, not emphasis
    synopsis = (
        "pitstop tool kind FILE [FILE ...] [{check}] [--level LEVEL] [--format {text,json}] [--tag T]\n"
        "                  [--base REF | --changed [PATH ...]] --job JOB"  # wrapped at 92
    )
    assert synopsis in document
    assert "| [pitstop tool kind check](#pitstop-tool-kind-check) | check: only look |" in document


# The README: its "Commands" table and "Usage" block name every command of the parser.


def _section(title: str) -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index(f"\n## {title}\n")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else len(readme)]


def _leaf_forms() -> list[str]:
    """What a user types: every command without subcommands, with each form it has."""
    listed = commands()
    parents = {c.words[:-1] for c in listed}
    return [form for c in listed if c.words not in parents for form in forms(c)]


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("form", _leaf_forms())
def test_the_readme_commands_table_has_a_row_for_every_command(form):
    rows = [line for line in _section("Commands").splitlines() if line.startswith("| `pitstop")]
    row = next((r for r in rows if r.startswith(f"| `{form}` |")), None)
    assert row is not None, f"README.md's Commands table has no row for `{form}`"
    anchor = form.replace(" ", "-")
    assert f"(docs/commands.md#{anchor})" in row
    assert f"\n## {form}\n" in commands_markdown(), f"docs/commands.md has no section {form}"


def test_the_readme_commands_table_links_resolve():
    readme = (ROOT / "README.md").read_text()
    headings = {_slug(line.lstrip("#")) for line in readme.splitlines() if line.startswith("#")}
    table = _section("Commands")
    for anchor in re.findall(r"\]\(#([^)]+)\)", table):
        assert anchor in headings, f"README.md has no heading for #{anchor}"
    for path in re.findall(r"\]\(([^)#]+)", table):
        assert (ROOT / path).is_file(), path
    assert "(docs/commands.md)" in table and "(docs/rules.md)" in table


def test_the_readme_usage_block_mentions_every_command():
    block = _section("Usage").split("```text\n", 1)[1].split("```", 1)[0]
    for form in _leaf_forms():
        command, *rest = form.split()[1:]  # `record junit|github|...`: the kind on its line
        lines = [line for line in block.splitlines() if _word(f"pitstop {command}", line)]
        assert any(all(_word(word, line) for word in rest) for line in lines), (
            f"README.md's Usage block does not mention `{form}`"
        )


def _word(words: str, line: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(words)}(?![\w-])", line) is not None
