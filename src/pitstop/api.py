"""The library surface: everything the command line does, callable from Python.

>>> from pitstop import api
>>> result = api.review("examples/monorepo")
>>> result.verdict, [f.rule for f in result.findings]

Each function imports what it needs when it is called: `pitstop affected` never loads the
review engine, and `pitstop review` never loads the import graph (start-up is most of a
one-file review; a test checks what `import pitstop.api` loads).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pitstop.errors import PitstopError
from pitstop.model import Finding, ReviewResult, Severity, Verdict

if TYPE_CHECKING:
    from pitstop.config import Config, ImageConfig
    from pitstop.history.map_read import Reader as MapReader
    from pitstop.history.recording import Recorded
    from pitstop.history.records import HistoryReport, SlowTest
    from pitstop.history.store import Store
    from pitstop.image.records import ImageReport
    from pitstop.impact.audit import AuditResult
    from pitstop.impact.explain import Explanation
    from pitstop.impact.selection_run import Run
    from pitstop.impact.selector import Selection
    from pitstop.impact.shard import Durations, Plan, Sharding
    from pitstop.init.plan import InitPlan
    from pitstop.parsers.benchmarks import BenchmarkResults
    from pitstop.perf.compare import Comparison as BenchComparison
    from pitstop.perf.profile_records import ProfileDiff
    from pitstop.pipeline import PipelineResult
    from pitstop.review.context_usage import ContextResult
    from pitstop.review.fixes import FixPlan
    from pitstop.review.rules.base import Rule
    from pitstop.runs import RunIdentity
    from pitstop.testmap import CoverageMap
    from pitstop.testmap import Recording as TestMapRecording

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
    root, only = _reviewed(path)
    from pitstop.review.engine import review_tree

    config = configure(root, config_file, select, ignore, fail_on)
    result = review_tree(root, config, only)
    return replace(result, fail_on=config.fail_on)


def _reviewed(path: str | Path) -> tuple[Path, str | None]:
    """The root a review of `path` reads and writes, and the one file named, if any."""
    target = Path(path)
    if not target.exists():
        raise PitstopError("no such file or directory", path=str(path))
    return (target.parent, target.name) if target.is_file() else (target, None)


def finish_interrupted_fix(path: str | Path) -> str | None:
    """Finish what a killed `--fix` under `path` had started: discarded when it had changed
    no file, completed when it had (what was done, in a sentence; None if nothing was)."""
    from pitstop.files import finish_interrupted

    return finish_interrupted(_reviewed(path)[0])


def interrupted_fix(path: str | Path) -> bool:
    """Whether a killed `--fix` left a change half-written under `path`."""
    from pitstop.files import journal_left

    return journal_left(_reviewed(path)[0])


def configure(
    root: Path,
    config_file: str | Path | None = None,
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    fail_on: str | None = None,
) -> Config:
    """The configuration for `root`, with command-line options applied and rule codes checked."""
    from pitstop.config import check_codes, load_config
    from pitstop.review.registry import known_codes

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
    from pitstop.review.fixes import plan_fixes

    return plan_fixes(Path(result.root), result.findings)


def plan_patches(result: ReviewResult) -> dict[Finding, str]:
    """The unified diff of each blocking finding's fix, one finding at a time: what
    `--format plan` shows under each blocking issue (computed here, rendered there)."""
    from pitstop.review.fixes import plan_fixes, unified_diff

    root = Path(result.root)
    return {
        finding: unified_diff(plan_fixes(root, [finding]).changes)
        for finding in result.findings
        if finding.severity is Severity.BLOCKING and finding.fix is not None
    }


def report(result: ReviewResult, fmt: str, *, color: bool | None = None) -> str:
    """`result` as a report in the format named `fmt` (`pitstop.reports.Format` values),
    with what the format needs computed first (the plan's patches)."""
    from pitstop.reports import Format, render

    chosen = Format(fmt)
    patches = plan_patches(result) if chosen is Format.PLAN else None
    table = rules() if chosen is Format.SARIF else ()
    return render(result, chosen, color=color, patches=patches, rules=table)


def diff(plan: FixPlan) -> str:
    """The changes of `plan` as one unified diff (`git apply` accepts it)."""
    from pitstop.review.fixes import unified_diff

    return unified_diff(plan.changes)


def apply_fixes(plan: FixPlan, root: str | Path) -> None:
    """Write the changes of `plan` under `root`, each file atomically."""
    from pitstop.review.fixes import write_changes

    write_changes(Path(root), plan.changes)


def _check_cli_codes(option: str, codes: tuple[str, ...]) -> None:
    from pitstop.review.registry import known_codes

    known = known_codes()
    for code in codes:
        if not any(k.startswith(code.upper()) for k in known):
            raise PitstopError(
                f"{option}: unknown rule code {code!r} (valid codes: {', '.join(known)})"
            )


def exit_code(result: ReviewResult) -> int:
    """The exit code tells the verdict's story: 1 unless the verdict is APPROVED, and also
    when a finding reaches the fail-on level (`warning`, `info`); 0 with fail-on `never`;
    2 when nothing could be reviewed. With the default fail-on (`blocking`) that is exactly
    "1 unless APPROVED": a blocking finding already withholds approval."""
    if result.problems and not result.files_reviewed:
        return EXIT_USAGE
    if result.fail_on is None:
        return EXIT_OK
    approved = result.verdict is Verdict.APPROVED
    return EXIT_FINDINGS if result.failed or not approved else EXIT_OK


def context(
    path: str | Path,
    dockerfile: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ContextResult:
    """The build context at `path` as Docker would send it; with `dockerfile`, also the
    bytes no COPY or ADD of its stages can use. `progress` gets the files found so far."""
    from pitstop.review.context_usage import measure_context

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
    static: bool = False,
    db: str | None = None,
) -> Selection:
    """The test files under `root` that a change can affect. The change is the `changed`
    paths (relative to `root`), or the working tree against merge-base(`base`, HEAD) from
    git (default base HEAD: the uncommitted changes). A test map recorded by `pytest
    --pitstop-record` (in `db`, else $PITSTOP_DB, else .pitstop/history.db) is used unless
    `static`. `precise=False` gives the plain module-level import closure instead of the
    name-level one (pitstop.impact.importtime), without the map."""
    return _selection_run(root, base, changed, use_cache, precise, static, db).selection


def _selection_run(
    root: str | Path,
    base: str | None,
    changed: Sequence[str] | None,
    use_cache: bool,
    precise: bool,
    static: bool,
    db: str | None,
) -> Run:
    """One selection run, with the recorded test map when there is one to use."""
    from pitstop.impact.selection_run import run

    folder = Path(root)
    options = {"base": base, "changed": changed, "use_cache": use_cache, "precise": precise}
    if static or not precise or not folder.is_dir():
        return run(folder, **options)  # type: ignore[arg-type]
    opened = _test_map_reader(folder, db)
    if opened is None:
        return run(folder, **options)  # type: ignore[arg-type]
    from pitstop.history.map_read import read_map, repository_name

    reader, close = opened
    try:
        test_map = read_map(reader, repository_name(folder))
        return run(folder, **options, coverage=test_map)  # type: ignore[arg-type]
    finally:
        close()


def _test_map_reader(root: Path, db: str | None) -> tuple[MapReader, Callable[[], None]] | None:
    """A reader of the history database holding the test map, and what closes it; None
    when there is no such database (a missing SQLite file is not created). SQLite is read
    with sqlite3: SQLAlchemy is imported only for a server database."""
    import os

    url = db or os.environ.get("PITSTOP_DB")
    path = _sqlite_path(root, url)
    if url and path is None:
        from pitstop.history.coverage import EngineReader
        from pitstop.history.store import Store

        engine_reader = EngineReader(Store.open(url))
        return engine_reader, engine_reader.close
    if path is None or not path.is_file():
        return None  # sqlite3 is not even imported for a repository without a history
    from pitstop.history.map_read import SqliteReader

    reader = SqliteReader(path)
    return reader, reader.close


def store_test_map(root: str | Path, recording: TestMapRecording, db: str | None = None) -> None:
    """Store a session's test map (`pytest --pitstop-record`) in the history database: a
    SQLite history already at this pitstop's schema with sqlite3, else through the store
    (which creates or upgrades it; and for a server database)."""
    import os

    from pitstop.history.map_read import repository_name
    from pitstop.history.map_write import SqliteWriter

    repository = repository_name(Path(root))
    path = _sqlite_path(Path(root), db or os.environ.get("PITSTOP_DB"))
    if path is not None and SqliteWriter.usable(path):
        SqliteWriter(path).write(repository, recording, None)
        return
    from pitstop.history.coverage import write_recording
    from pitstop.history.store import Store, database_url

    store = Store.open(database_url(Path(root), db))
    try:
        write_recording(store, repository, recording)
    finally:
        store.close()


def _sqlite_path(root: Path, url: str | None) -> Path | None:
    """The SQLite file of the history at `url` (None: the default one), if it is SQLite."""
    from pitstop.files import HISTORY_FILE, state_folder

    if not url:
        folder = state_folder(root)
        return folder / HISTORY_FILE if folder is not None else None
    if url.startswith(("sqlite:///", "sqlite+pysqlite:///")):
        return Path(url.split(":///", 1)[1])
    return None


def explain(
    test: str,
    root: str | Path = ".",
    base: str | None = None,
    changed: Sequence[str] | None = None,
    use_cache: bool = True,
    *,
    precise: bool = True,
    static: bool = False,
    db: str | None = None,
) -> Explanation:
    """Why `test` (a test file path relative to `root`) is or is not in the selection of
    `affected(...)` with the same arguments: the chain from a changed file to it, or, with
    a test map, the function or rule that selected it."""
    from pitstop.impact.explain import Explanation
    from pitstop.impact.explain import explain as explain_test

    done = _selection_run(root, base, changed, use_cache, precise, static, db)
    if test not in done.graph.tests:
        raise PitstopError(f"not a test file of {root}: {test}")
    if done.why is not None and not done.selection.run_all:
        reason = done.why.get(test)
        if reason is not None:
            return Explanation(test, True, f"{test} is selected: it {reason}")
        return Explanation(
            test,
            False,
            f"{test} is not affected: it ran none of the changed functions, and no changed "
            "file can act on it at import time",
        )
    return explain_test(test, done.selection, done.impact(), done.graph, precise=precise)


def audit(
    root: str | Path = ".",
    mutants: int = 50,
    seed: int = 0,
    pytest_args: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
    jobs: int = 1,
    *,
    coverage: bool = False,
) -> AuditResult:
    """Measure the safety of `affected` on `root` by mutation: `mutants` single-point
    mutants of source files, each with the selection and a full run of the suite (in a
    temporary copy of the project, `jobs` copies side by side; pytest gets `pytest_args`).
    `progress(done, total)`. With `coverage`, the baseline also records a test map and each
    mutant is selected with it as well."""
    from pitstop.impact.audit import PytestRunner
    from pitstop.impact.audit import audit as run_audit

    runner = PytestRunner(tuple(pytest_args))
    return run_audit(
        Path(root),
        mutants=mutants,
        seed=seed,
        runner=runner,
        progress=progress,
        jobs=jobs,
        open_map=open_test_map if coverage else None,
    )


def open_test_map(url: str, root: Path) -> tuple[CoverageMap | None, Callable[[], None]]:
    """The test map of `root`'s repository in the database at `url`, and what closes the
    database (the map reads its hits from it while in use)."""
    from pitstop.history.map_read import read_map, repository_name

    opened = _test_map_reader(root, url)
    if opened is None:
        return None, lambda: None
    reader, close = opened
    try:
        return read_map(reader, repository_name(root)), close
    except BaseException:
        close()
        raise


def init(
    path: str | Path = ".", *, workflow: bool = False, force: bool = False, dry_run: bool = False
) -> InitPlan:
    """Look at the repository at `path` and write pitstop's configuration into it (and, with
    `workflow`, `.github/workflows/pitstop.yml`), fitted to what was found; with `dry_run`,
    only plan it (`init_diff` shows the plan). PitstopError, nothing written, when a file it
    would replace exists and `force` is not given."""
    from pitstop.init.plan import plan_init, write_init

    plan = plan_init(Path(path), workflow=workflow, force=force)
    if not dry_run:
        write_init(plan)
    return plan


def init_diff(plan: InitPlan) -> str:
    """What `init` writes (or would write), as one unified diff."""
    from pitstop.init.plan import init_diff as diff_of

    return diff_of(plan)


def rules() -> tuple[Rule, ...]:
    """Every built-in rule, in code order."""
    from pitstop.review.registry import RULES

    return RULES


# The CI history (`pitstop record`, `pitstop report`). The store imports SQLAlchemy, so
# nothing of it loads until one of these is called.


def history_store(db: str | None = None, root: str | Path = ".") -> Store:
    """The history database: `db` (a SQLAlchemy URL), else $PITSTOP_DB, else SQLite at
    `<root>/.pitstop/history.db`; created or upgraded as needed."""
    from pitstop.history.store import Store, database_url

    return Store.open(database_url(Path(root), db))


def run_identity(**options: str | None) -> RunIdentity:
    """The run a record belongs to: `options` (RunIdentity's fields), the rest from the
    GitHub Actions environment."""
    import os

    from pitstop.history.identity import run_identity as identity

    return identity(os.environ, options)


def shard_run(run: RunIdentity, index: int, count: int) -> RunIdentity:
    """`run` as shard `index` of `count`: its job named with the shard, so each shard is a
    run of its own and `pitstop report` can measure their balance."""
    from pitstop.history.queries import shard_job

    return replace(run, job=shard_job(run.job, index, count))


def record_junit(store: Store, paths: Sequence[str | Path], run: RunIdentity) -> list[Recorded]:
    """Record JUnit XML files, each in one transaction (see `pitstop.history.recording`)."""
    from pitstop.history.recording import record_junit as record

    return record(store, [Path(p) for p in paths], run)


def record_github(store: Store, path: str | Path, run: RunIdentity) -> Recorded:
    """Record a run's jobs and steps from `gh run view --json jobs` or the REST jobs JSON."""
    from pitstop.history.recording import record_github as record

    return record(store, Path(path), run)


def record_build(
    store: Store, log: str | Path, run: RunIdentity, metadata: str | Path | None = None
) -> Recorded:
    """Record an image build from a `--progress=plain` log (and its `--metadata-file`)."""
    from pitstop.history.recording import record_build as record

    return record(store, Path(log), Path(metadata) if metadata else None, run)


def record_images(
    store: Store,
    run: RunIdentity,
    inspect: str | Path | None = None,
    sizes: Sequence[tuple[str, int]] = (),
    report: str | Path | None = None,
    name: str | None = None,
) -> list[Recorded]:
    """Record image sizes from `docker image inspect` JSON, a `pitstop image --format json`
    report (named `name`, else by its archive's file name) and/or (image, bytes) pairs."""
    from pitstop.history.recording import record_images as record
    from pitstop.runs import ImageSize

    given = [ImageSize(image, count) for image, count in sizes]
    found = Path(report) if report else None
    return record(store, Path(inspect) if inspect else None, given, run, found, name)


def record_bench(store: Store, paths: Sequence[str | Path], run: RunIdentity) -> list[Recorded]:
    """Record benchmark results files (pytest-benchmark, pyperf, asv), each one run."""
    from pitstop.history.recording import record_bench as record

    return record(store, [Path(p) for p in paths], run)


def history_report(
    store: Store,
    *,
    since: float,
    branch: str | None = "main",
    root: str | Path = ".",
    config_file: str | Path | None = None,
) -> HistoryReport:
    """The SLO table, slowest and flaky tests of the runs recorded in the last `since`
    seconds, against the targets of the configuration at `root`."""
    import time

    from pitstop.history.analysis import history_report as compute

    config = configure(Path(root), config_file)
    now = time.time()
    return compute(store.engine, since=now - since, until=now, branch=branch, targets=config.slo)


def render_history(report: HistoryReport, fmt: str) -> str:
    """`report` as text, markdown, json or html."""
    from pitstop.reports.history_report import render_history as render

    return render(report, fmt)


def slow_tests(
    root: str | Path, threshold: float, window: float, db: str | None = None
) -> list[SlowTest] | None:
    """The tests whose p95 duration over the last `window` seconds is above `threshold`
    seconds, slowest first; None when there is no history yet (the default SQLite file does
    not exist: it is not created for a read)."""
    import time

    from pitstop.history.analysis import slow_tests as find
    from pitstop.history.store import Store, database_url, existing

    url = database_url(Path(root), db)
    if not existing(url):
        return None
    store = Store.open(url)
    try:
        return find(store.engine, threshold=threshold, since=time.time() - window)
    finally:
        store.close()


def render_slow(tests: Sequence[SlowTest], threshold: float, fmt: str) -> str:
    """`pitstop report --slow`: the slow tests in text, markdown or json."""
    from pitstop.reports.history_report import render_slow as render

    return render(tests, threshold, fmt)


def shard(
    root: str | Path,
    shards: int,
    *,
    everything: bool = False,
    base: str | None = None,
    changed: Sequence[str] | None = None,
    durations: Sequence[str] = (),
    by: str = "file",
    db: str | None = None,
    branch: str | None = None,
    static: bool = False,
) -> Sharding:
    """`pitstop shard`: the test files `pitstop affected` selects (all of them with
    `everything`) split into `shards` groups of near-equal expected time, from the durations
    of the history (`db`; the last runs of `branch`, default $GITHUB_BASE_REF, else every
    branch), then of the `durations` files (JUnit XML or pytest-split's .test_durations), then
    of `.test_durations` at the root when no file is given."""
    from pitstop.impact.durations import test_counts
    from pitstop.impact.shard import Sharding, shard_selection

    if shards < 1:
        raise PitstopError(f"--shards must be at least 1, not {shards}")
    folder = Path(root)
    if everything:
        selection = affected(folder, changed=[], static=True)
        files = selection.tests
    else:
        selection = affected(folder, base, changed, static=static, db=db)
        files = selection.tests if selection.run_all else selection.selected
    measured = measured_durations(folder, durations, db, branch)
    known = measured.by_file
    counts = test_counts(folder, [path for path in files if path not in known])
    made, tests = shard_selection(files, measured, shards, by, counts)
    return Sharding(
        plan=made,
        shards=tuple(tests),
        selected=len(files),
        test_files=len(selection.tests),
        everything=everything,
        run_all=selection.reasons if selection.run_all and not everything else (),
        measured_files=sum(1 for path in files if path in known),
    )


def measured_durations(
    root: str | Path,
    files: Sequence[str] = (),
    db: str | None = None,
    branch: str | None = None,
) -> Durations:
    """The measured durations `pitstop shard` plans with (see `shard`), merged: the history
    wins over the files, the files over one another in the order given."""
    import os

    from pitstop.files import inside_root
    from pitstop.impact.durations import read_durations
    from pitstop.impact.shard import merged

    folder = Path(root)
    sources = []
    history = _history_durations(folder, db, branch or os.environ.get("GITHUB_BASE_REF") or None)
    if history is not None:
        sources.append(history)
    for name in files:
        sources.append(read_durations(Path(name), name))
    default = folder / ".test_durations"
    if not files and default.is_file():
        if not inside_root(default, folder):
            raise PitstopError(
                "lies outside the repository (a symlink); not read", path=".test_durations"
            )
        sources.append(read_durations(default, ".test_durations"))
    return merged(sources)


def _history_durations(root: Path, db: str | None, branch: str | None) -> Durations | None:
    """The history's durations (median of the last runs), None without a history or when it
    holds no timed test."""
    import os

    path = _sqlite_path(root, db or os.environ.get("PITSTOP_DB"))
    if path is not None and not path.is_file():
        return None  # nothing recorded: nothing read, nothing created
    from pitstop.history.analysis import recent_durations as find
    from pitstop.history.store import Store, database_url
    from pitstop.impact.shard import Durations

    url = database_url(root, db)
    store = Store.open(url)
    try:
        found = find(store.engine, branch)
    finally:
        store.close()
    if not found.seconds:
        return None
    of = f" of {branch}" if branch else ""
    source = f"the history: {len(found.seconds)} tests, median of the last {found.runs} runs{of}"
    return Durations(found.seconds, found.first, (source,))


def shard_items(
    root: str | Path,
    items: Sequence[str],
    shards: int,
    *,
    by: str = "file",
    durations: Sequence[str] = (),
    db: str | None = None,
    branch: str | None = None,
) -> Plan:
    """`pytest --pitstop-shard`: the plan of the collected tests `items` (node ids), with the
    durations `shard` uses."""
    from pitstop.impact.shard import plan_items

    if shards < 1:
        raise PitstopError(f"shards must be at least 1, not {shards}")
    return plan_items(items, measured_durations(root, durations, db, branch), shards, by)


# `pitstop bench compare`: benchmark results, compared with statistics.


def recorded_bench_runs(
    store: Store, branch: str | None, limit: int | None = None
) -> list[BenchmarkResults]:
    """The last `limit` benchmark runs `pitstop record bench` stored (of `branch`), oldest
    first: a base for `bench_compare` that is longer than one job can afford to run."""
    from pitstop.history.analysis import RECENT_BENCH_FILES, recorded_bench_runs

    count = RECENT_BENCH_FILES if limit is None else limit
    if count < 1:
        raise PitstopError(f"--base-runs must be at least 1, not {count}")
    found = recorded_bench_runs(store.engine, branch, count)
    if not found:
        where = f" of branch {branch!r}" if branch else ""
        raise PitstopError(
            f"no benchmark run{where} is recorded in the history (pitstop record bench FILE)"
        )
    return found


def bench_compare(
    base: str | Path | Sequence[str | Path] | Sequence[BenchmarkResults],
    head: str | Path | Sequence[str | Path] | Sequence[BenchmarkResults],
    *,
    min_effect: float = 0.05,
    fdr: float = 0.05,
    min_runs: int | None = None,
    paired: bool = False,
) -> BenchComparison:
    """The benchmarks of the base's and the head's results files (pytest-benchmark, pyperf or
    asv JSON; each file one run of the suite, a directory standing for its *.json files)
    matched by name, each with its ratio of medians of run medians, interval, p-value and
    verdict. Fewer than `min_runs` runs a side (default pitstop.perf.stats.MIN_RUNS) is
    insufficient data. `paired`: the i-th base and head files were run next to each other
    (interleaved), and each pair's ratio is the evidence (Wilcoxon signed-rank)."""
    from pitstop.perf.compare import Settings, compare
    from pitstop.perf.stats import MIN_RUNS

    if not 0 <= min_effect < float("inf"):
        raise PitstopError(f"--min-effect must be a finite number at least 0, not {min_effect:g}")
    if not 0 < fdr < 1:
        raise PitstopError(f"--fdr must be between 0 and 1, not {fdr:g}")
    runs = MIN_RUNS if min_runs is None else min_runs
    if runs < 2:
        raise PitstopError(f"--min-runs must be at least 2, not {runs}")
    settings = Settings(min_effect=min_effect, fdr=fdr, min_runs=runs, paired=paired)
    base_runs, head_runs = _bench_runs(base), _bench_runs(head)
    if paired and len(base_runs) != len(head_runs):
        raise PitstopError(
            f"--paired needs as many base runs as head runs, run interleaved (given "
            f"{len(base_runs)} base and {len(head_runs)} head results files)"
        )
    return compare(base_runs, head_runs, settings)


def _bench_runs(
    given: str | Path | Sequence[str | Path] | Sequence[BenchmarkResults],
) -> list[BenchmarkResults]:
    """The results files named (a directory: its *.json files, by name), each read once; runs
    already read (from the history) as they are."""
    from pitstop.parsers.benchmarks import BenchmarkResults, read_benchmarks

    named = [given] if isinstance(given, str | Path) else list(given)
    if not named:
        raise PitstopError("no benchmark results file given")
    runs: list[BenchmarkResults] = []
    for entry in named:
        if isinstance(entry, BenchmarkResults):
            runs.append(entry)
            continue
        path = Path(entry)
        if not path.is_dir():
            runs.append(read_benchmarks(path, str(entry)))
            continue
        found = sorted(path.glob("*.json"))
        if not found:
            raise PitstopError("no *.json results file in this directory", path=str(entry))
        runs += [read_benchmarks(f, str(f)) for f in found]
    return runs


def render_bench(comparison: BenchComparison, fmt: str) -> str:
    """The comparison as text, json or markdown."""
    from pitstop.reports.bench_report import render

    return render(comparison, fmt)


def bench_exit_code(comparison: BenchComparison, fail_on: str = "regression") -> int:
    """1 when `fail_on` is "regression" and a benchmark regressed (significant, and at least
    the minimum effect); else 0."""
    from pitstop.perf.compare import Verdict

    if fail_on == "never":
        return EXIT_OK
    return EXIT_FINDINGS if comparison.with_verdict(Verdict.REGRESSION) else EXIT_OK


# `pitstop image`: a built image's layers, waste, Python weight and budget.


def image(
    archive: str | Path,
    *,
    platform: str | None = None,
    dockerfile: str | Path | None = None,
    target: str | None = None,
    base: str | None = None,
    budget: str | int | None = None,
    budget_added: str | int | None = None,
    verify_digests: bool = True,
) -> ImageReport:
    """Measure a built image (a `docker save` archive, or an OCI layout as a directory or a
    tar) without a daemon and without extracting it. `budget` applies to the whole image's
    uncompressed bytes, `budget_added` to the bytes above the base (one of them)."""
    from pitstop.image.budget import Budget, parse_budget
    from pitstop.image.inspect import inspect_image

    if budget is not None and budget_added is not None:
        raise PitstopError("give one budget: --budget (whole image) or --budget-added")
    chosen: Budget | None = None
    if budget is not None or budget_added is not None:
        given = budget if budget is not None else budget_added
        added = budget_added is not None
        assert given is not None
        chosen = (
            Budget(given, added) if isinstance(given, int) else parse_budget(given, added=added)
        )
    return inspect_image(
        Path(archive),
        platform=platform,
        dockerfile=Path(dockerfile) if dockerfile is not None else None,
        target=target,
        base=base,
        budget=chosen,
        verify_digests=verify_digests,
    )


def image_config(root: str | Path, config_file: str | Path | None = None) -> ImageConfig:
    """The `[image]` budgets of the configuration at `root` (its schema checked; the rule
    codes are `review`'s to check, so the rules are not loaded for this)."""
    from pitstop.config import load_config

    return load_config(Path(root), Path(config_file) if config_file else None).image


def render_image(report: ImageReport, fmt: str) -> str:
    """The image report as text, json or markdown."""
    from pitstop.reports.image_report import render

    return render(report, fmt)


def image_exit_code(report: ImageReport) -> int:
    """1 when the image is over its budget, 0 otherwise (and without a budget); a budget on
    the added bytes that cannot be judged (the base unknown) is a PitstopError (exit 2)."""
    verdict = report.analysis.budget
    if verdict is None:
        return EXIT_OK
    if verdict.over is None:
        raise PitstopError(
            f"--budget-added cannot be judged: {verdict.reason}; give --base (the base "
            "image's archive) or --dockerfile"
        )
    return EXIT_FINDINGS if verdict.over else EXIT_OK


def profile_diff(
    base: str | Path, head: str | Path, z: float = 3.0, *, flamegraph: bool = False
) -> ProfileDiff:
    """`pitstop profile diff`: the functions whose self share of the profile grew (or
    shrank) from `base` to `head` with |z| >= `z`, most significant first; with
    `flamegraph`, HEAD's call tree too. Each file is a collapsed-stack, speedscope,
    pyinstrument JSON or cProfile file, told from its content (each read once)."""
    from pitstop.parsers.profiles import read_profile
    from pitstop.perf.profile import diff_profiles

    if not z > 0:
        raise PitstopError(f"--z must be above 0, not {z}")
    before = read_profile(Path(base), str(base))
    after = read_profile(Path(head), str(head))
    return diff_profiles(before, after, z, flame=flamegraph)


def render_profile_diff(diff: ProfileDiff, fmt: str, top: int | None = None) -> str:
    """`diff` as text, json or markdown (a PR comment); `top` keeps the first N of each
    list (markdown: 3 when None)."""
    from pitstop.reports.profile_report import render_profile_diff as render

    return render(diff, fmt, top)


def render_flamegraph(diff: ProfileDiff) -> str:
    """The differential flame graph of a `profile_diff(..., flamegraph=True)`: one
    self-contained HTML file."""
    from pitstop.reports.profile_report import render_flamegraph as render

    if diff.flame is None:
        raise PitstopError("no flame graph: compute the difference with flamegraph=True")
    return render(diff, diff.flame)
