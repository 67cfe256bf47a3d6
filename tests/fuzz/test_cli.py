"""`pitstop review`, `context`, `pipeline` and `affected --changed` end to end on generated
repositories: exit 0, 1 or 2, no traceback, one-line errors naming a file, within the time
bound, on a strict UTF-8 stdout."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from .budget import fuzz
from .cli import check_contract, names_in, repository, run_cli, written

FORMATS = st.sampled_from(["text", "json", "sarif", "markdown", "github", "plan"])


@fuzz(30)
@given(repository(), FORMATS)
def test_review(files: dict[str, bytes], format_: str) -> None:
    with written(files) as root:
        run = run_cli("review", root, "--format", format_)
        check_contract(run, names_in(root, files))


@fuzz(25)
@given(repository(), st.booleans())
def test_context(files: dict[str, bytes], with_dockerfile: bool) -> None:
    with written(files) as root:
        args = ["context", root, *(["-f", root / "Dockerfile"] if with_dockerfile else [])]
        run = run_cli(*args, "--format", "json")
        check_contract(run, names_in(root, files))
        if run.code == 0:
            assert run.stdout.startswith("{")


@fuzz(25)
@given(repository())
def test_pipeline(files: dict[str, bytes]) -> None:
    files.setdefault(".github/workflows/ci.yml", b"on: push\njobs: {a: {runs-on: x, steps: [{run: a}]}}\n")  # fmt: skip
    timings = ["--timings", "timings.json"] if "timings.json" in files else []
    with written(files) as root:
        args = [
            root / ".github/workflows/ci.yml",
            *(root / t if t != "--timings" else t for t in timings),
        ]
        run = run_cli("pipeline", *args)
        check_contract(run, names_in(root, files))


@fuzz(20)
@given(repository(), st.lists(st.sampled_from(["src/pkg/mod.py", "tests/test_mod.py", "Dockerfile", "data.json", "../x", "ü", ""]), min_size=1, max_size=3))  # fmt: skip
def test_affected_changed(files: dict[str, bytes], changed: list[str]) -> None:
    with written(files) as root:
        run = run_cli(
            "affected", "--root", root, "--no-cache", "--format", "json", "--changed", *changed
        )
        check_contract(run, names_in(root, files, *changed))
