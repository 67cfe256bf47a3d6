"""Every parser, on generated hostile input: a model or a one-line PitstopError naming the
file, within the time bound; never another exception, never a hang."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pitstop.config import load_config
from pitstop.errors import PitstopError
from pitstop.parsers.build_declarations import (
    parse_bake_builds,
    parse_compose_builds,
    workflow_builds,
)
from pitstop.parsers.buildlog import read_build_logs
from pitstop.parsers.dependencies import parse_pyproject_dependencies, parse_requirements
from pitstop.parsers.dockerfile import parse_dockerfile
from pitstop.parsers.github_jobs import read_jobs
from pitstop.parsers.ignore import parse_ignore
from pitstop.parsers.junit import read_junit
from pitstop.parsers.workflow import parse_workflow
from pitstop.pipeline.timings import _shown_as, job_durations, load_timings

from . import strategies as gen
from .budget import assert_one_line, fuzz, time_bound


def parses_or_refuses(parse, text: str, path: str):
    """The parser's model, or None after checking its PitstopError is one line at `path`."""
    with time_bound():
        try:
            return parse(text, path)
        except PitstopError as error:
            assert_one_line(str(error))
            assert error.path == path
            return None


@fuzz(150)
@given(gen.dockerfile_text())
@example("FROM a AS bü\nFROM b\nCOPY --from=bü /x /y\n")
@example("# escape=`\nFROM a\nRUN echo `\n  ok # trailing\n")
@example("FROM a\nRUN x\0y\n")
def test_dockerfile(text: str) -> None:
    dockerfile = parses_or_refuses(parse_dockerfile, text, "Dockerfile")
    if dockerfile is None:
        return
    for stage in dockerfile.stages:
        dockerfile.stages_built_for(stage)
        for instruction in stage.instructions:
            # what rules read: flags as written, never the Latin-1 view of their bytes
            assert all("Ã" not in flag or "Ã" in instruction.original for flag in instruction.flags)
    for ref in ["0", "1", "²", "9" * 5000, *(s.name or "" for s in dockerfile.stages)]:
        dockerfile.stage(ref)


@fuzz(40)
@given(st.binary(max_size=200))
def test_dockerfile_from_any_bytes(data: bytes) -> None:
    # Library callers may decode with surrogateescape: the Go parser must never see that.
    parses_or_refuses(parse_dockerfile, data.decode("utf-8", "surrogateescape"), "Dockerfile")


@fuzz(120)
@given(gen.ignore_text(), st.lists(gen.IGNORE_PATHS, max_size=6))
def test_ignore_file(text: str, paths: list[str]) -> None:
    ignore = parses_or_refuses(parse_ignore, text, ".dockerignore")
    if ignore is None:
        return
    with time_bound():
        for path in paths:
            ignore.excludes(path)
            ignore.deciding_pattern(path)


@fuzz(30)
@given(gen.workflow_text())
def test_workflow(text: str) -> None:
    path = ".github/workflows/ci.yml"
    parses_or_refuses(lambda t, p: workflow_builds(parse_workflow(t, p)), text, path)


@fuzz(30)
@given(gen.compose_text())
def test_compose(text: str) -> None:
    parses_or_refuses(parse_compose_builds, text, "compose.yaml")


@fuzz(25)
@given(gen.bake_text(), st.sampled_from(["docker-bake.hcl", "docker-bake.json"]))
def test_bake(text: str, path: str) -> None:
    parses_or_refuses(parse_bake_builds, text, path)


@fuzz(80)
@given(gen.requirements_text())
def test_requirements(text: str) -> None:
    parses_or_refuses(parse_requirements, text, "requirements.txt")


@fuzz(80)
@given(gen.pyproject_text())
def test_pyproject(text: str) -> None:
    parses_or_refuses(parse_pyproject_dependencies, text, "pyproject.toml")


