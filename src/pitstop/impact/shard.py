"""Balanced CI shards: tests split into N groups of near-equal expected time.

Units. By file (the default) a unit is a test file: its module and class fixtures are paid
once wherever it runs. By item a unit is a test, and a file whose tests land in k shards
pays its setup k times: its setup cost (`setup_costs`: the first test's excess over the
file's median, where the order of its tests is known) counts once in each of those shards.

Expected seconds. A test's measured duration (`Durations`); a test without one gets the
median of its file's measured tests, else of the suite's; a file without any measured test
gets the median of the measured files. With no measured duration at all every unit counts
1 s: the split is by count, and says so.

Algorithm. Longest processing time first: units by expected seconds, longest first, each
to the shard that ends least loaded. Then an improvement pass: while moving one unit from
the most loaded shard to one of the four lightest, or swapping one of its units with one of
theirs,
lowers the most loaded shard's time, do the best such change. By item, the plan by file is
made too and kept unless the item plan's slowest shard is faster. Deterministic for the
same input: ties go by name, then by shard index.

The ideal is the total over N, or the longest unit when that is longer: no split of these
units can do better.
"""

from __future__ import annotations

import bisect
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from pitstop.runs import node_file as file_of

BY_FILE = "file"
BY_ITEM = "item"
UNMEASURED_SECONDS = 1.0  # every unit, when nothing at all was measured
_EPSILON = 1e-9  # an improvement smaller than this is none (float sums)
_MAX_CHANGES = 20_000  # the improvement pass stops here on a pathological input
_LIGHTEST = 4  # the shards the improvement pass moves units to
# By item, files are split only when the plan by file is further than this from the ideal.
_CLOSE_ENOUGH = 1e-3
_MIN_GAIN = 1e-6  # of the slowest shard: a change that gains less is not worth its time


@dataclass(frozen=True)
class Durations:
    """Measured seconds by node id, and where the order of a file's tests is known, its
    first test (whose time includes the module and class fixtures' setup)."""

    seconds: Mapping[str, float] = field(default_factory=dict)
    first: Mapping[str, str] = field(default_factory=dict)  # file -> its first test
    sources: tuple[str, ...] = ()  # what each source gave, for the report

    @cached_property
    def by_file(self) -> dict[str, dict[str, float]]:
        """Measured seconds by file, then node id (computed once: every step of a plan
        reads it)."""
        files: dict[str, dict[str, float]] = defaultdict(dict)
        for test, seconds in self.seconds.items():
            files[file_of(test)][test] = seconds
        return files


def merged(sources: Iterable[Durations]) -> Durations:
    """One Durations from several, the earlier winning for a test both know."""
    seconds: dict[str, float] = {}
    first: dict[str, str] = {}
    names: list[str] = []
    for source in sources:
        for test, value in source.seconds.items():
            seconds.setdefault(test, value)
        for path, test in source.first.items():
            first.setdefault(path, test)
        names.extend(source.sources)
    return Durations(seconds, first, tuple(names))


def setup_costs(durations: Durations) -> dict[str, float]:
    """Per file, the seconds its first test took beyond the file's median: the module and
    class fixtures a shard pays once for each file it runs tests of. Only where the first
    test is known and the file has at least two measured tests."""
    files = durations.by_file
    costs: dict[str, float] = {}
    for path, first in durations.first.items():
        tests = files.get(path, {})
        if first in tests and len(tests) >= 2:
            excess = tests[first] - statistics.median(tests.values())
            if excess > 0:
                costs[path] = excess
    return costs


@dataclass(frozen=True)
class Unit:
    """What a shard runs whole: a test file (by file) or a test (by item)."""

    name: str
    file: str
    seconds: float  # expected; by item without the file's setup (counted per shard)
    estimated: bool = False


@dataclass(frozen=True)
class Shard:
    index: int  # from 1
    units: tuple[Unit, ...]
    expected_seconds: float


@dataclass(frozen=True)
class Plan:
    shards: tuple[Shard, ...]
    ideal_seconds: float
    longest_bound: bool  # the ideal is the longest unit, not the total over N
    estimated: int  # tests (by file without known tests: files) without a measured duration
    by: str  # BY_FILE or BY_ITEM: the units the plan kept
    measured: bool  # some duration was measured (else every unit counted 1 s)
    setup: Mapping[str, float] = field(default_factory=dict)
    sources: tuple[str, ...] = ()  # where the durations came from

    @property
    def slowest(self) -> float:
        return max((s.expected_seconds for s in self.shards), default=0.0)


