"""`pitstop record`: each input file read by its parser and written to the store in one
transaction, so a bad file leaves nothing half-written and the files before it recorded."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pitstop.files import file_sha256
from pitstop.history.store import Counts, Store
from pitstop.runs import ImageSize, RunIdentity


@dataclass(frozen=True)
class Recorded:
    """What one input file added: `what` names the rows ("test results", "jobs", ...)."""

    path: str
    what: str
    counts: Counts
    run: RunIdentity


def record_junit(store: Store, paths: Sequence[Path], run: RunIdentity) -> list[Recorded]:
    from pitstop.parsers.junit import read_junit

    done = []
    for path in paths:
        keyed = _keyed(run, path)
        counts = store.record_tests(keyed, read_junit(path, str(path)))
        done.append(Recorded(str(path), "test results", counts, keyed))
    return done


def record_github(store: Store, path: Path, run: RunIdentity) -> Recorded:
    from pitstop.parsers.github_jobs import read_jobs

    jobs = read_jobs(path, str(path))
    # The REST list and gh's `databaseId` name the run; only without them is the file's
    # content the run's name.
    keyed = run if jobs and all(job.run_id for job in jobs) else _keyed(run, path)
    return Recorded(str(path), "jobs", store.record_jobs(keyed, jobs), keyed)


def record_build(store: Store, path: Path, metadata: Path | None, run: RunIdentity) -> Recorded:
    from pitstop.parsers.buildlog import read_build_log, read_build_metadata

    source = hashlib.sha256()
    build = read_build_log(path, str(path), source)
    if metadata is not None:
        image, digest = read_build_metadata(metadata, str(metadata))
        build = replace(build, image=image or build.image, digest=digest or build.digest)
    digest = source.hexdigest()  # of the bytes parsed: the log is read once
    keyed = _keyed(run, path, digest)
    return Recorded(str(path), "builds", store.record_build(keyed, build, digest), keyed)


def record_images(
    store: Store,
    inspect: Path | None,
    sizes: Sequence[ImageSize],
    run: RunIdentity,
    report: Path | None = None,
    name: str | None = None,
) -> list[Recorded]:
    from pitstop.parsers.buildlog import read_image_report, read_image_sizes

    found = list(sizes)
    shown = "--image/--size"
    if inspect is not None:
        found += read_image_sizes(inspect, str(inspect))
        shown = str(inspect)
        run = _keyed(run, inspect)
    if report is not None:
        found.append(read_image_report(report, str(report), name))
        shown = str(report) if inspect is None else f"{shown}, {report}"
        run = _keyed(run, report)
    return [Recorded(shown, "image sizes", store.record_image(run, size), run) for size in found]


def record_bench(store: Store, paths: Sequence[Path], run: RunIdentity) -> list[Recorded]:
    """Each benchmark results file is one run of the suite: recorded with its raw timings, so
    `bench compare --base-branch` can judge a head's runs against the branch's recent ones."""
    from pitstop.parsers.benchmarks import read_benchmarks

    done = []
    for path in paths:
        source = hashlib.sha256()
        results = read_benchmarks(path, str(path), source)
        digest = source.hexdigest()  # of the bytes parsed: the file is read once
        keyed = _keyed(run, path, digest)
        counts = store.record_bench(keyed, results, digest)
        done.append(Recorded(str(path), "benchmarks", counts, keyed))
    return done


def _keyed(run: RunIdentity, path: Path, digest: str | None = None) -> RunIdentity:
    """`run`, or, outside CI with no --run-id, a run named by the file's content: recording
    the same file twice is then still one run, and two different files two runs."""
    if run.run_id:
        return run
    return replace(run, run_id=f"file-{(digest or _digest(path))[:16]}")


def _digest(path: Path) -> str:
    return file_sha256(path, str(path))
