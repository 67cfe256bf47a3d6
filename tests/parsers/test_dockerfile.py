"""The Dockerfile parser: BuildKit's tokens, pitstop's stage model, Docker's refusals."""

from __future__ import annotations

import pytest

from pitstop.errors import PitstopError
from pitstop.parsers.dockerfile import expand_args, parse_dockerfile

TWO_STAGES = """\
ARG PY=3.11
FROM python:${PY}-slim AS builder
WORKDIR /build
RUN pip install --no-cache-dir poetry
FROM python:${PY}-slim AS runtime
COPY --from=builder /build/requirements.txt .
RUN --mount=type=bind,from=tools,target=/t true
CMD ["python"]
"""


def test_stages_names_bases_and_lines():
    dockerfile = parse_dockerfile(TWO_STAGES, "Dockerfile")
    assert [(s.name, s.base, s.line) for s in dockerfile.stages] == [
        ("builder", "python:3.11-slim", 2),
        ("runtime", "python:3.11-slim", 5),
    ]
    assert dockerfile.last_stage.name == "runtime"
    assert [i.keyword for i in dockerfile.stages[0].instructions] == ["WORKDIR", "RUN"]


def test_stage_lookup_is_case_insensitive_and_by_index():
    dockerfile = parse_dockerfile(TWO_STAGES, "Dockerfile")
    assert dockerfile.stage("BUILDER") is dockerfile.stages[0]
    assert dockerfile.stage("1") is dockerfile.stages[1]
    assert dockerfile.stage("missing") is None


def test_stages_built_for_a_target_follow_from_and_copy_from():
    text = (
        "FROM a:1 AS base\nFROM base AS dev\nFROM b:1 AS other\nFROM c:1\nCOPY --from=dev /x /x\n"
    )
    dockerfile = parse_dockerfile(text, "Dockerfile")
    built = dockerfile.stages_built_for(dockerfile.last_stage)
    assert [s.index for s in built] == [0, 1, 3]
    assert [s.index for s in dockerfile.lineage(dockerfile.stages[1])] == [0, 1]


def test_flags_and_heredocs():
    text = "FROM a:1\nRUN --mount=type=cache,target=/root/.cache <<EOF\npip install x\nEOF\n"
    (run,) = parse_dockerfile(text, "Dockerfile").stages[0].instructions
    assert run.flag_values("mount") == ("type=cache,target=/root/.cache",)
    assert "pip install x" in run.shell_script
    assert (run.line, run.end_line) == (2, 4)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("FROM a:1\nRUNN echo\n", 2, "unknown instruction: RUNN"),
        ("RUN echo\nFROM a:1\n", 1, "RUN before the first FROM"),
        ("ARG X=1\n", 1, "no FROM instruction"),
        ("FROM a:1\nCOPY onlyone\n", 2, "COPY requires at least 2 arguments"),
        ("FROM a:1 AS\n", 1, "FROM takes an image"),
        ("FROM a:1\nRUN <<EOF\necho\n", 2, "unterminated heredoc"),
    ],
)
def test_docker_refusals_name_the_line(text, line, message):
    with pytest.raises(PitstopError) as raised:
        parse_dockerfile(text, "svc/Dockerfile")
    assert raised.value.path == "svc/Dockerfile"
    assert raised.value.line == line
    assert message in raised.value.message


def test_empty_file_is_refused():
    with pytest.raises(PitstopError, match="no instructions"):
        parse_dockerfile("\n# only a comment\n", "Dockerfile")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("python:${PY}", "python:3.12"),
        ("python:$PY-slim", "python:3.12-slim"),
        ("${MISSING:-debian}:12", "debian:12"),
        ("${PY:+set}", "set"),
        ("${MISSING}x", "x"),
    ],
)
def test_arg_expansion_in_from(text, expected):
    assert expand_args(text, {"PY": "3.12"}) == expected


def _placed(text: str) -> list[tuple[str, int, int]]:
    dockerfile = parse_dockerfile(text, "Dockerfile")
    return [
        (run.command.program, run.line, run.column)
        for stage in dockerfile.stages
        for instruction in stage.instructions
        for run in instruction.run_commands
    ]


