"""`pitstop review --fix` on generated repositories whose findings have fixes: each file is
left byte-identical or still parses; no line outside a fix's edits changes; a second run
(after any run the first asked for) changes nothing."""

from __future__ import annotations

import difflib
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from pitstop import api
from pitstop.errors import PitstopError
from pitstop.lines import lines_with_endings
from pitstop.parsers.dockerfile import parse_dockerfile
from pitstop.parsers.yamlfile import load_yaml

from . import strategies as gen
from .budget import fuzz
from .cli import check_contract, names_in, run_cli, written

_FIXABLE = [
    "ADD {w} /app/",
    "ADD app.py /app/",
    "RUN apt-get update && apt-get install -y curl {w}",
    "RUN apt-get install -y \\\n    curl {w}",
    "RUN pip install flask {w}",
    "RUN pip install \\\n  -r requirements.txt # trailing {w}",
    "CMD python app.py {w}",
    "ENTRYPOINT gunicorn app:app {w}",
    "COPY . /app",
    "WORKDIR /app",
    "RUN echo {w}",
]

_WORKFLOW = """\
on: {trigger}
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: '{w}'
      - run: pip install -r requirements.txt
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
        with:
          context: .
          push: false
"""


@st.composite
def fixable_repository(draw: st.DrawFn) -> dict[str, bytes]:
    # `# escape=`` is left out here: the RUN-appending fix breaks it (test_known_failures.py)
    lines = [draw(st.sampled_from(["", "# syntax=docker/dockerfile:1"]))]
    lines.append("FROM python:3.12-slim")
    # no unterminated quote either: the same fix appends inside it (test_known_failures.py)
    words = gen.noise(2).filter(lambda w: '"' not in w and "'" not in w)
    for template in draw(st.lists(st.sampled_from(_FIXABLE), min_size=1, max_size=6)):
        lines.append(template.format(w=draw(words)))
    breaks = draw(st.sampled_from([["\n"], ["\r\n"], ["\n", "\r\n"], ["\n", "\x0c\n"], ["\u2028\n"]]))  # fmt: skip
    text = "".join(line + breaks[i % len(breaks)] for i, line in enumerate(lines) if line)
    files = {"Dockerfile": draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + text.encode()}
    files["app.py"] = b"print('hi')\n"
    files["requirements.txt"] = b"flask\n"
    if draw(st.booleans()):
        trigger = draw(st.sampled_from(["push", "[push, pull_request]", "pull_request"]))
        workflow = _WORKFLOW.format(trigger=trigger, w=draw(gen.noise(1)).replace("'", "''"))
        files[".github/workflows/ci.yml"] = workflow.replace("\n", draw(st.sampled_from(["\n", "\r\n"]))).encode()  # fmt: skip
    return files


def snapshot(root: Path, files: dict[str, bytes]) -> dict[str, bytes]:
    return {path: (root / path).read_bytes() for path in files if (root / path).is_file()}


@fuzz(40)
@given(fixable_repository())
def test_fix(files: dict[str, bytes]) -> None:
    with written(files) as root:
        try:
            plan = api.fixes(api.review(root))
        except PitstopError:
            return  # a repository that cannot be reviewed has nothing to fix
        spans = _edited_lines(plan)
        before = snapshot(root, files)
        check_contract(run_cli("review", root, "--fix"), names_in(root, files))
        after = snapshot(root, files)
        for path, data in after.items():
            if data != before[path]:
                _still_parses(path, data)
                _only_edited_lines_changed(before[path], data, spans.get(path, set()))
        settled = after
        for _ in range(3):  # fixes that overlapped are applied by the runs after
            check_contract(run_cli("review", root, "--fix"), names_in(root, files))
            now, settled = settled, snapshot(root, files)
            if now == settled:
                break
        assert now == settled, "a further --fix still changes files"


def _edited_lines(plan: api.FixPlan) -> dict[str, set[int]]:
    lines: dict[str, set[int]] = {}
    for finding in plan.applied:
        for edit in finding.fix.edits if finding.fix else ():
            lines.setdefault(edit.path, set()).update(range(edit.start_line, edit.end_line + 1))
    return lines


def _still_parses(path: str, data: bytes) -> None:
    text = data.decode("utf-8-sig")
    if path.endswith("Dockerfile"):
        parse_dockerfile(text, path)
    elif path.endswith((".yml", ".yaml")):
        load_yaml(text, path)


def _only_edited_lines_changed(before: bytes, after: bytes, edited: set[int]) -> None:
    old = lines_with_endings(before.decode("utf-8"))
    new = lines_with_endings(after.decode("utf-8"))
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            touched = set(range(i1 + 1, i2 + 1))
            assert touched <= edited, (tag, touched, edited)
        elif tag == "insert":  # new lines go next to an edited one
            assert {i1, i1 + 1} & edited or not old, (tag, i1, edited)
