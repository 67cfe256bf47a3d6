"""Generators of hostile-ish input for every file pitstop reads.

Each generator builds something close to a real file (so parsing gets past the first
line) and salts it with what breaks parsers: odd line breaks, `# escape=` directives,
trailing shell comments, unterminated quotes, Unicode digits, huge numbers, deep nesting
and bytes that are not UTF-8.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

# Characters `str.splitlines` breaks at but BuildKit, YAML and TOML mostly do not.
LINE_BREAKS = ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"]
UNICODE_DIGITS = ["²", "\u0663", "\u096a", "\U0001d7d9", "\uff11", "\u2167"]
HUGE_NUMBERS = ["9" * 30, "1e308", "-1e999", "18446744073709551616", "0x" + "f" * 20, "9" * 5000]
QUOTES = ['"', "'", '"unterminated', "'unterminated", '\\"', "`"]

_WORDS = st.sampled_from(
    [
        "app", "src", "build", "python", "3.12", "slim", "bü", "ü", "日本", "$HOME", "${X}",
        "${X:-d}", "$", "{", "}", "[", "]", ":", "=", "--", "-", "#", "# comment", "\\",
        "\t", " ", "*", "**", "!", "..", "/", ".", "~", "@", "&&", "||", ";", "|", "<<EOF",
        *UNICODE_DIGITS, *HUGE_NUMBERS, *QUOTES,
    ]
)  # fmt: skip
_BREAK = st.sampled_from(LINE_BREAKS)


@st.composite
def noise(draw: st.DrawFn, max_words: int = 5) -> str:
    """A run of hostile words, separated by spaces, maybe a line break inside."""
    words = draw(st.lists(_WORDS, max_size=max_words))
    if words and draw(st.integers(0, 4)) == 0:
        words.insert(draw(st.integers(0, len(words))), draw(_BREAK))
    return " ".join(words)


def _joined(lines: list[str], breaks: list[str]) -> str:
    return "".join(line + breaks[i % len(breaks)] for i, line in enumerate(lines))


@st.composite
def line_breaks(draw: st.DrawFn) -> list[str]:
    """Mostly `\n`, sometimes a file in one odd style, sometimes a mix."""
    style = draw(st.integers(0, 3))
    if style == 0:
        return [draw(_BREAK)]
    if style == 1:
        return draw(st.lists(_BREAK, min_size=1, max_size=4))
    return ["\n"]


# ------------------------------------------------------------------------- Dockerfile

_INSTRUCTIONS = [
    "FROM python:3.12-slim AS {w}",
    "FROM {w}",
    "FROM --platform=$BUILDPLATFORM {w} AS build",
    "ARG {w}={w}",
    "ENV {w}={w}",
    "WORKDIR /app",
    "COPY . /app",
    "COPY --from={w} /x /y",
    "COPY --chown={w} {w} /app/",
    "ADD {w} /app/",
    "ADD https://example.com/{w} /x",
    "RUN pip install {w}",
    "RUN pip install -r requirements.txt",
    "RUN apt-get update && apt-get install -y {w}",
    "RUN --mount=type=cache,target=/root/.cache pip install {w}",
    "RUN --mount=type=bind,from={w},target=/t true",
    "RUN echo {w} \\",
    "  && echo {w}",
    "RUN <<EOF\necho {w}\nEOF",
    "USER {w}",
    "EXPOSE {w}",
    "CMD python app.py {w}",
    'CMD ["python", "{w}"]',
    "ENTRYPOINT {w}",
    "HEALTHCHECK CMD curl {w}",
    "# {w}",
    "{w}",
    "",
]


@st.composite
def dockerfile_text(draw: st.DrawFn) -> str:
    """A Dockerfile of 1 to 12 instructions with hostile words, breaks and directives."""
    lines = []
    if draw(st.integers(0, 5)) == 0:
        lines.append(draw(st.sampled_from(["# escape=`", "# escape=\\", "# syntax=docker/dockerfile:1", "#escape = `"])))  # fmt: skip
    lines.append("FROM python:3.12-slim")
    for template in draw(st.lists(st.sampled_from(_INSTRUCTIONS), max_size=12)):
        line = template.format(w=draw(noise(3)))
        if draw(st.integers(0, 6)) == 0:
            line += " " + draw(st.sampled_from(["# trailing", "#", "\\", "`", "&& \\"]))
        lines.append(line)
    return _joined(lines, draw(line_breaks()))


# ------------------------------------------------------------------------ ignore file


@st.composite
def ignore_text(draw: st.DrawFn) -> str:
    atoms = st.sampled_from(
        ["a", "*", "**", "?", "/", "!", "[a-z]", "[^a]", "[", "]", "\\", ".", "..", "#", " ",
         "ü", "\\x", "[[:alpha:]]", "{a,b}", *UNICODE_DIGITS]
    )  # fmt: skip
    lines = ["".join(draw(st.lists(atoms, max_size=8))) for _ in range(draw(st.integers(0, 8)))]
    return _joined(lines, draw(line_breaks()))


IGNORE_PATHS = st.lists(st.sampled_from(["a", "b", "ü", ".git", "x.py", "[", "*"]), min_size=1, max_size=4).map("/".join)  # fmt: skip


# ------------------------------------------------------------------------------ YAML


def _yaml_scalar() -> st.SearchStrategy[str]:
    return st.one_of(
        noise(2),
        st.sampled_from(["~", "null", "yes", "on", "0o17", "!!str x", "!custom x", "*a", "&a x",
                         "'", '"', "|", ">", "{", "[", "${{ matrix.x }}", "${{", *HUGE_NUMBERS,
                         *UNICODE_DIGITS]),
    )  # fmt: skip


@st.composite
def nested_yaml(draw: st.DrawFn) -> str:
    depth = draw(st.integers(0, 200))
    return "[" * depth + draw(_yaml_scalar()) + "]" * draw(st.integers(0, depth))


@st.composite
def workflow_text(draw: st.DrawFn) -> str:
    """A GitHub Actions workflow with builds, caches, matrices and hostile scalars."""
    jobs = []
    for index in range(draw(st.integers(1, 3))):
        steps = draw(
            st.lists(
                st.sampled_from(
                    [
                        "      - uses: actions/checkout@v4",
                        "      - uses: actions/setup-python@v5\n        with:\n          python-version: '{w}'",
                        "      - uses: docker/build-push-action@v6\n        with:\n          context: {w}\n          target: {w}\n          file: {w}",
                        "      - run: docker build -t x {w} -f {w}/Dockerfile",
                        "      - run: |\n          pip install {w}\n          pytest {w}",
                        "      - run: {w}",
                        "      - {w}",
                    ]
                ),
                min_size=1,
                max_size=4,
            )
        )
        body = "\n".join(step.format(w=draw(_yaml_scalar())) for step in steps)
        needs = "\n    needs: [job0]" if index and draw(st.booleans()) else ""
        name = draw(st.sampled_from(["", "\n    name: {w}", "\n    name: Test ${{{{ matrix.py }}}} {w}"]))  # fmt: skip
        jobs.append(
            f"  job{index}:{name.format(w=draw(_yaml_scalar()))}{needs}\n    runs-on: ubuntu-latest\n"
            f"    strategy:\n      matrix:\n        py: ['3.11', {draw(_yaml_scalar())}]\n"
            f"    steps:\n{body}"
        )
    trigger = draw(st.sampled_from(["push", "[push, pull_request]", "{w}", "\n  pull_request:\n    paths: ['{w}']"]))  # fmt: skip
    text = f"on: {trigger.format(w=draw(_yaml_scalar()))}\njobs:\n" + "\n".join(jobs) + "\n"
    if draw(st.integers(0, 6)) == 0:
        text += draw(nested_yaml()) + "\n"
    breaks = draw(line_breaks())
    return text if breaks == ["\n"] else text.replace("\n", breaks[0])


@st.composite
def compose_text(draw: st.DrawFn) -> str:
    services = []
    for index in range(draw(st.integers(1, 3))):
        build = draw(
            st.sampled_from(
                [
                    "    build: {w}",
                    "    build:\n      context: {w}\n      dockerfile: {w}\n      target: {w}",
                    "    build:\n      context: .\n      args:\n        - {w}\n      cache_from: [{w}]",
                    "    build: [{w}]",
                    "    image: {w}",
                ]
            )
        )
        services.append(f"  s{index}:\n" + build.format(w=draw(_yaml_scalar())))
    text = "services:\n" + "\n".join(services) + "\n"
    if draw(st.integers(0, 6)) == 0:
        text = draw(nested_yaml()) + "\n"
    return text


@st.composite
def bake_text(draw: st.DrawFn) -> str:
    """A bake file, as HCL or as JSON, with inheritance (cycles too) and hostile values."""
    value = json.dumps(draw(noise(2)))
    targets = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        blocks = []
        for name in targets:
            inherits = json.dumps(draw(st.lists(st.sampled_from(["a", "b", "c", "x"]), max_size=2)))
            blocks.append(
                f'target "{name}" {{\n  context = {value}\n  dockerfile = {value}\n'
                f"  inherits = {inherits}\n  target = {value}\n"
                f"  args = {{ X = {value} }}\n  cache-from = [{value}]\n}}"
            )
        text = 'group "default" {\n  targets = ' + json.dumps(targets) + "\n}\n" + "\n".join(blocks)
        return text + draw(st.sampled_from(["", "\n{", '\n"', "\n${", "\n" + "{" * 300]))
    document = {
        "group": {"default": {"targets": targets}},
        "target": {
            name: {
                "context": json.loads(value),
                "inherits": [draw(st.sampled_from(["a", "b", "c"]))],
            }
            for name in targets
        },
    }
    return json.dumps(document) + draw(st.sampled_from(["", "}", "[" * 300]))


# ---------------------------------------------------------------------- dependencies


@st.composite
def requirements_text(draw: st.DrawFn) -> str:
    lines = draw(
        st.lists(
            st.sampled_from(
                [
                    "flask=={w}", "-e {w}", "-e ./libs/{w}", "./libs/{w}", "-r {w}", "-c {w}",
                    "pkg @ file:///{w}", "pkg @ file:{w}", "--index-url {w}", "{w} ; python_version < '3.{w}'",
                    "pkg[{w}]>=1", "# {w}", "{w} \\", "--hash=sha256:{w}", "{w}",
                ]
            ),
            max_size=8,
        )
    )  # fmt: skip
    return _joined([line.format(w=draw(noise(2))) for line in lines], draw(line_breaks()))


@st.composite
def pyproject_text(draw: st.DrawFn) -> str:
    value = json.dumps(draw(noise(2)))
    parts = draw(
        st.lists(
            st.sampled_from(
                [
                    '[project]\nname = "x"\ndependencies = ["pkg @ file:///{v}", {v}]',
                    "[project.optional-dependencies]\ndev = [{v}]",
                    "[dependency-groups]\ndev = [{v}, {{include-group = {v}}}]",
                    '[tool.poetry.dependencies]\nlib = {{path = {v}, develop = true}}',
                    "[tool.uv.sources]\nlib = {{ path = {v} }}",
                    "[tool.uv.workspace]\nmembers = [{v}]",
                    "x = {v}", "[[", "a = " + "[" * 300, '"""', "x = 1979-05-27T07:32:00Z",
                ]
            ),
            min_size=1,
            max_size=4,
        )
    )  # fmt: skip
    return "\n".join(part.format(v=value) for part in parts) + "\n"


