"""Fixes appended to a RUN land where the shell runs them: continued with the file's escape
character, never after a trailing comment or inside a quote left open (found by fuzzing)."""

from __future__ import annotations

import shlex

from pitstop.parsers.dockerfile import parse_dockerfile

from .cli import check_contract, names_in, run_cli, written


def test_apt_lists_fix_under_a_backtick_escape_keeps_the_dockerfile_valid():
    files = {"Dockerfile": b"# escape=`\nFROM python:3.12-slim\nRUN apt-get update && apt-get install -y curl\n"}  # fmt: skip
    with written(files) as root:
        check_contract(run_cli("review", root, "--fix"), names_in(root, files))
        parse_dockerfile((root / "Dockerfile").read_text(), "Dockerfile")


def test_apt_lists_fix_after_a_trailing_comment_really_runs():
    files = {"Dockerfile": b"FROM debian:12\nRUN apt-get update && apt-get install -y curl # tools\nUSER app\n"}  # fmt: skip
    with written(files) as root:
        check_contract(run_cli("review", root, "--fix"), names_in(root, files))
        text = (root / "Dockerfile").read_text()
        fixed = parse_dockerfile(text, "Dockerfile")
        run = fixed.last_stage.of("RUN")[0]
        # no fix is offered there, or the one offered really runs: never one inside the comment
        assert "/var/lib" not in text or "/var/lib/apt/lists/*" in shlex.split(
            run.shell_script, comments=True
        )


def test_apt_lists_fix_after_an_unterminated_quote_settles():
    files = {
        "Dockerfile": b'FROM python:3.12-slim\nRUN apt-get update && apt-get install -y curl "\n'
    }
    with written(files) as root:
        check_contract(run_cli("review", root, "--fix"), names_in(root, files))
        once = (root / "Dockerfile").read_bytes()
        check_contract(run_cli("review", root, "--fix"), names_in(root, files))
        assert (root / "Dockerfile").read_bytes() == once


def test_apt_lists_fix_after_an_open_backtick_settles():
    files = {"Dockerfile": b"FROM python:3.12-slim\nRUN apt-get update && apt-get install -y curl `\n"}  # fmt: skip
    with written(files) as root:
        check_contract(run_cli("review", root, "--fix"), names_in(root, files))
        once = (root / "Dockerfile").read_bytes()
        check_contract(run_cli("review", root, "--fix"), names_in(root, files))
        assert (root / "Dockerfile").read_bytes() == once
        assert b"rm -rf /var/lib/apt/lists" not in once  # never inside the substitution
