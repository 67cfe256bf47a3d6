"""The records a built image is read into, shared by the archive reader and the analysis.

The reader (`pitstop.parsers.image_archive`) turns a `docker save` archive or an OCI image
layout into an `Image`: what the manifest and the config say, and for each layer a stream of
`Entry` records read from the layer's tar, in the order the tar holds them. Nothing is ever
extracted: an entry is a header (and, for the few files the analysis asks for, a bounded
copy of the content), so a path of `..` or an absolute symlink is only a string here.

Paths are normalised once, by the reader: POSIX, relative to the image root, with no `./`
or `/` prefix and no trailing `/` (`usr/lib/python3.11/site-packages/six.py`); the root
directory itself is skipped. Whiteouts keep the path they delete (`etc/motd` for
`etc/.wh.motd`), and an opaque-directory marker (`dir/.wh..wh..opq`) keeps its directory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple, Protocol


class Kind(Enum):
    """What a layer's tar entry is."""

    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    OTHER = "other"  # devices, fifos: no content bytes
    WHITEOUT = "whiteout"  # `.wh.NAME`: NAME is deleted from the layers below
    OPAQUE = "opaque"  # `.wh..wh..opq`: the directory's content below is hidden


class Entry(NamedTuple):
    """One member of a layer's tar, as its header says. A NamedTuple, not a frozen
    dataclass: one is made per file of the image, and a NamedTuple is made about three
    times faster (a frozen dataclass sets each field through object.__setattr__)."""

    path: str
    kind: Kind
    size: int = 0  # content bytes: regular files only (a hard link stores none)
    link: str | None = None  # the target of a symlink or hard link, as written
    content: bytes | None = None  # only for paths the caller asked for (`wanted`), bounded


@dataclass(frozen=True, slots=True)
class Layer:
    """A layer as the manifest lists it, with the sizes read from its blob."""

    index: int  # 0 for the bottom layer
    digest: str  # `sha256:...` of the blob as stored (the manifest's digest)
    diff_id: str | None  # `sha256:...` of the uncompressed tar (the config's rootfs)
    media_type: str
    compressed_bytes: int  # bytes of the blob as stored in the archive (a `docker save`
    # archive stores layers uncompressed: then this is the tar's size, and `compressed` says so)
    compressed: bool  # whether the stored blob is gzip or zstd compressed


class LayerStream(Protocol):
    """One layer's entries, streamed from its blob; its size is known once it is read."""

    def __iter__(self) -> Iterator[Entry]: ...

    @property
    def uncompressed_bytes(self) -> int:
        """Bytes of the layer's tar after decompression, counted while reading: valid once
        the iteration has ended (the sizes a manifest states are not trusted)."""
        ...


@dataclass(frozen=True, slots=True)
class Step:
    """One entry of the config's `history`: the instruction that made a layer, or none."""

    created_by: str
    empty_layer: bool
    comment: str | None = None
    created: str | None = None


@dataclass(frozen=True, slots=True)
class Image:
    """A built image for one platform: its manifest, config and layers, not yet their files."""

    source: str  # the archive or layout path as the user gave it
    platform: str  # `os/arch` or `os/arch/variant`
    other_platforms: tuple[str, ...]  # the index's other manifests, for the report to list
    manifest_digest: str | None
    config_digest: str | None
    layers: tuple[Layer, ...]
    history: tuple[Step, ...]
    annotations: Mapping[str, str] = field(default_factory=dict)  # manifest's and index's
    labels: Mapping[str, str] = field(default_factory=dict)  # the config's Labels
    open_layer: Callable[[Layer, Callable[[str], bool]], LayerStream] | None = None
    """Streams one layer's entries; the predicate names the paths whose content to keep
    (bounded by the reader). None for an image read without its blobs."""