# --------------------------------------------------------------------------- timings


_SECONDS = st.one_of(
    st.integers(-5, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["5m", None, True, [1], {"a": 1}]),
)
_TIMES = st.sampled_from(
    ["2025-01-01T10:00:00Z", "2025-01-01T10:05:00+01:00", "2025-01-01T10:05:00",
     "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2025-13-01", "", "²", "1e308"]
)  # fmt: skip


@st.composite
def timings_text(draw: st.DrawFn) -> str:
    names = st.one_of(st.sampled_from(["job0", "job1", "Test 3.11 x", "job0 (a, b)"]), noise(3))
    if draw(st.booleans()):
        document: object = {draw(names): draw(_SECONDS) for _ in range(draw(st.integers(0, 4)))}
    else:
        jobs = [
            {"name": draw(names), "startedAt": draw(_TIMES), "completedAt": draw(_TIMES)}
            for _ in range(draw(st.integers(0, 4)))
        ]
        document = {"jobs": jobs}
    text = json.dumps(document, allow_nan=True)
    return text + draw(st.sampled_from(["", "", "", "]", "NaN", "[" * 2000]))


# ---------------------------------------------------------------------------- config


@st.composite
def config_text(draw: st.DrawFn) -> str:
    value = draw(
        st.one_of(
            st.sampled_from(['"PS101"', '["PS101", "PS999"]', "[1, 2]", '"warning"', '"loud"',
                             "1e308", "inf", "nan", "-1", "9" * 30, '"²"', "[" * 300, '"\\ud800"']),
            st.just(json.dumps(draw(noise(2)))),
        )
    )  # fmt: skip
    key = draw(st.sampled_from(["select", "ignore", "fail-on", "severity", "per-path-ignores", "context-budget-mb", "exclude", "unknown"]))  # fmt: skip
    table = draw(st.sampled_from(["[tool.pitstop]", "[tool.pitstop.severity]", "[tool.pitstop.per-path-ignores]", ""]))  # fmt: skip
    return f"{table}\n{key} = {value}\n"


