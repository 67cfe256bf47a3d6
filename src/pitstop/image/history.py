"""The config's history paired with the manifest's layers.

The history lists every step of every build that made the image, in order; a step that made
no layer says `empty_layer`. The other steps pair with the layers in order, bottom first. When
their count differs from the layers' (a builder that squashed, or wrote no history), which
step made which layer is unknown: the pairing says so and pairs nothing, never a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pitstop.parsers.image_model import Layer, Step


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the image's story: a layer with the step that made it, or an empty step."""

    layer: Layer | None  # None for a step that made no layer
    step: Step | None  # None when the history does not say which step made the layer


@dataclass(frozen=True, slots=True)
class Pairing:
    rows: tuple[Row, ...]  # history order, bottom first
    note: str | None  # why the steps could not be paired with the layers, when they could not

    @property
    def paired(self) -> bool:
        return self.note is None


def pair_history(layers: Sequence[Layer], history: Sequence[Step]) -> Pairing:
    """The layers interleaved with the history's steps, or the layers alone with the reason."""
    made = [step for step in history if not step.empty_layer]
    if len(made) == len(layers) and history:
        found = iter(layers)
        rows = tuple(Row(None if s.empty_layer else next(found), s) for s in history)
        return Pairing(rows, None)
    alone = tuple(Row(layer, None) for layer in layers)
    if not history:
        return Pairing(alone, "the image config has no history: no layer's instruction is known")
    return Pairing(
        alone,
        f"the image config's history has {len(made)} steps that made a layer for "
        f"{len(layers)} layers: which step made which layer is unknown",
    )
