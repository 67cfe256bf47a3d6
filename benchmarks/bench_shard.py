"""Score `pitstop shard` against pytest-split 0.11.0: how close each tool's slowest CI shard
comes to the ideal, on real suites' measured durations and on synthetic heavy-tailed ones.

Target (issue 14): pitstop's slowest shard at most 1.02 x the ideal with the durations it
planned with, at most 1.05 x with the next run's, and never slower than pytest-split's.

Suites. Real: each project's sdist (its tests included) is downloaded at run time with `pip
download --no-deps --no-binary :all: NAME==VERSION` and unpacked under benchmarks/.work/
(git-ignored, see eval_audit.py); its suite runs twice with `pytest --junitxml`, in place,
with `src` first on PYTHONPATH for a src layout: run 1 gives the durations every tool plans
with, run 2 is "the next run", whose durations the plans are scored with again (the JUnit
files are kept under benchmarks/.work/shard-junit/, so a second benchmark run reuses them;
--rerun measures anew). A suite's tests are those of run 1, in its order. Synthetic: test
durations drawn (seeded) from a lognormal (sigma 1.5) or a Pareto (alpha 1.3) distribution,
over files of lognormal sizes; one file in twenty carries a module set-up cost (2-20 x the
median test) in its first test; the next run multiplies every duration by its own lognormal
noise (sigma 0.2, seeded). Each synthetic suite's files are empty files under
benchmarks/.work/shard-synthetic/, its durations a pytest-split `.test_durations` file.

Plans, for N in 2, 4, 8, 16: pitstop through its CLI, as a user runs it, by file and by item:

  pitstop shard --root ROOT --all --shards N --durations RUN1 [--by item] --format json

(RUN1: run 1's JUnit file, or the synthetic suite's `.test_durations`), and pytest-split's
two algorithms (`least_duration`, `duration_based_chunks`), called in this process from
`pytest_split.algorithms` on stand-in items (`.nodeid`) in the suite's order with run 1's
durations (a pytest-split algorithm that fails shows `failed`). What a pitstop shard runs
is read from its `args`, as `pytest ARGS` runs them (files less their `--deselect`ed tests,
and node ids), and checked: each test in exactly one shard, and the shard's `tests` naming
the same tests.

Score: a shard's time is the sum of its tests' durations, plus a file's module set-up cost
once for every shard that runs tests of that file (the set-up cost of a file is its first
test's excess over the file's median test, in the JUnit order, and is taken off that test);
a plan's figure is its slowest shard over the ideal, max(total / N, the longest test with
its file's set-up), first with run 1's durations (exact), then with run 2's (noisy: the
ideal is then computed from run 2). The last column gives pitstop by file against the ideal
with whole files as units (the longest unit a file), to which its target applies; pitstop by
item is held to the common ideal. Where pitstop's own `ideal_seconds` differs from the one
computed here by more than 1% (it counts unmeasured files at an estimate), a note says so.
The machine may be shared: each real run prints the load average beside its time, and the
benchmark prints it at its start and end.

One next run is one draw of the noise, and a plan's noisy figure moves with it. For the
synthetic suites, whose noise model is known, the benchmark therefore also scores every plan
over M (--draws, default 200) further next runs drawn from that same model (each test's
duration and each file's set-up times its own lognormal(0, 0.2) factor, all independent;
seeded per suite, and the same M draws for every tool and every N), and prints a second table:
each plan's mean slowest/ideal over the draws (the expectation under the model, estimated)
and its 90th percentile (nearest rank: 9 draws in 10 are no worse), each draw's ideal
computed from that draw. The targets are checked against the mean too (the line "mean of M
draws"). Real suites have no such model (their next run is a measured one), so they get none.

With --history K, pitstop plans as a team using its history does: each real suite (by
default networkx, werkzeug, jsonschema and babel's tests/, the larger suites here) runs
K + 1 times (runs 1 and 2 are the cached ones above); runs 1..K are recorded into a new
SQLite history (benchmarks/.work/shard-history/, removed first) with the real CLI, one CI
run each of branch main:

  pitstop record junit RUNk --db sqlite:///DB --root ROOT --branch main --run-id k ...

and pitstop plans from it, each test's median over those runs:

  pitstop shard --root ROOT --all --shards N --db sqlite:///DB --branch main [--by item] ...

pytest-split gets what that workflow leaves it: the last recorded run's durations (run K,
what `--store-durations` keeps; columns "... last"), and, for fairness, a `.test_durations`
file of the same medians ("... median"). Every plan is scored as above, exact with the
medians (the durations planned with; pitstop's ideal is checked against ours, so a median
read differently from the history shows as a note), noisy with run K + 1. Synthetic suites
are left out of this mode (they have no runs to record).

With --run-real, one real suite (--run-suite, default networkx, the one with the most test
time) is split 4 ways by pitstop (by file) and each shard runs on its own, one after
another, with `pytest <its args>`: each shard's wall time (start-up and collection
included) is printed beside pitstop's expected_seconds, with the shard's tests' own seconds
from its JUnit file.

The tests run with --python (default: this interpreter), which needs pytest and the
projects' test dependencies (freezegun, hypothesis, pytest-cov, six, simplejson, trio,
numpy, scipy; werkzeug's: ephemeral-port-reserve, watchdog, pytest-timeout, and werkzeug
and jsonschema themselves installed from their unpacked sdists, since werkzeug's dev server
tests start Python with PYTHONPATH replaced and jsonschema's need its dependencies); this
interpreter needs pitstop and pytest-split 0.11.0 (the `bench` extra):

    pip install -e . pytest-split==0.11.0 freezegun hypothesis pytest-cov six simplejson \
        trio numpy scipy ephemeral-port-reserve watchdog pytest-timeout
    pip install -e benchmarks/.work/werkzeug-3.1.3 -e benchmarks/.work/jsonschema-4.23.0
    python benchmarks/bench_shard.py [--python PY] [--rerun] [--run-real [--run-suite NAME]]
                                     [--history K] [--draws M] [--check] [NAME==VERSION ...]

Exit status: 0, or 1 with --check when a target is missed or a pitstop plan loses or
repeats a test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from eval_audit import WORK, unpacked  # benchmarks/ is on sys.path when run

REPO = Path(__file__).resolve().parent.parent
JUNIT = WORK / "shard-junit"
HISTORY = WORK / "shard-history"  # --history: each suite's SQLite history, made anew each time
SYNTHETIC = WORK / "shard-synthetic"
SHARDS = (2, 4, 8, 16)
EXACT_TARGET = 1.02
NOISY_TARGET = 1.05
NOISE_SIGMA = 0.2
# What a project's suite needs to run warning-free as its maintainers run it.
SILENCE = ("-W", "ignore::pytest.PytestRemovedIn10Warning")
PROJECTS = {
    "python-dateutil==2.9.0.post0": SILENCE,
    "marshmallow==4.4.0": (),
    "jinja2==3.1.6": (),
    "click==8.1.8": SILENCE,
    # No pytest configuration of its own: keep pytest from taking one from a folder above.
    "networkx==3.4.2": ("-c", "pyproject.toml", "--rootdir=.", "networkx"),
    "babel==2.17.0": ("tests",),  # not its doctests: `pitstop shard --all` plans test files
    "werkzeug==3.1.3": (),  # its dev server tests start servers on localhost
    "jsonschema==4.23.0": ("-c", "pyproject.toml", "--rootdir=.", "jsonschema/tests"),
}
# --history: the real suites with 20 s or more of tests here (networkx, werkzeug and
# jsonschema 30 s and more).
HISTORY_PROJECTS = ["networkx==3.4.2", "werkzeug==3.1.3", "jsonschema==4.23.0", "babel==2.17.0"]
RUN_SUITE = "networkx==3.4.2"  # the real suite with the most test time


class Item(NamedTuple):
    """What pytest-split's algorithms read of a pytest item."""

    nodeid: str


