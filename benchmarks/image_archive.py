"""Generate a spec-exact image archive of a chosen size, and the figures a reader must find.

Two layouts, as the tools write them:

  docker  the legacy `docker save` archive: `<id>/layer.tar` (uncompressed), `<id>/VERSION`,
          `<id>/json`, `<config>.json` (rootfs.diff_ids, history with created_by),
          `manifest.json` and `repositories`;
  oci     an OCI image layout in a tar (`docker buildx build --output type=oci`): `oci-layout`,
          `index.json`, `blobs/sha256/<digest>` for the manifest, the config and the layers,
          gzip-compressed (level 1: the content is text-like, so it compresses about 2:1).

The archive is streamed to disk member by member, each layer's tar written straight into
the outer one (its header is written again once its digest and size are known), so nothing
is held in memory or written twice. Every figure is computed from the plan, not read back:
total bytes, per layer the files added, changed and deleted (whiteouts and an opaque
directory) and the stored-but-invisible file versions (waste, each version counted once,
with the layer that stored it and the one that hid it; some files are changed in several
layers, the case that dive counts twice). `write_image` returns them and writes them next to
the archive as `<archive>.expected.json`.

Counting conventions (the figures count regular files only, never directories):
  added    a file written by a layer where no file of that path is visible below it;
  changed  a file written over a visible file of the same path;
  deleted  a visible file hidden by a whiteout (`.wh.NAME`) or an opaque directory
           (`.wh..wh..opq`; the files it hides are counted, the new files of the same layer
           in that directory are added, under names not used below).

--size is the docker layout's archive size (SI units: 2GB = 2e9 bytes), which an OCI tar of
the same image undercuts by its compression; the plan, and so every figure but the
compressed bytes and the digests of the layers, is the same in both layouts.

    python benchmarks/image_archive.py OUT.tar [--size 2GB] [--layers 40] [--files 200000]
                                       [--layout docker|oci]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import platform
import random
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

BLOCK = 512
MTIME = 1_700_000_000  # a fixed time: the archive is the same bytes on every run
SEED = 16
POOL_BYTES = 4 << 20  # file contents are slices of this text-like pool (larger than gzip's window)
CHUNK = 1 << 20
SITE = "usr/local/lib/python3.12/site-packages"
OPAQUE_DIR = "app/static"


# --------------------------------------------------------------------------- the plan


@dataclass(slots=True)
class File:
    path: str
    size: int
    offset: int = 0  # where its content starts in the pool
    content: bytes | None = None  # explicit content (RECORD, METADATA)


@dataclass(slots=True)
class LayerPlan:
    created_by: str
    writes: list[File] = field(default_factory=list)
    whiteouts: list[str] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)  # directories made opaque


@dataclass(frozen=True, slots=True)
class Step:
    """A history entry; `layer` is None for an empty one (ENV, WORKDIR, CMD)."""

    created_by: str
    layer: int | None


def plan(total_bytes: int, layers: int, files: int, seed: int = SEED) -> list[LayerPlan]:
    """`files` new paths over `layers` layers, plus changes and deletions of earlier files;
    the sizes are then scaled so the archive is about `total_bytes`."""
    if layers < 6 or files < 200:
        raise ValueError("need at least 6 layers and 200 files")
    rng = random.Random(seed)
    plans = [LayerPlan(_created_by(i, layers)) for i in range(layers)]
    visible: dict[str, int] = {}  # path -> layer that wrote its visible version
    static_at, opaque_at = _special_layers(layers)
    new_per_layer = _spread(files - int(files * 0.35), layers - 1)
    counter = 0
    for index, layer in enumerate(plans):
        touched: set[str] = set()
        if index == opaque_at:
            layer.opaque.append(OPAQUE_DIR)
            touched.update(p for p in visible if p.startswith(OPAQUE_DIR + "/"))
            for p in [p for p in visible if p.startswith(OPAQUE_DIR + "/")]:
                del visible[p]
        if index >= 2:
            _change_and_delete(rng, layer, visible, touched, index, files, layers)
        count = int(files * 0.35) if index == 0 else new_per_layer[index - 1]
        for path in _new_paths(rng, index, count, counter, static_at, opaque_at):
            layer.writes.append(File(path, 0))
            visible[path] = index
        counter += count
    _size(rng, plans, total_bytes)
    _records(plans)
    return plans


def _special_layers(layers: int) -> tuple[int, int]:
    """The layer that adds app/static, and the later one that makes it opaque."""
    return layers // 3, layers - 2


def _created_by(index: int, layers: int) -> str:
    static_at, opaque_at = _special_layers(layers)
    if index == 0:
        return f"/bin/sh -c #(nop) ADD file:{hashlib.sha256(b'base').hexdigest()} in / "
    if index == static_at:
        return "COPY static/ /app/static/ # buildkit"
    if index == opaque_at:
        return "RUN /bin/sh -c rm -rf /app/static && cp -r /build/static /app/static # buildkit"
    kind = (
        "RUN /bin/sh -c pip install --no-cache-dir -r requirements-{}.txt # buildkit",
        "COPY src/ /app/src/ # buildkit",
        "RUN /bin/sh -c apt-get update && apt-get install -y libpkg{} # buildkit",
    )[index % 3]
    return kind.format(index)


def _spread(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _new_paths(
    rng: random.Random, index: int, count: int, start: int, static_at: int, opaque_at: int
) -> list[str]:
    """Paths never used before (a serial number in each name)."""
    paths: list[str] = []
    if index == 0:
        paths += [f"var/lib/apt/lists/deb.debian.org_dists_{n}_Packages" for n in range(20)]
        paths += [f"usr/bin/gcc-{n}" for n in range(2)]
    if index == static_at:
        paths += [f"{OPAQUE_DIR}/asset{start + n}.js" for n in range(min(200, count // 4))]
    if index == opaque_at:
        paths += [f"{OPAQUE_DIR}/built{start + n}.js" for n in range(min(50, count // 4))]
    kind = "base" if index == 0 else ("pip", "src", "apt")[index % 3]
    n = start + len(paths)
    while len(paths) < count:
        folder = n // 40  # about 40 files a folder
        if kind == "base":
            paths.append(f"usr/share/base/d{folder % 97}/p{folder}/f{n}.dat")
        elif kind == "pip":
            package = f"pkg{index}_{folder % 7}"
            if rng.random() < 0.2:
                paths.append(f"{SITE}/{package}/__pycache__/m{n}.cpython-312.pyc")
            else:
                paths.append(f"{SITE}/{package}/sub{folder}/m{n}.py")
        elif kind == "src":
            paths.append(f"app/src/mod{folder % 53}/f{n}.py")
        else:
            paths.append(f"usr/lib/x86_64-linux-gnu/lib{index}/d{folder}/f{n}.so")
        n += 1
    return paths


def _change_and_delete(
    rng: random.Random,
    layer: LayerPlan,
    visible: dict[str, int],
    touched: set[str],
    index: int,
    files: int,
    layers: int,
) -> None:
    """About 1% of the files changed and 0.5% deleted over the layers; a few "hot" files
    (the first of the base layer) changed in every third layer: the case dive counts twice."""
    candidates = [p for p in visible if p not in touched and not p.startswith(OPAQUE_DIR)]
    changes = max(1, files // 100 // layers)
    deletes = max(1, files // 200 // layers) if index % 2 == 0 else 0
    picked = rng.sample(candidates, min(len(candidates), changes + deletes))
    if index % 3 == 0:
        hot = [f"usr/share/base/d0/p0/f{n}.dat" for n in range(22, 27)]
        picked[:0] = [p for p in hot if p in visible and p not in picked and p not in touched]
    for path in picked[: len(picked) - deletes]:
        layer.writes.append(File(path, 0))
        visible[path] = index
        touched.add(path)
    for path in picked[len(picked) - deletes :]:
        layer.whiteouts.append(path)
        del visible[path]
        touched.add(path)
    if (
        index == _special_layers(layers)[0] + 1
    ):  # change a few of the files the opaque directory hides later
        for path in sorted(p for p in visible if p.startswith(OPAQUE_DIR + "/"))[:10]:
            layer.writes.append(File(path, 0))
            visible[path] = index


def _size(rng: random.Random, plans: list[LayerPlan], total_bytes: int) -> None:
    """Heavy-tailed sizes (most files small, a few large) scaled to the budget left after
    the tar headers; each file's content starts at its own place in the pool."""
    writes = [f for layer in plans for f in layer.writes]
    weights = [min(rng.paretovariate(1.1), 5000.0) for _ in writes]
    for f in writes:
        f.offset = rng.randrange(POOL_BYTES - CHUNK)
    budget = total_bytes
    for _ in range(3):  # later passes correct for the headers and padding the first made
        scale = max(budget, len(writes)) / sum(weights)
        for f, weight in zip(writes, weights, strict=True):
            f.size = int(weight * scale)
        budget += total_bytes - _archive_bytes(plans)


