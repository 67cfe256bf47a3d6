"""asv's results JSON (`.asv/results/MACHINE/COMMIT-ENV.json`, format version 2): each
benchmark a row of the columns named in `result_columns`. The raw timings are the `samples`
column (seconds per iteration, one list per parameter combination), written only by
`asv run --record-samples`; without it asv keeps the median (`result`), a 99% interval
(`stats_ci_99_a`, `stats_ci_99_b`), the quartiles and the repeat counts, from which no test
can be computed. Only timing benchmarks (`time_*`, `timeraw_*`) are timings."""

from __future__ import annotations

import itertools

from pitstop.errors import PitstopError
from pitstop.parsers.benchmarks import Benchmark, field, timing

NO_SAMPLES = (
    "no raw timings: asv keeps only the median, a 99% interval and the quartiles "
    "(run asv with --record-samples)"
)


def read_asv(document: dict[str, object], shown: str) -> tuple[Benchmark, ...]:
    columns = field(document, "result_columns", list, "the file", shown)
    results = field(document, "results", dict, "the file", shown)
    assert isinstance(columns, list) and isinstance(results, dict)
    found: list[Benchmark] = []
    for name, row in results.items():
        if not isinstance(row, list):
            raise PitstopError(f"{name}: the result is not a list", path=shown)
        found.extend(_benchmarks(name, dict(zip(columns, row, strict=False)), shown))
    return tuple(found)


def _benchmarks(name: str, row: dict[str, object], shown: str) -> list[Benchmark]:
    params = row.get("params") or []
    if not isinstance(params, list) or not all(isinstance(p, list) for p in params):
        raise PitstopError(f"{name}: `params` is not a list of lists", path=shown)
    names = [f"{name}({', '.join(map(str, c))})" for c in itertools.product(*params)]
    names = names if params else [name]
    if not name.rpartition(".")[2].startswith(("time_", "timeraw_")):
        return [Benchmark(n, (), "not a timing benchmark") for n in names]
    samples = row.get("samples")
    if samples is None:
        return [Benchmark(n, (), NO_SAMPLES) for n in names]
    if not isinstance(samples, list) or len(samples) != len(names):
        raise PitstopError(f"{name}: `samples` does not match `params`", path=shown)
    return [_one(n, values, shown) for n, values in zip(names, samples, strict=True)]


def _one(name: str, values: object, shown: str) -> Benchmark:
    if values is None:  # this parameter combination failed or was skipped
        return Benchmark(name, (), "no samples (the benchmark failed or was skipped)")
    if not isinstance(values, list):
        raise PitstopError(f"{name}: samples are not a list", path=shown)
    return Benchmark(name, tuple(timing(v, name, shown) for v in values))
