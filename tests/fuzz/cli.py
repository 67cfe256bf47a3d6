"""Running the CLI in-process on generated repositories, and the contract every run keeps."""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from pitstop.cli import main

from . import strategies as gen
from .budget import assert_one_line, time_bound


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path) -> Run:
    """`pitstop ARGS` in this process, stdout and stderr strict UTF-8 as in a CI log; any
    exception other than the CLI's own exit is a traceback a user would see."""
    out, err = io.BytesIO(), io.BytesIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", errors="strict", newline="")
    stderr = io.TextIOWrapper(err, encoding="utf-8", errors="strict", newline="")
    with (
        time_bound(),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("default")  # what a user's terminal shows
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit_:  # argparse
            code = exit_.code if isinstance(exit_.code, int) else 2
        stdout.flush()
        stderr.flush()
    shown = [
        w
        for w in caught
        if not issubclass(w.category, DeprecationWarning | PendingDeprecationWarning)
    ]
    assert not shown, [str(w.message) for w in shown]  # a warning prints lines on stderr
    return Run(code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8"))


_ERROR = re.compile(r"pitstop: error: (?P<where>.+?)(?::\d+)?: \S")


def check_contract(run: Run, named: set[str]) -> None:
    """Exit 0, 1 or 2; stderr only pitstop's own lines; each error names a file of `named`."""
    assert run.code in (0, 1, 2), run
    assert "Traceback" not in run.stderr
    # lines as a terminal shows them (Unicode line separators: test_known_failures.py)
    for line in run.stderr.split("\n")[:-1]:
        assert line.startswith("pitstop: "), line
        assert_one_line(line)
        if line.startswith("pitstop: error: "):
            where = _ERROR.match(line)
            assert where is not None, line
            assert where.group("where") in named, (line, sorted(named))
    if run.code == 2:
        assert run.stderr, "exit 2 without saying why"


# -------------------------------------------------------------------- repositories


@st.composite
def repository(draw: st.DrawFn) -> dict[str, bytes]:
    """A small repository: relative path -> bytes, every kind of file pitstop reads."""
    files: dict[str, bytes] = {}

    def maybe(path: str, strategy: st.SearchStrategy[str], chance: int = 2) -> None:
        if draw(st.integers(0, chance - 1)) == 0:
            files[path] = draw(gen.as_bytes(draw(strategy)))

    files["Dockerfile"] = draw(gen.as_bytes(draw(gen.dockerfile_text())))
    maybe("app/Dockerfile", gen.dockerfile_text(), 3)
    maybe(".dockerignore", gen.ignore_text())
    maybe("app/Dockerfile.dockerignore", gen.ignore_text(), 4)
    maybe("requirements.txt", gen.requirements_text(), 3)
    maybe("pyproject.toml", gen.pyproject_text(), 3)
    maybe(".github/workflows/ci.yml", gen.workflow_text())
    maybe("compose.yaml", gen.compose_text(), 4)
    maybe("docker-bake.hcl", gen.bake_text(), 5)
    maybe(".pitstop.toml", gen.config_text(), 6)
    maybe("timings.json", gen.timings_text(), 2)
    files["src/pkg/__init__.py"] = b""
    files["src/pkg/mod.py"] = draw(
        st.sampled_from(
            [b"X = 1\n", b"import pkg.other\n", b"from . import *\n", b"def f(:\n", b"\xff\n"]
        )
    )
    files["tests/test_mod.py"] = draw(
        st.sampled_from(
            [b"from pkg.mod import X\n", b"import pkg\n", b"open('data.json')\n", b"\0"]
        )
    )
    return files


@contextlib.contextmanager
def written(files: dict[str, bytes]) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="pitstop-fuzz-") as top:
        root = Path(top) / "repo"
        for relative, data in files.items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_bytes(data)
        yield root


def names_in(root: Path, files: dict[str, bytes], *extra: str) -> set[str]:
    """What an error line may name: the files and folders of the repository, relative or
    absolute, and the root."""
    named = {str(root), ".", *extra}
    for relative in files:
        parts = relative.split("/")
        for depth in range(1, len(parts) + 1):
            named.add("/".join(parts[:depth]))
            named.add(str(root.joinpath(*parts[:depth])))
    return named
