"""A --fix killed at any point: the next --fix ends where an uninterrupted one does.

The kill is real: the CLI runs in a child process whose `os.replace` calls `os._exit` (no
cleanup, no `finally`) just before the k-th rename, for every k a --fix makes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pitstop import api
from pitstop.cli import main
from pitstop.files import JOURNAL, finish_interrupted, write_all
from tests.review.relocation_example import example_with_unused_tests, snapshot

KILLED = 9

CHILD = f"""
import os, sys
from pitstop.cli import main
real, count = os.replace, 0
def replace(source, target):
    global count
    count += 1
    if count == int(sys.argv[2]):
        os._exit({KILLED})
    real(source, target)
os.replace = replace
sys.exit(main(["review", sys.argv[1], "--fix", "--format", "json"]))
"""


def fix_killed_before_rename(root: Path, number: int) -> int:
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), str(number)], capture_output=True, check=False
    )
    return child.returncode


def test_a_fix_killed_at_any_rename_is_finished_by_the_next(tmp_path, capsys):
    whole = example_with_unused_tests(tmp_path / "whole")
    main(["review", str(whole), "--fix", "--format", "json"])
    expected = snapshot(whole)
    number = 1
    while True:
        root = example_with_unused_tests(tmp_path / str(number))
        if fix_killed_before_rename(root, number) != KILLED:
            break  # this --fix makes fewer renames than `number`: every point was tried
        assert snapshot(root) != expected
        capsys.readouterr()
        main(["review", str(root), "--fix", "--format", "json"])
        assert snapshot(root) == expected, number  # no .tmp file left, no file half-changed
        number += 1
    # the journal twice (files being staged, then staged), six files
    assert number - 1 == 8


def test_review_without_fix_warns_of_an_interrupted_fix(tmp_path, capsys):
    root = example_with_unused_tests(tmp_path)
    assert fix_killed_before_rename(root, 5) == KILLED  # after two of six renames
    main(["review", str(root), "--format", "json"])
    assert "a --fix was interrupted" in capsys.readouterr().err
    main(["review", str(root), "--fix", "--format", "json"])
    assert "finished an interrupted --fix: 4 of 6 file(s) written" in capsys.readouterr().err
    assert not api.interrupted_fix(root)


def files_with_journal(tmp_path: Path) -> tuple[Path, Path]:
    """a.txt and b.txt given to a write_all that stops with SystemExit at the second rename."""
    (tmp_path / "a.txt").write_text("a-old\n")
    (tmp_path / "b.txt").write_text("b-old\n")
    real = os.replace

    def replace(source: str, target: str) -> None:
        if str(target).endswith("b.txt"):
            raise SystemExit(KILLED)  # stands in for the kill: the journal stays
        real(source, target)

    os.replace = replace  # type: ignore[assignment]
    try:
        with pytest.raises(SystemExit):
            write_all(
                [(tmp_path / "a.txt", b"a-new\n"), (tmp_path / "b.txt", b"b-new\n")], root=tmp_path
            )
    finally:
        os.replace = real
    return tmp_path / JOURNAL, tmp_path


def test_an_exception_rolls_back_and_takes_the_journal_away(tmp_path):
    journal, root = files_with_journal(tmp_path)
    # an exception, unlike a kill, runs the rollback, and the journal goes with it
    assert (root / "a.txt").read_text() == "a-old\n" and not journal.exists()
    assert finish_interrupted(root) is None


def committed_journal(root: Path, files: list[str], digests: list[str]) -> Path:
    journal = root / JOURNAL
    state = {"version": 1, "token": "0123456789abcdef", "files": files, "sha256": digests}
    journal.write_text(json.dumps(state))
    return journal


@pytest.mark.parametrize(
    "files",
    [["../outside.txt"], ["/etc/passwd"], [""], "a.txt", [1]],
)
def test_a_journal_naming_files_outside_or_of_the_wrong_shape_is_refused(tmp_path, files):
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "outside.txt").write_text("keep\n")
    journal = committed_journal(
        root, files, ["0" * 64] * (len(files) if isinstance(files, list) else 1)
    )
    with pytest.raises(api.PitstopError, match=r"\.pitstop-fix-journal\.json"):
        finish_interrupted(root)
    assert (tmp_path / "outside.txt").read_text() == "keep\n"
    assert journal.exists()


def test_a_file_changed_since_the_kill_stops_the_finish_and_nothing_is_written(tmp_path):
    (tmp_path / "a.txt").write_text("edited by hand\n")
    (tmp_path / "b.txt").write_text("b-old\n")
    temporary = tmp_path / ".b.txt.pitstop-0123456789abcdef.tmp"
    temporary.write_bytes(b"b-new\n")
    digests = [hashlib.sha256(b"a-new\n").hexdigest(), hashlib.sha256(b"b-new\n").hexdigest()]
    committed_journal(tmp_path, ["a.txt", "b.txt"], digests)
    with pytest.raises(api.PitstopError, match=r"a\.txt changed since the interrupted --fix"):
        finish_interrupted(tmp_path)
    assert (tmp_path / "b.txt").read_text() == "b-old\n"


def test_a_journal_while_staging_discards_the_staged_files(tmp_path):
    (tmp_path / "a.txt").write_text("a-old\n")
    temporary = tmp_path / ".a.txt.pitstop-0123456789abcdef.tmp"
    temporary.write_bytes(b"a-ne")  # killed while writing it
    journal = committed_journal(tmp_path, ["a.txt"], [])
    state = json.loads(journal.read_text())
    journal.write_text(json.dumps({**state, "sha256": None}))
    assert "changed no file" in (finish_interrupted(tmp_path) or "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    assert (tmp_path / "a.txt").read_text() == "a-old\n"


def test_a_journal_that_is_a_symlink_is_refused_unread(tmp_path):
    (tmp_path / "secret.json").write_text('{"version": 1}')
    (tmp_path / JOURNAL).symlink_to(tmp_path / "secret.json")
    with pytest.raises(api.PitstopError, match="not a journal this pitstop wrote"):
        finish_interrupted(tmp_path)


def test_a_fix_leaves_no_journal_and_no_new_file(tmp_path):
    (tmp_path / "a.txt").write_text("old\n")
    write_all([(tmp_path / "a.txt", b"new\n")], root=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_a_target_outside_the_root_is_not_written(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "secret").write_text("keep\n")
    (root / "link").symlink_to(tmp_path / "secret")
    with pytest.raises(api.PitstopError, match="outside the repository"):
        write_all([(root / "link", b"changed\n")], root=root)
    assert (tmp_path / "secret").read_text() == "keep\n"


def test_cli_refuses_a_hostile_journal_with_exit_2(tmp_path, capsys):
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\n")
    committed_journal(tmp_path, ["../x"], ["0" * 64])
    assert main(["review", str(tmp_path), "--fix"]) == 2
    err = capsys.readouterr().err
    assert ".pitstop-fix-journal.json" in err and "Traceback" not in err


def test_two_different_changes_to_one_file_through_a_link_write_nothing(tmp_path):
    (tmp_path / "real").write_text("old\n")
    (tmp_path / "link").symlink_to("real")
    with pytest.raises(api.PitstopError, match="two different changes to one file"):
        write_all([(tmp_path / "link", b"one\n"), (tmp_path / "real", b"two\n")], root=tmp_path)
    assert (tmp_path / "real").read_text() == "old\n"
    write_all([(tmp_path / "link", b"same\n"), (tmp_path / "real", b"same\n")], root=tmp_path)
    assert (tmp_path / "real").read_text() == "same\n"
