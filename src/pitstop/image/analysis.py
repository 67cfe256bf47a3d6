"""One pass over an image's layers: per-layer figures, base versus added, waste, budget.

The layers are read once, bottom to top; each entry goes to the layered filesystem (which
keeps the visible paths and the waste, `pitstop.image.filesystem`) and to every observer.
Everything else is computed from the manifest, the config's history and the Dockerfile.

Bytes: `uncompressed` is the layers' tars as read (what the image takes once pulled),
`compressed` the blobs as stored; `base` is the uncompressed bytes of the base's layers and
`added` the rest, both None when the base's layers are unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import MappingProxyType

from pitstop.errors import PitstopError
from pitstop.image.base import BaseBoundary, BaseLayers, find_base
from pitstop.image.budget import Budget, judge
from pitstop.image.dockerfile_map import DockerfileLine, align, shipped_instructions
from pitstop.image.filesystem import LayerCounts, LayeredFilesystem
from pitstop.image.history import Pairing, Row, pair_history
from pitstop.image.observer import Observer
from pitstop.image.records import (
    ImageAnalysis as ImageAnalysis,
)
from pitstop.image.records import (
    ImageBytes as ImageBytes,
)
from pitstop.image.records import (
    LayerFigures as LayerFigures,
)
from pitstop.image.records import (
    Waste as Waste,
)
from pitstop.parsers.dockerfile import Dockerfile, Instruction
from pitstop.parsers.image_model import Image, Kind


def analyse(
    image: Image,
    *,
    base: BaseLayers | str | None = None,
    dockerfile: Dockerfile | None = None,
    target: str | None = None,
    budget: Budget | None = None,
    observers: Sequence[Observer] = (),
) -> ImageAnalysis:
    """Read `image`'s layers once, feed `observers`, and measure it.

    `base`: the base image's layers (certain) or its manifest digest; `dockerfile` (and its
    `target` stage, default the last) maps steps to lines; `budget` is judged at the end."""
    fs, measured = _read_layers(image, observers)
    visible = MappingProxyType(fs.visible)
    for observer in observers:
        observer.finish(visible)
    pairing = pair_history(image.layers, image.history)
    instructions = shipped_instructions(dockerfile, target) if dockerfile is not None else ()
    created = [row.step.created_by if row.step is not None else None for row in pairing.rows]
    boundary = find_base(
        pairing, base, image.annotations, _dockerfile_boundary(pairing, created, instructions)
    )
    found = align(created[boundary.rows :], instructions)
    lines = {
        boundary.rows + index: _line(dockerfile, instruction)
        for index, instruction in found.items()
        if dockerfile is not None
    }
    rows = tuple(
        _figures(row, measured, index < boundary.rows, lines.get(index))
        for index, row in enumerate(pairing.rows)
    )
    total = sum(uncompressed for _, uncompressed in measured.values())
    sizes = _bytes(image, measured, boundary, total)
    wasted = tuple(sorted(fs.wasted, key=lambda w: (-w.bytes, w.path, w.stored_in)))
    files = [v for v in visible.values() if v.kind is not Kind.DIRECTORY]
    return ImageAnalysis(
        source=image.source,
        platform=image.platform,
        other_platforms=image.other_platforms,
        layers=rows,
        history_note=pairing.note,
        bytes=sizes,
        base=boundary,
        waste=Waste(sum(w.bytes for w in wasted), wasted),
        visible_files=len(files),
        visible_bytes=sum(v.size for v in files),
        budget=judge(budget, total, sizes.added, boundary) if budget is not None else None,
        dockerfile=dockerfile.path if dockerfile is not None else None,
    )


_Measured = dict[int, tuple[LayerCounts, int]]  # layer index -> (counts, uncompressed bytes)


def _read_layers(
    image: Image, observers: Sequence[Observer]
) -> tuple[LayeredFilesystem, _Measured]:
    """The one pass: bottom to top, every entry to the filesystem and to every observer."""
    if image.open_layer is None:
        raise PitstopError("the image was read without its layers' blobs", path=image.source)
    wanted = _wanted(observers)
    fs = LayeredFilesystem()
    measured: _Measured = {}
    apply, sees = fs.apply, [observer.see for observer in observers]
    for layer in image.layers:
        counts = fs.start_layer()
        stream = image.open_layer(layer, wanted)
        index = layer.index
        for entry in stream:  # once per file of every layer: bound methods, no lookups
            apply(index, entry)
            for see in sees:
                see(layer, entry)
        measured[layer.index] = (counts, stream.uncompressed_bytes)
    return fs, measured


def _wanted(observers: Sequence[Observer]) -> Callable[[str], bool]:
    if not observers:
        return lambda _path: False
    if len(observers) == 1:  # the usual case: its method itself, called once per file
        return observers[0].wants
    return lambda path: any(observer.wants(path) for observer in observers)


def _dockerfile_boundary(
    pairing: Pairing, created: Sequence[str | None], instructions: Sequence[Instruction]
) -> int | None:
    """Rows below the top run of steps that match the Dockerfile, when every instruction
    that always leaves a step (all but ARG, which some builders do not record) matched and
    no layer inside the run is unexplained; None otherwise."""
    if not instructions or not pairing.paired:
        return None
    found = align(created, instructions)
    matched = {id(instruction) for instruction in found.values()}
    if not found or any(id(i) not in matched for i in instructions if i.keyword != "ARG"):
        return None
    lowest = min(found)
    run = range(lowest, len(pairing.rows))
    if any(pairing.rows[i].layer is not None and i not in found for i in run):
        return None
    return lowest


def _line(dockerfile: Dockerfile | None, instruction: Instruction) -> DockerfileLine:
    path = dockerfile.path if dockerfile is not None else ""
    return DockerfileLine(path, instruction.line, instruction.end_line, instruction.keyword)


def _figures(
    row: Row, measured: _Measured, base: bool, line: DockerfileLine | None
) -> LayerFigures:
    step, layer = row.step, row.layer
    counts, uncompressed = measured[layer.index] if layer is not None else (LayerCounts(), 0)
    return LayerFigures(
        index=layer.index if layer is not None else None,
        digest=layer.digest if layer is not None else None,
        diff_id=layer.diff_id if layer is not None else None,
        created_by=step.created_by if step is not None else None,
        comment=step.comment if step is not None else None,
        empty=layer is None,
        compressed_bytes=layer.compressed_bytes if layer is not None else 0,
        compressed=layer.compressed if layer is not None else False,
        uncompressed_bytes=uncompressed,
        file_bytes=counts.file_bytes,
        files_added=counts.added,
        files_changed=counts.changed,
        files_deleted=counts.deleted,
        base=base,
        instruction=line,
    )


def _bytes(image: Image, measured: _Measured, boundary: BaseBoundary, total: int) -> ImageBytes:
    compressed = sum(layer.compressed_bytes for layer in image.layers)
    if boundary.layers is None:
        return ImageBytes(compressed, total, None, None)
    base = sum(measured[layer.index][1] for layer in image.layers[: boundary.layers])
    return ImageBytes(compressed, total, base, total - base)
