"""Which bottom layers come from the base image, and how pitstop knows.

In order of trust:

1. `--base` gave the base image's layers (the CLI reads a base archive and passes its
   diff_ids, or its layer digests): they must be this image's bottom layers, one for one;
   if they are not, the image is not built on that base, and the boundary is unknown.
2. A base known only by digest (`--base sha256:...` or the
   `org.opencontainers.image.base.digest` annotation) names the base's manifest, not its
   layers: the digest is kept, and the layer count comes from the history, as assumed.
3. The history, assumed: with a Dockerfile, the top steps that match the shipped stage's
   instructions are this build's and the steps below are the base's; without one, the top
   steps BuildKit wrote from a Dockerfile (comment `buildkit.dockerfile.v0`) above steps it
   did not write. Neither is a mark of the base: the record says it was assumed, and why.
4. Otherwise unknown: no byte is called the base's or the Dockerfile's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pitstop.image.history import Pairing, Row
from pitstop.image.records import (
    BaseBoundary as BaseBoundary,
)
from pitstop.image.records import (
    BaseSource as BaseSource,
)

BASE_ANNOTATION = "org.opencontainers.image.base.digest"
_BUILDKIT_COMMENT = "buildkit.dockerfile.v0"


@dataclass(frozen=True, slots=True)
class BaseLayers:
    """The base image's layers, bottom first, by diff_id or by layer digest."""

    ids: tuple[str, ...]


def find_base(
    pairing: Pairing,
    base: BaseLayers | str | None,
    annotations: Mapping[str, str],
    dockerfile_rows: int | None,
) -> BaseBoundary:
    """The boundary, by the first source that knows it. `dockerfile_rows` is the number of
    history rows below the top run of steps that matched the Dockerfile, if any such run."""
    if isinstance(base, BaseLayers):
        return _from_layers(pairing, base.ids)
    digest = base if base is not None else annotations.get(BASE_ANNOTATION)
    known = ""
    if digest is not None:
        whence = "--base" if base is not None else f"the {BASE_ANNOTATION} annotation"
        known = f"the base is {digest} (from {whence}), a digest that does not say its layers; "
    if dockerfile_rows is not None and pairing.paired:
        return _assumed(pairing, dockerfile_rows, BaseSource.DOCKERFILE, known, digest)
    buildkit_rows = _buildkit_boundary(pairing)
    if buildkit_rows is not None:
        return _assumed(pairing, buildkit_rows, BaseSource.BUILDKIT, known, digest)
    why = pairing.note or "give --base (the base image's archive) or --dockerfile"
    return BaseBoundary(
        None, 0, BaseSource.UNKNOWN, False, f"{known}base layers unknown: {why}", digest
    )


def _from_layers(pairing: Pairing, ids: Sequence[str]) -> BaseBoundary:
    layers = [row.layer for row in pairing.rows if row.layer is not None]
    if len(ids) > len(layers):
        reason = f"the base has {len(ids)} layers, more than this image's {len(layers)}"
        return BaseBoundary(None, 0, BaseSource.UNKNOWN, False, reason)
    for layer, expected in zip(layers, ids, strict=False):
        if expected not in (layer.diff_id, layer.digest):
            reason = (
                f"this image's layer {layer.index} ({layer.diff_id or layer.digest}) is not the "
                f"base's layer {layer.index} ({expected}): the image is not built on that base"
            )
            return BaseBoundary(None, 0, BaseSource.UNKNOWN, False, reason)
    rows = _rows_through_layer(pairing, len(ids))
    reason = f"the base's {len(ids)} layers are this image's bottom {len(ids)}"
    return BaseBoundary(len(ids), rows, BaseSource.LAYERS, False, reason)


def _rows_through_layer(pairing: Pairing, count: int) -> int:
    """Rows up to and including the `count`-th layer (the base's trailing empty steps, such as
    its CMD, cannot be told from this build's first ones: they are left above)."""
    if count == 0:
        return 0
    seen = 0
    for index, row in enumerate(pairing.rows):
        seen += row.layer is not None
        if seen == count:
            return index + 1
    return len(pairing.rows)


def _assumed(
    pairing: Pairing, rows: int, source: BaseSource, known: str, digest: str | None
) -> BaseBoundary:
    layers = sum(1 for row in pairing.rows[:rows] if row.layer is not None)
    ours = len(pairing.rows) - rows
    if source is BaseSource.DOCKERFILE:
        why = f"the top {ours} history steps match the Dockerfile's instructions"
    else:
        why = (
            f"the top {ours} history steps were written by BuildKit from a Dockerfile "
            f"and the {rows} below were not"
        )
    reason = f"{known}assumed: {why}, so the {layers} layers below them are taken as the base's"
    return BaseBoundary(layers, rows, source, True, reason, digest)


def _buildkit_boundary(pairing: Pairing) -> int | None:
    """Rows below the top run of BuildKit-written steps, when steps below it were not."""
    if not pairing.paired:
        return None
    rows = pairing.rows
    top = len(rows)
    while top > 0 and _by_buildkit(rows[top - 1]):
        top -= 1
    return top if 0 < top < len(rows) else None


def _by_buildkit(row: Row) -> bool:
    return row.step is not None and row.step.comment == _BUILDKIT_COMMENT
