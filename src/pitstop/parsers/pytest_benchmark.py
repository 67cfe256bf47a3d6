"""pytest-benchmark's JSON: `benchmarks[].fullname` and the raw round times in
`benchmarks[].stats.data` (seconds per iteration). `--benchmark-json` always writes them;
`--benchmark-save` and `--benchmark-autosave` only with `--benchmark-save-data`, else the
file holds summary statistics alone, which no test can compare."""

from __future__ import annotations

from pitstop.errors import PitstopError
from pitstop.parsers.benchmarks import Benchmark, field, timing

NO_DATA = "no raw timings (save with --benchmark-save-data)"


def read_pytest_benchmark(entries: list[object], shown: str) -> tuple[Benchmark, ...]:
    return tuple(_benchmark(entry, index, shown) for index, entry in enumerate(entries))


def _benchmark(entry: object, index: int, shown: str) -> Benchmark:
    assert isinstance(entry, dict)  # read_benchmarks recognised the format by it
    where = f"benchmarks[{index}]"
    name = entry.get("fullname") or entry.get("name")
    if not isinstance(name, str):
        raise PitstopError(f"{where}: `fullname` is missing or not a string", path=shown)
    stats = field(entry, "stats", dict, f"{name}", shown)
    assert isinstance(stats, dict)
    data = stats.get("data")
    if data is None:
        return Benchmark(name, (), NO_DATA)
    if not isinstance(data, list):
        raise PitstopError(f"{name}: `stats.data` is not a list of timings", path=shown)
    return Benchmark(name, tuple(timing(value, name, shown) for value in data))