@pytest.mark.parametrize(
    ("text", "placed"),
    [
        (
            "FROM debian:12\nRUN apt-get update \\\n  && apt-get install -y a \\\n  && rm -rf /x\n",
            [("apt-get", 2, 5), ("apt-get", 3, 6), ("rm", 4, 6)],
        ),
        # flags on their own continuation lines, a comment line inside the continuation
        (
            "FROM debian:12\nRUN --mount=type=cache,target=/a \\\n    --mount=type=bind,source=b,target=b \\\n"
            "    # why\n    pip install -r b && echo pip\n",
            [("pip", 5, 5), ("echo", 5, 25)],
        ),
        # the same word in an earlier command is not taken for the later one
        (
            "FROM debian:12\nRUN echo apt-get; apt-get install a\n",
            [("echo", 2, 5), ("apt-get", 2, 19)],
        ),
        # `# escape=` makes the backtick the continuation character
        (
            "# escape=`\nFROM debian:12\nRUN apt-get update `\n  && apt-get install a\n",
            [("apt-get", 3, 5), ("apt-get", 4, 6)],
        ),
        # heredoc bodies sit on the lines after the RUN (`<<EOF` is a redirection, no command)
        (
            "FROM debian:12\nRUN <<EOF\napt-get update\n  pip install x\nEOF\nRUN true\n",
            [("apt-get", 3, 1), ("pip", 4, 3), ("true", 6, 5)],
        ),
        ('FROM debian:12\nRUN ["pip", "install", "x"]\n', [("pip", 2, 5)]),
    ],
)
def test_run_commands_are_placed_at_their_own_line_and_column(text, placed):
    assert _placed(text) == placed


@pytest.mark.parametrize("ref", ["²", "\u0661", "\U0001d7d9", "9" * 5000, "99999999999999999999"])
def test_a_ref_that_is_no_ascii_number_is_no_stage_index(ref):
    # BuildKit reads a stage number with strconv.Atoi: ASCII digits that fit an int64 only.
    dockerfile = parse_dockerfile("FROM a\nFROM b\n", "Dockerfile")
    assert dockerfile.stage(ref) is None


def test_a_stage_number_with_leading_zeros_is_still_that_stage():
    dockerfile = parse_dockerfile("FROM a\nFROM b\n", "Dockerfile")
    assert dockerfile.stage("01") is dockerfile.stages[1]


def test_non_ascii_flag_values_are_read_as_written():
    # The `dockerfile` package hands flags over Latin-1-decoded; a stage named in UTF-8
    # must still be found, or it counts as unbuilt and its findings vanish.
    text = "FROM a AS bü\nFROM b\nCOPY --from=bü --chown=jürgen /x /y\n"
    dockerfile = parse_dockerfile(text, "Dockerfile")
    copy = dockerfile.last_stage.instructions[0]
    assert (copy.flag("from"), copy.flag("chown")) == ("bü", "jürgen")
    assert dockerfile.stages_built_for(dockerfile.last_stage) == dockerfile.stages


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("FROM a\nRUN x\0y\nRUN z\n", 2, "NUL byte"),
        ("FROM a\nRUN x\udc80\n", 2, "not UTF-8"),
    ],
)
def test_text_the_go_parser_cannot_take_is_bad_input(text, line, message):
    # A NUL used to cut the file short silently; a lone surrogate crashed the process.
    with pytest.raises(PitstopError, match=message) as error:
        parse_dockerfile(text, "Dockerfile")
    assert error.value.line == line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "# escape=`\rFROM python:3.12-slim\r",
            "Dockerfile: Dockerfile syntax error: invalid escape token "
            "'`\\rFROM python:3.12-slim' does not match ` or \\",
        ),
        ("FROM a\nRUN\u2028x\n", "Dockerfile:2: unknown instruction: RUN\\u2028X (is it a typo?)"),
    ],
)
def test_errors_quoting_the_source_stay_on_one_line(text, expected):
    # BuildKit quotes the line in its error; a lone CR in it used to break the error line.
    with pytest.raises(PitstopError) as error:
        parse_dockerfile(text, "Dockerfile")
    assert str(error.value) == expected


def test_a_flag_character_buildkit_cuts_into_bytes_is_bad_input():
    # U+2167 is E2 85 A7 in UTF-8: BuildKit ends the flag at 0x85, leaving bytes that are
    # not text; the `dockerfile` package used to raise UnicodeDecodeError.
    with pytest.raises(PitstopError, match="cuts in two") as error:
        parse_dockerfile("FROM a AS x\nFROM b\nCOPY --from=\u2167 /x /y\n", "Dockerfile")
    assert error.value.line == 3
