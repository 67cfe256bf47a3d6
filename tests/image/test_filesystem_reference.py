"""The layered filesystem against a brute-force reading of the OCI changeset rules: random
layers of files, directories, symlinks, whiteouts and opaque markers, applied both ways."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pitstop.image.filesystem import LayeredFilesystem
from pitstop.parsers.image_model import Entry, Kind

_PATHS = st.lists(st.sampled_from("abc"), min_size=1, max_size=3).map("/".join)
_ENTRIES = st.one_of(
    st.builds(Entry, _PATHS, st.just(Kind.FILE), st.integers(0, 20)),
    st.builds(Entry, _PATHS, st.just(Kind.DIRECTORY)),
    st.builds(Entry, _PATHS, st.just(Kind.SYMLINK), st.just(0), st.just("x")),
    st.builds(Entry, _PATHS, st.just(Kind.WHITEOUT)),
    st.builds(Entry, _PATHS, st.just(Kind.OPAQUE)),
)
_LAYERS = st.lists(st.lists(_ENTRIES, max_size=8), min_size=1, max_size=5)

Tree = dict[str, tuple[Kind, int, int]]  # path -> (kind, size, layer)


def _under(path: str, root: str) -> bool:
    return path.startswith(root + "/")


def reference(layers: list[list[Entry]]) -> Tree:
    """The rules read literally, by scanning every path for each entry."""
    tree: Tree = {}
    for layer, entries in enumerate(layers):
        for e in entries:
            lower = {p for p, (_, _, at) in tree.items() if at < layer}
            if e.kind is Kind.WHITEOUT:
                doomed = {p for p in lower if p == e.path or _under(p, e.path)}
            elif e.kind is Kind.OPAQUE:
                doomed = {p for p in lower if _under(p, e.path)}
            elif e.path in tree and (tree[e.path][0] is Kind.DIRECTORY) != (
                e.kind is Kind.DIRECTORY
            ):
                doomed = {e.path} | (
                    {p for p in tree if _under(p, e.path)}
                    if tree[e.path][0] is Kind.DIRECTORY
                    else set()
                )
            else:
                doomed = set()
            for path in doomed:
                del tree[path]
            if e.kind not in (Kind.WHITEOUT, Kind.OPAQUE):
                tree[e.path] = (e.kind, e.size if e.kind is Kind.FILE else 0, layer)
    return tree


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_LAYERS)
def test_the_final_filesystem_and_its_waste_follow_the_rules(layers):
    fs = LayeredFilesystem()
    for layer, entries in enumerate(layers):
        fs.start_layer()
        for entry in entries:
            fs.apply(layer, entry)
    expected = reference(layers)
    assert {p: (v.kind, v.size, v.layer) for p, v in fs.visible.items()} == expected
    stored = [e.size for entries in layers for e in entries if e.kind is Kind.FILE and e.size]
    shown = [size for _, size, _ in expected.values() if size]
    # every stored version is visible or wasted, and wasted exactly once
    assert len(fs.wasted) == len(stored) - len(shown)
    assert sum(w.bytes for w in fs.wasted) == sum(stored) - sum(shown)
    assert all(w.stored_in <= w.hidden_by for w in fs.wasted)
