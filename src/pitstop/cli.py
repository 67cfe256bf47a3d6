"""The command line: parse arguments, call `pitstop.api`, map the result to an exit code.

Start-up matters (pitstop runs on every commit): only argparse is imported here at
module level; the review engine, the parser and rich load when a command needs them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pitstop import __version__

if TYPE_CHECKING:
    from pitstop.model import ReviewResult

FORMATS = ("text", "json", "sarif", "markdown", "github", "plan")  # = pitstop.reports.Format values
FAIL_ON = ("blocking", "warning", "info", "never")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pitstop",
        description="A CI/CD performance engineer in a command.",
        epilog="Run `pitstop COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"pitstop {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    review = commands.add_parser(
        "review",
        help="review Dockerfiles, build contexts, dependency files and workflows",
        description="Review a repository's Dockerfiles, ignore files, build contexts, "
        "dependency declarations and GitHub Actions workflows: findings, area scores and "
        "a verdict. Exit 0 when APPROVED, 1 otherwise (see --fail-on), 2 on a usage error.",
    )
    review.add_argument(
        "path", nargs="?", default=".", help="repository or Dockerfile (default: .)"
    )
    review.add_argument(
        "--format", "-f", choices=FORMATS, default="text", help="output format (default: text)"
    )
    review.add_argument(
        "--output", "-o", metavar="FILE", help="write the report to FILE (atomically)"
    )
    review.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        help="exit 1 also on findings of this severity or worse (default: blocking); a "
        "verdict other than APPROVED exits 1 whatever the level, except with `never`, "
        "which always exits 0",
    )
    review.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (default: .pitstop.toml, else [tool.pitstop] in "
        "pyproject.toml, at the reviewed root)",
    )
    review.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="CODE,...",
        help="run only these rules: a comma list of codes or prefixes (PS1 = every PS1xx); "
        "repeatable",
    )
    review.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="CODE,...",
        help="skip these rules: a comma list of codes or prefixes; repeatable",
    )
    review.add_argument(
        "--diff",
        action="store_true",
        help="print the safe fixes as one unified diff (`git apply` takes it), no report",
    )
    review.add_argument(
        "--fix", action="store_true", help="apply the safe fixes, then report what is left"
    )
    review.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour in the text report (default: auto, only on a terminal without NO_COLOR)",
    )
    context = commands.add_parser("context", help="the build context as Docker would send it")
    context.add_argument("path", help="the context folder")
    context.add_argument(
        "-f",
        "--file",
        metavar="DOCKERFILE",
        help="the Dockerfile: picks <Dockerfile>.dockerignore if it exists, and reports the "
        "bytes no COPY or ADD can use",
    )
    context.add_argument(
        "--list", action="store_true", help="print every included path, one a line"
    )
    context.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    pipeline = commands.add_parser(
        "pipeline", help="a workflow's job graph, critical path and what each change saves"
    )
    pipeline.add_argument("workflow", help="the workflow file (.github/workflows/*.yml)")
    pipeline.add_argument(
        "--timings",
        metavar="FILE",
        help='job durations: `gh run view RUN_ID --json jobs` output or {"job": seconds}',
    )
    pipeline.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="output format (default: text)",
    )
    _add_affected(commands)
    _add_shard(commands)
    _add_history(commands)
    _add_bench(commands)
    _add_profile(commands)
    _add_image(commands)
    _add_init(commands)
    rules = commands.add_parser("rules", help="list the rules (markdown: the rules reference)")
    rules.add_argument(
        "--format",
        choices=("text", "markdown"),
        default="text",
        help="text: one rule a line; markdown: docs/rules.md (default: text)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    passthrough: list[str] = []
    if "--" in words:  # `pitstop affected audit ... -- PYTEST ARGS`: argparse would choke
        words, passthrough = words[: words.index("--")], words[words.index("--") + 1 :]
    args = parser.parse_args(words)
    if passthrough and not getattr(args, "passthrough_ok", False):
        parser.error(f"unrecognized arguments: -- {' '.join(passthrough)}")
    args.passthrough = passthrough
    if args.command is None:
        parser.print_help()
        return 2
    from pitstop.errors import PitstopError

    try:
        return _run(args)
    except PitstopError as error:
        for line in error.lines:
            print(f"pitstop: error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pitstop: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as error:  # the last resort: a bug in pitstop, never a traceback
        return _internal_error(error)


def _internal_error(error: Exception) -> int:
    from pitstop.errors import EXIT_BUG, last_read

    what = " ".join(f"{type(error).__name__}: {error}".split())[:300]
    reading = last_read.get()
    where = f" (the last file read was {reading})" if reading else ""
    print(
        f"pitstop: internal error: {what}{where}. This is a bug in pitstop, not in your "
        "files: please report it with the command you ran (set PITSTOP_TRACEBACK=1 to see "
        "where it happened).",
        file=sys.stderr,
    )
    if os.environ.get("PITSTOP_TRACEBACK"):
        import traceback

        traceback.print_exception(error)
    return EXIT_BUG


def _run(args: argparse.Namespace) -> int:
    if args.command == "rules":
        return _rules(args)
    if args.command == "context":
        return _context(args)
    if args.command == "affected":
        return _affected(args)
    if args.command == "shard":
        return _shard(args)
    if args.command == "pipeline":
        return _pipeline(args)
    if args.command == "record":
        return _record(args)
    if args.command == "report":
        return _report(args)
    if args.command == "bench":
        return _bench(args)
    if args.command == "profile":
        return _profile_diff(args)
    if args.command == "image":
        return _image(args)
    if args.command == "init":
        return _init(args)
    return _review(args)


def _add_init(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = commands.add_parser(
        "init",
        help="write pitstop's configuration (and a workflow) fitted to a repository",
        description="Look at a repository (package manager, test runner, Dockerfiles, "
        "workflows, existing configuration; nothing of it is run) and write [tool.pitstop] "
        "into its pyproject.toml (else .pitstop.toml) with what was found in comments. An "
        "existing configuration or workflow is never replaced without --force: exit 2, "
        "nothing written.",
    )
    init.add_argument("path", nargs="?", default=".", help="the repository (default: .)")
    init.add_argument(
        "--workflow",
        action="store_true",
        help="also write .github/workflows/pitstop.yml: review, select and shard the tests, "
        "record the history",
    )
    init.add_argument(
        "--dry-run", action="store_true", help="print the unified diff of each file; write nothing"
    )
    init.add_argument(
        "--force", action="store_true", help="replace an existing configuration or workflow"
    )


def _init(args: argparse.Namespace) -> int:
    from pitstop import api

    plan = api.init(args.path, workflow=args.workflow, force=args.force, dry_run=args.dry_run)
    for note in plan.notes:
        print(f"pitstop: {note}", file=sys.stderr)
    if args.dry_run:
        _emit(api.init_diff(plan), None)
        return 0
    for write in plan.writes:
        print(f"pitstop: {'updated' if write.before is not None else 'wrote'} {write.path}")
    return 0


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise ValueError(text)
    return value


_fraction.__name__ = "fraction (between 0 and 1, e.g. 0.05)"


def _effect(text: str) -> float:
    value = float(text)
    if not 0 <= value < float("inf"):
        raise ValueError(text)
    return value


_effect.__name__ = "relative change (e.g. 0.05 for 5%)"


def _add_bench(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = commands.add_parser("bench", help="compare benchmark results with statistics")
    actions = bench.add_subparsers(dest="action", metavar="ACTION", required=True, help="compare")
    compare = actions.add_parser(
        "compare",
        help="the benchmarks of base and head runs: ratio, interval, p-value and verdict",
        description="Compare the benchmarks of the base's and the head's results files "
        "(pytest-benchmark JSON with raw timings, pyperf JSON, or asv results recorded with "
        "--record-samples; recognised from the content). Each file is one run of the suite, "
        "a directory stands for its *.json files; the run is the unit of evidence, so give "
        "several runs a side (--base A1 A2 ... --head B1 B2 ..., base and head run "
        "interleaved): one run a side gets no verdict. Exit 1 on a significant regression of "
        "at least --min-effect (see --fail-on), 0 otherwise, 2 on bad input.",
    )
    compare.add_argument(
        "base_file", nargs="?", metavar="BASE", help="the base's results (a file or directory)"
    )
    compare.add_argument(
        "head_file", nargs="?", metavar="HEAD", help="the head's results (a file or directory)"
    )
    compare.add_argument(
        "--base",
        nargs="+",
        metavar="RUN",
        help="the base's runs: results files or directories (instead of BASE)",
    )
    compare.add_argument(
        "--head",
        nargs="+",
        metavar="RUN",
        help="the head's runs: results files or directories (instead of HEAD)",
    )
    compare.add_argument(
        "--base-branch",
        metavar="BRANCH",
        help="the base's runs are the last --base-runs benchmark runs of BRANCH recorded in "
        "the history (pitstop record bench); give the head as HEAD or --head RUN...",
    )
    compare.add_argument(
        "--base-runs",
        type=int,
        default=None,
        metavar="N",
        help="with --base-branch: the recorded runs taken, newest first (default: 20)",
    )
    compare.add_argument(
        "--paired",
        action="store_true",
        help="the i-th base and i-th head runs ran next to each other (base, head, base, "
        "head, ...): judge each pair's ratio, which cancels the machine's drift (files are "
        "paired in the order given; a directory's files by name)",
    )
    compare.add_argument(
        "--min-runs",
        type=int,
        default=None,
        metavar="N",
        help="runs a side needed for a verdict, at least 2 (default: 6)",
    )
    compare.add_argument(
        "--format",
        "-f",
        choices=("text", "json", "markdown"),
        default="text",
        help="output format; markdown is a pull-request comment (default: text)",
    )
    compare.add_argument(
        "--min-effect",
        type=_effect,
        default=0.05,
        metavar="FRACTION",
        help="the smallest change reported as a regression or improvement (default: 0.05)",
    )
    compare.add_argument(
        "--fdr",
        type=_fraction,
        default=0.05,
        metavar="FRACTION",
        help="false discovery rate across the benchmarks, Benjamini-Hochberg (default: 0.05)",
    )
    compare.add_argument(
        "--fail-on",
        choices=("regression", "never"),
        default="regression",
        help="exit 1 on a regression (default), or never",
    )
    compare.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    _history_options(compare)


def _bench(args: argparse.Namespace) -> int:
    from pitstop import api

    base, head = _bench_sides(args)
    if args.base_branch is not None:
        if args.paired:
            raise _usage("--paired needs base runs made beside the head's, not --base-branch")
        store = api.history_store(args.db, args.root)
        try:
            base = api.recorded_bench_runs(store, args.base_branch, args.base_runs)
        finally:
            store.close()
    elif args.base_runs is not None:
        raise _usage("--base-runs goes with --base-branch")
    comparison = api.bench_compare(
        base,
        head,
        min_effect=args.min_effect,
        fdr=args.fdr,
        min_runs=args.min_runs,
        paired=args.paired,
    )
    _emit(api.render_bench(comparison, args.format), args.output)
    return api.bench_exit_code(comparison, args.fail_on)


def _bench_sides(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    """BASE HEAD, or --base ... --head ...: one form or the other, never a mix; with
    --base-branch, only the head: HEAD or --head ... (the base comes from the history)."""
    positional = [p for p in (args.base_file, args.head_file) if p is not None]
    if args.base_branch is not None:
        if args.base is None and args.head is None and len(positional) == 1:
            return [], positional
        if args.base is None and args.head is not None and not positional:
            return [], list(args.head)
        raise _usage("with --base-branch give only the head: HEAD, or --head RUN...")
    if args.base is None and args.head is None and len(positional) == 2:
        return [args.base_file], [args.head_file]
    if args.base is not None and args.head is not None and not positional:
        return list(args.base), list(args.head)
    from pitstop.errors import PitstopError

    raise PitstopError(
        "give BASE HEAD (one file or directory each), or --base RUN... --head RUN..., not a mix"
    )


def _split(values: list[str]) -> tuple[str, ...]:
    return tuple(code.strip() for value in values for code in value.split(",") if code.strip())


def _review(args: argparse.Namespace) -> int:
    from pitstop import api

    if args.fix:
        finished = api.finish_interrupted_fix(args.path)
        if finished:
            print(f"pitstop: {finished}", file=sys.stderr)
    elif api.interrupted_fix(args.path):
        print(
            "pitstop: warning: a --fix was interrupted and some files may be half-changed; "
            "`pitstop review --fix` finishes it",
            file=sys.stderr,
        )
    result = api.review(
        args.path,
        config_file=args.config,
        select=_split(args.select),
        ignore=_split(args.ignore),
        fail_on=args.fail_on,
    )
    for problem in result.problems:
        print(f"pitstop: error: {problem}", file=sys.stderr)
    if args.diff or args.fix:
        result = _fixes(args, result)
        if args.diff:
            return api.exit_code(result)
    color = {"auto": None, "always": True, "never": False}[args.color]
    if args.output:
        color = False
    report = api.report(result, args.format, color=color)
    _emit(report, args.output)
    return api.exit_code(result)


def _fixes(args: argparse.Namespace, result: ReviewResult) -> ReviewResult:
    """--diff: print the patch. --fix: write it and review again (what is left is reported)."""
    from pitstop import api

    plan = api.fixes(result)
    if args.diff:
        _emit(api.diff(plan), None)
        return result
    api.apply_fixes(plan, result.root)
    files = len(plan.changes)
    print(f"pitstop: fixed {len(plan.applied)} finding(s) in {files} file(s)", file=sys.stderr)
    if plan.skipped:
        print(
            f"pitstop: {len(plan.skipped)} fix(es) overlapped another; run --fix again",
            file=sys.stderr,
        )
    return api.review(
        args.path,
        config_file=args.config,
        select=_split(args.select),
        ignore=_split(args.ignore),
        fail_on=args.fail_on,
    )


def _context(args: argparse.Namespace) -> int:
    from pitstop import api
    from pitstop.reports import context_report

    with _walk_progress() as progress:
        result = api.context(args.path, args.file, progress)
    for problem in result.tree.problems:
        print(f"pitstop: error: {problem}", file=sys.stderr)
    if args.list:
        _emit("".join(f"{path}\n" for path, _ in result.tree.files), None)
        return 0
    render = context_report.render_json if args.format == "json" else context_report.render_text
    _emit(render(result), None)
    return 0


def _pipeline(args: argparse.Namespace) -> int:
    from pitstop import api
    from pitstop.reports import pipeline_report

    result = api.pipeline(args.workflow, args.timings)
    render = {
        "json": pipeline_report.render_json,
        "markdown": pipeline_report.render_markdown,
    }.get(args.format, pipeline_report.render_text)
    _emit(render(result), None)
    return 0


@contextlib.contextmanager
def _walk_progress() -> Iterator[Callable[[int], None] | None]:
    """A spinner with the file count on stderr, on a terminal only, once a walk gets large."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn

    bar = Progress(
        SpinnerColumn(),
        TextColumn("walking the context: {task.completed} files"),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("walk", total=None)

    def update(files: int) -> None:
        if files >= 20_000 and not bar.live.is_started:
            bar.start()
        bar.update(task, completed=files)

    try:
        yield update
    finally:
        bar.stop()


def _rules(args: argparse.Namespace) -> int:
    from pitstop import api
    from pitstop.reports.rules_doc import rules_markdown, rules_text

    table = api.rules()
    _emit(rules_markdown(table) if args.format == "markdown" else rules_text(table), None)
    return 0


def _emit(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from pitstop.files import write_atomic

    write_atomic(Path(output), text)


def _add_affected(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    affected = commands.add_parser(
        "affected",
        help="the test files a change can affect (git diff test selection)",
        description="The test files a change can affect (the change: --base REF from git, "
        "or --changed PATH...), from the import graph, conftest scoping, data files and the "
        "test map pytest --pitstop-record wrote, falling back to every test where a change "
        "cannot be followed. `pitstop affected audit` measures that selection's safety on "
        "the project by mutation, in a temporary copy: arguments after `--` go to pytest, "
        "and the options marked (audit) apply to it only; exit 1 when a mutant the suite "
        "caught failed a test file the selection left out. Exit 0 otherwise, 2 on bad input.",
    )
    change = affected.add_mutually_exclusive_group()
    change.add_argument(
        "--base", metavar="REF", help="the working tree against merge-base(REF, HEAD)"
    )
    change.add_argument(
        "--changed",
        nargs="*",
        metavar="PATH",
        help="the changed files, relative to --root (none: nothing changed)",
    )
    affected.add_argument("--root", default=".", metavar="DIR", help="project root (default: .)")
    affected.add_argument(
        "--format",
        choices=("text", "json", "pytest"),
        default="text",
        help="text, json, or pytest: the test files one a line, `.` for all, nothing for none "
        "(default: text)",
    )
    affected.add_argument("--explain", metavar="TEST", help="why TEST is (not) selected")
    affected.add_argument(
        "--static",
        action="store_true",
        help="ignore the test map recorded by pytest --pitstop-record (static selection)",
    )
    affected.add_argument(
        "--db",
        metavar="URL",
        help="the database holding the test map (default: $PITSTOP_DB, else .pitstop/history.db)",
    )
    affected.add_argument(
        "--coverage",
        action="store_true",
        help="(audit) also record a test map at the baseline and measure its selection",
    )
    affected.add_argument(
        "--no-cache", action="store_true", help="parse every file again (the cache is rebuilt)"
    )
    affected.add_argument(
        "action", nargs="?", choices=("audit",), help="audit: measure safety by mutation"
    )
    affected.set_defaults(passthrough_ok=True)  # audit: `-- PYTEST ARGS`
    affected.add_argument(
        "--mutants", type=int, default=50, help="(audit) mutants to try (default: 50)"
    )
    affected.add_argument(
        "--seed", type=int, default=0, help="(audit) which sample of mutants (default: 0)"
    )
    affected.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=1,
        help="(audit) mutants tried at once, one copy of the project each (default: 1)",
    )


def _affected(args: argparse.Namespace) -> int:
    from pitstop import api
    from pitstop.reports import affected_report

    if args.action == "audit":
        return _audit(args)
    options = {
        "base": args.base,
        "changed": args.changed,
        "use_cache": not args.no_cache,
        "static": args.static,
        "db": args.db,
    }
    if args.explain:
        explanation = api.explain(args.explain, args.root, **options)
        _emit(affected_report.render_explanation(explanation), None)
        return 0
    _emit(affected_report.render(api.affected(args.root, **options), args.format), None)
    return 0


def _audit(args: argparse.Namespace) -> int:
    from pitstop import api
    from pitstop.errors import PitstopError
    from pitstop.reports import affected_report

    if args.format == "pytest":
        raise PitstopError("affected audit: --format must be text or json")
    with _audit_progress() as progress:
        result = api.audit(
            args.root,
            args.mutants,
            args.seed,
            args.passthrough,
            progress,
            jobs=args.jobs,
            coverage=args.coverage,
        )
    _emit(affected_report.render_audit(result, args.format), None)
    return 1 if result.unsafe else 0


@contextlib.contextmanager
def _audit_progress() -> Iterator[Callable[[int, int], None] | None]:
    """A bar of mutants done on stderr, on a terminal only."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("mutants", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _add_shard(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    shard = commands.add_parser(
        "shard", help="split the affected tests into CI shards of near-equal expected time"
    )
    shard.add_argument("--shards", type=int, required=True, metavar="N", help="how many shards")
    shard.add_argument(
        "--index", type=int, metavar="I", help="only shard I (from 1), as --pitstop-shard=I/N"
    )
    shard.add_argument(
        "--all", action="store_true", dest="everything", help="every test, not the affected ones"
    )
    change = shard.add_mutually_exclusive_group()
    change.add_argument(
        "--base", metavar="REF", help="the working tree against merge-base(REF, HEAD)"
    )
    change.add_argument(
        "--changed", nargs="*", metavar="PATH", help="the changed files, relative to --root"
    )
    shard.add_argument(
        "--durations",
        action="append",
        default=[],
        metavar="FILE",
        help="JUnit XML or pytest-split's .test_durations (repeatable; after the history)",
    )
    shard.add_argument(
        "--by",
        choices=("file", "item"),
        default="file",
        help="the unit: a test file (default), or a test, splitting files where it balances better",
    )
    shard.add_argument(
        "--format",
        choices=("text", "json", "github-matrix", "pytest"),
        default="text",
        help="text, json, github-matrix (strategy.matrix JSON), or pytest: shard --index's "
        "arguments one a line (default: text)",
    )
    shard.add_argument("--root", default=".", metavar="DIR", help="project root (default: .)")
    shard.add_argument(
        "--db", metavar="URL", help="the history (default: $PITSTOP_DB, else .pitstop/history.db)"
    )
    shard.add_argument(
        "--branch",
        metavar="NAME",
        help="durations from the history's runs of this branch (default: $GITHUB_BASE_REF, "
        "else every branch)",
    )
    shard.add_argument("--static", action="store_true", help="select without the recorded test map")


def _shard(args: argparse.Namespace) -> int:
    from pitstop import api
    from pitstop.errors import PitstopError
    from pitstop.reports import shard_report

    if args.index is not None and not 1 <= args.index <= args.shards:
        raise PitstopError(f"--index must be between 1 and --shards ({args.shards})")
    if args.format == "pytest" and args.index is None:
        raise PitstopError("--format pytest gives one shard's arguments: add --index I")
    sharding = api.shard(
        args.root,
        args.shards,
        everything=args.everything,
        base=args.base,
        changed=args.changed,
        durations=args.durations,
        by=args.by,
        db=args.db,
        branch=args.branch,
        static=args.static,
    )
    _emit(shard_report.render(sharding, args.format, args.index), None)
    if args.index is not None and not sharding.shards[args.index - 1].tests:
        why = "fewer units than shards" if sharding.selected else "no test file is selected"
        print(
            f"pitstop: shard {args.index}/{args.shards} has nothing to run ({why}); exit 0",
            file=sys.stderr,
        )
    return 0


# The CI history: `pitstop record` and `pitstop report`.


def _age(text: str) -> float:
    """`30d`, `12h`, `1d12h`: seconds; argparse turns a ValueError into a usage error."""
    from pitstop.units import parse_duration

    seconds = parse_duration(text)
    if seconds <= 0:
        raise ValueError(text)
    return seconds


_age.__name__ = "age (e.g. 30d, 12h)"  # what argparse names in its error


def _size(text: str) -> tuple[str, int]:
    image, _, count = text.rpartition("=")
    if not image or not count.isascii() or not count.isdigit():
        raise ValueError(text)
    return image, int(count)


_size.__name__ = "IMAGE=BYTES"


def _shard_spec(text: str) -> tuple[int, int]:
    from pitstop.runs import parse_shard

    return parse_shard(text)


_shard_spec.__name__ = "shard (I/N, 1 <= I <= N)"


def _add_history(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    record = commands.add_parser(
        "record",
        help="record a CI run's test results, jobs, image builds and sizes in the history",
        description="Record what a CI run produced in the history database (SQLite at "
        ".pitstop/history.db, or --db / $PITSTOP_DB). Each file is one transaction; "
        "recording a file again adds nothing. Exit 0, or 2 with one line on bad input.",
    )
    kinds = record.add_subparsers(
        dest="kind", metavar="KIND", required=True, help="what to record (or prune)"
    )
    junit = kinds.add_parser("junit", help="JUnit XML (pytest, Surefire, gotestsum, Jest, ...)")
    junit.add_argument("files", nargs="+", metavar="FILE", help="JUnit XML files")
    junit.add_argument(
        "--shard",
        type=_shard_spec,
        metavar="I/N",
        help="the results are shard I of N (one run per shard; `report` shows the balance)",
    )
    github = kinds.add_parser(
        "github", help="a run's jobs: `gh run view RUN --json jobs` or the REST jobs JSON"
    )
    github.add_argument("file", metavar="FILE", help="the jobs JSON")
    build = kinds.add_parser("build", help="an image build's `--progress=plain` log")
    build.add_argument("file", metavar="LOG", help="the build's output (stderr)")
    build.add_argument("--metadata", metavar="FILE", help="the build's --metadata-file JSON")
    image = kinds.add_parser("image", help="image sizes: `docker image inspect` JSON or given")
    image.add_argument("--inspect", metavar="FILE", help="`docker image inspect` output")
    image.add_argument("--report", metavar="FILE", help="a `pitstop image --format json` report")
    image.add_argument(
        "--name", metavar="IMAGE", help="the image --report measured (default: its file name)"
    )
    image.add_argument(
        "--size",
        type=_size,
        action="append",
        default=[],
        metavar="IMAGE=BYTES",
        help="an image's size in bytes (repeatable)",
    )
    bench = kinds.add_parser(
        "bench",
        help="benchmark results (pytest-benchmark, pyperf, asv JSON): each file one run",
    )
    bench.add_argument("files", nargs="+", metavar="FILE", help="results files")
    prune = kinds.add_parser("prune", help="delete runs recorded before a given age")
    prune.add_argument("--older-than", type=_age, required=True, metavar="AGE", help="e.g. 180d")
    for sub in (junit, github, build, image, bench, prune):
        _history_options(sub)
    for sub in (junit, github, build, image, bench):
        _identity_options(sub)
    report = commands.add_parser(
        "report",
        help="SLOs, slowest and flaky tests from the recorded history",
        description="The SLO table (p50 and p95 with 95% intervals and sample sizes, against "
        "[tool.pitstop.slo]), the slowest and the flaky tests of the recorded runs.",
    )
    report.add_argument(
        "--since", type=_age, default="30d", metavar="AGE", help="window (default 30d)"
    )
    report.add_argument(
        "--branch", default="main", help="the default branch, for main's pipeline time"
    )
    report.add_argument(
        "--format",
        "-f",
        choices=("text", "markdown", "json", "html"),
        default="text",
        help="output format (default: text)",
    )
    report.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    report.add_argument(
        "--slow", action="store_true", help="list the tests whose p95 is above `slow-test`"
    )
    report.add_argument("--config", metavar="FILE", help="configuration file (SLO targets)")
    _history_options(report)


def _history_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", metavar="URL", help="SQLAlchemy URL (default: $PITSTOP_DB, else SQLite)"
    )
    parser.add_argument("--root", default=".", metavar="DIR", help="the repository (default: .)")


def _identity_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("the run (default: from the GitHub Actions environment)")
    for option, field, variable in (
        ("--repository", "repository", "GITHUB_REPOSITORY"),
        ("--workflow", "workflow", "GITHUB_WORKFLOW"),
        ("--run-id", "run_id", "GITHUB_RUN_ID"),
        ("--attempt", "attempt", "GITHUB_RUN_ATTEMPT"),
        ("--job", "job", "GITHUB_JOB (in a matrix, give one name per leg)"),
        ("--commit", "commit", "GITHUB_SHA"),
        ("--branch", "branch", "GITHUB_HEAD_REF, else $GITHUB_REF_NAME"),
        ("--event", "event", "GITHUB_EVENT_NAME"),
    ):
        group.add_argument(
            option,
            dest=f"run_{field}",
            metavar=field.upper().replace("_", "-"),
            help=f"default: ${variable}",
        )


def _record(args: argparse.Namespace) -> int:
    from pitstop import api

    store = api.history_store(args.db, args.root)
    try:
        if args.kind == "prune":
            import time

            count = store.prune(time.time() - args.older_than)
            print(f"pitstop: pruned {count} run(s)", file=sys.stderr)
            return 0
        fields = ("repository", "workflow", "run_id", "attempt", "job", "commit", "branch")
        run = api.run_identity(**{f: getattr(args, f"run_{f}") for f in (*fields, "event")})
        if args.kind == "junit":
            if args.shard:
                run = api.shard_run(run, *args.shard)
            done = api.record_junit(store, args.files, run)
        elif args.kind == "github":
            done = [api.record_github(store, args.file, run)]
        elif args.kind == "build":
            done = [api.record_build(store, args.file, run, args.metadata)]
        elif args.kind == "bench":
            done = api.record_bench(store, args.files, run)
        else:
            if not args.inspect and not args.size and not args.report:
                raise _usage(
                    "record image needs --inspect FILE, --report FILE or --size IMAGE=BYTES"
                )
            done = api.record_images(store, run, args.inspect, args.size, args.report, args.name)
    finally:
        store.close()
    for item in done:
        added, already = item.counts.added, item.counts.already
        print(
            f"pitstop: {item.path}: {added:,} {item.what} recorded, {already:,} already there "
            f"(run {item.run.run_id or '-'}, attempt {item.run.attempt}"
            f"{', job ' + item.run.job if item.run.job else ''})",
            file=sys.stderr,
        )
    return 0


def _usage(message: str) -> Exception:
    from pitstop.errors import PitstopError

    return PitstopError(message)


def _report(args: argparse.Namespace) -> int:
    from pitstop import api

    if args.slow:
        return _report_slow(args)
    store = api.history_store(args.db, args.root)
    try:
        report = api.history_report(
            store, since=args.since, branch=args.branch, root=args.root, config_file=args.config
        )
    finally:
        store.close()
    _emit(api.render_history(report, args.format), args.output)
    return 0


def _report_slow(args: argparse.Namespace) -> int:
    from pitstop import api

    if args.format == "html":
        raise _usage("report --slow prints text, markdown or json, not html")
    threshold = api.configure(Path(args.root), args.config).slo.slow_test
    tests = api.slow_tests(args.root, threshold, args.since, args.db) or []
    _emit(api.render_slow(tests, threshold, args.format), args.output)
    return 0


def _add_profile(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    profile = commands.add_parser(
        "profile", help="rank the functions a profile says got slower (profile diff)"
    )
    actions = profile.add_subparsers(
        dest="action", metavar="ACTION", required=True, help="what to do with profiles"
    )
    diff = actions.add_parser(
        "diff",
        help="the functions whose share of the profile grew from BASE to HEAD",
        description="Compare two profiles (collapsed stacks as py-spy --format raw writes "
        "them, speedscope JSON, pyinstrument -r json, or cProfile -o files; told from the "
        "content): each function's self share in BASE and HEAD and a two-proportion z. "
        "Exit 0 (a regression is reported, not failed, unless --fail-on regression), "
        "2 on bad input.",
    )
    diff.add_argument("base", metavar="BASE", help="the profile of the base")
    diff.add_argument("head", metavar="HEAD", help="the profile of the change")
    diff.add_argument(
        "--format",
        "-f",
        choices=("text", "json", "markdown"),
        default="text",
        help="output format; markdown is a PR comment (default: text)",
    )
    diff.add_argument(
        "--top",
        type=_positive,
        metavar="N",
        help="list the first N of each (default: 3 for markdown, all otherwise)",
    )
    diff.add_argument(
        "--z",
        type=float,
        default=3.0,
        metavar="Z",
        help="the |z| a change needs to be listed (default: 3)",
    )
    diff.add_argument(
        "--flamegraph",
        metavar="FILE",
        help="also write a differential flame graph (one self-contained HTML file)",
    )
    diff.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    diff.add_argument(
        "--fail-on",
        choices=("regression", "never"),
        default="never",
        help="exit 1 when a regression is listed (default: never)",
    )


def _add_image(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    image = commands.add_parser(
        "image",
        help="a built image's layers, waste and Python weight, against a budget",
        description="Measure a built image from a `docker save` archive or an OCI image "
        "layout (a directory, or its tar as `docker buildx build --output type=oci` writes "
        "it), read streaming, with no daemon and nothing extracted: each layer's bytes and "
        "files, the instruction (and Dockerfile line) that made it, the base's bytes and "
        "the bytes added, the waste (file versions stored but hidden by a later layer, each "
        "counted once), and the Python weight (site-packages by distribution, bytecode, "
        "tests, build toolchains, caches). Exit 1 when over --budget, 0 otherwise, 2 on bad "
        "input.",
    )
    image.add_argument("archive", metavar="IMAGE", help="the image archive or OCI layout")
    image.add_argument("--dockerfile", metavar="PATH", help="map layers to this Dockerfile")
    image.add_argument(
        "--target", metavar="STAGE", help="the Dockerfile's stage built (default: the last)"
    )
    image.add_argument(
        "--base",
        metavar="IMAGE_OR_DIGEST",
        help="the base image: its archive or layout (its layers, certain), or its digest",
    )
    budget = image.add_mutually_exclusive_group()
    budget.add_argument(
        "--budget", metavar="SIZE", help="exit 1 when the image is over SIZE (e.g. 1GB)"
    )
    budget.add_argument(
        "--budget-added",
        metavar="SIZE",
        help="exit 1 when the bytes added above the base are over SIZE",
    )
    image.add_argument(
        "--platform", metavar="OS/ARCH", help="the index's image to read (default: the host's)"
    )
    image.add_argument(
        "--no-verify",
        action="store_true",
        help="do not check the blobs' sha256 digests while reading (faster)",
    )
    image.add_argument(
        "--format",
        "-f",
        choices=("text", "json", "markdown"),
        default="text",
        help="output format (default: text)",
    )
    image.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    image.add_argument("--config", metavar="FILE", help="configuration file ([image] budgets)")
    image.add_argument(
        "--root", default=".", metavar="DIR", help="where the configuration is (default: .)"
    )


def _image(args: argparse.Namespace) -> int:
    from pitstop import api

    budget, budget_added = args.budget, args.budget_added
    if budget is None and budget_added is None:
        configured = api.image_config(args.root, args.config)
        budget, budget_added = configured.budget, configured.budget_added
        if budget is not None and budget_added is not None:
            budget = None  # both configured: the added bytes are what the Dockerfile owns
    report = api.image(
        args.archive,
        platform=args.platform,
        dockerfile=args.dockerfile,
        target=args.target,
        base=args.base,
        budget=budget,
        budget_added=budget_added,
        verify_digests=not args.no_verify,
    )
    _emit(api.render_image(report, args.format), args.output)
    return api.image_exit_code(report)


def _positive(text: str) -> int:
    """A whole number of at least 1; argparse turns a ValueError into a usage error."""
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


_positive.__name__ = "count (1 or more)"  # what argparse names in its error


def _profile_diff(args: argparse.Namespace) -> int:
    from pitstop import api

    diff = api.profile_diff(args.base, args.head, args.z, flamegraph=bool(args.flamegraph))
    if args.flamegraph:
        _emit(api.render_flamegraph(diff), args.flamegraph)
    _emit(api.render_profile_diff(diff, args.format, args.top), args.output)
    return 1 if args.fail_on == "regression" and diff.regressions else 0