def _archive_bytes(plans: list[LayerPlan]) -> int:
    """The legacy archive's size for these sizes (4 blocks and a json member per layer)."""
    total = 0
    for layer in plans:
        total += 2 * BLOCK + 6 * BLOCK
        for _, f, _ in layer_entries(layer):
            total += BLOCK + (f.size + -f.size % BLOCK if f else 0)
    return total


def _records(plans: list[LayerPlan]) -> None:
    """A `.dist-info` (METADATA, RECORD) for each package a pip layer installs, so a reader
    that reads RECORD files finds real ones (hashes of the package's files as first written)."""
    pool: bytes | None = None
    for layer in plans:
        packages: dict[str, list[File]] = {}
        for f in layer.writes:
            if f.path.startswith(SITE + "/") and f.content is None:
                packages.setdefault(f.path.split("/")[5], []).append(f)
        for package, members in sorted(packages.items()):
            if not package.startswith("pkg") or len(members) < 20:
                continue  # a change, not an install
            pool = pool if pool is not None else make_pool()
            info = f"{SITE}/{package}-1.0.dist-info"
            rows = [_record_row(f, pool) for f in members]
            metadata = f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n".encode()
            rows.append(f"{package}-1.0.dist-info/METADATA,{_digest(metadata)},{len(metadata)}")
            rows.append(f"{package}-1.0.dist-info/RECORD,,")
            record = ("\n".join(rows) + "\n").encode()
            layer.writes.append(File(f"{info}/METADATA", len(metadata), content=metadata))
            layer.writes.append(File(f"{info}/RECORD", len(record), content=record))