@dataclass
class Timing:
    """One run's durations: per test (set-up excess taken off) and per file's set-up."""

    tests: dict[str, float]
    setup: dict[str, float]

    def ideal(self, shards: int) -> float:
        total = sum(self.tests.values()) + sum(self.setup.values())
        longest = max(
            seconds + self.setup.get(_file(test), 0.0) for test, seconds in self.tests.items()
        )
        return max(total / shards, longest)

    def slowest(self, plan: Sequence[Iterable[str]]) -> float:
        return max(self.shard_seconds(tests) for tests in plan)

    def shard_seconds(self, tests: Iterable[str]) -> float:
        names = list(tests)
        files = {_file(test) for test in names}
        setup = sum(self.setup.get(path, 0.0) for path in files)
        return sum(self.tests.get(test, 0.0) for test in names) + setup


@dataclass
class Suite:
    name: str
    root: Path
    tests: list[str]  # in collection (run) order
    plan: Timing  # run 1
    next: Timing  # run 2
    durations: Path | None  # the file pitstop is given (None: it reads the history, `db`)
    # pytest-split's durations as recorded (set-up in first tests), by the label of its
    # columns: run 1 (""), or with --history the last run ("last") and the medians ("median")
    recorded: dict[str, dict[str, float]]
    arguments: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
    db: str | None = None  # --history: the SQLite URL of the recorded runs
    noise_seed: int | None = None  # synthetic: the seed of its M further noise draws


