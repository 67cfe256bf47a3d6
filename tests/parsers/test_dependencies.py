"""Local-path dependencies in pyproject.toml and requirements files, with their positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from pitstop.errors import PitstopError
from pitstop.parsers.dependencies import (
    IncludedFile,
    local_path,
    parse_pyproject_dependencies,
    parse_requirements,
)

BACKEND = Path(__file__).resolve().parents[2] / "examples" / "monorepo" / "backend"


@pytest.mark.parametrize(
    ("raw", "path", "absolute"),
    [
        ("file:///Users/x/p", "/Users/x/p", True),
        ("file://localhost/srv/p", "/srv/p", True),
        ("file:../x", "../x", False),
        ("file:./x", "./x", False),
        ("file:///C:/Users/x", "C:/Users/x", True),
        ("file:///home/dev/my%20pkg", "/home/dev/my pkg", True),
        ("C:\\Users\\x", "C:\\Users\\x", True),
        ("\\\\server\\share\\x", "\\\\server\\share\\x", True),
        ("/home/dev/x", "/home/dev/x", True),
        ("~/src/x", "~/src/x", True),
        ("../packages/x", "../packages/x", False),
        ("{root:uri}/../packages/x", "../packages/x", False),
        ("{root:parent:uri}/x", "../x", False),
    ],
)
def test_local_paths(raw, path, absolute):
    local = local_path(raw)
    assert (local.path, local.absolute, local.malformed) == (path, absolute, None)


@pytest.mark.parametrize(
    ("raw", "path", "absolute", "message"),
    [
        (
            "file:///../packages/x",
            "/../packages/x",
            True,
            "file:///../packages/x is an absolute URL: '/../packages/x' starts at the root's parent, which is the root itself",
        ),
        (
            "file://../x",
            None,
            False,
            "'..' is parsed as a host name, so this names '/x' on the machine '..'",
        ),
        (
            "file://C:/Users/x",
            "C:/Users/x",
            True,
            "the drive C: is parsed as a host name; write file:///C:/Users/x",
        ),
    ],
)
def test_malformed_file_urls(raw, path, absolute, message):
    local = local_path(raw)
    assert (local.path, local.absolute) == (path, absolute)
    assert local.malformed is not None and message in local.malformed


def test_example_backend_pyproject():
    text = (BACKEND / "pyproject.toml").read_text()
    found = parse_pyproject_dependencies(text, "backend/pyproject.toml")
    packages = ["bayit-voice-pipeline", "bayit-translation", "olorin-core", "olorin-shared"]
    pep508 = [d for d in found if d.kind == "pep508-file-url"]
    poetry = [d for d in found if d.kind == "poetry-path"]
    assert [(d.name, d.line) for d in pep508] == list(zip(packages, [55, 56, 57, 58], strict=True))
    assert [(d.name, d.line) for d in poetry] == list(
        zip(packages, [100, 101, 102, 103], strict=True)
    )
    assert len(found) == 8
    first = pep508[0]
    assert first.raw == "file:///Users/olorin/Documents/olorin/packages/bayit-voice-pipeline"
    assert first.path == "/Users/olorin/Documents/olorin/packages/bayit-voice-pipeline"
    assert first.column == text.splitlines()[54].index("file:") + 1
    assert all(d.absolute and d.malformed is None and d.group is None for d in found)
    assert poetry[2].raw == "/Users/olorin/Documents/olorin/packages/olorin-core"


PYPROJECT = """\
[project]
name = "app"
# "dup @ file:../dup" in a comment is not a declaration
dependencies = [
    "requests>=2",
    "dup @ file:../dup",
    'lit @ file:///../packages/lit',
    "vcs @ git+https://github.com/o/vcs.git",
    "hatch @ {root:uri}/../hatch",
]

[project.optional-dependencies]
dev = ["dup @ file:../dup", "win @ file:///C:/Users/dev/win ; sys_platform == 'win32'"]

[dependency-groups]
test = ["bad @ file://../bad"]

[tool.poetry.dependencies]
python = "^3.11"
shared = { path = "../shared", develop = true }
multi = [{ path = "../multi-a", markers = "sys_platform == 'linux'" }, { version = "1" }]

[tool.poetry.group.dev.dependencies]
tools = { path = "/home/dev/tools" }

[tool.uv.sources]
core = { path = "packages/core", editable = true }
ws = { workspace = true }