def _record_row(f: File, pool: bytes) -> str:
    relative = f.path[len(SITE) + 1 :]
    hasher = hashlib.sha256()
    for piece in _content(f, memoryview(pool)):
        hasher.update(piece)
    return f"{relative},{_urlsafe(hasher.digest())},{f.size}"


def _digest(data: bytes) -> str:
    return _urlsafe(hashlib.sha256(data).digest())


def _urlsafe(raw: bytes) -> str:
    """A RECORD hash: `sha256=` and the urlsafe base64 of the digest, unpadded."""
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_pool() -> bytes:
    """Text-like bytes: words of random letters, so gzip halves them, no more."""
    rng = random.Random(SEED)
    words = [
        bytes(rng.choices(b"abcdefghijklmnopqrstuvwxyz_(): =\n", k=rng.randint(2, 12)))
        for _ in range(20_000)
    ]
    text = bytearray()
    while len(text) < POOL_BYTES:
        text += b" ".join(rng.choices(words, k=10_000))
    return bytes(text[:POOL_BYTES])


def _content(f: File, pool: memoryview) -> list[memoryview | bytes]:
    if f.content is not None:
        return [f.content]
    pieces: list[memoryview | bytes] = []
    left, offset = f.size, f.offset
    while left:
        take = min(left, CHUNK)
        pieces.append(pool[offset : offset + take])
        left -= take
    return pieces


# --------------------------------------------------------------------------- the figures


