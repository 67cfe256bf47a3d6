"""Benchmark results, whichever tool wrote them: one model (a benchmark's name and its raw
timings in seconds) and the reader that recognises the format from the content.

Formats: pytest-benchmark's JSON (`--benchmark-json`, or `--benchmark-save` with
`--benchmark-save-data`), pyperf's JSON (`-o FILE`), asv's results JSON (raw samples only
with `asv run --record-samples`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pitstop.errors import PitstopError
from pitstop.files import read_regular_file
from pitstop.parsers.jsonfile import load_json
from pitstop.parsers.streams import Digest

# pytest-benchmark saves every round: a 1 us benchmark run for its default second has some
# 200,000 of them, 4 MB of JSON; a suite of such files is far above the 10 MiB other inputs get.
MAX_RESULTS_BYTES = 512 * 2**20


@dataclass(frozen=True)
class Benchmark:
    """One benchmark of a results file: its raw timings in seconds (one per round, run value
    or sample, each per iteration), or why the file holds none."""

    name: str
    timings: tuple[float, ...]
    missing: str | None = None  # e.g. "no raw timings (save with --benchmark-save-data)"


@dataclass(frozen=True)
class BenchmarkResults:
    """The benchmarks of one file, in file order, and the tool that wrote it."""

    path: str
    tool: str  # "pytest-benchmark" | "pyperf" | "asv"
    benchmarks: tuple[Benchmark, ...]


def read_benchmarks(path: Path, shown: str, source: Digest | None = None) -> BenchmarkResults:
    """The benchmarks of `path`, its format recognised from the content; PitstopError naming
    `shown` (and the line of a JSON syntax error) on anything else. `source`, if given, is
    fed the bytes read (the digest of what was parsed, with no second read)."""
    data = read_regular_file(path, shown, MAX_RESULTS_BYTES)
    if source is not None:
        source.update(data)
    results = _parse(load_json(data, shown), shown)
    seen: set[str] = set()
    for benchmark in results.benchmarks:
        if benchmark.name in seen:
            raise PitstopError(f"benchmark {benchmark.name!r} appears twice", path=shown)
        seen.add(benchmark.name)
    return results


def _parse(document: object, shown: str) -> BenchmarkResults:
    if not isinstance(document, dict):
        raise PitstopError(_UNKNOWN, path=shown)
    if "result_columns" in document and "results" in document:
        from pitstop.parsers.asv_results import read_asv

        return BenchmarkResults(shown, "asv", read_asv(document, shown))
    entries = document.get("benchmarks")
    if isinstance(entries, list) and all(isinstance(e, dict) and "runs" in e for e in entries):
        from pitstop.parsers.pyperf_json import read_pyperf

        return BenchmarkResults(shown, "pyperf", read_pyperf(document, shown))
    if isinstance(entries, list) and all(isinstance(e, dict) and "stats" in e for e in entries):
        from pitstop.parsers.pytest_benchmark import read_pytest_benchmark

        return BenchmarkResults(shown, "pytest-benchmark", read_pytest_benchmark(entries, shown))
    raise PitstopError(_UNKNOWN, path=shown)


_UNKNOWN = (
    "not a benchmark results file: expected pytest-benchmark JSON (--benchmark-json), "
    "pyperf JSON (-o) or asv results JSON"
)


def timing(value: object, where: str, shown: str) -> float:
    """A timing in seconds: a finite, non-negative number (JSON has no NaN here)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise PitstopError(f"{where}: {value!r} is not a timing in seconds", path=shown)
    return float(value)


def field(entry: dict[str, object], key: str, kind: type, where: str, shown: str) -> object:
    """`entry[key]`, checked to be a `kind`; PitstopError saying what is missing or wrong."""
    value = entry.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise PitstopError(f"{where}: `{key}` is missing or not a {kind.__name__}", path=shown)
    return value