[tool.uv.workspace]
members = ["packages/*", "libs/x"]
"""


def test_pyproject_path_dependencies_in_document_order():
    found = parse_pyproject_dependencies(PYPROJECT, "pyproject.toml")
    assert [(d.kind, d.name, d.raw, d.line, d.column, d.group) for d in found] == [
        ("pep508-file-url", "dup", "file:../dup", 6, 12, None),
        ("pep508-file-url", "lit", "file:///../packages/lit", 7, 12, None),
        ("pep508-file-url", "hatch", "{root:uri}/../hatch", 9, 14, None),
        ("pep508-file-url", "dup", "file:../dup", 13, 15, "dev"),
        ("pep508-file-url", "win", "file:///C:/Users/dev/win", 13, 36, "dev"),
        ("pep508-file-url", "bad", "file://../bad", 16, 16, "test"),
        ("poetry-path", "shared", "../shared", 20, 20, None),
        ("poetry-path", "multi", "../multi-a", 21, 20, None),
        ("poetry-path", "tools", "/home/dev/tools", 24, 19, "dev"),
        ("uv-source", "core", "packages/core", 27, 18, None),
        ("uv-workspace", None, "packages/*", 31, 13, None),
        ("uv-workspace", None, "libs/x", 31, 27, None),
    ]
    lines = PYPROJECT.splitlines()
    for d in found:  # each position is where the raw text starts (the comment on line 3 is skipped)
        assert lines[d.line - 1][d.column - 1 :].startswith(d.raw)
    by_raw = {d.raw: d for d in found}
    assert (by_raw["file:../dup"].path, by_raw["file:../dup"].absolute) == ("../dup", False)
    assert by_raw["file:///../packages/lit"].absolute
    assert by_raw["file:///../packages/lit"].malformed is not None
    assert by_raw["file:///C:/Users/dev/win"].path == "C:/Users/dev/win"
    assert by_raw["file://../bad"].malformed is not None
    assert by_raw["/home/dev/tools"].absolute


def test_pyproject_without_path_dependencies():
    assert (
        parse_pyproject_dependencies('[project]\nname = "x"\ndependencies = ["a", "b>1"]\n', "p")
        == []
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('[project]\nname = "x"\ndependencies = [\n  "a",,\n]\n', 4, "invalid TOML"),
        ("[project]\n[project]\n", 2, "invalid TOML"),
        (
            '[project]\ndependencies = [\n  "ok",\n  "not a requirement!",\n]\n',
            4,
            "invalid requirement",
        ),
    ],
)
def test_pyproject_errors_name_the_line(text, line, message):
    with pytest.raises(PitstopError) as error:
        parse_pyproject_dependencies(text, "pyproject.toml")
    assert (error.value.path, error.value.line) == ("pyproject.toml", line)
    assert message in error.value.message


REQUIREMENTS = """\
# Production requirements
-r base.txt
--requirement=more.txt
-c constraints.txt
-e ../shared[dev]
--editable=file:///Users/me/lib#egg=lib
-e git+https://github.com/o/r.git#egg=r
requests==2.31.0 \\
    --hash=sha256:0000
./local ; python_version < "3.12"
../sibling.whl
/home/dev/x
C:\\Users\\dev\\y
file:../z
named @ file:///../packages/named
remote @ https://example.com/remote.whl
https://example.com/x.tar.gz
--index-url https://pypi.org/simple
  pinned==1 \\
  ; python_version >= "3"
-e .
"""


def test_requirements_path_dependencies_and_includes():
    found, includes, names = parse_requirements(REQUIREMENTS, "requirements.txt")
    assert [(d.kind, d.name, d.raw, d.line, d.column, d.path, d.absolute) for d in found] == [
        ("requirements-editable", None, "../shared", 5, 4, "../shared", False),
        (
            "requirements-editable",
            "lib",
            "file:///Users/me/lib#egg=lib",
            6,
            12,
            "/Users/me/lib",
            True,
        ),
        ("requirements-path", None, "./local", 10, 1, "./local", False),
        ("requirements-path", None, "../sibling.whl", 11, 1, "../sibling.whl", False),
        ("requirements-path", None, "/home/dev/x", 12, 1, "/home/dev/x", True),
        ("requirements-path", None, "C:\\Users\\dev\\y", 13, 1, "C:\\Users\\dev\\y", True),
        ("requirements-file-url", None, "file:../z", 14, 1, "../z", False),
        (
            "pep508-file-url",
            "named",
            "file:///../packages/named",
            15,
            9,
            "/../packages/named",
            True,
        ),
        ("requirements-editable", None, ".", 21, 4, ".", False),
    ]
    assert found[7].malformed is not None
    assert includes == [
        IncludedFile("requirements.txt", 2, "base.txt"),
        IncludedFile("requirements.txt", 3, "more.txt"),
        IncludedFile("requirements.txt", 4, "constraints.txt", constraint=True),
    ]
    # a bare path or URL names no distribution; an editable line is read for its path only
    assert names == {"requests", "named", "remote", "pinned"}


def test_requirement_names_are_normalised_as_pep_503_compares_them():
    text = "Foo_Bar.baz>=1\nZope.Interface[test] ; python_version > '3'\n"
    assert parse_requirements(text, "r.txt").names == {"foo-bar-baz", "zope-interface"}


def test_requirements_continuation_positions_point_at_the_later_line():
    found, _, _ = parse_requirements("-e \\\n  ../far\n", "r.txt")
    assert [(d.raw, d.line, d.column) for d in found] == [("../far", 2, 3)]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("ok==1\nnot a requirement!\n", 2),
        ("a==1 \\\n  ; python_version > '3'\nc\nd e\n", 4),
        ("a==1 \\\n  b==2\n", 1),  # joined, the two lines are one invalid requirement
    ],
)
def test_unparseable_requirement_names_the_line(text, line):
    with pytest.raises(PitstopError) as error:
        parse_requirements(text, "requirements.txt")
    assert (error.value.path, error.value.line) == ("requirements.txt", line)
    assert "invalid requirement" in error.value.message
