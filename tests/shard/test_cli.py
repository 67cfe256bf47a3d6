"""`pitstop shard` through the CLI: the JSON contract, the durations it reads, the formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pitstop.cli import main
from tests.impact.fakes import repository, write

FILES = {
    "pyproject.toml": '[project]\nname = "demo"\n',
    "src/demo/__init__.py": "",
    "src/demo/a.py": "def f():\n    return 1\n",
    "tests/__init__.py": "",
    **{f"tests/test_{n}.py": "def test_x():\n    pass\n" for n in "abcdef"},
}
JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
<testcase classname="tests.test_a" name="test_x" file="tests/test_a.py" time="6.0"/>
<testcase classname="tests.test_b" name="test_x" file="tests/test_b.py" time="5.0"/>
<testcase classname="tests.test_c" name="test_x" file="tests/test_c.py" time="4.0"/>
<testcase classname="tests.test_d" name="test_x" file="tests/test_d.py" time="3.0"/>
</testsuite></testsuites>
"""


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("PITSTOP_DB", "GITHUB_BASE_REF"):
        monkeypatch.delenv(name, raising=False)
    made = repository(tmp_path / "demo", FILES)
    return made


def shard(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    capsys.readouterr()
    assert main(["shard", "--root", str(root), "--format", "json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def placed(document: dict[str, object]) -> list[str]:
    return [t for s in document["shards"] for t in s["tests"]]  # type: ignore[index,union-attr]


def test_the_json_contract_puts_every_test_file_in_exactly_one_shard(root, capsys):
    (root / "junit.xml").write_text(JUNIT)
    found = shard(root, capsys, "--all", "--shards", "3", "--durations", str(root / "junit.xml"))
    assert found["version"] == 1
    assert sorted(placed(found)) == sorted(f"tests/test_{n}.py" for n in "abcdef")
    assert [s["index"] for s in found["shards"]] == [1, 2, 3]
    assert found["estimated"] == 2  # test_e and test_f: the median of the measured files
    assert found["ideal_seconds"] == pytest.approx((6 + 5 + 4 + 3 + 4.5 + 4.5) / 3)
    assert max(s["expected_seconds"] for s in found["shards"]) == found["slowest_seconds"]


def test_pytest_splits_durations_file_is_read_as_it_is_and_found_at_the_root(root, capsys):
    durations = {f"tests/test_{n}.py::test_x": float(i) for i, n in enumerate("abcdef", 1)}
    (root / ".test_durations").write_text(json.dumps(durations))
    found = shard(root, capsys, "--all", "--shards", "2")
    assert found["estimated"] == 0
    assert sorted(s["expected_seconds"] for s in found["shards"]) == [10.0, 11.0]
    assert found["durations"] == [".test_durations: 6 tests"]


def test_the_history_wins_over_the_files(root, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_BASE_REF", "main")
    db = f"sqlite:///{root / 'history.db'}"
    (root / "junit.xml").write_text(JUNIT)
    heavy = JUNIT.replace('file="tests/test_d.py" time="3.0"', 'file="tests/test_d.py" time="30.0"')
    (root / "heavy.xml").write_text(heavy)
    other = JUNIT.replace('time="6.0"', 'time="600.0"')
    (root / "other.xml").write_text(other)
    for n, name in enumerate(("heavy.xml", "heavy.xml", "junit.xml")):
        args = ["record", "junit", str(root / name), "--db", db, "--run-id", str(n)]
        assert main([*args, "--branch", "main"]) == 0
    assert (
        main(
            [
                "record",
                "junit",
                str(root / "other.xml"),
                "--db",
                db,
                "--run-id",
                "9",
                "--branch",
                "feature",
            ]
        )
        == 0
    )
    found = shard(
        root, capsys, "--all", "--shards", "2", "--db", db, "--durations", str(root / "junit.xml")
    )
    # test_d: the median over main's runs (30, 30, 3); test_a: main's 6, not feature's 600;
    # test_e and test_f: the median of the measured files (6, 5, 4, 30)
    assert sorted(s["expected_seconds"] for s in found["shards"]) == pytest.approx(
        [6 + 5 + 4 + 5.5 + 5.5, 30.0]
    )
    assert found["durations"][0].startswith("the history: 4 tests, median of the last 3 runs")


def test_the_affected_tests_are_split_by_default(root, capsys):
    write(root, {"tests/test_a.py": "def test_x():\n    assert True\n"})
    found = shard(root, capsys, "--shards", "2", "--base", "HEAD")
    assert placed(found) == ["tests/test_a.py"]
    assert found["selected"] == 1 and found["test_files"] == 6
    assert found["shards"][1]["tests"] == []


def test_the_github_matrix_has_only_shards_with_work(root, capsys):
    capsys.readouterr()
    assert (
        main(["shard", "--root", str(root), "--all", "--shards", "8", "--format", "github-matrix"])
        == 0
    )
    out = capsys.readouterr().out
    assert "\n" not in out.rstrip("\n")  # one line for $GITHUB_OUTPUT
    include = json.loads(out)["include"]
    assert [e["shard"] for e in include] == [1, 2, 3, 4, 5, 6]
    assert {e["shards"] for e in include} == {6}
    assert sorted(e["args"] for e in include) == sorted(f"tests/test_{n}.py" for n in "abcdef")


def test_pytest_format_gives_one_shards_arguments_and_an_empty_shard_says_so(root, capsys):
    capsys.readouterr()
    assert (
        main(
            [
                "shard",
                "--root",
                str(root),
                "--all",
                "--shards",
                "6",
                "--index",
                "2",
                "--format",
                "pytest",
            ]
        )
        == 0
    )
    assert len(capsys.readouterr().out.split()) == 1
    assert (
        main(
            [
                "shard",
                "--root",
                str(root),
                "--all",
                "--shards",
                "9",
                "--index",
                "9",
                "--format",
                "pytest",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "shard 9/9 has nothing to run" in captured.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shards", "0"], "--shards must be at least 1"),
        (["--shards", "2", "--index", "3"], "--index must be between 1 and --shards (2)"),
        (["--shards", "2", "--format", "pytest"], "add --index I"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(root, capsys, args, message):
    capsys.readouterr()
    assert main(["shard", "--root", str(root), "--all", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"tests/test_a.py::test_x": "slow"}', "tests/test_a.py::test_x: 'slow' is not a number"),
        ('{"tests/test_a.py::test_x": -1}', "is not a number of seconds"),
        ('{\n  "a": 1,\n}', "durations.json:3: invalid JSON"),
        ("[1, 2]", "is not a [node id, seconds] pair"),
        ("hello", "not a durations file"),
        ("<testsuites><testcase", "durations.json:1"),
    ],
)
def test_a_bad_durations_file_is_named_with_its_line(root, capsys, text, message):
    (root / "durations.json").write_text(text)
    capsys.readouterr()
    code = main(
        [
            "shard",
            "--root",
            str(root),
            "--all",
            "--shards",
            "2",
            "--durations",
            str(root / "durations.json"),
        ]
    )
    assert code == 2
    assert message in capsys.readouterr().err


def test_a_missing_durations_file_is_an_error_not_an_empty_source(root, capsys):
    capsys.readouterr()
    assert (
        main(
            [
                "shard",
                "--root",
                str(root),
                "--all",
                "--shards",
                "2",
                "--durations",
                str(root / "nope.xml"),
            ]
        )
        == 2
    )
    assert "nope.xml: cannot read" in capsys.readouterr().err


def test_the_old_list_form_of_test_durations_is_read(root, capsys):
    (root / "d.json").write_text('[["tests/test_a.py::test_x", 2.5]]')
    found = shard(root, capsys, "--all", "--shards", "1", "--durations", str(root / "d.json"))
    assert found["estimated"] == 5


def test_text_states_each_shard_and_the_ideal(root, capsys):
    (root / "junit.xml").write_text(JUNIT)
    capsys.readouterr()
    assert (
        main(
            [
                "shard",
                "--root",
                str(root),
                "--all",
                "--shards",
                "2",
                "--durations",
                str(root / "junit.xml"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "pitstop shard: all 6 test files in 2 shards, by test files" in out
    assert "estimated: 2 test files without a measured duration" in out
    assert "shard 1/2: 3 files, expected" in out
    assert "slowest shard 13.5 s; ideal 13.5 s (the total over 2): 1.000x" in out


def test_nothing_measured_is_said(root, capsys):
    capsys.readouterr()
    assert main(["shard", "--root", str(root), "--all", "--shards", "2"]) == 0
    assert "none measured: every test file counted as 1 s" in capsys.readouterr().out
    assert not (root / ".pitstop" / "history.db").exists()  # a read creates no history


def test_durations_of_another_root_are_pointed_out(root, capsys):
    durations = {f"python/tests/test_{n}.py::test_x": 1.0 for n in "abcdef"}
    (root / ".test_durations").write_text(json.dumps(durations))
    capsys.readouterr()
    assert main(["shard", "--root", str(root), "--all", "--shards", "2"]) == 0
    assert "no duration names any of these test files" in capsys.readouterr().out


def test_nothing_selected_says_so_once(root, capsys):
    capsys.readouterr()
    assert main(["shard", "--root", str(root), "--shards", "3", "--base", "HEAD"]) == 0
    out = capsys.readouterr().out
    assert "no test file is selected: every shard has nothing to run" in out
    assert "shard 1/3" not in out
    assert (
        main(
            [
                "shard",
                "--root",
                str(root),
                "--shards",
                "3",
                "--base",
                "HEAD",
                "--index",
                "2",
                "--format",
                "pytest",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert captured.out == "" and "(no test file is selected)" in captured.err


def test_nothing_outside_the_repository_is_read_through_a_symlink(root, tmp_path, capsys):
    from pitstop.impact.durations import test_counts

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "d.json").write_text('{"tests/test_a.py::test_x": 1.0}')
    (outside / "test_far.py").write_text("def test_a():\n    pass\n" * 50)
    (root / "tests" / "test_link.py").symlink_to(outside / "test_far.py")
    assert test_counts(root, ["tests/test_link.py", "tests/test_a.py"]) == {"tests/test_a.py": 1}
    (root / ".test_durations").symlink_to(outside / "d.json")
    capsys.readouterr()
    assert main(["shard", "--root", str(root), "--all", "--shards", "2"]) == 2
    assert ".test_durations: lies outside the repository" in capsys.readouterr().err