def expected(plans: list[LayerPlan]) -> dict[str, object]:
    """What a correct reader reports, from the plan alone."""
    visible: dict[str, tuple[int, int]] = {}  # path -> (bytes, layer that stored it)
    waste: list[dict[str, object]] = []
    waste_bytes = 0
    layers: list[dict[str, object]] = []

    def hide(path: str, by: int) -> None:
        nonlocal waste_bytes
        size, stored_in = visible.pop(path)
        waste_bytes += size
        waste.append({"path": path, "bytes": size, "stored_in": stored_in, "hidden_by": by})

    for index, layer in enumerate(plans):
        deleted = added = changed = 0
        for folder in layer.opaque:
            for path in sorted(p for p in visible if p.startswith(folder + "/")):
                hide(path, index)
                deleted += 1
        for path in layer.whiteouts:
            hide(path, index)
            deleted += 1
        for f in layer.writes:
            if f.path in visible:
                hide(f.path, index)
                changed += 1
            else:
                added += 1
            visible[f.path] = (f.size, index)
        layers.append(
            {
                "created_by": layer.created_by,
                "files_added": added,
                "files_changed": changed,
                "files_deleted": deleted,
                "content_bytes": sum(f.size for f in layer.writes),
            }
        )
    return {
        "layers": layers,
        "files": len(visible),
        "file_versions": sum(len(p.writes) for p in plans),
        "visible_bytes": sum(size for size, _ in visible.values()),
        "waste": {"bytes": waste_bytes, "files": waste},
    }


# --------------------------------------------------------------------------- the tar


def header(name: str, size: int, kind: bytes = b"0", mode: int = 0o644) -> bytes:
    """A ustar header; names up to 255 bytes (split into prefix and name)."""
    raw = name.encode()
    prefix = b""
    if len(raw) > 100:
        cut = raw.rfind(b"/", 0, 156)
        if cut <= 0 or len(raw) - cut - 1 > 100:
            raise ValueError(f"path too long for ustar: {name}")
        prefix, raw = raw[:cut], raw[cut + 1 :]
    block = bytearray(BLOCK)
    block[0 : len(raw)] = raw
    block[100:108] = b"%07o\0" % mode
    block[108:116] = b"0000000\0"
    block[116:124] = b"0000000\0"
    block[124:136] = b"%011o\0" % size
    block[136:148] = b"%011o\0" % MTIME
    block[148:156] = b" " * 8
    block[156:157] = kind
    block[257:265] = b"ustar\x0000"
    block[265:269] = b"root"
    block[297:301] = b"root"
    block[345 : 345 + len(prefix)] = prefix
    block[148:155] = b"%06o\0" % sum(block)
    return bytes(block)


def _pad(size: int) -> bytes:
    return b"\0" * (-size % BLOCK)


def _sort_key(path: str) -> list[str]:
    return path.rstrip("/").split("/")


def layer_entries(layer: LayerPlan) -> list[tuple[str, File | None, bytes]]:
    """(tar name, file or None, type) for one layer: its parent directories, files,
    whiteouts and opaque markers, sorted as a directory walk writes them."""
    items: dict[str, tuple[File | None, bytes]] = {}
    paths = [f.path for f in layer.writes]
    for f in layer.writes:
        items[f.path] = (f, b"0")
    for path in layer.whiteouts:
        folder, _, name = path.rpartition("/")
        items[f"{folder}/.wh.{name}" if folder else f".wh.{name}"] = (None, b"0")
        paths.append(path)
    for folder in layer.opaque:
        items[f"{folder}/.wh..wh..opq"] = (None, b"0")
        paths.append(folder + "/x")
    for path in paths:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            items.setdefault("/".join(parts[:depth]) + "/", (None, b"5"))
    return [(name, *items[name]) for name in sorted(items, key=_sort_key)]


class LayerWriter:
    """Writes one layer's tar into the outer file, hashing it, gzip-compressing it if asked."""

    def __init__(self, out: BinaryIO, gzip: bool) -> None:
        self.out = out
        self.diff = hashlib.sha256()
        self.blob = hashlib.sha256()
        self.compressor = zlib.compressobj(1, zlib.DEFLATED, 31) if gzip else None
        self.tar_bytes = 0
        self.blob_bytes = 0
        self.buffer = bytearray()

    def write(self, data: bytes | memoryview) -> None:
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            self._flush()

    def _flush(self, final: bool = False) -> None:
        data = bytes(self.buffer)
        self.buffer.clear()
        self.diff.update(data)
        self.tar_bytes += len(data)
        if self.compressor is not None:
            data = self.compressor.compress(data)
            if final:
                data += self.compressor.flush()
        self.blob.update(data)
        self.blob_bytes += len(data)
        self.out.write(data)

    def close(self) -> None:
        self.write(b"\0" * (2 * BLOCK))  # end of archive, as Go's archive/tar writes it
        self._flush(final=True)


