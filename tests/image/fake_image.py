"""Synthetic images for the analysis tests: layers given as lists of entries, read from memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from pitstop.parsers.image_model import Entry, Image, Kind, Layer, Step


def file(path: str, size: int) -> Entry:
    return Entry(path, Kind.FILE, size)


def directory(path: str) -> Entry:
    return Entry(path, Kind.DIRECTORY)


def whiteout(path: str) -> Entry:
    return Entry(path, Kind.WHITEOUT)


def opaque(path: str) -> Entry:
    return Entry(path, Kind.OPAQUE)


def hardlink(path: str, target: str) -> Entry:
    return Entry(path, Kind.HARDLINK, link=target)


def symlink(path: str, target: str) -> Entry:
    return Entry(path, Kind.SYMLINK, link=target)


@dataclass
class FakeStream:
    entries: Sequence[Entry]
    size: int

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    @property
    def uncompressed_bytes(self) -> int:
        return self.size


def tar_bytes(entries: Sequence[Entry]) -> int:
    """A stand-in for the tar's size: a 512-byte header per entry plus the content."""
    return sum(512 + e.size for e in entries) + 1024


@dataclass
class Opened:
    """What the analysis asked of the fake reader."""

    layers: list[int] = field(default_factory=list)
    predicates: list[Callable[[str], bool]] = field(default_factory=list)


def make_image(
    *layers: Sequence[Entry],
    history: Sequence[Step] = (),
    annotations: Mapping[str, str] | None = None,
    opened: Opened | None = None,
) -> Image:
    records = tuple(
        Layer(
            index=i,
            digest=f"sha256:blob{i}",
            diff_id=f"sha256:diff{i}",
            media_type="application/vnd.oci.image.layer.v1.tar+gzip",
            compressed_bytes=100 * (i + 1),
            compressed=True,
        )
        for i in range(len(layers))
    )
    log = opened if opened is not None else Opened()

    def open_layer(layer: Layer, wanted: Callable[[str], bool]) -> FakeStream:
        log.layers.append(layer.index)
        log.predicates.append(wanted)
        return FakeStream(layers[layer.index], tar_bytes(layers[layer.index]))

    return Image(
        source="image.tar",
        platform="linux/amd64",
        other_platforms=(),
        manifest_digest=None,
        config_digest=None,
        layers=records,
        history=tuple(history),
        annotations=dict(annotations or {}),
        open_layer=open_layer,
    )


def steps(*created_by: str, comment: str | None = None) -> tuple[Step, ...]:
    """History steps; a `created_by` starting with `-` made no layer (the `-` is dropped)."""
    return tuple(
        Step(text.removeprefix("-"), empty_layer=text.startswith("-"), comment=comment)
        for text in created_by
    )