def file_units(
    files: Sequence[str], durations: Durations, counts: Mapping[str, int] | None = None
) -> tuple[list[Unit], int]:
    """One unit per test file: the sum of its measured tests. A file none of whose tests
    was measured: its test functions (`counts`, found in its text) times the median measured
    test, so that a file holding no test (a helper module, one pytest does not collect) adds
    no phantom time; without a count, the median of the measured files (all the durations
    know, not just these). And how many files were estimated."""
    known = durations.by_file
    totals = {path: sum(tests.values()) for path, tests in known.items()}
    per_file = statistics.median(totals.values()) if totals else UNMEASURED_SECONDS
    per_test = statistics.median(durations.seconds.values()) if durations.seconds else None
    units = []
    for path in sorted(set(files)):
        if path in totals:
            units.append(Unit(path, path, totals[path]))
            continue
        count = (counts or {}).get(path)
        guess = per_file if count is None or per_test is None else count * per_test
        units.append(Unit(path, path, guess, estimated=True))
    return units, sum(1 for u in units if u.estimated)


def item_units(
    tests: Sequence[str], durations: Durations, setup: Mapping[str, float]
) -> tuple[list[Unit], int]:
    """One unit per test (node id): its measured seconds (the first test's without the
    file's setup), else the median of its file's measured tests, else of the suite's."""
    known = durations.by_file
    medians = {path: statistics.median(t.values()) for path, t in known.items() if t}
    suite = statistics.median(durations.seconds.values()) if durations.seconds else None
    units = []
    for test in sorted(set(tests)):
        path = file_of(test)
        seconds = durations.seconds.get(test)
        if seconds is not None:
            if durations.first.get(path) == test:
                seconds = max(0.0, seconds - setup.get(path, 0.0))
            units.append(Unit(test, path, seconds))
            continue
        guess = medians.get(path, suite if suite is not None else UNMEASURED_SECONDS)
        units.append(Unit(test, path, guess, estimated=True))
    return units, sum(1 for u in units if u.estimated)


def plan(
    units: Sequence[Unit],
    shards: int,
    *,
    by: str = BY_FILE,
    setup: Mapping[str, float] | None = None,
    estimated: int = 0,
    measured: bool = True,
) -> Plan:
    """Split `units` into `shards` groups (module docstring). By item, `setup` holds each
    file's setup cost, paid once per shard its tests land in; the plan by file is kept
    unless splitting files balances better."""
    if shards < 1:
        raise ValueError("shards must be at least 1")
    costs = dict(setup or {}) if by == BY_ITEM else {}
    total = sum(u.seconds for u in units) + sum(
        costs.get(path, 0.0) for path in {u.file for u in units}
    )
    whole = _whole_files(units, setup or {})
    made = _improved(_longest_first(whole, shards, {}))
    kept_by, kept_setup = BY_FILE, {}
    if by == BY_ITEM:
        longest = max((u.seconds + costs.get(u.file, 0.0) for u in units), default=0.0)
        if made.slowest() > max(total / shards, longest) * (1 + _CLOSE_ENOUGH):
            for split, paying in _splits(units, whole, total / shards, costs):
                candidate = _improved(_longest_first(split, shards, paying))
                if candidate.slowest() < made.slowest() - _EPSILON:
                    made, kept_by, kept_setup = candidate, BY_ITEM, paying
    longest = max((u.seconds + kept_setup.get(u.file, 0.0) for u in made.all()), default=0.0)
    ideal = max(total / shards, longest)
    return Plan(
        shards=tuple(
            Shard(i + 1, tuple(sorted(b, key=lambda u: u.name)), _load(b, kept_setup))
            for i, b in enumerate(made.bins)
        ),
        ideal_seconds=ideal,
        longest_bound=longest > total / shards,
        estimated=estimated,
        by=kept_by,
        measured=measured,
        setup=kept_setup,
    )


def _splits(
    units: Sequence[Unit], whole: Sequence[Unit], fair: float, setup: Mapping[str, float]
) -> Iterable[tuple[list[Unit], dict[str, float]]]:
    """The unit sets the item plan tries, with the setups they pay per shard (the split
    files'; a whole file's is in its unit): only the files longer than a shard's fair share
    split into their tests, then those longer than half of it, then every file. Splitting
    only what must be split pays the fewest setups again."""
    items: dict[str, list[Unit]] = defaultdict(list)
    for unit in units:
        items[unit.file].append(unit)
    seen: set[frozenset[str]] = set()
    for threshold in (fair, fair / 2, 0.0):
        split = frozenset(u.file for u in whole if u.seconds > threshold and len(items[u.file]) > 1)
        if not split or split in seen:
            continue
        seen.add(split)
        units_now = [
            *(u for path in sorted(split) for u in items[path]),
            *(u for u in whole if u.file not in split),
        ]
        yield units_now, {path: cost for path, cost in setup.items() if path in split}


