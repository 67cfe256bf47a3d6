"""`pitstop image` on damaged archives: bytes flipped, blocks zeroed, data cut short or
inserted, anywhere in a small valid OCI archive (its JSON, its tar headers, its layers,
gzip-compressed or not): a report in every format, or a one-line PitstopError naming the
archive; never another exception, never a hang. A blob's digest, when checked, catches most
damage first, so each case also runs with the check off, where the tar and gzip readers and
the analysis meet the damage themselves."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pitstop import api
from pitstop.errors import PitstopError
from tests.image.test_archive import GZIP_LAYER, oci_layout, pack, tar_of

from .budget import assert_one_line, fuzz, time_bound

LAYERS = [
    [("app/", "dir", b""), ("app/a.txt", "file", b"hello\n"), ("app/b.txt", "file", b"bye\n")],
    [("app/.wh.b.txt", "file", b""), ("app/a.txt", "file", b"changed\n")],
    [("app/.wh..wh..opq", "file", b""), ("app/c.txt", "hard:app/a.txt", b"")],
]


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> list[bytes]:
    folder = tmp_path_factory.mktemp("fuzz-image")
    plain = [tar_of(members) for members in LAYERS]
    zipped = [gzip.compress(layer, mtime=0) for layer in plain]
    made = []
    for name, layers, kind in (("plain", plain, None), ("gzip", zipped, GZIP_LAYER)):
        options = {"media_type": kind} if kind else {}
        layout = oci_layout(folder / name, layers, **options)
        made.append(pack(layout, folder / f"{name}.tar").read_bytes())
    return made


damage = st.tuples(
    st.sampled_from(["flip", "zero", "cut", "insert"]),
    st.floats(0, 1, allow_nan=False),
    st.binary(min_size=1, max_size=64),
)


def damaged(data: bytes, how: tuple[str, float, bytes]) -> bytes:
    kind, where, junk = how
    at = int(where * (len(data) - 1))
    if kind == "flip":
        return (
            data[:at]
            + bytes(b ^ j for b, j in zip(data[at:], junk, strict=False))
            + data[at + len(junk) :]
        )
    if kind == "zero":
        start = at - at % 512
        return data[:start] + bytes(512) + data[start + 512 :]
    if kind == "cut":
        return data[:at]
    return data[:at] + junk + data[at:]


@fuzz(60)
@given(st.integers(0, 1), st.lists(damage, min_size=1, max_size=3))
def test_a_damaged_archive_is_a_report_or_one_line(archives, tmp_path_factory, which, hows):
    data = archives[which]
    for how in hows:
        data = damaged(data, how)
    path = tmp_path_factory.mktemp("case") / "image.tar"
    path.write_bytes(data)
    for verify in (True, False):
        with time_bound():
            try:
                report = api.image(path, verify_digests=verify)
            except PitstopError as error:
                assert_one_line(str(error))
                assert (error.path or "").startswith(str(path))  # and the member, if one
                continue
            for fmt in ("text", "json", "markdown"):
                assert api.render_image(report, fmt)


def test_the_undamaged_archives_read(archives, tmp_path):
    for number, data in enumerate(archives):
        path = tmp_path / f"{number}.tar"
        path.write_bytes(data)
        report = api.image(Path(path))
        # hello (overwritten), bye (deleted), changed (hidden by the opaque marker: the link
        # to it in the top layer names a file of a lower layer, which stores its bytes)
        assert report.analysis.waste.bytes == len(b"hello\n") + len(b"bye\n") + len(b"changed\n")
