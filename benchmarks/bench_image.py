"""Time `pitstop image` on generated image archives against reading each archive once.

The target (issue 16): on a 2 GB image of 40 layers and 200,000 files, `pitstop image FILE
--format json` takes at most 1.5 x the time of `cat FILE > /dev/null` in the same session,
and its memory does not grow with the image's bytes.

The archives are made by benchmarks/image_archive.py (a spec-exact `docker save` archive, or
with --layout oci an OCI layout tar with gzip layers) under --workdir (default
benchmarks/.work/, git-ignored), and reused while their parameters are unchanged. Every
--sizes entry has the same layers and files: only the bytes differ, so the peak memory of
the sizes can be compared directly. A size is the uncompressed image (the docker layout's
archive); the OCI tar is smaller by its gzip layers (about 0.6 x).

For each archive, in one session: one untimed run of each command first (both then read
the archive from the page cache, as every timed run does; the untimed run of pitstop also
writes its bytecode, since PYTHONDONTWRITEBYTECODE is unset for it), then --runs rounds,
interleaved, each round in a rotated order:

  cat:      sh -c 'cat FILE > /dev/null'
  floor:    python -c FLOOR FILE: the least a Python reader does, for scale (not a target):
            the docker layout's tar headers, outer and each layer's, read with a seek past
            every content; the OCI layout's gzip layers decompressed (output discarded)
  pitstop:  pitstop image FILE --format json   (the venv's pitstop; output to a file)

With --cold, the archive's pages are dropped from the page cache before every timed run of
every command (posix_fadvise DONTNEED on the archive, which needs no privilege; the OCI
layout's blobs are inside that one file): each command then reads the archive from the
disk, as a job does that reads an image written by another machine. The warm-up runs stay.

Wall time is measured around each process; peak memory (RSS) and CPU time are the
process's own, from os.wait4's resource usage (ru_maxrss of the waited-for process and
its descendants: exact per process, no polling, no extra tool). The table gives medians and
the ratio pitstop / cat of the medians.

The JSON pitstop prints is checked against the figures the generator knows
(`FILE.expected.json`): total compressed and uncompressed bytes, per layer the digest,
created_by, bytes (the uncompressed tar) and files added, changed and deleted (regular
files; see image_archive.py for the conventions), waste bytes, and each waste entry that is
listed; `budget` is null. A mismatch is printed and the benchmark exits 1: a fast wrong
answer is not a result.

    python benchmarks/bench_image.py [--sizes 0.5GB,2GB] [--layers 40] [--files 200000]
                                     [--layout docker|oci] [--runs 5] [--workdir DIR]
                                     [--cold] [--cat-only] [--check]

--cat-only generates the archives and times `cat` alone (before `pitstop image` exists).
Exit status: 0; 1 when pitstop's figures are wrong, or with --check when a ratio is above
1.5 or the peak memory of the largest size is above 1.2 x the smallest's; 2 when
`pitstop image` is not available.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from image_archive import sidecar, write_image  # benchmarks/ is on sys.path when run

from pitstop.units import format_size, parse_size

REPO = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5
MEMORY_GROWTH = 1.2  # the largest size's peak RSS over the smallest's: "independent of bytes"
DISK_MARGIN = 1 << 30
FLOOR = """
import os, sys, zlib
def walk(f, start, end):
    pos, found = start, []
    while pos + 512 <= end:
        f.seek(pos)
        header = f.read(512)
        if not header or header[0] == 0:
            break
        size = int(header[124:136].rstrip(b"\\0 ") or b"0", 8)
        found.append((header[:100].rstrip(b"\\0"), pos + 512, size))
        pos += 512 + -(-size // 512) * 512
    return found
with open(sys.argv[1], "rb", buffering=0) as f:
    for name, start, size in walk(f, 0, os.fstat(f.fileno()).st_size):
        if name.endswith(b"/layer.tar"):
            walk(f, start, start + size)
        elif name.startswith(b"blobs/sha256/"):
            f.seek(start)
            if f.read(2) == b"\\x1f\\x8b":
                f.seek(start)
                inflate, left = zlib.decompressobj(31), size
                while left:
                    chunk = f.read(min(left, 1 << 20))
                    left -= len(chunk)
                    inflate.decompress(chunk, 1 << 20)
                    while inflate.unconsumed_tail:
                        inflate.decompress(inflate.unconsumed_tail, 1 << 20)
"""


@dataclass
class Run:
    wall: float
    cpu: float
    peak_kib: int


@dataclass
class Row:
    archive: Path
    figures: dict[str, object]
    generated: float | None  # seconds, None when reused
    cat: list[Run] = field(default_factory=list)
    floor: list[Run] = field(default_factory=list)
    pitstop: list[Run] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- processes


def pitstop_executable() -> str:
    """The `pitstop` beside this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("pitstop")
    found = str(beside) if beside.is_file() else shutil.which("pitstop")
    if found is None:
        raise SystemExit("bench_image: no `pitstop` executable beside this Python or on PATH")
    return found


def require_image_command(pitstop: str) -> None:
    done = subprocess.run([pitstop, "image", "--help"], capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:]
        print(
            f"bench_image: `{pitstop} image` is not available in this pitstop "
            f"({' '.join(last) or f'exit {done.returncode}'}).\n"
            "It comes with issue 16; install a pitstop that has it, or run with --cat-only "
            "to generate the archives and time `cat` alone.",
            file=sys.stderr,
        )
        raise SystemExit(2)


def timed(command: list[str], stdout: Path | None, env: dict[str, str]) -> Run:
    """Run `command` to its end: its wall time, CPU time and peak RSS. Any exit but 0 stops
    the benchmark (no budget is given, so pitstop has no reason to exit 1)."""
    with open(stdout or os.devnull, "wb") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        code = process.returncode
        if code != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip().splitlines()[-3:]
            raise SystemExit(f"bench_image: {shlex.join(command)} exited {code}: {tail}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


# --------------------------------------------------------------------------- the archives


def archive_for(args: argparse.Namespace, size: int) -> Row:
    name = f"image-{size}-{args.layers}l-{args.files}f-{args.layout}.tar"
    path = args.workdir / name
    wanted = {"size": size, "layers": args.layers, "files": args.files}
    try:
        figures = json.loads(sidecar(path).read_text())
        parameters = figures["parameters"]
        if {k: parameters[k] for k in wanted} == wanted and figures[
            "archive_bytes"
        ] == path.stat().st_size:
            return Row(path, figures, None)
    except (OSError, ValueError, KeyError):
        pass
    started = time.perf_counter()
    figures = write_image(path, size, args.layers, args.files, args.layout)
    return Row(path, figures, time.perf_counter() - started)


def check_disk(workdir: Path, sizes: list[int], layers: int, files: int, layout: str) -> None:
    """Enough free space for the archives not yet written, and a margin."""
    workdir.mkdir(parents=True, exist_ok=True)
    missing = [
        s for s in sizes if not (workdir / f"image-{s}-{layers}l-{files}f-{layout}.tar").exists()
    ]
    free = shutil.disk_usage(workdir).free
    if sum(missing) + DISK_MARGIN > free:
        raise SystemExit(
            f"bench_image: {format_size(sum(missing))} of archives to write in {workdir}, "
            f"{format_size(free)} free"
        )


# --------------------------------------------------------------------------- correctness


def compare(report: dict[str, object], figures: dict[str, object]) -> list[str]:
    """What pitstop's JSON gets wrong, against the generator's figures."""
    wrong: list[str] = []

    def same(what: str, found: object, expected: object) -> None:
        if found != expected:
            wrong.append(f"{what}: pitstop says {found!r}, expected {expected!r}")

    same("version", report.get("version"), 1)
    found_bytes = _mapping(report.get("bytes"))
    expected_bytes = _mapping(figures["bytes"])
    for key in ("compressed", "uncompressed"):
        same(f"bytes.{key}", found_bytes.get(key), expected_bytes[key])
    layers = [_mapping(layer) for layer in _list(report.get("layers"))]
    stored = [layer for layer in layers if not layer.get("empty")]
    expected_layers = [_mapping(layer) for layer in _list(figures["layers"])]
    same("layers with content", len(stored), len(expected_layers))
    keys = ("digest", "created_by", "bytes", "files_added", "files_changed", "files_deleted")
    for index, (found, expected) in enumerate(zip(stored, expected_layers, strict=False)):
        for key in keys:
            same(f"layers[{index}].{key}", found.get(key), expected[key])
    waste = _mapping(report.get("waste"))
    expected_waste = _mapping(figures["waste"])
    same("waste.bytes", waste.get("bytes"), expected_waste["bytes"])
    wrong += _compare_waste_files(_list(waste.get("files")), expected_waste, expected_layers)
    same("budget", report.get("budget"), None)
    return wrong


def _compare_waste_files(
    listed: list[object], expected: dict[str, object], layers: list[dict[str, object]]
) -> list[str]:
    """Each listed waste entry is one the generator knows (the list may be cut short);
    `stored_in` and `hidden_by` may name a layer by index or by digest."""
    known = {
        (w["path"], w["bytes"], w["stored_in"], w["hidden_by"])
        for w in map(_mapping, _list(expected["files"]))
    }
    index_of = {
        str(layer[key]): i for i, layer in enumerate(layers) for key in ("digest", "diff_id")
    }
    wrong: list[str] = []
    for entry in map(_mapping, listed):
        layer_refs = [entry.get("stored_in"), entry.get("hidden_by")]
        refs = [r if isinstance(r, int) else index_of.get(str(r), r) for r in layer_refs]
        if (entry.get("path"), entry.get("bytes"), *refs) not in known:
            wrong.append(f"waste.files: {entry!r} is not a stored-but-invisible file version")
    if len(listed) > len(known):
        wrong.append(f"waste.files: {len(listed)} entries, only {len(known)} versions are hidden")
    return wrong


def _mapping(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


# --------------------------------------------------------------------------- the rounds


def evict(path: Path) -> None:
    """Drop `path`'s pages from the page cache (clean pages only: the archive was written
    and synced long before), so the next read comes from the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(descriptor)
        os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(descriptor)


def measure(row: Row, pitstop: str | None, runs: int, cold: bool = False) -> None:
    cat = ["sh", "-c", f"cat {shlex.quote(str(row.archive))} > /dev/null"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "image.json"
        commands: dict[str, tuple[list[str], Path | None]] = {
            "cat": (cat, None),
            "floor": ([sys.executable, "-c", FLOOR, str(row.archive)], None),
        }
        if pitstop is not None:
            image = [pitstop, "image", str(row.archive), "--format", "json"]
            commands["pitstop"] = (image, output)
        for command, stdout in commands.values():  # warm-up: the page cache, the bytecode
            timed(command, stdout, env)
        if pitstop is not None:
            row.wrong = compare(json.loads(output.read_text()), row.figures)
        names = list(commands)
        for round_index in range(runs):
            shift = round_index % len(names)
            for name in names[shift:] + names[:shift]:
                command, stdout = commands[name]
                if cold:
                    evict(row.archive)
                run = timed(command, stdout, env)
                {"cat": row.cat, "floor": row.floor, "pitstop": row.pitstop}[name].append(run)


# --------------------------------------------------------------------------- the report


def report(
    rows: list[Row], runs: int, layout: str, cold: bool = False
) -> tuple[list[float], float | None]:
    reads = (
        "the archive dropped from the page cache before every timed run, so each reads it "
        "from the disk"
        if cold
        else "every command ran once untimed first, so every timed run reads the archive from "
        "the page cache"
    )
    print(f"\nmedians of {runs} interleaved runs per image, in one session; {reads}\n")
    print(
        "| image | archive | layout | layers | files | cat s | floor s | pitstop s | ratio "
        "| pitstop CPU s | peak RSS MiB |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios: list[float] = []
    peaks: list[float] = []
    for row in rows:
        parameters = _mapping(row.figures["parameters"])
        cat = statistics.median(r.wall for r in row.cat)
        cells = [
            format_size(int(str(_mapping(row.figures["bytes"])["uncompressed"]))),
            format_size(int(str(row.figures["archive_bytes"]))),
            layout,
            str(parameters["layers"]),
            f"{parameters['files']:,}",
            f"{cat:.2f}",
            f"{statistics.median(r.wall for r in row.floor):.2f}",
        ]
        if row.pitstop:
            wall = statistics.median(r.wall for r in row.pitstop)
            peak = max(r.peak_kib for r in row.pitstop) / 1024
            ratios.append(wall / cat)
            peaks.append(peak)
            cpu = statistics.median(r.cpu for r in row.pitstop)
            cells += [f"{wall:.2f}", f"{wall / cat:.2f}", f"{cpu:.2f}", f"{peak:.0f}"]
        else:
            cells += ["not run", "-", "-", "-"]
        print("| " + " | ".join(cells) + " |")
    growth = peaks[-1] / peaks[0] if len(peaks) > 1 else None
    return ratios, growth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.5GB,2GB", help="archive sizes, comma-separated")
    parser.add_argument("--layers", type=int, default=40)
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--layout", choices=("docker", "oci"), default="docker")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / ".work")
    parser.add_argument("--cat-only", action="store_true", help="time cat alone (no pitstop)")
    parser.add_argument(
        "--cold", action="store_true", help="drop the archive from the page cache before each run"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    sizes = sorted(parse_size(size) for size in args.sizes.split(","))
    pitstop = None if args.cat_only else pitstop_executable()
    if pitstop is not None:
        require_image_command(pitstop)
    check_disk(args.workdir, sizes, args.layers, args.files, args.layout)
    rows: list[Row] = []
    for size in sizes:
        row = archive_for(args, size)
        made = "reused" if row.generated is None else f"generated in {row.generated:.1f}s"
        print(f"{row.archive}: {int(str(row.figures['archive_bytes'])):,} bytes ({made})")
        measure(row, pitstop, args.runs, args.cold)
        rows.append(row)
    ratios, growth = report(rows, args.runs, args.layout, args.cold)
    wrong = [f"{row.archive.name}: {line}" for row in rows for line in row.wrong]
    return _verdict(ratios, growth, wrong, args.check, pitstop is None)


def _verdict(
    ratios: list[float], growth: float | None, wrong: list[str], check: bool, cat_only: bool
) -> int:
    if cat_only:
        print("\npitstop image not run (--cat-only): no ratio, no memory figure")
        return 0
    print()
    for line in wrong[:20]:
        print(f"WRONG {line}")
    if len(wrong) > 20:
        print(f"WRONG ... and {len(wrong) - 20} more")
    print(f"figures: {'all as expected' if not wrong else f'{len(wrong)} mismatches'}")
    missed = max(ratios) > TARGET_RATIO
    print(
        f"goal: pitstop / cat <= {TARGET_RATIO}: worst {max(ratios):.2f} "
        f"({'ABOVE' if missed else 'within'})"
    )
    if growth is not None:
        grew = growth > MEMORY_GROWTH
        print(
            f"goal: peak RSS independent of bytes: largest / smallest = {growth:.2f} "
            f"({'ABOVE' if grew else 'within'} {MEMORY_GROWTH})"
        )
        missed = missed or grew
    return 1 if wrong or (check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