def _load(units: Sequence[Unit], setup: Mapping[str, float]) -> float:
    """A shard's expected seconds: its units, and once each the setup of their files."""
    return sum(u.seconds for u in units) + sum(setup.get(f, 0.0) for f in {u.file for u in units})


def _whole_files(units: Sequence[Unit], setup: Mapping[str, float]) -> list[Unit]:
    """The item units of each file as one unit (its setup counted once)."""
    grouped: dict[str, list[Unit]] = defaultdict(list)
    for unit in units:
        grouped[unit.file].append(unit)
    return [
        Unit(
            path,
            path,
            sum(u.seconds for u in members) + setup.get(path, 0.0),
            all(u.estimated for u in members),
        )
        for path, members in grouped.items()
    ]


class _Bins:
    """Shards being filled: their units, loads, and how many units of each file they hold
    (a file's setup counts in a shard's load while it holds one of the file's units)."""

    def __init__(self, shards: int, setup: Mapping[str, float]) -> None:
        self.bins: list[list[Unit]] = [[] for _ in range(shards)]
        self.loads = [0.0] * shards
        self.files: list[Counter[str]] = [Counter() for _ in range(shards)]
        self.setup = setup

    def adding(self, unit: Unit, shard: int) -> float:
        fresh = self.files[shard][unit.file] == 0
        return unit.seconds + (self.setup.get(unit.file, 0.0) if fresh else 0.0)

    def removing(self, unit: Unit, shard: int) -> float:
        last = self.files[shard][unit.file] == 1
        return unit.seconds + (self.setup.get(unit.file, 0.0) if last else 0.0)

    def add(self, unit: Unit, shard: int) -> None:
        self.loads[shard] += self.adding(unit, shard)
        self.files[shard][unit.file] += 1
        self.bins[shard].append(unit)

    def remove(self, unit: Unit, shard: int) -> None:
        self.loads[shard] -= self.removing(unit, shard)
        self.files[shard][unit.file] -= 1
        self.bins[shard].remove(unit)

    def slowest(self) -> float:
        return max(self.loads)

    def all(self) -> Iterable[Unit]:
        for units in self.bins:
            yield from units


def _longest_first(units: Sequence[Unit], shards: int, setup: Mapping[str, float]) -> _Bins:
    bins = _Bins(shards, setup)
    order = sorted(units, key=lambda u: (-(u.seconds + setup.get(u.file, 0.0)), u.name))
    for unit in order:
        best = min(range(shards), key=lambda s: (bins.loads[s] + bins.adding(unit, s), s))
        bins.add(unit, best)
    return bins


def _improved(bins: _Bins) -> _Bins:
    """Moves and swaps out of the most loaded shard while one lowers it (module docstring)."""
    for _ in range(_MAX_CHANGES):
        heaviest = max(range(len(bins.loads)), key=lambda s: (bins.loads[s], -s))
        change = _best_change(bins, heaviest)
        if change is None:
            break
        unit, other, back = change
        bins.remove(unit, heaviest)
        bins.add(unit, other)
        if back is not None:
            bins.remove(back, other)
            bins.add(back, heaviest)
    return bins


def _best_change(bins: _Bins, heaviest: int) -> tuple[Unit, int, Unit | None] | None:
    """The first move or swap out of `heaviest` (its units longest first, the lightest
    shards first) that lowers the larger load of the two shards it touches below
    `heaviest`'s load now; among a unit's changes with one shard, the best."""
    top = bins.loads[heaviest]
    wanted = top - max(_EPSILON, top * _MIN_GAIN)
    others = sorted(
        (s for s in range(len(bins.loads)) if s != heaviest), key=bins.loads.__getitem__
    )
    for other in others[:_LIGHTEST]:
        best: tuple[float, str] | None = None
        found: tuple[Unit, int, Unit | None] | None = None
        for unit, back in _candidates(bins, heaviest, other):
            after = max(
                _load_after(bins, heaviest, unit, back), _load_after(bins, other, back, unit)
            )
            if after < wanted and (best is None or (after, back.name if back else "") < best):
                best, found = (after, back.name if back else ""), (unit, other, back)
        if found is not None:
            return found
    return None


def _candidates(bins: _Bins, heaviest: int, other: int) -> Iterable[tuple[Unit, Unit | None]]:
    """Moves of each unit of `heaviest` to `other`, and for each, the swaps with the units of
    `other` whose seconds come nearest to balancing the two (found by bisection)."""
    gap = bins.loads[heaviest] - bins.loads[other]
    theirs = sorted(bins.bins[other], key=lambda u: (u.seconds, u.name))
    seconds = [u.seconds for u in theirs]
    for unit in bins.bins[heaviest]:
        yield unit, None
        if not theirs or unit.seconds <= 0:
            continue
        at = bisect.bisect_left(seconds, unit.seconds - gap / 2)  # the swap that evens them
        for index in (at - 1, at):
            if 0 <= index < len(theirs) and theirs[index].seconds < unit.seconds:
                yield unit, theirs[index]


