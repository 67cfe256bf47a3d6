"""Reads a built image from a `docker save` archive or an OCI image layout, streaming.

Three containers are told apart by content, never by name: a tar holding `index.json`
(an OCI layout as `docker buildx build --output type=oci`, `skopeo copy ... oci-archive:`
and Docker 25+'s `docker save` write it), a tar holding only `manifest.json` (the legacy
`docker save` and `skopeo copy ... docker-archive:` form), and the same two as a directory
(`skopeo copy ... oci:DIR`).

Nothing is extracted. An outer tar is indexed once (its members' headers, found by seeking,
with tarfile) and each blob is read through `os.pread` on the archive's descriptor; a layer
is decompressed in 1 MiB steps and its tar headers parsed here (tarfile spends about 50 µs a
header, seconds on a 200,000-file image) over a forward-only reader, so the memory used does
not grow with the image. Each layer blob's digest is checked while it is read (the sha256
of the bytes as stored, in a thread beside the parsing; for an uncompressed layer that is
also its diff_id), the index, manifest and config digests always. The diff_id of a
compressed layer is not recomputed: that would be a second hash over the uncompressed bytes,
and the blob's own digest already proves the bytes are the ones the manifest names (gzip
also checks its CRC-32 of the uncompressed bytes).

The bounds below stop a decompression bomb or a hostile tar before it fills the memory or
runs for hours; each is a module constant so tests can lower it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import platform as host
import posixpath
import queue
import re
import stat
import struct
import sys
import tarfile
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol, cast

from pitstop.errors import PitstopError, last_read
from pitstop.parsers.image_model import Entry, Image, Kind, Layer, Step
from pitstop.parsers.jsonfile import load_json
from pitstop.parsers.streams import open_regular

READ_BYTES = 1 << 20  # one read of a blob, and one step of decompression
CONTENT_BYTES = 8 << 20  # a wanted file larger than this is reported without content
JSON_BYTES = 16 << 20  # an index, manifest or config larger than this is not an image's
MAX_UNCOMPRESSED_BYTES = 64 << 30  # per image: the sum of its layers' tars
MAX_RATIO = 1000  # a layer may expand this many times its stored size ...
RATIO_FLOOR_BYTES = 64 << 20  # ... once it is past this many bytes (small layers compress well)
MAX_ENTRIES = 10_000_000  # per image: the sum of its layers' tar members
MAX_HEADER_READ = 16 << 20  # a pax or GNU long-name header's data, read whole
MAX_INDEX_DEPTH = 4  # an index of indexes (buildx writes two levels)

_GZIP = "gzip"
_ZSTD = "zstd"
_PLAIN = "tar"
LAYER_COMPRESSION: Mapping[str, str] = {
    "application/vnd.oci.image.layer.v1.tar": _PLAIN,
    "application/vnd.oci.image.layer.v1.tar+gzip": _GZIP,
    "application/vnd.oci.image.layer.v1.tar+zstd": _ZSTD,
    "application/vnd.oci.image.layer.nondistributable.v1.tar": _PLAIN,
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip": _GZIP,
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd": _ZSTD,
    "application/vnd.docker.image.rootfs.diff.tar": _PLAIN,
    "application/vnd.docker.image.rootfs.diff.tar.gzip": _GZIP,
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip": _GZIP,
}
INDEX_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)
MANIFEST_TYPES = frozenset(
    {
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    }
)
_DIGEST = re.compile(r"(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})\Z")


def is_digest(value: str) -> bool:
    """Whether `value` is a digest as OCI writes them: sha256 or sha512, lowercase hex."""
    return _DIGEST.match(value) is not None


_GO_ARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm/v7",
    "armv6l": "arm/v6",
    "i386": "386",
    "i686": "386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}


def host_platform() -> str:
    """The host as an image platform (`linux/amd64`): images are Linux ones wherever read."""
    machine = host.machine().lower()
    return f"linux/{_GO_ARCH.get(machine, machine)}"


def read_image(path: Path, *, platform: str | None = None, verify_digests: bool = True) -> Image:
    """The image stored at `path` (an archive or a layout directory) for `platform`
    (`os/arch[/variant]`; default: the host's when the index holds several).

    `verify_digests=False` skips the sha256 of each layer blob as it is streamed (and, for
    uncompressed layers, reads only the tar headers): faster, but a corrupted blob is then
    noticed only if its tar or compression is broken. Raises PitstopError on bad input.
    """
    shown = str(path)
    last_read.set(shown)
    try:
        is_dir = path.is_dir()
    except OSError as error:
        raise PitstopError(f"cannot read: {error.strerror or error}", path=shown) from None
    blobs: _Blobs = _DirBlobs(path, shown) if is_dir else _TarBlobs.index(path, shown)
    if blobs.exists("index.json"):
        return _read_oci(blobs, platform, verify_digests)
    if blobs.exists("manifest.json"):
        return _read_docker(blobs, platform, verify_digests)
    raise PitstopError(
        "not an image: no index.json (OCI layout) or manifest.json (docker save)", path=shown
    )


# -- where the blobs are ----------------------------------------------------------------


class _Blobs(Protocol):
    """The files of an archive or layout, by their path inside it."""

    shown: str

    def exists(self, name: str) -> bool: ...  # whether `name` is a regular file in it

    def size(self, name: str) -> int: ...  # its bytes; PitstopError when it is missing

    def region(self, name: str) -> _Region: ...  # where its bytes are; PitstopError if missing


@dataclass(frozen=True, slots=True)
class _Region:
    """A blob's bytes: `size` bytes at `offset` in the regular file `path`."""

    path: Path
    offset: int
    size: int
    shown: str  # the file, and the member when it is inside an archive


class _BlobFile:
    """A blob read with `os.pread` in READ_BYTES steps; `skip` moves on without reading."""

    def __init__(self, region: _Region, archive: str) -> None:
        self.region = region
        self.archive = archive
        self.stream = open_regular(region.path, archive)
        self.position = 0  # bytes of the blob consumed

    def chunk(self) -> bytes:
        want = min(READ_BYTES, self.region.size - self.position)
        if want <= 0:
            return b""
        data = os.pread(self.stream.fileno(), want, self.region.offset + self.position)
        if not data:
            raise PitstopError(f"{self.region.shown}: truncated", path=self.archive)
        self.position += len(data)
        return data

    def skip(self, count: int) -> int:
        count = max(0, min(count, self.region.size - self.position))
        self.position += count
        return count

    def close(self) -> None:
        self.stream.close()


def _read_small(blobs: _Blobs, name: str, limit: int) -> bytes:
    """A whole JSON document of the image, bounded."""
    region = blobs.region(name)
    if region.size > limit:
        raise PitstopError(f"{name}: over {limit} bytes; not an image's", path=blobs.shown)
    blob = _BlobFile(region, blobs.shown)
    try:
        return b"".join(iter(blob.chunk, b""))
    finally:
        blob.close()


def _inside(name: str) -> str | None:
    """`name` as a normalised path inside the archive, or None when it leaves it."""
    clean = posixpath.normpath(name.replace("\\", "/")) if name else "."
    if clean.startswith("/") or clean == ".." or clean.startswith("../"):
        return None
    return clean


@dataclass(frozen=True, slots=True)
class _Member:
    offset: int
    size: int


class _TarBlobs:
    """An outer tar, indexed once: member name -> where its bytes are in the file."""

    def __init__(self, path: Path, shown: str, members: dict[str, _Member]) -> None:
        self.path = path
        self.shown = shown
        self.members = members

    @classmethod
    def index(cls, path: Path, shown: str) -> _TarBlobs:
        with open_regular(path, shown) as stream:
            magic = stream.read(4)
            if magic[:2] == b"\x1f\x8b" or magic == b"\x28\xb5\x2f\xfd":
                raise PitstopError(
                    "a compressed archive: decompress it first (gunzip or zstd -d)", path=shown
                )
            stream.seek(0)
            file_bytes = os.fstat(stream.fileno()).st_size
            regular, links = _tar_headers(stream, shown, file_bytes)
        for name, target in links.items():
            regular[name] = _resolve_link(name, target, regular, links, shown)
        return cls(path, shown, regular)

    def exists(self, name: str) -> bool:
        return name in self.members

    def size(self, name: str) -> int:
        return self._member(name).size

    def _member(self, name: str) -> _Member:
        member = self.members.get(name)
        if member is None:
            raise PitstopError(f"{name}: missing from the archive", path=self.shown)
        return member

    def region(self, name: str) -> _Region:
        member = self._member(name)
        return _Region(self.path, member.offset, member.size, name)


def _tar_headers(
    stream: IO[bytes], shown: str, file_bytes: int
) -> tuple[dict[str, _Member], dict[str, str]]:
    """The outer tar's regular files (name -> offset and size) and links (name -> target,
    relative to the archive's root), read by seeking from header to header."""
    regular: dict[str, _Member] = {}
    links: dict[str, str] = {}
    try:
        with tarfile.open(fileobj=stream, mode="r:") as archive:
            while (info := archive.next()) is not None:
                name = _inside(info.name)
                if name is None:
                    raise PitstopError(f"{info.name}: a member outside the archive", path=shown)
                if info.isreg():
                    if info.offset_data + info.size > file_bytes:
                        raise PitstopError(f"{info.name}: truncated archive", path=shown)
                    regular[name] = _Member(info.offset_data, info.size)
                elif info.issym():
                    links[name] = posixpath.join(posixpath.dirname(name), info.linkname)
                elif info.islnk():
                    links[name] = info.linkname
                _forget_members(archive)  # the index above is all that is kept
    except (tarfile.TarError, EOFError) as error:
        raise PitstopError(f"not a tar archive, or truncated: {error}", path=shown) from None
    if not regular and not links:
        raise PitstopError("not a tar archive, or empty", path=shown)
    return regular, links


def _forget_members(archive: tarfile.TarFile) -> None:
    """tarfile keeps every header it reads (for getmembers); nothing here asks for them again."""
    archive.members = []  # type: ignore[attr-defined]


def _resolve_link(
    name: str, target: str, regular: dict[str, _Member], links: dict[str, str], shown: str
) -> _Member:
    """Where the link `name` leads, inside the archive only (buildah's docker-archive has
    `ID/layer.tar -> ../DIGEST.tar`); PitstopError when it leads out, nowhere or in a loop."""
    for _ in range(16):
        inside = _inside(target)
        if inside is None or target.startswith("/"):
            raise PitstopError(f"{name}: a link to {target!r}, outside the archive", path=shown)
        if inside in regular:
            return regular[inside]
        if inside not in links:
            raise PitstopError(f"{name}: a link to {target!r}, missing", path=shown)
        name, target = inside, links[inside]
    raise PitstopError(f"{name}: links in a loop", path=shown)


class _DirBlobs:
    """A layout directory; a blob that is a symlink leading out of it is refused."""

    def __init__(self, root: Path, shown: str) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.shown = shown

    def _path(self, name: str) -> Path:
        inside = _inside(name)
        if inside is None:
            raise PitstopError(f"{name}: outside the layout", path=self.shown)
        path = self.root / inside
        real = os.path.realpath(path)
        if os.path.commonpath([real, self.real_root]) != self.real_root:
            raise PitstopError(f"{name}: a link outside the layout", path=self.shown)
        return path

    def exists(self, name: str) -> bool:
        try:
            return stat.S_ISREG(os.stat(self._path(name)).st_mode)
        except OSError:
            return False

    def size(self, name: str) -> int:
        try:
            return os.stat(self._path(name)).st_size
        except OSError:
            raise PitstopError(f"{name}: missing from the layout", path=self.shown) from None

    def region(self, name: str) -> _Region:
        return _Region(self._path(name), 0, self.size(name), name)


# -- JSON documents -----------------------------------------------------------------------


def _json(blobs: _Blobs, name: str, digest: str | None = None) -> dict[str, object]:
    data = _read_small(blobs, name, JSON_BYTES)
    if digest is not None and _hash_of(digest, data) != digest:
        raise PitstopError(f"{name}: its content does not match its digest", path=blobs.shown)
    value = load_json(data, f"{blobs.shown}: {name}")
    if not isinstance(value, dict):
        raise PitstopError(f"{name}: a JSON object expected", path=blobs.shown)
    return value


def _hash_of(digest: str, data: bytes) -> str:
    algorithm = digest.partition(":")[0]
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def _field(document: Mapping[str, object], key: str, kind: type, where: str, shown: str) -> object:
    value = document.get(key)
    if not isinstance(value, kind):
        raise PitstopError(f"{where}: {key!r} missing or not a {kind.__name__}", path=shown)
    return value


def _strings(value: object) -> dict[str, str]:
    """A JSON object of strings (annotations, labels); anything else reads as none."""
    if not isinstance(value, dict):
        return {}
    return {str(key): item for key, item in value.items() if isinstance(item, str)}


def _checked_digest(value: object, where: str, shown: str) -> str:
    if not isinstance(value, str) or not _DIGEST.match(value):
        raise PitstopError(f"{where}: not a sha256 or sha512 digest: {value!r}", path=shown)
    return value


def _blob_name(digest: str) -> str:
    algorithm, _, encoded = digest.partition(":")
    return f"blobs/{algorithm}/{encoded}"


# -- OCI layouts ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A manifest an index lists, with the platform it is for (None: read from its config)."""

    descriptor: dict[str, object]
    platform: str | None
    annotations: dict[str, str]


def _read_oci(blobs: _Blobs, platform: str | None, verify: bool) -> Image:
    index = _json(blobs, "index.json")
    candidates = _manifests(blobs, index, _strings(index.get("annotations")), 0)
    chosen, others = _choose(blobs, candidates, platform)
    descriptor = chosen.descriptor
    digest = _checked_digest(descriptor.get("digest"), "index.json", blobs.shown)
    manifest = _json(blobs, _blob_name(digest), digest)
    media_type = manifest.get("mediaType", descriptor.get("mediaType"))
    if media_type not in MANIFEST_TYPES:
        raise PitstopError(
            f"{_blob_name(digest)}: unknown media type {media_type!r}", path=blobs.shown
        )
    where = _blob_name(digest)
    config_descriptor = _field(manifest, "config", dict, where, blobs.shown)
    assert isinstance(config_descriptor, dict)
    config_digest = _checked_digest(config_descriptor.get("digest"), where, blobs.shown)
    config = _json(blobs, _blob_name(config_digest), config_digest)
    layer_list = _field(manifest, "layers", list, where, blobs.shown)
    assert isinstance(layer_list, list)
    diff_ids = _diff_ids(config, len(layer_list), _blob_name(config_digest), blobs.shown)
    layers = tuple(
        _oci_layer(blobs, position, item, diff_ids[position], where)
        for position, item in enumerate(layer_list)
    )
    annotations = {**chosen.annotations, **_strings(manifest.get("annotations"))}
    names = {layer.index: _blob_name(layer.digest) for layer in layers}
    return _image(
        blobs,
        config,
        platform=chosen.platform or _config_platform(config),
        others=others,
        manifest_digest=digest,
        config_digest=config_digest,
        layers=layers,
        annotations=annotations,
        opener=_Opener(blobs, names, verify),
    )


def _manifests(
    blobs: _Blobs, index: dict[str, object], inherited: dict[str, str], depth: int
) -> list[_Candidate]:
    """The image manifests an index lists, through nested indexes; attestations skipped."""
    if depth > MAX_INDEX_DEPTH:
        raise PitstopError("indexes nested too deeply", path=blobs.shown)
    entries = index.get("manifests")
    if not isinstance(entries, list):
        raise PitstopError("an index without 'manifests'", path=blobs.shown)
    found: list[_Candidate] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise PitstopError("an index entry that is not an object", path=blobs.shown)
        annotations = {**inherited, **_strings(entry.get("annotations"))}
        media_type = entry.get("mediaType")
        if media_type in INDEX_TYPES:
            digest = _checked_digest(entry.get("digest"), "index", blobs.shown)
            inner = _json(blobs, _blob_name(digest), digest)
            nested = {**annotations, **_strings(inner.get("annotations"))}
            found.extend(_manifests(blobs, inner, nested, depth + 1))
        elif _is_attestation(entry, annotations):
            continue
        elif media_type in MANIFEST_TYPES or media_type is None:
            found.append(_Candidate(entry, _descriptor_platform(entry), annotations))
        else:
            raise PitstopError(f"index entry: unknown media type {media_type!r}", path=blobs.shown)
    return found


def _is_attestation(entry: dict[str, object], annotations: dict[str, str]) -> bool:
    """BuildKit's provenance and SBOM manifests (platform `unknown/unknown`) are not images."""
    return annotations.get("vnd.docker.reference.type") == "attestation-manifest" or (
        _descriptor_platform(entry) == "unknown/unknown"
    )


def _descriptor_platform(entry: Mapping[str, object]) -> str | None:
    described = entry.get("platform")
    if not isinstance(described, dict):
        return None
    return _platform_string(
        described.get("os"), described.get("architecture"), described.get("variant")
    )


def _config_platform(config: Mapping[str, object]) -> str:
    return (
        _platform_string(config.get("os"), config.get("architecture"), config.get("variant"))
        or "unknown"
    )


def _platform_string(os_name: object, arch: object, variant: object) -> str | None:
    if not isinstance(os_name, str) or not isinstance(arch, str):
        return None
    return (
        f"{os_name}/{arch}/{variant}"
        if isinstance(variant, str) and variant
        else f"{os_name}/{arch}"
    )


def _choose(
    blobs: _Blobs, candidates: list[_Candidate], wanted: str | None
) -> tuple[_Candidate, tuple[str, ...]]:
    """The manifest for `wanted` (default: the only one, else the host's), and the others'
    platforms."""
    if not candidates:
        raise PitstopError("the index lists no image manifest", path=blobs.shown)
    platforms = [_candidate_platform(blobs, candidate) for candidate in candidates]
    if wanted is None and len(set(platforms)) == 1:
        wanted = platforms[0]
    target = wanted or host_platform()
    matching = [i for i, found in enumerate(platforms) if _matches(target, found)]
    if not matching:
        present = ", ".join(sorted(set(platforms)))
        raise PitstopError(f"no image for {target}; the index holds: {present}", path=blobs.shown)
    chosen = matching[0]
    if len({_digest_of(candidates[i]) for i in matching}) > 1:
        raise PitstopError(
            f"holds {len(matching)} different images for {platforms[chosen]}; "
            "save or copy one image per archive",
            path=blobs.shown,
        )
    others = tuple(sorted({found for found in platforms if found != platforms[chosen]}))
    return _Candidate(
        candidates[chosen].descriptor, platforms[chosen], candidates[chosen].annotations
    ), others


def _digest_of(candidate: _Candidate) -> object:
    return candidate.descriptor.get("digest")


def _candidate_platform(blobs: _Blobs, candidate: _Candidate) -> str:
    """The descriptor's platform, or its config's (a one-image layout names none)."""
    if candidate.platform is not None:
        return candidate.platform
    digest = _checked_digest(candidate.descriptor.get("digest"), "index.json", blobs.shown)
    manifest = _json(blobs, _blob_name(digest), digest)
    config = manifest.get("config")
    if not isinstance(config, dict):
        return "unknown"
    config_digest = _checked_digest(config.get("digest"), _blob_name(digest), blobs.shown)
    return _config_platform(_json(blobs, _blob_name(config_digest), config_digest))


def _matches(wanted: str, found: str) -> bool:
    """`linux/arm64` matches `linux/arm64/v8`: a variant is compared only when asked for."""
    wanted_parts, found_parts = wanted.split("/"), found.split("/")
    return found_parts[:2] == wanted_parts[:2] and (
        len(wanted_parts) < 3 or found_parts[2:3] == wanted_parts[2:3]
    )


def _diff_ids(config: Mapping[str, object], count: int, where: str, shown: str) -> list[str | None]:
    rootfs = config.get("rootfs")
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(diff_ids, list):
        raise PitstopError(f"{where}: no rootfs.diff_ids", path=shown)
    if len(diff_ids) != count:
        raise PitstopError(
            f"{where}: {len(diff_ids)} diff_ids for {count} layers in the manifest", path=shown
        )
    return [_checked_digest(value, where, shown) for value in diff_ids]


def _oci_layer(
    blobs: _Blobs, position: int, item: object, diff_id: str | None, where: str
) -> Layer:
    if not isinstance(item, dict):
        raise PitstopError(f"{where}: a layer that is not an object", path=blobs.shown)
    media_type = item.get("mediaType")
    if not isinstance(media_type, str) or media_type not in LAYER_COMPRESSION:
        raise PitstopError(
            f"{where}: layer {position}: unknown media type {media_type!r}", path=blobs.shown
        )
    digest = _checked_digest(item.get("digest"), f"{where}: layer {position}", blobs.shown)
    stored = blobs.size(_blob_name(digest))
    if item.get("size") != stored:
        raise PitstopError(
            f"{_blob_name(digest)}: {stored} bytes, the manifest says {item.get('size')}",
            path=blobs.shown,
        )
    compression = LAYER_COMPRESSION[media_type]
    if compression == _PLAIN and diff_id is not None and diff_id != digest:
        raise PitstopError(
            f"{where}: layer {position}: an uncompressed layer whose diff_id is not its digest",
            path=blobs.shown,
        )
    return Layer(position, digest, diff_id, media_type, stored, compression != _PLAIN)


# -- legacy docker save -------------------------------------------------------------------------


def _read_docker(blobs: _Blobs, platform: str | None, verify: bool) -> Image:
    """`manifest.json` lists one image: its config file and its layers' tars (uncompressed;
    their digests are the config's diff_ids)."""
    data = _read_small(blobs, "manifest.json", JSON_BYTES)
    listed = load_json(data, f"{blobs.shown}: manifest.json")
    if not isinstance(listed, list) or not listed or not isinstance(listed[0], dict):
        raise PitstopError("manifest.json: a list of images expected", path=blobs.shown)
    if len(listed) > 1:
        raise PitstopError(
            f"manifest.json: holds {len(listed)} images; save one image per archive",
            path=blobs.shown,
        )
    entry = listed[0]
    config_name = _field(entry, "Config", str, "manifest.json", blobs.shown)
    assert isinstance(config_name, str)
    config_name = _archive_path(config_name, blobs)
    config_bytes = _read_small(blobs, config_name, JSON_BYTES)
    config_digest = f"sha256:{hashlib.sha256(config_bytes).hexdigest()}"
    config = _json(blobs, config_name)
    found = _config_platform(config)
    if platform is not None and not _matches(platform, found):
        raise PitstopError(f"no image for {platform}; the archive holds: {found}", path=blobs.shown)
    names = _field(entry, "Layers", list, "manifest.json", blobs.shown)
    assert isinstance(names, list)
    diff_ids = _diff_ids(config, len(names), config_name, blobs.shown)
    layers, paths = [], {}
    for position, name in enumerate(names):
        if not isinstance(name, str):
            raise PitstopError("manifest.json: a layer path that is not a string", path=blobs.shown)
        paths[position] = _archive_path(name, blobs)
        digest = diff_ids[position]
        assert digest is not None
        media_type = "application/vnd.docker.image.rootfs.diff.tar"
        layers.append(
            Layer(position, digest, digest, media_type, blobs.size(paths[position]), False)
        )
    return _image(
        blobs,
        config,
        platform=found,
        others=(),
        manifest_digest=None,
        config_digest=config_digest,
        layers=tuple(layers),
        annotations={},
        opener=_Opener(blobs, paths, verify),
    )


def _archive_path(name: str, blobs: _Blobs) -> str:
    inside = _inside(name)
    if inside is None:
        raise PitstopError(f"manifest.json: {name!r} is outside the archive", path=blobs.shown)
    if not blobs.exists(inside):
        raise PitstopError(f"{name}: missing from the archive", path=blobs.shown)
    return inside


# -- the image record -------------------------------------------------------------------


def _image(
    blobs: _Blobs,
    config: Mapping[str, object],
    *,
    platform: str,
    others: tuple[str, ...],
    manifest_digest: str | None,
    config_digest: str,
    layers: tuple[Layer, ...],
    annotations: dict[str, str],
    opener: _Opener,
) -> Image:
    settings = config.get("config")
    labels = _strings(settings.get("Labels")) if isinstance(settings, dict) else {}
    return Image(
        source=blobs.shown,
        platform=platform,
        other_platforms=others,
        manifest_digest=manifest_digest,
        config_digest=config_digest,
        layers=layers,
        history=_history(config),
        annotations=annotations,
        labels=labels,
        open_layer=opener,
    )


def _history(config: Mapping[str, object]) -> tuple[Step, ...]:
    entries = config.get("history")
    if not isinstance(entries, list):
        return ()
    return tuple(
        Step(
            created_by=str(entry.get("created_by") or ""),
            empty_layer=entry.get("empty_layer") is True,
            comment=entry.get("comment") if isinstance(entry.get("comment"), str) else None,
            created=entry.get("created") if isinstance(entry.get("created"), str) else None,
        )
        for entry in entries
        if isinstance(entry, dict)
    )


# -- streaming a layer ------------------------------------------------------------------------


@dataclass
class _Totals:
    """What the image's layers have expanded to so far, for the bounds (a layer read twice
    counts once: its largest reading)."""

    uncompressed: dict[int, int]
    entries: dict[int, int]


class _Opener:
    """`Image.open_layer`: a LayerStream for a layer of this image."""

    def __init__(self, blobs: _Blobs, names: dict[int, str], verify: bool) -> None:
        self.blobs = blobs
        self.names = names
        self.verify = verify
        self.totals = _Totals({}, {})

    def __call__(self, layer: Layer, wanted: Callable[[str], bool]) -> _LayerStream:
        return _LayerStream(self, layer, self.names[layer.index], wanted)


class _LayerStream:
    """One layer's entries, in the order of its tar; sizes and digest checked as it goes."""

    def __init__(
        self, opener: _Opener, layer: Layer, name: str, wanted: Callable[[str], bool]
    ) -> None:
        self.opener = opener
        self.layer = layer
        self.name = name
        self.wanted = wanted
        self._uncompressed = 0

    @property
    def uncompressed_bytes(self) -> int:
        return self._uncompressed

    def fail(self, message: str) -> PitstopError:
        where = f"{self.name} (layer {self.layer.index})"
        return PitstopError(f"{where}: {message}", path=self.opener.blobs.shown)

    def __iter__(self) -> Iterator[Entry]:
        layer = self.layer
        algorithm = layer.digest.partition(":")[0]
        hasher = _Hasher(algorithm) if self.opener.verify else None
        blob = _BlobFile(self.opener.blobs.region(self.name), self.opener.blobs.shown)
        ahead: _Ahead | None = None
        try:
            reader, ahead = self._reader(blob, hasher)
            with _SWITCH_INTERVAL.shortened() if ahead is not None else contextlib.nullcontext():
                yield from self._entries(reader)
                reader.drain()
        finally:
            if ahead is not None:
                ahead.stop()  # before the blob closes: the thread reads it
            blob.close()
            digest = hasher.finish() if hasher is not None else None
        self._uncompressed = reader.position
        if blob.position != layer.compressed_bytes:
            raise self.fail(f"{blob.position} bytes read, {layer.compressed_bytes} expected")
        if digest is not None and f"{algorithm}:{digest}" != layer.digest:
            raise self.fail("its content does not match its digest (corrupted or truncated)")

    def _reader(
        self, blob: _BlobFile, hasher: _Hasher | None
    ) -> tuple[_ForwardReader, _Ahead | None]:
        """The layer's tar as a forward reader: a plain layer not being hashed skips file
        content without reading it; otherwise every stored byte passes through. A compressed
        layer is read and decompressed ahead of the parsing, in a thread of its own."""
        compression = LAYER_COMPRESSION[self.layer.media_type]
        if compression == _PLAIN and hasher is None:
            return _ForwardReader(blob.chunk, self, blob.skip), None
        stored = _hashed(blob, hasher)
        if compression == _PLAIN:
            return _ForwardReader(stored.__next__, self), None
        unpacked = _gunzip(stored, self) if compression == _GZIP else _unzstd(stored, self)
        ahead = _Ahead(unpacked)
        return _ForwardReader(ahead.next_chunk, self), ahead

    def count(self, produced: int) -> None:
        """Called as decompressed bytes arrive: the bomb bounds."""
        totals = self.opener.totals
        index = self.layer.index
        totals.uncompressed[index] = max(produced, totals.uncompressed.get(index, 0))
        if sum(totals.uncompressed.values()) > MAX_UNCOMPRESSED_BYTES:
            raise self.fail(f"the image expands past {MAX_UNCOMPRESSED_BYTES} bytes; not read on")
        stored = max(1, self.layer.compressed_bytes)
        if produced > RATIO_FLOOR_BYTES and produced > MAX_RATIO * stored:
            raise self.fail(
                f"expands more than {MAX_RATIO} times its {self.layer.compressed_bytes} "
                "stored bytes (a decompression bomb?); not read on"
            )

    def _entries(self, reader: _ForwardReader) -> Iterator[Entry]:
        # The loop runs once per file of the image (200,000 and more): the common case (a
        # plain path, no whiteout, content not wanted) stays inline, with no further call.
        totals = self.opener.totals
        index = self.layer.index
        limit = MAX_ENTRIES - sum(value for key, value in totals.entries.items() if key != index)
        count = 0
        wanted, file_kind = self.wanted, Kind.FILE
        try:
            for name, kind, size, link in _tar_members(reader, self):
                count += 1
                if count > limit:
                    raise self.fail(f"the image holds over {MAX_ENTRIES} entries; not read on")
                if not name or name[0] in "./" or name[-1] == "/" or "/." in name or "//" in name:
                    path = self._path(name)
                    if not path:
                        continue  # the root directory itself
                    if ".wh." in path:
                        special = _whiteout(path)
                        if special is not None:
                            if special.path or special.kind is Kind.OPAQUE:
                                yield special
                            continue
                else:
                    path = name
                if kind is file_kind:
                    if size <= CONTENT_BYTES and wanted(path):
                        yield Entry(path, kind, size, None, self._content(reader, name, size))
                    else:
                        yield Entry(path, kind, size)
                else:
                    yield Entry(path, kind, 0, link)
        finally:
            totals.entries[index] = max(count, totals.entries.get(index, 0))

    def _content(self, reader: _ForwardReader, name: str, size: int) -> bytes:
        content = reader.read(size)
        if len(content) < size:
            raise self.fail(f"{name!r}: not a tar, or truncated: unexpected end of data")
        return content

    def _path(self, name: str) -> str:
        """The member's path relative to the image root: `/etc/x` and `./etc/x` are `etc/x`
        (Docker roots absolute names); a path that climbs out of the root is malformed."""
        clean = posixpath.normpath(name).lstrip("/")
        if clean == ".." or clean.startswith("../"):
            raise self.fail(f"{name!r}: a path outside the image root")
        return "" if clean == "." else clean


def _whiteout(path: str) -> Entry | None:
    """The deletion a `.wh.` name records, or None when `path` is an ordinary file; an
    Entry with an empty path for AUFS's own bookkeeping (`.wh..wh.plnk`), to be dropped."""
    directory, base = posixpath.split(path)
    if not base.startswith(".wh."):
        return None
    if base == ".wh..wh..opq":
        return Entry(directory, Kind.OPAQUE)
    if base.startswith(".wh..wh."):
        return Entry("", Kind.WHITEOUT)
    return Entry(posixpath.join(directory, base[4:]), Kind.WHITEOUT)


class _Hasher:
    """A digest computed in a thread of its own, beside the parsing: hashlib lets go of the
    GIL while it hashes a large chunk, so on two cores checking a layer's digest costs little
    more time than not. At most `_QUEUED` chunks wait, so memory stays bounded."""

    def __init__(self, algorithm: str) -> None:
        self.hasher = hashlib.new(algorithm)
        self.chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=_QUEUED)
        self.thread = threading.Thread(target=self._run, name="pitstop-digest", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (chunk := self.chunks.get()) is not None:
            self.hasher.update(chunk)

    def update(self, chunk: bytes) -> None:
        self.chunks.put(chunk)

    def finish(self) -> str:
        """The hex digest of what was given; ends the thread (also when reading stopped)."""
        self.chunks.put(None)
        self.thread.join()
        return self.hasher.hexdigest()


_QUEUED = 8


class _Ahead:
    """A layer's decompression, run in a thread of its own ahead of the tar parsing: zlib
    lets go of the GIL while it inflates, so on two cores the two overlap (the benchmark's
    0.5 GB gzip layout: 4.5 s read in one thread, 3.3 s so; zstd layers take the same path,
    not measured). At most `_QUEUED` chunks wait, so the memory stays bounded. What the
    decompression raises (corrupt data, a bomb bound) takes its place in the stream: the
    parsing meets it after the chunks before it, as it would reading in one thread, so the
    same fault is reported."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=_QUEUED)
        self.stopped = False
        self.ended = False
        self.thread = threading.Thread(
            target=self._run, args=(chunks,), name="pitstop-inflate", daemon=True
        )
        self.thread.start()

    def _run(self, chunks: Iterator[bytes]) -> None:
        try:
            for chunk in chunks:
                if not self._put(chunk):
                    return
            self._put(b"")  # the end
        except BaseException as error:  # the parsing raises it where the stream reached it
            self._put(error)

    def _put(self, item: bytes | BaseException) -> bool:
        while not self.stopped:
            try:
                self.chunks.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def next_chunk(self) -> bytes:
        """The next decompressed chunk; b"" at the end (and after it)."""
        if self.ended:
            return b""
        item = self.chunks.get()
        if isinstance(item, BaseException):
            self.ended = True
            raise item
        self.ended = not item
        return item

    def stop(self) -> None:
        """Ends the thread (the layer is read, or failed): it stops at its next chunk."""
        self.stopped = True
        self.thread.join()


class _SwitchInterval:
    """A shorter GIL switch interval while a decompression thread runs beside the parsing.
    At the default 5 ms, the thread waits that long for the GIL after each chunk it
    inflates, and runs at a fraction of its speed; at 0.1 ms it keeps up. The interval is
    the process's: it is restored when the last reader that shortened it is done."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.readers = 0
        self.saved = 0.0  # the interval found when the first reader began

    @contextlib.contextmanager
    def shortened(self) -> Iterator[None]:
        with self.lock:
            if not self.readers:
                self.saved = sys.getswitchinterval()
                sys.setswitchinterval(_SWITCH_SECONDS)
            self.readers += 1
        try:
            yield
        finally:
            with self.lock:
                self.readers -= 1
                if not self.readers:
                    sys.setswitchinterval(self.saved)


_SWITCH_SECONDS = 0.0001
_SWITCH_INTERVAL = _SwitchInterval()


def _hashed(blob: _BlobFile, hasher: _Hasher | None) -> Iterator[bytes]:
    while chunk := blob.chunk():
        if hasher is not None:
            hasher.update(chunk)
        yield chunk


# -- tar headers --------------------------------------------------------------------------
# tarfile parses a header in about 50 µs of Python; a 200,000-file image would spend seconds
# there alone. This reads the same formats (ustar, GNU long names, pax) with a few slices.

_BLOCK = 512
_ZERO_BLOCK = bytes(_BLOCK)
_KINDS = {
    b"0": Kind.FILE,
    b"\0": Kind.FILE,
    b"7": Kind.FILE,  # contiguous file
    b"1": Kind.HARDLINK,
    b"2": Kind.SYMLINK,
    b"5": Kind.DIRECTORY,
    b"3": Kind.OTHER,
    b"4": Kind.OTHER,
    b"6": Kind.OTHER,
}
_CONTENT_KINDS = frozenset({Kind.FILE})  # the members whose size is followed by data


_HEADER = struct.Struct("100s24x12s12x8sc100x6s2x80xc")
"""name, size, checksum, type, magic and the prefix's first byte: the ustar fields every
member needs, in one call (the link name and the prefix are sliced when used)."""
_LINK = slice(157, 257)
_PREFIX = slice(345, 500)
_CHECKSUM_SPACES = 8 * 0x20  # the checksum is summed with its own field as spaces
_KNOWN_SUMS = 1 << 14  # checksum fields remembered per layer (about 2 MiB at most)


def _tar_members(
    reader: _ForwardReader, stream: _LayerStream
) -> Iterator[tuple[str, Kind, int, str | None]]:
    """(name, kind, size, link target) of each member, its data skipped unless the caller
    reads it (as `reader.read(size)`) before asking for the next one."""
    pax: dict[str, str] = {}
    long_name: str | None = None
    long_link: str | None = None
    unpack, kinds, adler32, file_kind = _HEADER.unpack_from, _KINDS, zlib.adler32, Kind.FILE
    known_sums: dict[bytes, int] = {}  # checksum field -> its value as compared, parsed once
    while True:
        # the reads and skips below are _ForwardReader's, inlined: this runs once a member
        start = reader.start
        if start + _BLOCK <= len(reader.buffer):
            header = reader.buffer[start : start + _BLOCK]
            reader.start = start + _BLOCK
            reader.position += _BLOCK
        else:
            header = reader.read(_BLOCK)
            if len(header) < _BLOCK:
                if not header and reader.position == 0:
                    return  # an empty layer: no tar at all (no end-of-archive blocks either)
                raise stream.fail("not a tar, or truncated: unexpected end of data")
        raw_name, raw_size, raw_checksum, flag, magic, prefixed = unpack(header)
        if not raw_name[0] and header == _ZERO_BLOCK:
            return  # end of archive (the rest is drained by the caller)
        try:
            size = int(raw_size.partition(b"\0")[0], 8)
        except ValueError:
            size = _number(raw_size, stream)  # GNU base-256, spaces, or malformed
        if size < 0:  # int() takes a sign, which no tar writes: a size of "-1" is damage
            raise stream.fail(f"not a tar: a negative size at byte {reader.position - _BLOCK}")
        # One adler32 of the header gives 1 + the sum of its bytes modulo 65521 (its low
        # half), in C; the tar checksum sums the same bytes with its own field as spaces.
        # Both sides are compared modulo 65521; the field's own bytes sum to at most 2040.
        field_sum = (adler32(raw_checksum) & 0xFFFF) - 1
        summed = (adler32(header) & 0xFFFF) - field_sum + _CHECKSUM_SPACES
        expected = known_sums.get(raw_checksum)
        if expected is None:  # a field not seen yet (a layer repeats a few thousand)
            expected = (1 + _number(raw_checksum, stream)) % 65521
            if len(known_sums) < _KNOWN_SUMS:
                known_sums[raw_checksum] = expected
        if summed % 65521 != expected:
            raise stream.fail(f"not a tar: bad header checksum at byte {reader.position - _BLOCK}")
        if flag in b"xgLK":
            data = _extension_data(reader, size, stream)
            if flag == b"x":
                pax = _pax_records(data, stream)
            elif flag == b"L":
                long_name = _text(data)
            elif flag == b"K":
                long_link = _text(data)
            continue  # a global pax header (`g`) changes nothing pitstop reports
        kind = kinds.get(flag, file_kind)  # POSIX: an unknown type reads as a regular file
        ustar_prefix = magic == b"ustar\x00" and prefixed != b"\0"
        if long_name or pax:
            name = long_name or pax.get("path") or _ustar_name(header, ustar_prefix)
        elif ustar_prefix:
            name = _ustar_name(header, ustar_prefix)
        else:
            name = raw_name.partition(b"\0")[0].decode("utf-8", "surrogateescape")
        link = None
        if kind is file_kind:
            if "size" in pax:
                size = _pax_size(pax["size"], stream)
            padded = (size + 511) & ~511
        else:
            padded, size = 0, 0
            if kind is Kind.SYMLINK or kind is Kind.HARDLINK:
                link = long_link or pax.get("linkpath") or _text(header[_LINK])
        data_end = reader.position + padded
        yield name, kind, size, link
        left = data_end - reader.position
        if left <= len(reader.buffer) - reader.start:
            reader.start += left
            reader.position = data_end
        else:
            reader.skip_to(data_end)
        if pax or long_name or long_link:
            pax, long_name, long_link = {}, None, None


def _number(field: bytes, stream: _LayerStream) -> int:
    """An octal header field (NUL or space terminated), or GNU base-256 for large sizes."""
    if field[-1] == 0:  # the usual form: octal digits and a NUL
        try:
            return int(field[:-1], 8)
        except ValueError:
            pass
    if field[0] & 0x80:
        return int.from_bytes(field[1:], "big")
    digits = field.partition(b"\0")[0]
    try:
        return int(digits, 8) if digits.strip() else 0
    except ValueError:
        raise stream.fail(f"not a tar: a header field of {field!r}") from None


def _text(data: bytes) -> str:
    return data.partition(b"\0")[0].decode("utf-8", "surrogateescape")


def _ustar_name(header: bytes, ustar_prefix: bool) -> str:
    name = _text(header[:100])
    if ustar_prefix:  # POSIX ustar's prefix field (GNU puts times there)
        return f"{_text(header[_PREFIX])}/{name}"
    return name


def _extension_data(reader: _ForwardReader, size: int, stream: _LayerStream) -> bytes:
    if size > MAX_HEADER_READ:
        raise stream.fail(f"a tar extended header of {size} bytes; not read")
    data = reader.read(size)
    if len(data) < size:
        raise stream.fail("not a tar, or truncated: unexpected end of data")
    reader.skip_to(reader.position + (-size) % _BLOCK)
    return data


def _pax_records(data: bytes, stream: _LayerStream) -> dict[str, str]:
    """`LENGTH KEY=VALUE\\n` records (POSIX pax)."""
    records: dict[str, str] = {}
    position = 0
    while position < len(data) and data[position] != 0:
        space = data.find(b" ", position)
        try:
            length = int(data[position:space])
        except ValueError:
            raise stream.fail("not a tar: a malformed pax header") from None
        if length <= 0 or space < 0:
            raise stream.fail("not a tar: a malformed pax header")
        key, _, value = data[space + 1 : position + length - 1].partition(b"=")
        records[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        position += length
    return records


def _pax_size(value: str, stream: _LayerStream) -> int:
    if not value.isdigit():
        raise stream.fail(f"not a tar: a pax size of {value!r}")
    return int(value)


# -- decompression --------------------------------------------------------------------------


def _gunzip(stored: Iterator[bytes], stream: _LayerStream) -> Iterator[bytes]:
    """gzip members one after another (pigz and Go may write several), each step's output
    bounded to READ_BYTES so one small chunk cannot expand without limit."""
    decompressor = zlib.decompressobj(wbits=31)
    fed = False  # whether the current member has begun
    produced = 0
    try:
        for chunk in stored:
            data = chunk
            while data:
                fed = True
                out = decompressor.decompress(data, READ_BYTES)
                if out:
                    produced += len(out)
                    stream.count(produced)
                    yield out
                data = decompressor.unconsumed_tail
                if decompressor.eof:
                    data = decompressor.unused_data + data
                    decompressor, fed = zlib.decompressobj(wbits=31), False
    except zlib.error as error:
        raise stream.fail(f"corrupt gzip: {error}") from None
    if fed or produced == 0:
        raise stream.fail("truncated gzip data")


def _unzstd(stored: Iterator[bytes], stream: _LayerStream) -> Iterator[bytes]:
    # Only an image with zstd layers needs the decoder: it is an extra, not a dependency.
    try:
        import zstandard
    except ImportError:
        raise stream.fail(
            "a zstd-compressed layer needs zstandard: pip install 'pitstop[zstd]'"
        ) from None
    source = _ChunkFile(stored)
    reader = zstandard.ZstdDecompressor().stream_reader(
        cast(IO[bytes], source), read_size=READ_BYTES, read_across_frames=True
    )
    produced = 0
    try:
        while out := reader.read(READ_BYTES):
            produced += len(out)
            stream.count(produced)
            yield out
    except zstandard.ZstdError as error:
        raise stream.fail(f"corrupt zstd: {error}") from None
    if next(stored, None) is not None or source.pending:
        raise stream.fail("data after the zstd frames")


class _ChunkFile(io.RawIOBase):
    """A file-like reader over a chunk iterator (what zstandard's stream_reader reads)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.pending = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if not self.pending:
            self.pending = next(self.chunks, b"")
        data = self.pending if size < 0 else self.pending[:size]
        self.pending = self.pending[len(data) :]
        return data


class _ForwardReader:
    """A layer's tar, read forward only over its decompressed chunks, counting the bytes.
    `skip_to` drops bytes from the chunks in hand; past them, `skip` (a plain, unhashed
    blob's) moves on in the file without reading, else chunks are read and dropped."""

    def __init__(
        self,
        next_chunk: Callable[[], bytes],
        stream: _LayerStream,
        skip: Callable[[int], int] | None = None,
    ) -> None:
        self.next_chunk = next_chunk
        self.stream = stream
        self.skip = skip
        self.buffer = b""
        self.start = 0  # of the unread part of `buffer`
        self.position = 0  # bytes of the tar consumed

    def _more(self) -> bytes:
        try:
            return self.next_chunk()
        except StopIteration:
            return b""

    def read(self, size: int) -> bytes:
        end = self.start + size
        if end <= len(self.buffer):
            data = self.buffer[self.start : end]
            self.start = end
        else:
            parts = [self.buffer[self.start :]]
            available = len(parts[0])
            while available < size and (chunk := self._more()):
                parts.append(chunk)
                available += len(chunk)
            if available <= size:  # all in hand is read
                data, self.buffer, self.start = b"".join(parts), b"", 0
            else:  # the last chunk stays in hand: only its part that is read is copied
                last = parts.pop()
                used = len(last) - (available - size)
                parts.append(last[:used])
                data, self.buffer, self.start = b"".join(parts), last, used
        self.position += len(data)
        return data

    def skip_to(self, target: int) -> None:
        remaining = target - self.position
        while remaining > 0:
            available = len(self.buffer) - self.start
            if available == 0:
                if self.skip is not None:
                    self.position += self.skip(remaining)
                    return
                self.buffer, self.start = self._more(), 0
                if not self.buffer:
                    return  # past the end: the next header read finds no data
                continue
            step = min(available, remaining)
            self.start += step
            self.position += step
            remaining -= step

    def drain(self) -> None:
        """Read to the end of the blob (the tar's padding), so the digest and size are whole."""
        self.position += len(self.buffer) - self.start
        self.buffer, self.start = b"", 0
        if self.skip is not None:
            self.position += self.skip(1 << 62)
            return
        while chunk := self._more():
            self.position += len(chunk)
