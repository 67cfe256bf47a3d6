"""The final filesystem of an image, built by applying its layers in order, and the waste.

The layers are applied with the OCI image spec's changeset semantics
(https://github.com/opencontainers/image-spec/blob/main/layer.md):

- a whiteout (`.wh.NAME`) deletes NAME and everything under it, as the layers *below* hold
  them: it never deletes what its own layer writes;
- an opaque marker (`DIR/.wh..wh..opq`) hides everything under DIR from the layers below,
  but not the entries of its own layer (whether the tar holds them before or after it);
- a non-directory written over a directory removes the directory and its whole subtree; a
  directory written over a non-directory removes that file; a directory written over a
  directory merges with it;
- the same path written twice in one layer's tar: the later entry wins.

Waste is every stored version of a file that the final filesystem does not show: each
version is counted once, with the layer that stored it and the layer that hid it (dive sums
every copy of a path instead, wagoodman/dive#684). A hard link stores no bytes in the tar:
its content is counted once, at the file entry that stores it; if that file is later
hidden while a link to it (from the same layer) is still visible, the bytes are still in the
image, reachable through the link, so they move to the link and are not waste.

Memory is proportional to the number of paths (a dict of visible paths, an index of each
directory's children), never to the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from pitstop.image.observer import Visible
from pitstop.image.records import (
    Hidden as Hidden,
)
from pitstop.image.records import (
    WastedFile as WastedFile,
)
from pitstop.parsers.image_model import Entry, Kind

_FILE = Kind.FILE  # module globals: read once per entry
_DIRECTORY = Kind.DIRECTORY


@dataclass(slots=True)
class LayerCounts:
    """What one layer did to the paths below it. Directories are not counted: a layer's tar
    repeats the parent directories of every file it writes, so they would read as changes.

    - added: a non-directory path no layer below showed (or that was a directory below);
    - changed: a non-directory path a layer below showed, written again;
    - deleted: a non-directory version from below removed by a whiteout, an opaque marker,
      or a file or directory written over it (the subtree of a replaced directory included).
    """

    added: int = 0
    changed: int = 0
    deleted: int = 0
    file_bytes: int = 0  # content bytes of the regular files the layer's tar stores


class LayeredFilesystem:
    """Applies layer entries in order; `visible` is the filesystem so far."""

    def __init__(self) -> None:
        self.visible: dict[str, Visible] = {}
        self.wasted: list[WastedFile] = []
        self.counts = LayerCounts()
        self._children: dict[str, set[str]] = {}
        # (layer, path of a stored file) -> the hard links of that layer pointing at it
        self._links: dict[tuple[int, str], list[str]] = {}

    def start_layer(self) -> LayerCounts:
        """Begin a new layer: its counts start at zero (returned, filled by `apply`)."""
        self.counts = LayerCounts()
        return self.counts

    def apply(self, layer: int, entry: Entry) -> None:
        """One entry of layer `layer`, in the order its tar holds it."""
        kind = entry.kind
        if kind is _DIRECTORY:
            self._write_directory(layer, entry)
        elif kind is Kind.WHITEOUT:
            self._hide_subtree(entry.path, layer, Hidden.DELETED, include_self=True, below=True)
        elif kind is Kind.OPAQUE:
            self._hide_subtree(entry.path, layer, Hidden.OPAQUE, include_self=False, below=True)
        else:
            self._write_other(layer, entry)

    def _write_directory(self, layer: int, entry: Entry) -> None:
        old = self.visible.get(entry.path)
        if old is not None and old.kind is not _DIRECTORY:
            self._remove(old, layer, Hidden.REPLACED)
        self._insert(Visible(entry.path, _DIRECTORY, 0, layer))

    def _write_other(self, layer: int, entry: Entry) -> None:
        # once per file of every layer: the attribute reads are made once, into locals
        path, kind = entry.path, entry.kind
        visible, counts = self.visible, self.counts
        old = visible.get(path)
        if kind is _FILE:
            size = entry.size
            counts.file_bytes += size
        else:
            size = 0
        node = Visible(path, kind, size, layer)
        if old is None:  # the common case: a path no layer below showed
            counts.added += 1
            visible[path] = node
            self._link(path)
        elif old.kind is _DIRECTORY:  # the directory and all it holds give way to the file
            counts.added += 1
            self._hide_subtree(path, layer, Hidden.REPLACED, True, below=False)
            self._insert(node)
        else:  # the children index already holds the path
            if old.layer < layer:
                counts.changed += 1
            self._discard(old, layer, Hidden.OVERWRITTEN)
            visible[path] = node
        if kind is Kind.HARDLINK and entry.link is not None:
            target = entry.link.lstrip("/").removeprefix("./")  # tar link names may carry these
            self._links.setdefault((layer, target), []).append(path)

    def _insert(self, node: Visible) -> None:
        self.visible[node.path] = node
        self._link(node.path)

    def _link(self, path: str) -> None:
        """Index `path` under its parent, and the parent under its own, up to a directory
        already indexed: a tar need not hold an entry for every parent (`a/b/c` may come
        without `a/b`), and a subtree is found through this index."""
        children = self._children
        while path:
            parent = path.rpartition("/")[0]  # _parent, inlined: once per new path
            siblings = children.get(parent)
            if siblings is not None:
                siblings.add(path)
                return
            children[parent] = {path}
            path = parent

    def _unlink(self, path: str) -> None:
        """Drop `path` from the index, and each parent left empty that no entry wrote."""
        while path and path not in self._children:  # a path with children stays, implicit
            parent = _parent(path)
            siblings = self._children.get(parent)
            if siblings is None:
                return
            siblings.discard(path)
            if siblings:
                return
            del self._children[parent]
            if parent in self.visible:
                return
            path = parent

    def _hide_subtree(
        self, root: str, layer: int, how: Hidden, include_self: bool, *, below: bool
    ) -> None:
        """Remove `root` (if `include_self`) and every path under it; with `below`, only the
        versions stored by lower layers (a whiteout or opaque marker spares its own layer)."""
        pending = [root] if include_self else list(self._children.get(root, ()))
        while pending:
            path = pending.pop()
            pending.extend(self._children.get(path, ()))
            node = self.visible.get(path)
            if node is not None and (not below or node.layer < layer):
                self._remove(node, layer, how)

    def _remove(self, node: Visible, layer: int, how: Hidden) -> None:
        del self.visible[node.path]
        self._unlink(node.path)
        if node.kind is not Kind.DIRECTORY and node.layer < layer:
            self.counts.deleted += 1
        self._discard(node, layer, how)

    def _discard(self, node: Visible, layer: int, how: Hidden) -> None:
        """`node` is no longer visible: its bytes are waste, unless a hard link holds them."""
        if node.size > 0 and not (self._links and self._moved_to_link(node)):
            self.wasted.append(WastedFile(node.path, node.size, node.layer, layer, how))

    def _moved_to_link(self, node: Visible) -> bool:
        """Whether a still-visible hard link of the same layer now holds `node`'s bytes."""
        links = self._links.pop((node.layer, node.path), [])
        for index, path in enumerate(links):
            link = self.visible.get(path)
            if link is not None and link.kind is Kind.HARDLINK and link.layer == node.layer:
                self.visible[path] = link._replace(size=node.size)
                rest = links[index + 1 :]
                if rest:  # the other links now share the bytes through this one
                    self._links.setdefault((node.layer, path), []).extend(rest)
                return True
        return False


def _parent(path: str) -> str:
    return path.rpartition("/")[0]