# ------------------------------------------------------------------------ CI history

_XML_NAMES = st.one_of(
    st.sampled_from(["test_a", "test_b[1-2]", "t&amp;x", "t&#10;y", "a\tb", "&lt;img&gt;", "ü"]),
    noise(2).map(lambda text: text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "")),
)
_XML_CHILDREN = st.sampled_from(
    ["", "<failure message='m'>E  x</failure>", "<error/>", "<skipped/>", "<failure>",
     "<flakyFailure message='f'/>", "<rerunError/>", "<system-out><![CDATA[<testcase name='x'/>]]></system-out>",
     "<!-- <testcase name='test_a'/> -->", "<properties><property name='a' value='b'/></properties>"]
)  # fmt: skip


@st.composite
def junit_text(draw: st.DrawFn) -> str:
    """JUnit XML as runners write it, repeats and retries included, salted with what breaks
    readers: entities, references, CDATA and comments holding tags, truncation, a DTD."""
    cases = []
    for _ in range(draw(st.integers(0, 6))):
        quote = draw(st.sampled_from(['"', "'"]))
        attributes = [
            f"classname={quote}{draw(st.sampled_from(['tests.test_x.TestA', 'pkg.CartTest', '']))}{quote}",
            f"name={quote}{draw(_XML_NAMES)}{quote}",
            f"time={quote}{draw(st.sampled_from(['0.5', '1,234.5', 'nan', '-1', '1e308', '']))}{quote}",
        ]
        if draw(st.booleans()):
            attributes.append("file='tests/test_x.py'")
        order = draw(st.permutations(attributes))
        cases.append(f"<testcase {' '.join(order)}>{draw(_XML_CHILDREN)}</testcase>")
    if cases and draw(st.booleans()):
        cases.append(cases[0])  # a rerun, as gotestsum and pytest-rerunfailures write one
    suite = draw(st.sampled_from(["pytest", "jest tests", ""]))
    body = f'<testsuites><testsuite name="{suite}">{"".join(cases)}</testsuite></testsuites>'
    prolog = draw(st.sampled_from(["", '<?xml version="1.0" encoding="utf-8"?>',
                                   '<!DOCTYPE x [<!ENTITY a "b">]>', '<?xml version="1.0" encoding="latin-1"?>']))  # fmt: skip
    text = prolog + body
    cut = draw(st.integers(0, 3))
    return text[: draw(st.integers(0, len(text)))] if cut == 0 else text


