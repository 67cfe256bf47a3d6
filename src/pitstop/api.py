"""The library surface: everything the command line does, callable from Python.

>>> from pitstop import api
>>> result = api.review("examples/monorepo")
>>> result.verdict, [f.rule for f in result.findings]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pitstop.config import Config, check_codes, load_config
from pitstop.errors import PitstopError
from pitstop.model import ReviewResult
from pitstop.review.engine import review_tree
from pitstop.review.fixes import FixPlan, plan_fixes, unified_diff, write_changes
from pitstop.review.registry import RULES, known_codes
from pitstop.review.rules.base import Rule

if TYPE_CHECKING:
    from pitstop.impact.audit import AuditResult
    from pitstop.impact.explain import Explanation
    from pitstop.impact.selector import Selection
    from pitstop.pipeline import PipelineResult
    from pitstop.review.context_command import ContextResult

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def review(
    path: str | Path = ".",
    *,
    config_file: str | Path | None = None,
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    fail_on: str | None = None,
) -> ReviewResult:
    """Review the repository at `path` (or the one Dockerfile `path` names).

    Raises PitstopError for bad usage or configuration; files that cannot be read or
    parsed are listed in `result.problems` and the rest is still reviewed."""
    target = Path(path)
    if not target.exists():
        raise PitstopError("no such file or directory", path=str(path))
    root, only = (target.parent, target.name) if target.is_file() else (target, None)
    config = configure(root, config_file, select, ignore, fail_on)
    result = review_tree(root, config, only)
    return replace(result, fail_on=config.fail_on)


def configure(
    root: Path,
    config_file: str | Path | None = None,
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    fail_on: str | None = None,
) -> Config:
    """The configuration for `root`, with command-line options applied and rule codes checked."""
    config = load_config(root, Path(config_file) if config_file else None)
    for option, codes in (("--select", select), ("--ignore", ignore)):
        _check_cli_codes(option, codes)
    try:
        config = config.with_overrides(select=select, ignore=ignore, fail_on=fail_on)
    except ValueError as error:
        raise PitstopError(f"--fail-on: {error}") from None
    check_codes(config, known_codes())
    return config


def fixes(result: ReviewResult) -> FixPlan:
    """The file changes that the safe fixes of `result`'s findings make (nothing is written)."""
    return plan_fixes(Path(result.root), result.findings)


def diff(plan: FixPlan) -> str:
    """The changes of `plan` as one unified diff (`git apply` accepts it)."""
    return unified_diff(plan.changes)


def apply_fixes(plan: FixPlan, root: str | Path) -> None:
    """Write the changes of `plan` under `root`, each file atomically."""
    write_changes(Path(root), plan.changes)


def _check_cli_codes(option: str, codes: tuple[str, ...]) -> None:
    known = known_codes()
    for code in codes:
        if not any(k.startswith(code.upper()) for k in known):
            raise PitstopError(
                f"{option}: unknown rule code {code!r} (valid codes: {', '.join(known)})"
            )


def exit_code(result: ReviewResult) -> int:
    """0: nothing at the fail-on level; 1: findings at or above it; 2: nothing could be reviewed."""
    if result.problems and not result.files_reviewed:
        return EXIT_USAGE
    return EXIT_FINDINGS if result.failed else EXIT_OK


def context(
    path: str | Path,
    dockerfile: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ContextResult:
    """The build context at `path` as Docker would send it; with `dockerfile`, also the
    bytes no COPY or ADD of its stages can use. `progress` gets the files found so far."""
    from pitstop.review.context_command import measure_context

    return measure_context(Path(path), Path(dockerfile) if dockerfile else None, progress)


def pipeline(workflow: str | Path, timings: str | Path | None = None) -> PipelineResult:
    """The job graph of the workflow file `workflow`, its critical path and what each
    proposed change saves; with `timings` (`gh run view RUN_ID --json jobs` output, or
    `{"job": seconds}`) measured in seconds, else by job count."""
    from pitstop.pipeline import analyse_pipeline

    return analyse_pipeline(Path(workflow), Path(timings) if timings is not None else None)


def affected(
    root: str | Path = ".",
    base: str | None = None,
    changed: Sequence[str] | None = None,
    use_cache: bool = True,
    *,
    precise: bool = True,
) -> Selection:
    """The test files under `root` that a change can affect. The change is the `changed`
    paths (relative to `root`), or the working tree against merge-base(`base`, HEAD) from
    git (default base HEAD: the uncommitted changes). `precise=False` gives the plain
    module-level import closure instead of the name-level one (pitstop.impact.importtime)."""
    from pitstop.impact.engine import run

    return run(
        Path(root), base=base, changed=changed, use_cache=use_cache, precise=precise
    ).selection


def explain(
    test: str,
    root: str | Path = ".",
    base: str | None = None,
    changed: Sequence[str] | None = None,
    use_cache: bool = True,
    *,
    precise: bool = True,
) -> Explanation:
    """Why `test` (a test file path relative to `root`) is or is not in the selection of
    `affected(...)` with the same arguments: the chain from a changed file to it."""
    from pitstop.impact.engine import run
    from pitstop.impact.explain import explain as explain_test

    done = run(Path(root), base=base, changed=changed, use_cache=use_cache, precise=precise)
    if test not in done.graph.tests:
        raise PitstopError(f"not a test file of {root}: {test}")
    return explain_test(test, done.selection, done.impact(), done.graph, precise=precise)


def audit(
    root: str | Path = ".",
    mutants: int = 50,
    seed: int = 0,
    pytest_args: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
    jobs: int = 1,
) -> AuditResult:
    """Measure the safety of `affected` on `root` by mutation: `mutants` single-point
    mutants of source files, each with the selection and a full run of the suite (in a
    temporary copy of the project, `jobs` copies side by side; pytest gets `pytest_args`).
    `progress(done, total)`."""
    from pitstop.impact.audit import PytestRunner
    from pitstop.impact.audit import audit as run_audit

    runner = PytestRunner(tuple(pytest_args))
    return run_audit(
        Path(root), mutants=mutants, seed=seed, runner=runner, progress=progress, jobs=jobs
    )


def rules() -> tuple[Rule, ...]:
    """Every built-in rule, in code order."""
    return RULES
