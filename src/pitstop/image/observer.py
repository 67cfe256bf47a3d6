"""How analyses share the one pass over an image's layers.

The layers are read once, bottom to top (`pitstop.image.analysis`); every analysis that needs
their files is an `Observer`: it sees each entry with the layer that holds it, may ask for
the content of a few small files (a RECORD, dpkg's status), and at the end is given the
files visible in the final filesystem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Protocol

from pitstop.parsers.image_model import Entry, Kind, Layer


class Visible(NamedTuple):
    """A path as the final filesystem shows it, and the layer whose version is shown (a
    NamedTuple: one is made per file of every layer, as `Entry`)."""

    path: str
    kind: Kind
    size: int
    layer: int  # index of the layer that stored the visible version


class Observer(Protocol):
    """One analysis fed by the single pass over the layers."""

    def wants(self, path: str) -> bool:
        """Whether the content of this path is needed (kept bounded by the reader)."""
        ...

    def see(self, layer: Layer, entry: Entry) -> None:
        """One entry of one layer, in the order the layers and their tars hold them."""
        ...

    def finish(self, visible: Mapping[str, Visible]) -> None:
        """The pass is over: `visible` maps each path of the final filesystem to its version."""
        ...