@dataclass
class Row:
    suite: str
    tests: int
    shards: int
    exact: dict[str, float] = field(default_factory=dict)
    noisy: dict[str, float] = field(default_factory=dict)
    file_ideal: float = 0.0  # pitstop by file against its own ideal (exact, noisy)
    file_ideal_noisy: float = 0.0
    notes: list[str] = field(default_factory=list)  # where pitstop's figures differ from ours
    # synthetic: each plan's (mean, 90th percentile) of slowest/ideal over the noise draws;
    # the key FILE_OWN is pitstop by file against the ideal of whole files
    expected: dict[str, tuple[float, float]] = field(default_factory=dict)


PITSTOP = ("pitstop file", "pitstop item")
FILE_OWN = "pitstop file / own ideal"
ALGORITHMS = ("least_duration", "duration_based_chunks")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("projects", nargs="*", default=[])
    parser.add_argument("--python", default=sys.executable, help="the interpreter of the tests")
    parser.add_argument("--rerun", action="store_true", help="run the real suites anew")
    parser.add_argument("--no-synthetic", action="store_true")
    parser.add_argument("--run-real", action="store_true", help="run one suite's 4 shards")
    parser.add_argument("--run-suite", default=RUN_SUITE)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        metavar="K",
        help="plan from the median of K recorded runs (real suites only), score on run K+1",
    )
    parser.add_argument(
        "--draws",
        type=int,
        default=200,
        metavar="M",
        help="synthetic suites: score every plan over M next runs drawn from the noise model",
    )
    options = parser.parse_args(argv)
    if options.draws < 1:
        parser.error("--draws M needs M >= 1")
    if options.history < 0:
        parser.error("--history K needs K >= 1")
    projects = options.projects or (HISTORY_PROJECTS if options.history else list(PROJECTS))
    print(f"load average at the start: {_load()}", flush=True)
    suites = [real_suite(p, options.python, options.rerun, options.history) for p in projects]
    if not options.no_synthetic and not options.history:
        suites += synthetic_suites()
    rows: list[Row] = []
    problems: list[str] = []
    for suite in suites:
        print(f"{suite.name}: {len(suite.tests)} tests; {'; '.join(suite.notes)}", flush=True)
        draws = None
        if suite.noise_seed is not None:
            draws = NoiseDraws(suite.plan, options.draws, suite.noise_seed)
        for shards in SHARDS:
            rows.append(score(suite, shards, problems, draws))
    print()
    print(render(rows))
    if any(row.expected for row in rows):
        print()
        print(
            f"Synthetic suites, expectation over the noise model: each plan scored on"
            f" {options.draws} next runs drawn independently (every test's duration and every"
            f" file's set-up x lognormal(0, {NOISE_SIGMA}), seeded, the same draws for every"
            " tool), slowest shard / that draw's ideal: mean and 90th percentile"
        )
        print(render_expected(rows))
    for row in rows:
        for note in row.notes:
            print(f"  note: {row.suite} N={row.shards} {note}")
    missed = targets_missed(rows)
    print()
    print(
        f"target: pitstop's slowest shard <= {EXACT_TARGET} x ideal exact, <= {NOISY_TARGET} x"
        " noisy (by item against the common ideal, by file against its own), and no slower"
        " than either pytest-split algorithm (by item)"
    )
    for line in [*problems, *missed]:
        print(f"  MISSED: {line}")
    if not problems and not missed:
        print("  met on every row")
    print(f"load average at the end: {_load()}")
    if options.run_real:
        run_real(next(s for s in suites if s.name == options.run_suite), options.python)
    return 1 if options.check and (problems or missed) else 0


# -- real suites ---------------------------------------------------------------------------


