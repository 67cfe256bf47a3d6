"""Reading the four formats, told from the content, and every kind of bad input: one line
on stderr naming the file (and the line for text and JSON), exit 2, never a traceback."""

from __future__ import annotations

import cProfile
import json
import marshal
import os
from pathlib import Path

import pytest

from pitstop.cli import main
from pitstop.errors import PitstopError
from pitstop.parsers import profiles
from pitstop.parsers.profiles import Frame, read_profile

SPEEDSCOPE = {
    "$schema": "https://www.speedscope.app/file-format-schema.json",
    "shared": {"frames": [{"name": "main", "file": "/src/app.py", "line": 3}, {"name": "f"}]},
    "profiles": [
        {"type": "sampled", "name": "t", "unit": "seconds", "startValue": 0, "endValue": 1,
         "samples": [[0, 1], [0, 1], [0]], "weights": [0.01, 0.01, 0.01]},
    ],
}  # fmt: skip
PYINSTRUMENT = {
    "sample_count": 10,
    "duration": 1.0,
    "root_frame": {
        "function": "<module>", "file_path": "app.py", "line_no": 1, "time": 1.0,
        "children": [
            {"function": "slow", "file_path": "app.py", "line_no": 4, "time": 0.75,
             "children": [{"function": "[self]", "file_path": "", "line_no": 0, "time": 0.25,
                           "children": []}]},
        ],
    },
}  # fmt: skip


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_collapsed_stacks_py_spy_frames_gregg_names_and_an_empty_stack(tmp_path):
    text = " 2\nmain (app.py:3);work (lib/w.py:10) 5\nmain;do_work [k] 3\n\n"
    profile = read_profile(write(tmp_path, "p.txt", text), "p.txt")
    assert profile.source == "collapsed" and profile.observations == 10
    assert profile.stacks[(Frame("main", "app.py", 3), Frame("work", "lib/w.py", 10))] == 5
    assert profile.stacks[(Frame("main", "", None), Frame("do_work [k]", "", None))] == 3
    assert profile.stacks[()] == 2


def test_speedscope_as_py_spy_writes_it(tmp_path):
    profile = read_profile(write(tmp_path, "p.json", json.dumps(SPEEDSCOPE)), "p.json")
    assert profile.source == "speedscope" and profile.observations == 3
    main_frame = Frame("main", "/src/app.py", 3)
    assert profile.stacks == {(main_frame, Frame("f", "", None)): 2, (main_frame,): 1}


def test_pyinstrument_json_self_time_and_its_self_nodes(tmp_path):
    profile = read_profile(write(tmp_path, "p.json", json.dumps(PYINSTRUMENT)), "p.json")
    assert profile.source == "pyinstrument" and profile.observations == 10
    module = Frame("<module>", "app.py", 1)
    assert profile.stacks == {(module,): 0.25, (module, Frame("slow", "app.py", 4)): 0.75}


def test_a_cprofile_file(tmp_path):
    def spin() -> int:
        return sum(range(200_000))

    profiler = cProfile.Profile()
    profiler.runcall(spin)
    profiler.dump_stats(tmp_path / "p.pstats")
    profile = read_profile(tmp_path / "p.pstats", "p.pstats")
    assert profile.source == "cprofile" and profile.unit == "ms"
    names = {stack[0].name for stack in profile.stacks}
    assert "spin" in names and profile.inclusive is not None


def bad_marshal() -> bytes:
    return marshal.dumps(compile("import os; os.system('echo pwned')", "x", "exec"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("main;f 3\nmain;g three\n", "p:2: not a collapsed stack"),
        ("\n\n", "p: no stack in the profile"),
        ('{"profiles": [], \n "shared": {"frames": [}\n', "p:2: invalid JSON"),
        ('{"a": NaN}', "p:1: invalid JSON: NaN is not a number"),
        ('{"a": 1}', "p: JSON but not a profile"),
        ('{"profiles": [{"type": "evented"}], "shared": {"frames": []}}', "p: speedscope: profile 0 is 'evented'; only sampled"),
        ('{"profiles": [{"type": "sampled", "samples": [[5]]}], "shared": {"frames": []}}',
         "p: speedscope: profile 0 has a sample that is not a list of frame indexes"),
        ('{"root_frame": {"function": "m", "time": 1, "children": []}}', "p: pyinstrument: no `sample_count`"),
        ('{"sample_count": 3, "root_frame": {"function": "m", "time": "x"}}', "p: pyinstrument: a frame lacks"),
        (b"\x00\x01\x02garbage", "p: not a profile (pstats/marshal"),
        (marshal.dumps({"a": 1}), "p: not a cProfile/pstats file"),
        (bad_marshal(), "p: not a cProfile/pstats file"),
        (marshal.dumps({("f", 1, "g"): (1, 1, 0.5, 0.5, {})})[:-3], "p: not a profile"),
        (b"main;f 1\n\xff\xfe 2\n" + b"x" * 5000, "p:2: not UTF-8"),
        (b"\xfb\x01garbage", "p: not a profile (pstats/marshal"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, monkeypatch, content, message):
    write(tmp_path, "p", content)
    good = write(tmp_path, "good.txt", "main;f 3\n")
    monkeypatch.chdir(tmp_path)  # the file is named `p` in the message
    assert main(["profile", "diff", "p", str(good)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("pitstop: error: p") and message in err, err


def test_sizes_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(profiles, "JSON_BYTES", 100)
    monkeypatch.setattr(profiles, "TEXT_BYTES", 100)
    monkeypatch.setattr(profiles, "LINE_BYTES", 20)
    for name, content, message in (
        ("big.json", json.dumps(SPEEDSCOPE), "larger than"),
        ("big.txt", "main;f 1\n" * 20, "larger than"),
        ("long.txt", "main;" * 10 + "f 1\n", "a line longer than"),
        ("big.pstats", marshal.dumps({("f", 1, "g" * 200): (1, 1, 0.5, 0.5, {})}), "larger than"),
    ):
        with pytest.raises(PitstopError, match=message):
            read_profile(write(tmp_path, name, content), name)


def test_a_deep_stack_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(profiles, "MAX_DEPTH", 3)
    with pytest.raises(PitstopError, match=r"p.txt:1: a stack deeper than 3"):
        read_profile(write(tmp_path, "p.txt", "a;b;c;d 1\n"), "p.txt")


def test_a_missing_file_and_a_fifo(tmp_path, capsys):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    good = write(tmp_path, "good.txt", "main;f 3\n")
    assert main(["profile", "diff", str(tmp_path / "missing"), str(good)]) == 2
    assert main(["profile", "diff", str(good), str(fifo)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert "missing: cannot read" in lines[0] and "fifo: not a regular file" in lines[1]


def test_a_usage_error_for_z_and_top(tmp_path, capsys):
    good = str(write(tmp_path, "good.txt", "main;f 3\n"))
    assert main(["profile", "diff", good, good, "--z", "0"]) == 2
    assert "--z must be above 0" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        main(["profile", "diff", good, good, "--top", "0"])
    assert stopped.value.code == 2
