"""Benchmark results made by the real tools, in a subprocess: pytest-benchmark, pyperf, asv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# The benchmarked function: `SIZE` sets how much work one call does (a slower "head" is the
# same code doing twice the work).
BENCHMARKS = """
SIZE = {size}


def work():
    return sum(i * i for i in range(SIZE))


def test_work(benchmark):
    benchmark(work)


def test_pedantic(benchmark):
    benchmark.pedantic(work, rounds={rounds}, iterations=1)
"""


def pytest_benchmark(folder: Path, size: int = 2000, rounds: int = 7, *args: str) -> Path:
    """`pytest --benchmark-json` of BENCHMARKS in `folder`: the file, raw timings included."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test_bench.py").write_text(BENCHMARKS.format(size=size, rounds=rounds))
    report = folder / "bench.json"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
    command += ["--benchmark-max-time=0.1", "--rootdir", str(folder), *args]
    command += [] if "--benchmark-save" in " ".join(args) else [f"--benchmark-json={report}"]
    # The outer session's PYTEST_* variables stay out: under xdist, PYTEST_XDIST_WORKER makes
    # pytest-benchmark skip writing its JSON, exit 0 and all.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, env=environment)
    assert done.returncode == 0, done.stdout + done.stderr
    return report


def pytest_benchmark_saved(folder: Path, *args: str) -> Path:
    """`pytest --benchmark-save=run` (summary statistics only, unless args add the data)."""
    pytest_benchmark(folder, 2000, 7, "--benchmark-save=run", "--benchmark-storage=store", *args)
    (saved,) = (folder / "store").glob("*/*_run.json")
    return saved


PYPERF = """
import pyperf

SIZE = {size}
runner = pyperf.Runner()
runner.bench_func("work", lambda: sum(i * i for i in range(SIZE)))
runner.timeit("join", stmt="'-'.join(map(str, range(100)))")
"""


def pyperf(folder: Path, size: int = 2000) -> Path:
    """pyperf's JSON: 3 worker processes of 1 warmup and 3 values each (9 values)."""
    folder.mkdir(parents=True, exist_ok=True)
    script, output = folder / "bench.py", folder / "pyperf.json"
    script.write_text(PYPERF.format(size=size))
    options = ["--processes", "3", "--values", "3", "--warmups", "1", "--loops", "64", "-q"]
    command = [sys.executable, str(script), *options, "-o", str(output)]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return output


ASV_BENCHMARKS = """
def time_work():
    sum(i * i for i in range(2000))


class TimeParams:
    params = [10, 1000]

    def time_sum(self, n):
        sum(range(n))


def track_answer():
    return 42
"""


def asv(folder: Path, *record: str) -> Path:
    """`asv run --python=same` of ASV_BENCHMARKS (a git repository in `folder`, HOME there
    too: asv keeps the machine's description in ~/.asv-machine.json)."""
    (folder / "benchmarks").mkdir(parents=True, exist_ok=True)
    (folder / "benchmarks" / "__init__.py").write_text("")
    (folder / "benchmarks" / "bench.py").write_text(ASV_BENCHMARKS)
    config = {"version": 1, "project": "demo", "repo": ".", "environment_type": "existing"}
    config |= {"benchmark_dir": "benchmarks", "results_dir": "results", "html_dir": "html"}
    (folder / "asv.conf.json").write_text(json.dumps(config))
    environment = {**os.environ, "HOME": str(folder), "GIT_CONFIG_GLOBAL": os.devnull}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"

    def run(*command: str) -> str:
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, env=environment)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip()

    run("git", "init", "-q", ".")
    run("git", "add", "-A")
    run("git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "benchmarks")
    commit = run("git", "rev-parse", "HEAD")  # --python=same saves results only with it
    run(sys.executable, "-m", "asv", "machine", "--yes", "--machine", "ci")
    options = ["-a", "repeat=7", "-a", "number=1", "-a", "warmup_time=0", *record]
    asv_run = ["run", "--python=same", "--machine", "ci", "--set-commit-hash", commit]
    run(sys.executable, "-m", "asv", *asv_run, *options)
    (results,) = (folder / "results" / "ci").glob("*-existing-*.json")
    return results