def write_layer(out: BinaryIO, layer: LayerPlan, pool: memoryview, gzip: bool) -> LayerWriter:
    writer = LayerWriter(out, gzip)
    for name, f, kind in layer_entries(layer):
        if f is None:
            writer.write(header(name, 0, kind, 0o755 if kind == b"5" else 0o644))
            continue
        writer.write(header(name, f.size, kind))
        for piece in _content(f, pool):
            writer.write(piece)
        writer.write(_pad(f.size))
    writer.close()
    return writer


class OuterTar:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def add(self, name: str, data: bytes, kind: bytes = b"0") -> None:
        self.out.write(header(name, len(data), kind, 0o755 if kind == b"5" else 0o644))
        self.out.write(data + _pad(len(data)))

    def add_json(self, name: str, document: object) -> bytes:
        data = json.dumps(document, separators=(",", ":")).encode()
        self.add(name, data)
        return data

    def stream(self, layer: LayerPlan, pool: memoryview, gzip: bool) -> tuple[int, LayerWriter]:
        """Reserve a header, stream the layer; the caller writes the header once it is named."""
        at = self.out.tell()
        self.out.write(b"\0" * BLOCK)
        writer = write_layer(self.out, layer, pool, gzip)
        self.out.write(_pad(writer.blob_bytes))
        return at, writer

    def name(self, at: int, name: str, size: int) -> None:
        end = self.out.tell()
        self.out.seek(at)
        self.out.write(header(name, size))
        self.out.seek(end)

    def close(self) -> None:
        self.out.write(b"\0" * (2 * BLOCK))


# --------------------------------------------------------------------------- the archive


def write_image(
    path: Path,
    total_bytes: int,
    layers: int,
    files: int,
    layout: str = "docker",
    seed: int = SEED,
) -> dict[str, object]:
    """Write the archive and `<path>.expected.json`; returns the expected figures."""
    plans = plan(total_bytes, layers, files, seed)
    figures = expected(plans)
    pool = memoryview(make_pool())
    steps = _history(len(plans))
    gzip = layout == "oci"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        outer = OuterTar(handle)
        if gzip:
            outer.add("blobs/", b"", b"5")
            outer.add("blobs/sha256/", b"", b"5")
            outer.add_json("oci-layout", {"imageLayoutVersion": "1.0.0"})
        written: list[LayerWriter] = []
        v1_ids: list[str] = []
        parent = ""
        for layer in plans:
            at = handle.tell()
            if not gzip:  # room for `<id>/` and `<id>/VERSION`, named once the digest is known
                handle.write(b"\0" * (3 * BLOCK))
            _, writer = outer.stream(layer, pool, gzip)
            diff_id = writer.diff.hexdigest()
            if gzip:
                outer.name(at, f"blobs/sha256/{writer.blob.hexdigest()}", writer.blob_bytes)
            else:
                v1 = hashlib.sha256(f"{parent} sha256:{diff_id}".encode()).hexdigest()
                end = handle.tell()
                handle.seek(at)
                handle.write(header(f"{v1}/", 0, b"5", 0o755))
                handle.write(header(f"{v1}/VERSION", 3) + b"1.0" + _pad(3))
                handle.write(header(f"{v1}/layer.tar", writer.tar_bytes))
                handle.seek(end)
                v1_json = {"id": v1, "created": "2023-11-14T22:13:20Z", "os": "linux"}
                outer.add_json(f"{v1}/json", {**v1_json, **({"parent": parent} if parent else {})})
                parent = v1
                v1_ids.append(v1)
            written.append(writer)
        diff_ids = [f"sha256:{w.diff.hexdigest()}" for w in written]
        config = _config(diff_ids, steps)
        config_data = json.dumps(config, separators=(",", ":")).encode()
        config_digest = hashlib.sha256(config_data).hexdigest()
        if gzip:
            _oci_index(outer, written, config_data, config_digest)
        else:
            outer.add(f"{config_digest}.json", config_data)
            outer.add_json(
                "manifest.json",
                [
                    {
                        "Config": f"{config_digest}.json",
                        "RepoTags": ["pitstop-bench:latest"],
                        "Layers": [f"{v1}/layer.tar" for v1 in v1_ids],
                    }
                ],
            )
            outer.add_json("repositories", {"pitstop-bench": {"latest": parent}})
        outer.close()
    for entry, writer in zip(figures["layers"], written, strict=True):  # type: ignore[call-overload]
        blob = writer.blob.hexdigest() if gzip else writer.diff.hexdigest()
        entry.update(
            {
                "digest": f"sha256:{blob}",
                "diff_id": f"sha256:{writer.diff.hexdigest()}",
                "bytes": writer.tar_bytes,
                "compressed_bytes": writer.blob_bytes,
            }
        )
    figures = {
        "version": 1,
        "layout": layout,
        "archive": path.name,
        "archive_bytes": path.stat().st_size,
        "bytes": {
            "compressed": sum(w.blob_bytes for w in written),
            "uncompressed": sum(w.tar_bytes for w in written),
        },
        "history": [{"created_by": s.created_by, "empty": s.layer is None} for s in steps],
        "parameters": {"size": total_bytes, "layers": layers, "files": files, "seed": seed},
        **figures,
    }
    sidecar(path).write_text(json.dumps(figures, indent=1) + "\n")
    return figures


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".expected.json")