WORKFLOW = """\
on: push
jobs:
  job0:
    name: Test ${{ matrix.py }} x
    runs-on: ubuntu-latest
    steps: [{run: make}]
  job1:
    needs: job0
    uses: ./.github/workflows/reusable.yml
"""


@fuzz(80)
@given(gen.timings_text())
def test_timings(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("timings") / "t.json"
    path.write_text(text, encoding="utf-8")
    timings = parses_or_refuses(lambda _text, shown: load_timings(shown), text, str(path))
    if timings is not None:
        with time_bound():
            job_durations(parse_workflow(WORKFLOW, "ci.yml"), timings)


_LABEL_PARTS = st.lists(st.sampled_from(["a", "b", " ", "(", ")", "${{ x }}"]), max_size=6)


@fuzz(200)
@given(_LABEL_PARTS.map("".join), st.text(alphabet="ab ()", max_size=10))
def test_timing_names_match_as_the_regex_did(label: str, shown: str) -> None:
    # The regex the linear matcher replaced, as the oracle (on names without line breaks).
    parts = re.split(r"\$\{\{.*?\}\}", label)
    oracle = re.compile(".+?".join(re.escape(p) for p in parts) + r"(?: \(.*\))?")
    assert _shown_as(shown, label) is (oracle.fullmatch(shown) is not None)


@fuzz(80)
@given(gen.config_text(), st.sampled_from([".pitstop.toml", "pyproject.toml"]))
def test_config(tmp_path_factory: pytest.TempPathFactory, text: str, name: str) -> None:
    root = tmp_path_factory.mktemp("config")
    (root / name).write_text(text, encoding="utf-8")
    with time_bound():
        try:
            load_config(root)
        except PitstopError as error:
            for line in error.lines:
                assert_one_line(line)
            assert error.path == str(root / name)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"[tool.pitstop]\nselect = ['\xff']\n", id="not UTF-8"),
    ],
)
def test_config_bytes_that_are_not_utf8(tmp_path: Path, data: bytes) -> None:
    (tmp_path / ".pitstop.toml").write_bytes(data)
    with pytest.raises(PitstopError) as error:
        load_config(tmp_path)
    assert_one_line(str(error.value))


def read_file_or_refuse(folder: Path, data: bytes, read) -> object:
    """What `read(path, shown)` makes of `data` in a file, or None after checking its
    PitstopError is one line naming the file."""
    path = folder / "input"
    path.write_bytes(data)
    return parses_or_refuses(lambda _text, shown: read(Path(shown), shown), "", str(path))


@fuzz(120)
@given(gen.junit_text())
@example(
    '<testsuite><testcase name="a"/><!-- <testcase name="a"/> --><testcase name=\'a\'/></testsuite>'
)
def test_junit(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    folder = tmp_path_factory.mktemp("junit")
    results = read_file_or_refuse(folder, text.encode("utf-8"), lambda p, s: list(read_junit(p, s)))
    if results is not None:
        # Every testcase written again (the same attributes) is merged into one result.
        # (Testcases with different attributes may still share an id: the store keeps one.)
        cases = [e.attrib for e in ElementTree.fromstring(text).iter("testcase")]
        triples = {(c.get("classname", ""), c["name"], c.get("file", "")) for c in cases}
        assert len(results) <= len(triples)  # type: ignore[arg-type]
        for result in results:  # type: ignore[attr-defined]
            assert result.attempts and all(a.outcome.value != "flaky" for a in result.attempts)


@fuzz(80)
@given(gen.github_jobs_text())
def test_github_jobs(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    read_file_or_refuse(tmp_path_factory.mktemp("jobs"), text.encode("utf-8"), read_jobs)


@fuzz(80)
@given(gen.build_log_text())
def test_build_log(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    builds = read_file_or_refuse(
        tmp_path_factory.mktemp("log"), text.encode("utf-8"), read_build_logs
    )
    for build in builds or []:  # type: ignore[attr-defined]
        assert all(s.seconds is None or s.seconds >= 0 for s in build.steps)
