"""`pitstop shard`: the shards as text, JSON (the contract below), a GitHub Actions matrix,
or one shard's pytest arguments.

JSON: `{"version": 1, "shards": [{"index": 1, "tests": [...], "expected_seconds": s}],
"ideal_seconds": s, "estimated": n}`, a contract (keys may be added, never renamed); also
each shard's `args` and the plan's `by`, `slowest_seconds` and `durations` sources."""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pitstop.impact.shard import Sharding, ShardTests

FORMAT_VERSION = 1
FORMATS = ("text", "json", "github-matrix", "pytest")


def render(sharding: Sharding, fmt: str, index: int | None = None) -> str:
    """`sharding` in `fmt`; only shard `index` (from 1) when given."""
    if fmt == "json":
        return json.dumps(document(sharding, index), indent=2) + "\n"
    if fmt == "github-matrix":
        return json.dumps(matrix(sharding), separators=(",", ":")) + "\n"
    if fmt == "pytest":
        assert index is not None  # the command line requires it
        return "".join(f"{arg}\n" for arg in _chosen(sharding, index)[0].args)
    return render_text(sharding, index)


def _chosen(sharding: Sharding, index: int | None) -> tuple[ShardTests, ...]:
    if index is None:
        return sharding.shards
    return tuple(s for s in sharding.shards if s.index == index)


def document(sharding: Sharding, index: int | None = None) -> dict[str, object]:
    made = sharding.plan
    return {
        "version": FORMAT_VERSION,
        "shards": [
            {
                "index": s.index,
                "tests": list(s.tests),
                "expected_seconds": round(s.expected_seconds, 3),
                "args": list(s.args),
            }
            for s in _chosen(sharding, index)
        ],
        "ideal_seconds": round(made.ideal_seconds, 3),
        "slowest_seconds": round(made.slowest, 3),
        "estimated": made.estimated,
        "by": made.by,
        "durations": list(made.sources),
        "selected": sharding.selected,
        "measured_files": sharding.measured_files,
        "test_files": sharding.test_files,
    }


def matrix(sharding: Sharding) -> dict[str, object]:
    """`strategy.matrix` for the test job: one entry per shard with work (an empty one
    would run every test with a bare `pytest`), numbered anew from 1; `args` is the
    shard's pytest arguments, quoted for a shell."""
    busy = [s for s in sharding.shards if s.tests]
    return {
        "include": [
            {
                "shard": number,
                "shards": len(busy),
                "args": shlex.join(s.args),
                "expected_seconds": round(s.expected_seconds, 1),
            }
            for number, s in enumerate(busy, 1)
        ]
    }


def render_text(sharding: Sharding, index: int | None = None) -> str:
    made = sharding.plan
    count = len(sharding.shards)
    unit = "test files" if made.by == "file" else "tests (files split where it balances)"
    scope = (
        f"all {sharding.test_files} test files"
        if sharding.everything
        else f"{sharding.selected} of {sharding.test_files} test files"
        + (" (every test: " + "; ".join(sharding.run_all) + ")" if sharding.run_all else "")
    )
    lines = [f"pitstop shard: {scope} in {count} shards, by {unit}"]
    if made.measured:
        lines += [f"durations: {source}" for source in made.sources]
        if sharding.selected and not sharding.measured_files:
            lines.append(
                "warning: no duration names any of these test files: are the durations' node "
                "ids relative to another folder (pytest's rootdir)? Give that folder as --root"
            )
        if made.estimated:
            lines.append(
                f"estimated: {made.estimated} {'test files' if made.by == 'file' else 'tests'}"
                " without a measured duration (a file: the median of the measured files; a "
                "test: of its file's tests, else of the suite's)"
            )
    else:
        lines.append("durations: none measured: every test file counted as 1 s (split by count)")
    if not sharding.selected:
        lines.append("no test file is selected: every shard has nothing to run")
        return "\n".join(lines) + "\n"
    for shard in _chosen(sharding, index):
        if not shard.tests:
            lines.append(f"shard {shard.index}/{count}: nothing to run (fewer units than shards)")
            continue
        lines.append(
            f"shard {shard.index}/{count}: {len(shard.tests)} "
            f"{'tests' if made.by == 'item' else 'files'}, expected {shard.expected_seconds:.1f} s"
        )
        lines += [f"  {test}" for test in shard.tests]
    bound = "the longest unit" if made.longest_bound else f"the total over {count}"
    ratio = made.slowest / made.ideal_seconds if made.ideal_seconds > 0 else 1.0
    lines.append(
        f"slowest shard {made.slowest:.1f} s; ideal {made.ideal_seconds:.1f} s ({bound}): "
        f"{ratio:.3f}x"
    )
    return "\n".join(lines) + "\n"
