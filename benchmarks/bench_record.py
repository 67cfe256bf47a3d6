"""Time `pytest --pitstop-record` against the plain run of real projects' test suites, and
against pytest-testmon's recording run (`pytest --testmon` with no .testmondata yet).

Target (the test map issue): the recording run at most 1.3 x the plain run of the same
suite. pytest-testmon's first run is said to cost 2.2-3.5 x.

Each project's sdist (its tests included) is downloaded at run time with `pip download
--no-deps --no-binary :all: NAME==VERSION` and unpacked under benchmarks/.work/ (git-ignored,
see eval_audit.py); the suite runs in a temporary copy made a git repository (`git init`
and one commit: the recording names the commit it maps). Each variant is what a user runs,
in its own process, in the copy, with the copy's `src` first on PYTHONPATH for a src layout
and bytecode caches allowed (one untimed run of each variant warms them first):

  plain:       python -m pytest -q -p no:cacheprovider
  off:         the same with -p no:pitstop (the plugin not even loaded: --off)
  monitoring:  the same with --pitstop-record --pitstop-record-backend=monitoring (3.12+)
  cold:        monitoring without `.pitstop/record.json`, the recording's cache of each
               file's digests (--cold): a first recording, or every file changed
  coverage:    the same with --pitstop-record --pitstop-record-backend=coverage
  testmon:     the same with --testmon (when pytest-testmon is installed), without
               -p no:cacheprovider, which pytest-testmon needs (.pytest_cache is deleted
               before each run)

Every recording run is a full one: it records every test and writes the map into the
history (--pitstop-db, in a temporary folder), which already exists, as on every run after
a project's first (the warm-up run creates it; each run supersedes the previous one's
sessions); with --fresh-db it is deleted before each run, so its creation is timed too.
.testmondata is deleted before each testmon run (testmon's recording run). The variants
are interleaved round-robin for --rounds rounds (the machine may be shared: a slow spell
hits every variant alike); the table gives each variant's median and its ratio to the
plain run's median of the same session.

The tests run with --python (default: this interpreter), which needs pitstop, pytest, the
projects' test dependencies (freezegun for humanize), coverage and pytest-testmon.

    python benchmarks/bench_record.py [--python PY] [--rounds 5] [--off] [--cold]
                                      [--no-coverage] [--no-testmon] [--check]
                                      [NAME==VERSION ...]

Exit status: 0, or 1 with --check when a recording run (monitoring, coverage) is above
1.3 x its plain run, or a variant's outcome differs from the plain run's.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from eval_audit import unpacked  # benchmarks/ is on sys.path when run

REPO = Path(__file__).resolve().parent.parent
FRESH_DB = False  # --fresh-db
TARGET = 1.3
PROJECTS = (
    "isodate==0.7.2",
    "humanize==4.12.3",
    "marshmallow==4.4.0",
    "jinja2==3.1.6",
    "click==8.1.8",
)
# What a project's suite needs to run warning-free as its maintainers run it.
EXTRA = {"click": ("-W", "ignore::pytest.PytestRemovedIn10Warning")}
BASE = ("-m", "pytest", "-q")
NO_CACHE = ("-p", "no:cacheprovider")
TESTMON_FILES = (".testmondata", ".testmondata-wal", ".testmondata-shm")


@dataclass
class Variant:
    name: str
    arguments: tuple[str, ...]
    database: bool = False  # records the test map into the history (see the docstring)
    testmon: bool = False  # a fresh .testmondata per run
    cold: bool = False  # no record cache (.pitstop/record.json) per run
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # the process's user + system seconds
    outcome: str = ""
    failed: str = ""  # pytest-testmon failing on a project: its column says so, no figure


class VariantFailed(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("projects", nargs="*", default=list(PROJECTS))
    parser.add_argument("--python", default=sys.executable, help="the interpreter of the tests")
    parser.add_argument(
        "--pitstop-src",
        type=Path,
        default=REPO / "src",
        help="the pitstop put first on PYTHONPATH (default: this checkout's)",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--off", action="store_true", help="also time -p no:pitstop")
    parser.add_argument(
        "--cold", action="store_true", help="also time a recording without its cache"
    )
    parser.add_argument(
        "--no-coverage", action="store_true", help="leave out the coverage.py backend"
    )
    parser.add_argument("--no-testmon", action="store_true", help="leave out pytest-testmon")
    parser.add_argument(
        "--fresh-db", action="store_true", help="a new history database for every recording"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    options = parser.parse_args(argv)
    global FRESH_DB
    FRESH_DB = options.fresh_db
    version = _run([options.python, "-c", "import sys; print(sys.version.split()[0])"])
    print(f"python {version.strip()} ({options.python}), {options.rounds} rounds, medians")
    print(f"pitstop from {options.pitstop_src}; wall seconds, and CPU (user + system) seconds")
    header = ""
    rows = []
    ok = True
    for project in options.projects:
        variants = _variants(options.python, options)
        header = f"{'project':<20} {'':<4} {'plain s':>8} " + " ".join(
            f"{v.name:>11}" for v in variants[1:]
        )
        ok &= _measure(project, options.python, options.rounds, variants, options.pitstop_src)
        for measure, label in (("seconds", "wall"), ("cpu", "cpu")):
            plain = statistics.median(getattr(variants[0], measure))
            cells = [f"{project:<20} {label:<4} {plain:>8.2f}"]
            for variant in variants[1:]:
                if variant.failed:
                    cells.append(f"{'failed':>11}")
                    continue
                ratio = statistics.median(getattr(variant, measure)) / plain
                if variant.database and ratio > TARGET and measure == "seconds":
                    ok = False
                cells.append(f"{ratio:>10.2f}x")
            rows.append(" ".join(cells))
        for variant in variants:
            spread = ", ".join(f"{s:.2f}" for s in variant.seconds)
            cpu = ", ".join(f"{s:.2f}" for s in variant.cpu)
            print(f"  {project} {variant.name}: wall {spread}; cpu {cpu}", flush=True)
            print(f"    ({variant.outcome})", flush=True)
    print()
    print(header)
    print("\n".join(rows))
    print(f"\ntarget: the recording runs (monitoring, coverage) <= {TARGET} x plain")
    return 1 if options.check and not ok else 0


def _variants(python: str, options: argparse.Namespace) -> list[Variant]:
    """The variants the options ask for, of those this interpreter can run."""
    variants = [Variant("plain", ())]
    if options.off:
        variants.append(Variant("off", ("-p", "no:pitstop")))
    record = ("--pitstop-record", "--pitstop-record-backend")
    if _importable(python, "sys; assert sys.version_info >= (3, 12)"):
        monitoring = (*record[:1], f"{record[1]}=monitoring")
        variants.append(Variant("monitoring", monitoring, True))
        if options.cold:
            variants.append(Variant("cold", monitoring, True, cold=True))
    if not options.no_coverage and _importable(python, "coverage"):
        variants.append(Variant("coverage", (*record[:1], f"{record[1]}=coverage"), True))
    if not options.no_testmon and _importable(python, "testmon"):
        variants.append(Variant("testmon", ("--testmon",), testmon=True))
    return variants


def _importable(python: str, module: str) -> bool:
    done = subprocess.run([python, "-c", f"import {module}"], capture_output=True, check=False)
    return done.returncode == 0


def _measure(
    project: str, python: str, rounds: int, variants: list[Variant], pitstop: Path
) -> bool:
    """Time every variant on a git copy of `project`; False if an outcome differs."""
    source = unpacked(project)
    name = project.partition("==")[0].lower()
    with tempfile.TemporaryDirectory(prefix="pitstop-record-") as folder:
        copy = Path(folder) / source.name
        shutil.copytree(source, copy)
        _commit(copy)
        database = Path(folder) / "record.db"
        environment = _environment(copy, pitstop)
        command = [python, *BASE, *EXTRA.get(name, ())]
        for variant in variants:  # warm the bytecode caches, and see each one works
            try:
                variant.outcome = _time(copy, command, variant, database, environment)[2]
            except VariantFailed as error:
                if not variant.testmon:
                    raise SystemExit(str(error)) from None
                variant.failed = str(error)
                print(f"  {project}: {error}", file=sys.stderr)
        for _ in range(rounds):
            for variant in (v for v in variants if not v.failed):
                seconds, cpu, outcome = _time(copy, command, variant, database, environment)
                variant.seconds.append(seconds)
                variant.cpu.append(cpu)
                variant.outcome = outcome
    plain = _summary(variants[0].outcome)
    same = all(_summary(v.outcome) == plain for v in variants if not v.failed)
    if not same:
        print(f"  {project}: outcomes differ from the plain run's", file=sys.stderr)
    return same


def _commit(root: Path) -> None:
    identity = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    for arguments in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-q", "-m", "sdist"]):
        subprocess.run(["git", *arguments], cwd=root, check=True, capture_output=True)


def _environment(root: Path, pitstop: Path) -> dict[str, str]:
    """The project's `src` (if any), then pitstop's, first on PYTHONPATH; bytecode allowed."""
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment.pop("PITSTOP_DB", None)
    path = [str(root / "src")] if (root / "src").is_dir() else []
    path += [str(pitstop.resolve()), environment.get("PYTHONPATH", "")]
    environment["PYTHONPATH"] = os.pathsep.join(path).rstrip(os.pathsep)
    return environment


def _time(
    root: Path, command: list[str], variant: Variant, database: Path, environment: dict[str, str]
) -> tuple[float, float, str]:
    """One run of `variant`: its wall and CPU seconds, and its last lines (the summary,
    pitstop's)."""
    arguments = list(variant.arguments)
    if variant.database:
        if FRESH_DB:
            database.unlink(missing_ok=True)
        arguments.append(f"--pitstop-db=sqlite:///{database}")
    if variant.cold:
        (root / ".pitstop" / "record.json").unlink(missing_ok=True)
    if variant.testmon:
        for name in TESTMON_FILES:
            (root / name).unlink(missing_ok=True)
        shutil.rmtree(root / ".pytest_cache", ignore_errors=True)
    else:  # pytest-testmon reads the cache provider's options: it cannot run without it
        arguments[:0] = NO_CACHE
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [*command, *arguments],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode not in (0, 1) or (
        variant.database and "recorded the test map" not in done.stdout
    ):
        tail = "\n".join([*lines[-5:], *done.stderr.splitlines()[-5:]])
        raise VariantFailed(f"{variant.name} failed (exit {done.returncode}):\n{tail}")
    return seconds, cpu, "; ".join(lines[-2:] if variant.database else lines[-1:])


def _summary(outcome: str) -> str:
    """The pytest summary line of an outcome, without its time."""
    for part in outcome.split("; "):
        if " in " in part and ("passed" in part or "failed" in part):
            return part.rsplit(" in ", 1)[0]
    return outcome


def _run(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


if __name__ == "__main__":
    raise SystemExit(main())