def real_suite(project: str, python: str, rerun: bool, history: int = 0) -> Suite:
    """`project`'s suite, its tests run twice with --junitxml (or the cached runs read); with
    `history` K, K + 1 times, runs 1..K recorded into a new SQLite history."""
    root = unpacked(project)
    arguments = PROJECTS.get(project, ())
    JUNIT.mkdir(parents=True, exist_ok=True)
    runs = []
    notes = []
    reports = [JUNIT / f"{root.name}.run{run}.xml" for run in range(1, max(2, history + 1) + 1)]
    for run, report in enumerate(reports, 1):
        if rerun or not report.is_file():
            load = os.getloadavg()[0]
            seconds, summary = run_pytest(root, python, [*arguments, f"--junitxml={report}"])
            load = max(load, os.getloadavg()[0])  # the machine may be shared: say how busy
            notes.append(f"run {run}: {summary} ({seconds:.1f} s wall, load {load:.1f})")
        runs.append(read_junit(report, root))
    first, second = runs[0], runs[-1]
    last = len(runs)
    tests = list(first)
    unseen = [t for t in second if t not in first]
    if unseen:
        notes.append(f"{len(unseen)} tests of run {last} not in run 1, left out")
    missing = [t for t in tests if t not in second]
    if missing:
        notes.append(f"{len(missing)} tests of run 1 not in run {last} (0 s in the next run)")
    totals = ", ".join(f"run {n} {sum(r.values()):.1f} s" for n, r in enumerate(runs, 1))
    notes.append(f"{totals} of tests")
    noisy = timing(tests, {t: second.get(t, 0.0) for t in tests})
    if not history:
        durations = reports[0]
        recorded = {"": first}
        return Suite(
            project, root, tests, timing(tests, first), noisy, durations, recorded, arguments, notes
        )
    medians = _medians(runs[:history])
    recorded = {"last": runs[history - 1], "median": _stored(root.name, medians)}
    plan = timing(tests, {t: medians.get(t, 0.0) for t in tests})
    db = record_history(root, reports[:history])
    notes.append(
        f"planned from the median of runs 1-{history} (history {db}), scored on run {last}"
    )
    return Suite(project, root, tests, plan, noisy, None, recorded, arguments, notes, db)


def _medians(runs: Sequence[dict[str, float]]) -> dict[str, float]:
    """Each test's median over the runs that timed it, as the history takes it."""
    values: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        for test, seconds in run.items():
            values[test].append(seconds)
    return {test: statistics.median(seconds) for test, seconds in values.items()}


def _stored(name: str, durations: dict[str, float]) -> dict[str, float]:
    """`durations` through a pytest-split `.test_durations` file, as pytest-split reads it."""
    HISTORY.mkdir(parents=True, exist_ok=True)
    stored = HISTORY / f"{name}.median.test_durations"
    stored.write_text(json.dumps(durations, indent=1) + "\n", encoding="utf-8")
    read: dict[str, float] = json.loads(stored.read_text(encoding="utf-8"))
    return read


def record_history(root: Path, reports: Sequence[Path]) -> str:
    """A new SQLite history holding `reports`, one run each of branch main, recorded with
    `pitstop record junit` as a CI job would: its URL."""
    HISTORY.mkdir(parents=True, exist_ok=True)
    path = HISTORY / f"{root.name}.db"
    for stale in HISTORY.glob(f"{root.name}.db*"):  # the database and its WAL files
        stale.unlink()
    url = f"sqlite:///{path}"
    for run, report in enumerate(reports, 1):
        command = [sys.executable, "-m", "pitstop", "record", "junit", str(report), "--db", url]
        command += ["--root", str(root), "--repository", f"bench/{root.name}"]
        command += ["--workflow", "test", "--run-id", str(run), "--attempt", "1"]
        command += ["--job", "pytest", "--commit", f"{run:040x}", "--branch", "main"]
        command += ["--event", "push"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)}: exit {done.returncode}\n{done.stderr}")
    return url


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg()) + " (1, 5, 15 min)"


def run_pytest(root: Path, python: str, arguments: Sequence[str]) -> tuple[float, str]:
    """Run pytest in `root` as its maintainers do: its wall seconds and summary line."""
    command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *arguments]
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=root, env=_environment(root), capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode not in (0, 1):
        tail = "\n".join([*lines[-5:], *done.stderr.splitlines()[-5:]])
        raise SystemExit(f"{' '.join(command)} failed in {root} (exit {done.returncode}):\n{tail}")
    return seconds, lines[-1] if lines else ""


def _environment(root: Path) -> dict[str, str]:
    environment = dict(os.environ)
    path = [str(root / "src")] if (root / "src").is_dir() else []
    environment["PYTHONPATH"] = os.pathsep.join([*path, environment.get("PYTHONPATH", "")])
    return environment