def _history(layers: int) -> list[Step]:
    steps = [Step(_created_by(i, layers), i) for i in range(layers)]
    steps.insert(1, Step("ENV PYTHONUNBUFFERED=1", None))
    steps.insert(2, Step("WORKDIR /app", None))
    steps.append(Step('CMD ["python", "-m", "app"]', None))
    return steps


def _architecture() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def _config(diff_ids: list[str], steps: list[Step]) -> dict[str, object]:
    history: list[dict[str, object]] = []
    for step in steps:
        entry: dict[str, object] = {
            "created": "2023-11-14T22:13:20Z",
            "created_by": step.created_by,
        }
        if step.layer is None:
            entry["empty_layer"] = True
        history.append(entry)
    return {
        "architecture": _architecture(),
        "os": "linux",
        "created": "2023-11-14T22:13:20Z",
        "config": {
            "Env": ["PYTHONUNBUFFERED=1"],
            "WorkingDir": "/app",
            "Cmd": ["python", "-m", "app"],
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }


def _oci_index(
    outer: OuterTar, written: list[LayerWriter], config_data: bytes, config_digest: str
) -> None:
    outer.add(f"blobs/sha256/{config_digest}", config_data)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": f"sha256:{config_digest}",
            "size": len(config_data),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": f"sha256:{w.blob.hexdigest()}",
                "size": w.blob_bytes,
            }
            for w in written
        ],
    }
    data = json.dumps(manifest, separators=(",", ":")).encode()
    digest = hashlib.sha256(data).hexdigest()
    outer.add(f"blobs/sha256/{digest}", data)
    outer.add_json(
        "index.json",
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": f"sha256:{digest}",
                    "size": len(data),
                    "annotations": {"org.opencontainers.image.ref.name": "latest"},
                    "platform": {"architecture": _architecture(), "os": "linux"},
                }
            ],
        },
    )


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from pitstop.units import parse_size

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("--size", default="2GB", help="the archive's size (SI: 2GB = 2e9 bytes)")
    parser.add_argument("--layers", type=int, default=40)
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--layout", choices=("docker", "oci"), default="docker")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    figures = write_image(args.archive, parse_size(args.size), args.layers, args.files, args.layout)
    print(
        f"{args.archive}: {figures['archive_bytes']:,} bytes in "
        f"{time.perf_counter() - started:.1f}s; expected figures in {sidecar(args.archive)}"
    )
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    raise SystemExit(main())