def _load_after(bins: _Bins, shard: int, leaving: Unit | None, coming: Unit | None) -> float:
    """`shard`'s load once `leaving` has left it and `coming` has come (setups included)."""
    load = bins.loads[shard]
    if leaving is not None:
        load -= leaving.seconds
    if coming is not None:
        load += coming.seconds
    if not bins.setup:
        return load
    counts = bins.files[shard]
    same = leaving is not None and coming is not None and coming.file == leaving.file
    if leaving is not None and not same and counts[leaving.file] == 1:
        load -= bins.setup.get(leaving.file, 0.0)
    if coming is not None and not same and counts[coming.file] == 0:
        load += bins.setup.get(coming.file, 0.0)
    return load


@dataclass(frozen=True)
class ShardTests:
    """What one shard runs: `tests` (file paths; node ids of the tests of a file split
    between shards) and `args`, the pytest arguments that run them: a split file's path with
    `--deselect` for each of its tests planned elsewhere, so that a test the durations do not
    know yet runs (in each shard with that file) and one deleted since is no error, as a
    node id on the command line would be."""

    index: int
    tests: tuple[str, ...]
    args: tuple[str, ...]
    expected_seconds: float


def shard_tests(made: Plan) -> list[ShardTests]:
    homes: dict[str, set[int]] = defaultdict(set)
    for shard in made.shards:
        for unit in shard.units:
            homes[unit.file].add(shard.index)
    split = {path for path, shards in homes.items() if len(shards) > 1}
    elsewhere: dict[int, list[str]] = defaultdict(
        list
    )  # shard -> tests of its split files run by others
    for shard in made.shards:
        for unit in shard.units:
            if unit.file in split:
                for other in homes[unit.file] - {shard.index}:
                    elsewhere[other].append(unit.name)
    found = []
    for shard in made.shards:
        tests = [u.name if u.file in split else u.file for u in shard.units]
        files = sorted({u.file for u in shard.units})
        deselect = [f"--deselect={name}" for name in sorted(elsewhere[shard.index])]
        found.append(
            ShardTests(
                shard.index,
                tuple(dict.fromkeys(tests)),
                (*files, *deselect),
                shard.expected_seconds,
            )
        )
    return found


@dataclass(frozen=True)
class Sharding:
    """`pitstop shard`'s answer: the plan, what each shard runs, and what was split: the
    test files the change selected (`selected` of `test_files`; all with --all), and why
    every test runs when the selection says so."""

    plan: Plan
    shards: tuple[ShardTests, ...]
    selected: int
    test_files: int
    everything: bool
    run_all: tuple[str, ...] = ()
    measured_files: int = 0  # of the `selected`, those some duration names


def shard_selection(
    files: Sequence[str],
    durations: Durations,
    shards: int,
    by: str,
    counts: Mapping[str, int] | None = None,
) -> tuple[Plan, list[ShardTests]]:
    """Plan `files` (test file paths) into `shards`: by file, or by item where the durations
    name a file's tests (a file none of whose tests they name stays whole). `counts`: the
    test functions of each file, for the files the durations do not know."""
    measured = bool(durations.seconds)
    if by == BY_FILE:
        units, estimated = file_units(files, durations, counts)
        made = plan(units, shards, estimated=estimated, measured=measured)
        made = replace(made, sources=durations.sources)
        return made, shard_tests(made)
    setup = setup_costs(durations)
    known = durations.by_file
    chosen = set(files)
    tests = [t for path in sorted(chosen & set(known)) for t in known[path]]
    items, _ = item_units(tests, durations, setup)
    wholes, estimated = file_units(sorted(chosen - set(known)), durations, counts)
    made = plan(
        [*items, *wholes], shards, by=BY_ITEM, setup=setup, estimated=estimated, measured=measured
    )
    made = replace(made, sources=durations.sources)
    return made, shard_tests(made)


def plan_items(items: Sequence[str], durations: Durations, shards: int, by: str) -> Plan:
    """Plan collected tests (node ids, as `pytest --pitstop-shard` has them): by file, each
    file's expected time is the sum of its tests' (measured, else estimated)."""
    setup = setup_costs(durations)
    units, estimated = item_units(items, durations, setup)
    made = plan(
        units,
        shards,
        by=by,
        setup=setup,
        estimated=estimated,
        measured=bool(durations.seconds),
    )
    return replace(made, sources=durations.sources)