@st.composite
def github_jobs_text(draw: st.DrawFn) -> str:
    """`gh run view --json jobs` or REST jobs JSON, with odd times, types and nesting."""

    def step() -> dict[str, object]:
        return {"name": draw(noise(2)), "number": draw(st.sampled_from([1, 2, -1, "3", 1e308])),
                "conclusion": draw(st.sampled_from(["success", None, 5])),
                "startedAt": draw(_TIMES), "completedAt": draw(_TIMES)}  # fmt: skip

    rest = draw(st.booleans())
    jobs = []
    for _ in range(draw(st.integers(0, 3))):
        if rest:
            jobs.append({"id": draw(st.sampled_from([1, "x", None, 2**70])), "run_id": 7,
                         "name": draw(noise(2)), "created_at": draw(_TIMES),
                         "started_at": draw(_TIMES), "completed_at": draw(_TIMES),
                         "labels": draw(st.sampled_from([["ubuntu-latest"], "x", [1]])),
                         "steps": [step() for _ in range(draw(st.integers(0, 2)))]})  # fmt: skip
        else:
            jobs.append({"databaseId": 3, "name": draw(noise(2)), "conclusion": "success",
                         "startedAt": draw(_TIMES), "completedAt": draw(_TIMES),
                         "steps": draw(st.sampled_from([[], None, {"a": 1}])) or [step()]})  # fmt: skip
    document: object = {"total_count": len(jobs), "jobs": jobs} if rest else {"jobs": jobs}
    text = json.dumps(document, allow_nan=True)
    return text + draw(st.sampled_from(["", "", "]", "NaN", "[" * 2000]))


