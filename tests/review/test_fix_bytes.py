"""`--fix` keeps every byte it does not change: line endings, odd line breaks, a byte-order
mark, symlinks and modes; and a change to several files lands all or not at all."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from pitstop import api
from pitstop.cli import main
from pitstop.files import write_all
from pitstop.lines import lines_with_endings as split_lines

DOCKERFILE = [
    "FROM python:3.12-slim",
    "RUN pip install flask",
    "USER app",
    "CMD uvicorn app:app",
]


def fix(root: Path) -> None:
    main(["review", str(root), "--fix"])


def diff(root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    main(["review", str(root), "--diff"])
    return capsys.readouterr().out


def git_apply_check(root: Path, patch: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["git", "apply", "--check", "-"], input=patch.encode(), cwd=root, capture_output=True
    )


def test_crlf_file_keeps_crlf_and_its_diff_applies(tmp_path, capsys):
    original = "\r\n".join(DOCKERFILE).encode() + b"\r\n"
    (tmp_path / "Dockerfile").write_bytes(original)
    patch = diff(tmp_path, capsys)
    assert "+RUN pip install --no-cache-dir flask\r\n" in patch
    check = git_apply_check(tmp_path, patch)
    assert check.returncode == 0, check.stderr
    fix(tmp_path)
    after = (tmp_path / "Dockerfile").read_bytes()
    assert after.count(b"\r\n") == after.count(b"\n") == 4
    assert b"RUN pip install --no-cache-dir flask\r\n" in after
    assert b"CMD exec uvicorn app:app\r\n" in after


@pytest.mark.parametrize("odd", ["\x0c", "\x0b", "\x85", "\u2028", "\u2029", "\r"])
def test_characters_splitlines_breaks_at_do_not_shift_the_fix(tmp_path, odd):
    lines = [f"# a comment with {odd} inside", *DOCKERFILE]
    original = "\n".join(lines) + "\n"
    (tmp_path / "Dockerfile").write_bytes(original.encode())
    fix(tmp_path)
    after = (tmp_path / "Dockerfile").read_bytes().decode()
    assert after.split("\n")[0] == lines[0]  # the comment is untouched, odd character and all
    assert after.split("\n")[2] == "RUN pip install --no-cache-dir flask"
    assert after.split("\n")[4] == "CMD exec uvicorn app:app"
    fix(tmp_path)
    assert (tmp_path / "Dockerfile").read_bytes().decode() == after


def test_lone_carriage_return_stays_a_character(tmp_path):
    # A lone \r is not a line break for BuildKit: this RUN is part of the comment.
    original = "# old:\rRUN rm -rf /\n" + "\n".join(DOCKERFILE) + "\n"
    (tmp_path / "Dockerfile").write_bytes(original.encode())
    fix(tmp_path)
    after = (tmp_path / "Dockerfile").read_bytes()
    assert after.startswith(b"# old:\rRUN rm -rf /\nFROM")


def test_byte_order_mark_is_kept(tmp_path):
    original = "\ufeff" + "\n".join(DOCKERFILE) + "\n"
    (tmp_path / "Dockerfile").write_bytes(original.encode())
    fix(tmp_path)
    after = (tmp_path / "Dockerfile").read_bytes()
    assert after.startswith(b"\xef\xbb\xbfFROM python:3.12-slim\n")
    assert b"RUN pip install --no-cache-dir flask\n" in after


def test_symlinked_file_is_edited_through_the_link(tmp_path):
    (tmp_path / "docker").mkdir()
    real = tmp_path / "docker" / "Dockerfile.real"
    real.write_text("\n".join(DOCKERFILE) + "\n")
    (tmp_path / "Dockerfile").symlink_to("docker/Dockerfile.real")
    fix(tmp_path)
    assert (tmp_path / "Dockerfile").is_symlink()
    assert "--no-cache-dir" in real.read_text()


def test_new_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        write_all([(tmp_path / "new.txt", b"x\n")])
    finally:
        os.umask(old)
    assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o644


def test_a_replaced_file_keeps_its_mode(tmp_path):
    target = tmp_path / "run.sh"
    target.write_text("old\n")
    target.chmod(0o751)
    write_all([(target, b"new\n")])
    assert target.stat().st_mode & 0o777 == 0o751


def test_failure_on_a_later_file_rolls_back_the_earlier_ones(tmp_path, monkeypatch):
    first, second = tmp_path / "a", tmp_path / "b"
    first.write_text("a-old\n")
    second.write_text("b-old\n")
    real_replace = os.replace
    calls = []

    def failing_replace(source: str, target: str) -> None:
        calls.append(target)
        if len(calls) == 2:  # the second rename of the change fails (disk full, EPERM, ...)
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_all([(first, b"a-new\n"), (second, b"b-new\n")])
    monkeypatch.undo()
    assert first.read_text() == "a-old\n"
    assert second.read_text() == "b-old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no .tmp left behind


def test_a_target_that_is_not_a_regular_file_stops_the_whole_change(tmp_path):
    first = tmp_path / "a"
    first.write_text("a-old\n")
    (tmp_path / "b").mkdir()
    with pytest.raises(api.PitstopError):
        write_all([(first, b"a-new\n"), (tmp_path / "b", b"b-new\n")])
    assert first.read_text() == "a-old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_split_lines_breaks_at_newline_only():
    assert split_lines("a\x0cb\u2028c\r\nd\re\n") == ["a\x0cb\u2028c\r\n", "d\re\n"]
    assert split_lines("x") == ["x"]
    assert split_lines("") == []