def read_junit(report: Path, root: Path) -> dict[str, float]:
    """{node id: seconds} of a pytest JUnit file's tests, in its order; the node id is rebuilt
    from the dotted classname by finding the test file it names under `root`. A module
    skipped whole (a testcase without classname) holds no test."""
    durations: dict[str, float] = {}
    for case in ElementTree.parse(report).iter("testcase"):
        if not case.get("classname"):
            continue
        nodeid = _nodeid(case.get("classname", ""), case.get("name", ""), root)
        durations[nodeid] = durations.get(nodeid, 0.0) + float(case.get("time") or 0.0)
    return durations


def _nodeid(classname: str, name: str, root: Path) -> str:
    parts = classname.split(".")
    for end in range(1, len(parts) + 1):
        path = "/".join(parts[:end]) + ".py"
        if (root / path).is_file():
            return "::".join([path, *parts[end:], name])
    raise SystemExit(f"no test file under {root} for JUnit classname {classname!r}")


def timing(tests: Sequence[str], durations: dict[str, float]) -> Timing:
    """Split each file's first test's excess over the file's median off as its set-up."""
    by_file: dict[str, list[str]] = defaultdict(list)
    for test in tests:
        by_file[_file(test)].append(test)
    own = {test: durations[test] for test in tests}
    setup = {}
    for path, names in by_file.items():
        excess = durations[names[0]] - statistics.median(durations[n] for n in names)
        if excess > 0:
            setup[path] = excess
            own[names[0]] -= excess
    return Timing(own, setup)


def _file(nodeid: str) -> str:
    return nodeid.partition("::")[0]


# -- synthetic suites ----------------------------------------------------------------------


def synthetic_suites() -> list[Suite]:
    return [
        synthetic("lognormal-500", 500, 50, "lognormal", seed=1),
        synthetic("pareto-500", 500, 50, "pareto", seed=2),
        synthetic("lognormal-5000", 5000, 500, "lognormal", seed=3),
        synthetic("pareto-5000", 5000, 500, "pareto", seed=4),
        synthetic("pareto-5000-wide", 5000, 150, "pareto", seed=5),
    ]