@st.composite
def build_log_text(draw: st.DrawFn) -> str:
    """BuildKit plain-progress output, interleaved, cut short, restarted."""
    lines = ['#0 building with "default" instance using docker driver']
    for number in range(1, draw(st.integers(1, 6)) + 1):
        header = draw(st.sampled_from([f"[stage-{number} {number}/3] RUN x", "[internal] load .dockerignore",
                                       f"[{number}/{number}] COPY . .", "[b 1/2] FROM python", "exporting to image",
                                       draw(noise(3))]))  # fmt: skip
        lines.append(f"#{number} {header}")
        lines.append(f"#{number} " + draw(st.sampled_from(["CACHED", "DONE 1.2s", "DONE nans", "DONE 1e308s",
                                                           "ERROR: x", "CANCELED", "0.912 output", ""])))  # fmt: skip
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), "#1 [internal] load build definition")
    prefix = draw(st.sampled_from(["", "2025-01-01T10:00:00.0000000Z ", "²"]))
    return "\n".join(prefix + line for line in lines) + draw(st.sampled_from(["\n", "", "\r\n"]))


# ------------------------------------------------------------------------ raw bytes


@st.composite
def as_bytes(draw: st.DrawFn, text: str) -> bytes:
    """`text` as UTF-8, sometimes with a BOM, sometimes with a byte that is not UTF-8."""
    data = text.encode("utf-8", "surrogatepass")
    choice = draw(st.integers(0, 7))
    if choice == 0:
        return b"\xef\xbb\xbf" + data
    if choice == 1:
        at = draw(st.integers(0, len(data)))
        return (
            data[:at]
            + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\0"]))
            + data[at:]
        )
    return data
