"""pyperf's JSON (`python bench.py -o FILE`, format 1.0): per benchmark, the `values` of every
run (seconds per loop iteration); warmups and the calibration runs (warmups only) are left
out. The name is the benchmark's `metadata.name`, else the file's."""

from __future__ import annotations

from pitstop.errors import PitstopError
from pitstop.parsers.benchmarks import Benchmark, field, timing


def read_pyperf(document: dict[str, object], shown: str) -> tuple[Benchmark, ...]:
    common = document.get("metadata")
    shared = common if isinstance(common, dict) else {}
    entries = document["benchmarks"]
    assert isinstance(entries, list)  # read_benchmarks recognised the format by it
    return tuple(_benchmark(entry, index, shared, shown) for index, entry in enumerate(entries))


def _benchmark(
    entry: dict[str, object], index: int, shared: dict[str, object], shown: str
) -> Benchmark:
    own = entry.get("metadata")
    metadata = {**shared, **(own if isinstance(own, dict) else {})}
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise PitstopError(f"benchmarks[{index}]: no `metadata.name`", path=shown)
    unit = metadata.get("unit", "second")
    if unit != "second":
        return Benchmark(name, (), f"not a timing (pyperf unit {unit!r})")
    runs = field(entry, "runs", list, name, shown)
    assert isinstance(runs, list)
    return Benchmark(name, tuple(_values(runs, name, shown)))


def _values(runs: list[object], name: str, shown: str) -> list[float]:
    values: list[float] = []
    for run in runs:
        if not isinstance(run, dict):
            raise PitstopError(f"{name}: a run is not an object", path=shown)
        found = run.get("values", [])
        if not isinstance(found, list):
            raise PitstopError(f"{name}: a run's `values` is not a list", path=shown)
        values.extend(timing(value, name, shown) for value in found)
    return values