def synthetic(name: str, count: int, files: int, law: str, seed: int) -> Suite:
    """A suite of `count` tests over `files` files, durations drawn by `law`, seeded."""
    draw = random.Random(seed)
    sizes = _file_sizes(draw, count, files)
    tests: list[str] = []
    durations: dict[str, float] = {}
    for index, size in enumerate(sizes):
        path = f"tests/test_module_{index:03d}.py"
        for number in range(size):
            test = f"{path}::test_{number}"
            tests.append(test)
            durations[test] = _draw(draw, law)
    median = statistics.median(durations.values())
    setup = {}  # known here: the JUnit-order estimate would also see chance in a first test
    for index in draw.sample(range(files), max(1, files // 20)):
        setup[f"tests/test_module_{index:03d}.py"] = draw.uniform(2, 20) * median
    noise = random.Random(seed + 1000)
    following = Timing(
        {t: d * noise.lognormvariate(0, NOISE_SIGMA) for t, d in durations.items()},
        {f: d * noise.lognormvariate(0, NOISE_SIGMA) for f, d in setup.items()},
    )
    recorded = dict(durations)  # as a recording tool stores it: set-up in the first test
    for path, seconds in setup.items():
        recorded[f"{path}::test_0"] += seconds
    root = SYNTHETIC / name
    (root / "tests").mkdir(parents=True, exist_ok=True)
    for path in {_file(t) for t in tests}:
        (root / path).touch()
    stored = root / ".test_durations"
    stored.write_text(json.dumps(recorded, indent=1) + "\n", encoding="utf-8")
    notes = [f"{law} durations, {files} files, seed {seed}, next run x lognormal(0, 0.2)"]
    return Suite(
        name,
        root,
        tests,
        Timing(durations, setup),
        following,
        stored,
        {"": recorded},
        (),
        notes,
        noise_seed=seed + 2000,  # not the single next run's seed: these draws are further ones
    )


def _file_sizes(draw: random.Random, count: int, files: int) -> list[int]:
    """`files` sizes of at least 1 summing to `count`, lognormally spread."""
    weights = [draw.lognormvariate(0, 1) for _ in range(files)]
    scale = (count - files) / sum(weights)
    sizes = [1 + int(w * scale) for w in weights]
    for index in range(count - sum(sizes)):
        sizes[index % files] += 1
    return sizes


def _draw(draw: random.Random, law: str) -> float:
    if law == "lognormal":
        return draw.lognormvariate(-4, 1.5)  # median 18 ms, a long tail of slow tests
    return 0.005 * draw.paretovariate(1.3)  # at least 5 ms, a heavier tail


# -- plans and scores ----------------------------------------------------------------------


def score(suite: Suite, shards: int, problems: list[str], draws: NoiseDraws | None = None) -> Row:
    row = Row(suite.name, len(suite.tests), shards)
    plans: dict[str, list[list[str]]] = {}
    for by in ("file", "item"):
        document = pitstop(suite, shards, by)
        plans[f"pitstop {by}"] = expand(document, suite, by, shards, problems)
        if document.get("estimated"):
            row.notes.append(f"by {by}: pitstop estimated {document['estimated']} tests")
        ideal = _file_ideal(suite.plan, shards) if by == "file" else suite.plan.ideal(shards)
        if abs(float(document["ideal_seconds"]) / ideal - 1) > 0.01:
            row.notes.append(
                f"by {by}: pitstop's ideal {document['ideal_seconds']} s, ours {ideal:.3f} s"
            )
    file_plan = plans["pitstop file"]
    row.file_ideal = suite.plan.slowest(file_plan) / _file_ideal(suite.plan, shards)
    row.file_ideal_noisy = suite.next.slowest(file_plan) / _file_ideal(suite.next, shards)
    for label, durations in suite.recorded.items():
        for algorithm in ALGORITHMS:
            name = f"{algorithm} {label}".strip()
            try:
                plans[name] = pytest_split(suite, shards, algorithm, durations)
            except IndexError as error:  # duration_based_chunks can run past its last group
                row.notes.append(f"pytest-split {name} failed: IndexError: {error}")
                row.exact[name] = row.noisy[name] = math.inf
    for tool, plan in plans.items():
        row.exact[tool] = suite.plan.slowest(plan) / suite.plan.ideal(shards)
        row.noisy[tool] = suite.next.slowest(plan) / suite.next.ideal(shards)
    if draws is not None:
        for tool, plan in plans.items():
            row.expected[tool] = _summary(draws.ratios(plan, shards))
        row.expected[FILE_OWN] = _summary(draws.ratios(file_plan, shards, whole_files=True))
    return row


class NoiseDraws:
    """`count` next runs of a suite drawn from the synthetic noise model: each test's
    duration and each file's set-up in `timing` times its own lognormal(0, NOISE_SIGMA)
    factor, all independent, from one seeded generator. Held by position, so a plan's shard
    sums cost one pass over its tests per draw."""

    def __init__(self, timing: Timing, count: int, seed: int) -> None:
        self.position = {test: index for index, test in enumerate(timing.tests)}
        self.files = sorted({_file(test) for test in timing.tests} | set(timing.setup))
        self.file_position = {path: index for index, path in enumerate(self.files)}
        noise = random.Random(seed)
        tests = list(timing.tests.values())
        setup = [timing.setup.get(path, 0.0) for path in self.files]
        self.tests: list[list[float]] = []
        self.setup: list[list[float]] = []
        for _ in range(count):
            self.tests.append([d * noise.lognormvariate(0, NOISE_SIGMA) for d in tests])
            self.setup.append(
                [d * noise.lognormvariate(0, NOISE_SIGMA) if d else 0.0 for d in setup]
            )
        # What the ideals need, per draw: the total, the longest test with its file's set-up,
        # and the longest whole file.
        file_of = [self.file_position[_file(test)] for test in timing.tests]
        self.total: list[float] = []
        self.longest: list[float] = []
        self.longest_file: list[float] = []
        for own, setups in zip(self.tests, self.setup, strict=True):
            files = list(setups)
            for seconds, index in zip(own, file_of, strict=True):
                files[index] += seconds
            self.total.append(sum(files))
            self.longest.append(max(s + setups[i] for s, i in zip(own, file_of, strict=True)))
            self.longest_file.append(max(files))

    def ratios(
        self, plan: Sequence[Iterable[str]], shards: int, whole_files: bool = False
    ) -> list[float]:
        """The plan's slowest shard over the ideal in each draw, as `Timing` scores one run
        (a file's set-up once in every shard that runs some of its tests); with
        `whole_files`, against the ideal of whole files (`_file_ideal`)."""
        shards_at = []
        for tests in plan:
            names = list(tests)
            known = [test for test in names if test in self.position]  # others: a problem
            files = {self.file_position[_file(test)] for test in known}
            shards_at.append(([self.position[test] for test in known], sorted(files)))
        ratios = []
        for draw, (own, setups) in enumerate(zip(self.tests, self.setup, strict=True)):
            slowest = max(
                sum(map(own.__getitem__, tests)) + sum(map(setups.__getitem__, files))
                for tests, files in shards_at
            )
            longest = self.longest_file[draw] if whole_files else self.longest[draw]
            ratios.append(slowest / max(self.total[draw] / shards, longest))
        return ratios


def _summary(ratios: Sequence[float]) -> tuple[float, float]:
    """Mean and 90th percentile (nearest rank: the value 9 draws in 10 do not exceed)."""
    ordered = sorted(ratios)
    return statistics.fmean(ordered), ordered[math.ceil(0.9 * len(ordered)) - 1]


def _file_ideal(timing: Timing, shards: int) -> float:
    """The ideal when the unit is a whole file."""
    files: Counter[str] = Counter()
    for test, seconds in timing.tests.items():
        files[_file(test)] += seconds
    for path, seconds in timing.setup.items():
        files[path] += seconds
    return max(sum(files.values()) / shards, max(files.values()))


def pitstop(suite: Suite, shards: int, by: str) -> dict[str, Any]:
    """pitstop's plan, from its CLI in its own process, as a user runs it."""
    command = [sys.executable, "-m", "pitstop", "shard", "--root", str(suite.root), "--all"]
    command += ["--shards", str(shards)]
    if suite.db:  # the history: each test's median over the branch's last runs
        command += ["--db", suite.db, "--branch", "main"]
    else:
        command += ["--durations", str(suite.durations)]
    command += ["--by", by, "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)}: exit {done.returncode}\n{done.stderr}")
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def expand(
    document: dict[str, Any], suite: Suite, by: str, shards: int, problems: list[str]
) -> list[list[str]]:
    """The node ids each of pitstop's shards runs, from its `args` (what `pytest ARGS` runs:
    files less their --deselect'ed tests, and node ids); its `tests` must name the same
    tests. A test lost or run twice is a problem."""
    by_file: dict[str, list[str]] = defaultdict(list)
    for test in suite.tests:
        by_file[_file(test)].append(test)
    label = f"{suite.name} N={shards} by {by}"
    plan = []
    for shard in document["shards"]:
        runs = _run_by(shard["args"], by_file)
        named = _run_by(shard["tests"], by_file)
        if set(runs) != set(named):
            problems.append(
                f"{label}: shard {shard['index']}'s args run {len(runs)} tests, its tests"
                f" name {len(named)} ({len(set(runs) ^ set(named))} differ)"
            )
        plan.append(runs)
    _check_once(plan, suite, label, problems)
    if len(plan) != shards:
        problems.append(f"{label}: {len(plan)} shards, not {shards}")
    return plan


def _run_by(arguments: Sequence[str], by_file: dict[str, list[str]]) -> list[str]:
    """The tests `pytest ARGUMENTS` runs, of those known (`by_file`)."""
    prefix = "--deselect="
    deselected = {a.removeprefix(prefix) for a in arguments if a.startswith(prefix)}
    tests: list[str] = []
    for argument in arguments:
        if argument.startswith("-"):
            continue
        chosen = [argument] if "::" in argument else by_file.get(argument, [])
        tests += [t for t in chosen if t not in deselected]
    return tests


def _check_once(plan: list[list[str]], suite: Suite, label: str, problems: list[str]) -> None:
    counts = Counter(t for tests in plan for t in tests)
    twice = sorted(t for t, n in counts.items() if n > 1)
    lost = [t for t in suite.tests if not counts[t]]
    unknown = sorted(t for t in counts if t not in suite.plan.tests)
    for kind, tests in (("in two shards", twice), ("in none", lost), ("unknown", unknown)):
        if tests:
            problems.append(f"{label}: {len(tests)} tests {kind}, e.g. {tests[:3]}")


def pytest_split(
    suite: Suite, shards: int, name: str, durations: dict[str, float]
) -> list[list[str]]:
    """pytest-split's plan: its algorithm on stand-in items, with `durations`."""
    from pytest_split.algorithms import Algorithms

    items = [Item(t) for t in suite.tests]
    groups = Algorithms[name].value(shards, items, durations)
    return [[item.nodeid for item in group.selected] for group in groups]


# -- output --------------------------------------------------------------------------------


def render(rows: list[Row]) -> str:
    tools = list(dict.fromkeys(tool for row in rows for tool in row.exact))
    head = "| suite | tests | N | " + " | ".join(f"{t} exact | {t} noisy" for t in tools)
    head += " | pitstop file / own ideal (exact, noisy) |"
    lines = [head, "|" + "---|" * (3 + 2 * len(tools) + 1)]
    for row in rows:
        cells = [row.suite, str(row.tests), str(row.shards)]
        for tool in tools:
            cells += [_ratio(row.exact[tool]), _ratio(row.noisy[tool])]
        cells.append(f"{row.file_ideal:.3f}, {row.file_ideal_noisy:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_expected(rows: list[Row]) -> str:
    """The noise draws' table: per plan, mean / 90th percentile of slowest over ideal."""
    shown = [row for row in rows if row.expected]
    tools = list(dict.fromkeys(tool for row in shown for tool in row.expected))
    head = "| suite | tests | N | " + " | ".join(f"{t} mean / p90" for t in tools) + " |"
    lines = [head, "|" + "---|" * (3 + len(tools))]
    for row in shown:
        cells = [row.suite, str(row.tests), str(row.shards)]
        for tool in tools:
            mean, p90 = row.expected.get(tool, (math.inf, math.inf))
            cells.append(f"{_ratio(mean)} / {_ratio(p90)}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _ratio(value: float) -> str:
    return "failed" if math.isinf(value) else f"{value:.3f}"


def targets_missed(rows: list[Row]) -> list[str]:
    missed = []
    for row in rows:
        label = f"{row.suite} N={row.shards}"
        checks = (
            ("pitstop item exact", row.exact["pitstop item"], EXACT_TARGET),
            ("pitstop item noisy", row.noisy["pitstop item"], NOISY_TARGET),
            ("pitstop file exact (own ideal)", row.file_ideal, EXACT_TARGET),
            ("pitstop file noisy (own ideal)", row.file_ideal_noisy, NOISY_TARGET),
        )
        missed += [f"{label}: {n} {v:.3f} > {t}" for n, v, t in checks if v > t]
        for kind in ("exact", "noisy"):
            figures = getattr(row, kind)
            best = min(v for tool, v in figures.items() if tool not in PITSTOP)
            if figures["pitstop item"] > best + 1e-9:
                missed.append(
                    f"{label}: pitstop item {kind} {figures['pitstop item']:.3f} >"
                    f" pytest-split's {best:.3f}"
                )
        if row.expected:
            missed += _expected_missed(row, label)
    return missed


def _expected_missed(row: Row, label: str) -> list[str]:
    """The noisy targets on the mean over the noise draws."""
    means = {tool: mean for tool, (mean, _) in row.expected.items()}
    checks = (("pitstop item", means["pitstop item"]), (FILE_OWN, means[FILE_OWN]))
    missed = [
        f"{label}: {name} noisy, mean of draws, {value:.3f} > {NOISY_TARGET}"
        for name, value in checks
        if value > NOISY_TARGET
    ]
    best = min((v for t, v in means.items() if t not in (*PITSTOP, FILE_OWN)), default=math.inf)
    if means["pitstop item"] > best + 1e-9:
        missed.append(
            f"{label}: pitstop item noisy, mean of draws, {means['pitstop item']:.3f} >"
            f" pytest-split's {best:.3f}"
        )
    return missed


# -- part 2: run the shards ----------------------------------------------------------------


def run_real(suite: Suite, python: str) -> None:
    """Split `suite` 4 ways by pitstop (by file) and run each shard: wall vs expected."""
    document = pitstop(suite, 4, "file")
    print(f"\n{suite.name} split 4 ways by pitstop (by file), each shard run with pytest:")
    print("| shard | entries | expected s | wall s | wall / expected | tests' own s (JUnit) |")
    print("|---|---|---|---|---|---|")
    for shard in document["shards"]:
        arguments = [a for a in suite.arguments if not (suite.root / a).is_dir()]
        arguments += shard["args"]
        report = JUNIT / f"{suite.root.name}.shard{shard['index']}.xml"
        load = os.getloadavg()[0]
        seconds, summary = run_pytest(suite.root, python, [*arguments, f"--junitxml={report}"])
        summary += f"; load {max(load, os.getloadavg()[0]):.1f}"
        own = sum(read_junit(report, suite.root).values())
        expected = float(shard["expected_seconds"])
        cells = [shard["index"], len(shard["tests"]), f"{expected:.2f}", f"{seconds:.2f}"]
        cells += [f"{seconds / expected:.2f}", f"{own:.2f}"]
        print("| " + " | ".join(map(str, cells)) + f" |  ({summary})", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
