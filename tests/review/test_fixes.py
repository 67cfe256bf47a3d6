"""Fixes: unified diffs, atomic application, idempotence, overlapping edits."""

from __future__ import annotations

import subprocess

from pitstop import api
from pitstop.cli import main
from pitstop.model import Area, Finding, Fix, Location, Severity, TextEdit
from pitstop.review.fixes import apply_edits

BEFORE = """\
# keep this comment exactly
FROM python:3.12-slim
RUN apt-get update && apt-get install -y curl
RUN pip install flask
USER app
CMD uvicorn app:app
"""


def finding(*edits: TextEdit) -> Finding:
    return Finding(
        "PS999", Severity.WARNING, "t", "m", Location("f"), Area.DOCKERFILE, fix=Fix("d", edits)
    )


def test_edits_apply_bottom_up_and_overlaps_are_skipped():
    first = finding(TextEdit("f", 1, 2, 1, 3, "X"))
    second = finding(TextEdit("f", 1, 2, 1, 4, "Y"))
    third = finding(TextEdit("f", 2, 1, 2, 1, ">"))
    text, clashed = apply_edits(
        "abcd\nef\n", [(e, f) for f in (first, second, third) for e in f.fix.edits]
    )
    assert text == "aXcd\n>ef\n"
    assert clashed == {id(second)}


def test_diff_then_fix_then_nothing_left(tmp_path, capsys):
    (tmp_path / "Dockerfile").write_text(BEFORE)
    assert main(["review", str(tmp_path), "--diff"]) == 0
    patch = capsys.readouterr().out
    assert patch.startswith("--- a/Dockerfile\n+++ b/Dockerfile\n")
    assert "+RUN pip install --no-cache-dir flask" in patch
    check = subprocess.run(
        ["git", "apply", "--check", "-"], input=patch, text=True, cwd=tmp_path, capture_output=True
    )
    assert check.returncode == 0, check.stderr

    main(["review", str(tmp_path), "--fix"])
    after = (tmp_path / "Dockerfile").read_text()
    assert after.startswith("# keep this comment exactly\nFROM python:3.12-slim\n")
    assert "CMD exec uvicorn app:app\n" in after
    assert "&& rm -rf /var/lib/apt/lists/*" in after

    main(["review", str(tmp_path), "--fix"])
    assert (tmp_path / "Dockerfile").read_text() == after  # a second --fix changes nothing
    assert api.fixes(api.review(tmp_path)).changes == ()
