"""The image reader (parsers/image_archive) on real images built with buildah and skopeo, and
on generated archives for what those tools never write (truncated, hostile, bombs)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pitstop.errors import PitstopError
from pitstop.parsers import image_archive
from pitstop.parsers.image_archive import read_image
from pitstop.parsers.image_model import Entry, Image, Kind
from tests.image.images import Builder, BuiltImage, Step

GZIP_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
PLAIN_LAYER = "application/vnd.oci.image.layer.v1.tar"


def entries(image: Image, wanted: Callable[[str], bool] = lambda path: False) -> list[list[Entry]]:
    assert image.open_layer is not None
    return [list(image.open_layer(layer, wanted)) for layer in image.layers]


def summary(layer: list[Entry]) -> list[tuple[str, str, int, str | None]]:
    return [(entry.path, entry.kind.value, entry.size, entry.link) for entry in layer]


# -- real images -------------------------------------------------------------------------


EXPECTED_LAYERS = [
    [
        ("app", "directory", 0, None),
        ("app/a.txt", "file", 6, None),
        ("app/b.txt", "file", 4, None),
        ("app/data.bin", "file", 5120, None),
        ("app/pkg", "directory", 0, None),
        ("app/pkg/__init__.py", "file", 0, None),
    ],
    [("app", "directory", 0, None), ("app/b.txt", "whiteout", 0, None)],
    [
        ("app", "directory", 0, None),
        ("app/a.txt", "file", 15, None),
        ("app/link", "symlink", 0, "a.txt"),
    ],
    [("app", "directory", 0, None), ("app/pkg", "whiteout", 0, None)],
]


@pytest.mark.parametrize("form", ["docker_archive", "oci_dir", "oci_archive"])
def test_each_form_reads_the_layers_history_and_files(layered_image: BuiltImage, form: str) -> None:
    image = read_image(getattr(layered_image, form))
    assert [step.created_by for step in image.history] == [
        "COPY app /app",
        "RUN rm /app/b.txt",
        "COPY a.txt /app/a.txt",
        "RUN rm -r /app/pkg",
    ]
    assert image.platform.startswith("linux/")
    assert image.other_platforms == ()
    assert image.config_digest is not None and image.config_digest.startswith("sha256:")
    assert [sorted(summary(layer)) for layer in entries(image)] == EXPECTED_LAYERS
    assert image.labels.get("io.buildah.version")


def test_the_three_forms_agree_on_digests_and_sizes(layered_image: BuiltImage) -> None:
    legacy = read_image(layered_image.docker_archive)
    layout = read_image(layered_image.oci_dir)
    archive = read_image(layered_image.oci_archive)
    assert [layer.diff_id for layer in legacy.layers] == [layer.diff_id for layer in layout.layers]
    assert layout.layers == archive.layers
    assert layout.manifest_digest == archive.manifest_digest and legacy.manifest_digest is None
    assert legacy.config_digest == layout.config_digest
    # a docker-archive stores each layer's tar as is: its digest is its diff_id
    assert all(not layer.compressed and layer.digest == layer.diff_id for layer in legacy.layers)
    assert all(layer.compressed and layer.media_type == GZIP_LAYER for layer in layout.layers)
    for legacy_layer, layout_layer in zip(legacy.layers, layout.layers, strict=True):
        assert (
            layout_layer.compressed_bytes
            == blob(layered_image.oci_dir, layout_layer.digest).stat().st_size
        )
        assert legacy.open_layer is not None and layout.open_layer is not None
        plain, packed = (
            legacy.open_layer(legacy_layer, no_content),
            layout.open_layer(layout_layer, no_content),
        )
        list(plain), list(packed)
        assert (
            plain.uncompressed_bytes == packed.uncompressed_bytes == legacy_layer.compressed_bytes
        )


def test_content_is_kept_for_the_wanted_paths_only(
    layered_image: BuiltImage, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = read_image(layered_image.oci_dir)
    first = entries(image, lambda path: path.endswith(".txt"))[0]
    contents = {entry.path: entry.content for entry in first if entry.kind is Kind.FILE}
    assert contents == {
        "app/a.txt": b"hello\n",
        "app/b.txt": b"bye\n",
        "app/data.bin": None,
        "app/pkg/__init__.py": None,
    }
    monkeypatch.setattr(image_archive, "CONTENT_BYTES", 5)
    first = entries(read_image(layered_image.oci_dir), lambda path: True)[0]
    assert {entry.path: entry.content for entry in first if entry.kind is Kind.FILE}[
        "app/b.txt"
    ] == b"bye\n"
    assert {entry.path: entry.content for entry in first if entry.kind is Kind.FILE}[
        "app/a.txt"
    ] is None


def test_the_manifest_annotations_name_the_base(layered_image: BuiltImage) -> None:
    annotations = read_image(layered_image.oci_dir).annotations
    # buildah records the image each step was built from
    assert annotations["org.opencontainers.image.base.name"] == "localhost/pitstop-test:2"
    assert annotations["org.opencontainers.image.base.digest"].startswith("sha256:")


def test_tar_itself_unpacks_the_same_files(layered_image: BuiltImage, tmp_path: Path) -> None:
    """An independent reading: GNU tar unpacks each layer blob; whiteouts land as `.wh.`
    files, and its listing must match the reader's entries and byte counts."""
    image = read_image(layered_image.oci_dir)
    for layer, read in zip(image.layers, entries(image), strict=True):
        folder = tmp_path / str(layer.index)
        folder.mkdir()
        stored = blob(layered_image.oci_dir, layer.digest)
        subprocess.run(["tar", "-xzf", str(stored), "-C", str(folder)], check=True)
        assert walked(folder) == sorted(as_tar_names(read))
        plain = subprocess.run(["gzip", "-dc", str(stored)], capture_output=True, check=True).stdout
        assert image.open_layer is not None
        stream = image.open_layer(layer, no_content)
        list(stream)
        assert stream.uncompressed_bytes == len(plain)
        assert f"sha256:{hashlib.sha256(plain).hexdigest()}" == layer.diff_id


def test_zstd_layers_read_as_the_gzip_ones(layered_image: BuiltImage, tmp_path: Path) -> None:
    folder = tmp_path / "zstd"
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--quiet",
            "--dest-compress-format",
            "zstd",
            layered_image.storage,
            f"oci:{folder}",
        ],
        check=True,
    )
    image = read_image(folder)
    assert {layer.media_type for layer in image.layers} == {
        "application/vnd.oci.image.layer.v1.tar+zstd"
    }
    assert [sorted(summary(layer)) for layer in entries(image)] == EXPECTED_LAYERS


def test_a_multi_platform_index_is_read_for_the_platform_asked(tmp_path: Path) -> None:
    builder = Builder(tmp_path)
    builder.build("amd", [Step("COPY amd", {"amd": b"x"})], arch="amd64")
    builder.build("arm", [Step("COPY arm", {"arm": b"y"})], arch="arm64")
    builder.buildah("manifest", "create", "localhost/both")
    for name in ("amd", "arm"):
        builder.buildah("manifest", "add", "localhost/both", f"localhost/{name}:latest")
    folder = tmp_path / "multi"
    builder.buildah("manifest", "push", "--quiet", "--all", "localhost/both", f"oci:{folder}")

    arm = read_image(folder, platform="linux/arm64")
    assert (arm.platform, arm.other_platforms) == ("linux/arm64", ("linux/amd64",))
    assert [step.created_by for step in arm.history] == ["COPY arm"]
    amd = read_image(folder, platform="linux/amd64")
    assert (amd.platform, amd.other_platforms) == ("linux/amd64", ("linux/arm64",))
    with pytest.raises(
        PitstopError, match=r"no image for linux/s390x; the index holds: linux/amd64, linux/arm64"
    ):
        read_image(folder, platform="linux/s390x")


def test_the_default_platform_is_the_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    for machine, expected in [
        ("x86_64", "linux/amd64"),
        ("aarch64", "linux/arm64"),
        ("armv7l", "linux/arm/v7"),
    ]:
        monkeypatch.setattr(image_archive.host, "machine", lambda machine=machine: machine)
        assert image_archive.host_platform() == expected


def test_docker_25_save_is_read_as_the_oci_layout_it_holds(
    layered_image: BuiltImage, tmp_path: Path
) -> None:
    """Docker 25+ `docker save` writes an OCI layout (uncompressed layers) plus a legacy
    manifest.json naming the same blobs; the OCI side, with its digests, is the one read."""
    archive = docker25_archive(layered_image.oci_dir, tmp_path / "docker25.tar")
    image = read_image(archive)
    assert image.manifest_digest is not None
    assert all(
        layer.media_type == PLAIN_LAYER and layer.digest == layer.diff_id for layer in image.layers
    )
    assert [sorted(summary(layer)) for layer in entries(image)] == EXPECTED_LAYERS


# -- generated archives: what the tools never write -----------------------------------------


def test_opaque_directories_hard_links_and_rooted_names(tmp_path: Path) -> None:
    layer = tar_of(
        [
            ("./", "dir", b""),
            ("/etc/", "dir", b""),
            ("./etc/.wh..wh..opq", "file", b""),
            ("etc/.wh..wh.plnk", "dir", b""),
            ("etc/a/../motd", "file", b"hi"),
            ("etc/motd.link", "hard:etc/motd", b""),
            ("dev/null", "char", b""),
        ]
    )
    image = read_image(oci_layout(tmp_path / "layout", [layer]))
    assert summary(entries(image)[0]) == [
        ("etc", "directory", 0, None),
        ("etc", "opaque", 0, None),
        ("etc/motd", "file", 2, None),
        ("etc/motd.link", "hardlink", 0, "etc/motd"),
        ("dev/null", "other", 0, None),
    ]


def test_config_history_keeps_empty_layers(tmp_path: Path) -> None:
    history = [
        {"created_by": "ENV A=1", "empty_layer": True},
        {"created_by": "COPY x /x", "comment": "buildkit"},
    ]
    image = read_image(
        oci_layout(tmp_path / "layout", [tar_of([("x", "file", b"1")])], history=history)
    )
    assert [(step.created_by, step.empty_layer, step.comment) for step in image.history] == [
        ("ENV A=1", True, None),
        ("COPY x /x", False, "buildkit"),
    ]


def bad(path: Path, match: str, **options: object) -> None:
    """`path` is refused with a one-line error that names it and says `match`."""
    with pytest.raises(PitstopError) as raised:
        image = read_image(path, **options)  # type: ignore[arg-type]
        entries(image)
    message = str(raised.value)
    assert "\n" not in message and message.startswith(str(path)), message
    assert match in message, message


def test_not_a_file_or_directory(tmp_path: Path) -> None:
    bad(tmp_path / "missing.tar", "cannot read")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    bad(fifo, "not a regular file")
    (tmp_path / "notes.txt").write_bytes(b"not a tar at all" * 100)
    bad(tmp_path / "notes.txt", "not a tar archive")
    (tmp_path / "empty").mkdir()
    bad(tmp_path / "empty", "not an image")


def test_a_compressed_outer_archive_is_named(layered_image: BuiltImage, tmp_path: Path) -> None:
    packed = tmp_path / "image.tar.gz"
    packed.write_bytes(gzip.compress(layered_image.oci_archive.read_bytes()))
    bad(packed, "a compressed archive")


def test_a_truncated_outer_archive(layered_image: BuiltImage, tmp_path: Path) -> None:
    data = layered_image.docker_archive.read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(data[: len(data) // 2])
    bad(cut, "truncated")


def test_a_truncated_layer(tmp_path: Path) -> None:
    packed = gzip.compress(tar_of([("big", "file", os.urandom(5000))]))
    bad(oci_layout(tmp_path / "gz", [packed[:-30]], media_type=GZIP_LAYER), "truncated gzip data")
    plain = tar_of([("big", "file", os.urandom(5000))])
    bad(oci_layout(tmp_path / "plain", [plain[:3000]]), "unexpected end of data")


def test_a_zstd_layer_without_the_zstd_extra_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "zstandard", None)  # as if `pitstop[zstd]` were absent
    zstd_layer = "application/vnd.oci.image.layer.v1.tar+zstd"
    layout = oci_layout(
        tmp_path / "layout", [b"\x28\xb5\x2f\xfd" + b"x" * 20], media_type=zstd_layer
    )
    bad(layout, "needs zstandard: pip install 'pitstop[zstd]'")


def test_a_corrupted_layer_fails_its_digest(tmp_path: Path) -> None:
    layout = oci_layout(tmp_path / "layout", [tar_of([("f", "file", b"original")])])
    stored = next(
        path for path in (layout / "blobs" / "sha256").iterdir() if tarfile.is_tarfile(path)
    )
    stored.write_bytes(stored.read_bytes().replace(b"original", b"modified"))
    bad(layout, "does not match its digest")


def test_a_path_out_of_the_image_root(tmp_path: Path) -> None:
    bad(
        oci_layout(tmp_path / "layout", [tar_of([("app/../../etc/passwd", "file", b"x")])]),
        "outside the image root",
    )


def test_an_outer_symlink_out_of_the_archive(layered_image: BuiltImage, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.tar"
    with tarfile.open(layered_image.docker_archive) as source, tarfile.open(hostile, "w") as target:
        for member in source.getmembers():
            if member.name.endswith("/layer.tar"):
                member.linkname = "../../../etc/passwd"
            target.addfile(member, source.extractfile(member) if member.isreg() else None)
    bad(hostile, "outside the archive")


def test_a_missing_blob(tmp_path: Path) -> None:
    layout = oci_layout(tmp_path / "layout", [tar_of([("f", "file", b"x")])])
    manifest = manifest_of(layout)
    (layout / "blobs" / "sha256" / manifest["layers"][0]["digest"][7:]).unlink()
    bad(layout, "missing from the layout")
    bad(pack(layout, tmp_path / "layout.tar"), "missing from the archive")


def test_an_unknown_media_type(tmp_path: Path) -> None:
    bad(
        oci_layout(tmp_path / "layout", [b"x" * 10], media_type="application/x-squashfs"),
        "unknown media type 'application/x-squashfs'",
    )


def test_bad_json(tmp_path: Path) -> None:
    layout = oci_layout(tmp_path / "layout", [tar_of([("f", "file", b"x")])])
    (layout / "index.json").write_text('{"schemaVersion": 2,\n "manifests": [}')
    bad(layout, "index.json:2: invalid JSON")


def test_a_decompression_bomb_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zeros = gzip.compress(tar_of([("zeros", "file", bytes(200_000))]))
    layout = oci_layout(tmp_path / "layout", [zeros], media_type=GZIP_LAYER)
    monkeypatch.setattr(image_archive, "RATIO_FLOOR_BYTES", 50_000)
    monkeypatch.setattr(image_archive, "MAX_RATIO", 10)
    monkeypatch.setattr(image_archive, "READ_BYTES", 4096)
    bad(layout, "a decompression bomb")
    monkeypatch.setattr(image_archive, "MAX_RATIO", 1000)
    monkeypatch.setattr(image_archive, "MAX_UNCOMPRESSED_BYTES", 100_000)
    bad(layout, "expands past 100000 bytes")


@pytest.mark.parametrize("media_type", [PLAIN_LAYER, GZIP_LAYER])
def test_any_read_size_gives_the_same_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, media_type: str
) -> None:
    # reads of 700 bytes (not a multiple of the tar's 512) split headers and contents
    # across chunks at every offset; the entries and the kept contents stay the same
    files = [(f"d/f{i}", "file", bytes([i]) * (i * 397 % 3000)) for i in range(40)]
    layer = tar_of([("d", "dir", b""), *files])
    blob = gzip.compress(layer) if media_type == GZIP_LAYER else layer
    layout = oci_layout(tmp_path / "layout", [blob], media_type=media_type)
    expected = [
        (f"d/f{i}", "file", len(content), None, content) for i, (_, _, content) in enumerate(files)
    ]
    for read_bytes in (700, 4096, 1 << 20):
        monkeypatch.setattr(image_archive, "READ_BYTES", read_bytes)
        (found,) = entries(read_image(layout), lambda path: path.endswith(("1", "5")))
        kept = [(e.path, e.kind.value, e.size, e.link, e.content) for e in found[1:]]
        assert kept == [
            (*row[:4], row[4] if row[0].endswith(("1", "5")) else None) for row in expected
        ]


def test_too_many_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    layers = [tar_of([(f"f{i}", "file", b"") for i in range(3)]), tar_of([("g", "file", b"")])]
    layout = oci_layout(tmp_path / "layout", layers)
    monkeypatch.setattr(image_archive, "MAX_ENTRIES", 3)
    bad(layout, "over 3 entries")


def test_a_platform_the_archive_lacks(layered_image: BuiltImage) -> None:
    bad(
        layered_image.docker_archive,
        "no image for linux/s390x; the archive holds: linux/",
        platform="linux/s390x",
    )


# -- helpers -------------------------------------------------------------------------------


def no_content(path: str) -> bool:
    return False


def blob(layout: Path, digest: str) -> Path:
    algorithm, _, encoded = digest.partition(":")
    return layout / "blobs" / algorithm / encoded


def walked(folder: Path) -> list[tuple[str, str, int, str | None]]:
    found = []
    for directory, folders, files in os.walk(folder):
        for name in folders + files:
            path = Path(directory) / name
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink():
                found.append((relative, "symlink", 0, os.readlink(path)))
            elif path.is_dir():
                found.append((relative, "directory", 0, None))
            else:
                found.append((relative, "file", path.stat().st_size, None))
    return sorted(found)


def as_tar_names(layer: list[Entry]) -> list[tuple[str, str, int, str | None]]:
    """The reader's entries as tar unpacks them: a whiteout is an empty `.wh.` file."""
    named = []
    for entry in layer:
        if entry.kind is Kind.WHITEOUT:
            head, _, tail = entry.path.rpartition("/")
            named.append((f"{head}/.wh.{tail}" if head else f".wh.{tail}", "file", 0, None))
        else:
            named.append((entry.path, entry.kind.value, entry.size, entry.link))
    return named


def tar_of(members: list[tuple[str, str, bytes]]) -> bytes:
    """A layer tar: (name, kind, content); kind is file, dir, char or `hard:TARGET`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, kind, content in members:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "char":
                info.type = tarfile.CHRTYPE
            elif kind.startswith("hard:"):
                info.type, info.linkname = tarfile.LNKTYPE, kind[5:]
            else:
                info.size = len(content)
            archive.addfile(info, io.BytesIO(content) if kind == "file" else None)
    return buffer.getvalue()


def put_blob(layout: Path, data: bytes) -> dict[str, object]:
    digest = f"sha256:{hashlib.sha256(data).hexdigest()}"
    path = blob(layout, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"digest": digest, "size": len(data)}


def oci_layout(
    layout: Path,
    layers: list[bytes],
    *,
    media_type: str = PLAIN_LAYER,
    history: list[dict[str, object]] | None = None,
) -> Path:
    """An OCI layout directory of one linux/amd64 image with `layers` stored as given."""
    layout.mkdir(parents=True)
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    diff_ids = [
        f"sha256:{hashlib.sha256(gzip.decompress(data) if media_type == GZIP_LAYER and is_gzip(data) else data).hexdigest()}"
        for data in layers
    ]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history or [{"created_by": f"step {i}"} for i in range(len(layers))],
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            **put_blob(layout, json.dumps(config).encode()),
        },
        "layers": [{"mediaType": media_type, **put_blob(layout, data)} for data in layers],
    }
    index = {
        "schemaVersion": 2,
        "manifests": [
            {"mediaType": manifest["mediaType"], **put_blob(layout, json.dumps(manifest).encode())}
        ],
    }
    (layout / "index.json").write_text(json.dumps(index))
    return layout


def is_gzip(data: bytes) -> bool:
    try:
        gzip.decompress(data)
    except (OSError, EOFError):
        return False
    return True


def manifest_of(layout: Path) -> dict[str, list[dict[str, str]]]:
    index = json.loads((layout / "index.json").read_text())
    return json.loads(blob(layout, index["manifests"][0]["digest"]).read_text())  # type: ignore[no-any-return]


def pack(layout: Path, archive: Path) -> Path:
    with tarfile.open(archive, "w") as target:
        for path in sorted(layout.rglob("*")):
            target.add(path, path.relative_to(layout).as_posix(), recursive=False)
    return archive


def docker25_archive(oci_dir: Path, archive: Path) -> Path:
    """What Docker 25+'s `docker save` writes, made from a gzip OCI layout: uncompressed
    layer blobs, an OCI manifest and index, and a legacy manifest.json beside them."""
    layout = archive.with_suffix("")
    source = manifest_of(oci_dir)
    config_digest = source["config"]["digest"]
    config = blob(oci_dir, config_digest).read_bytes()
    layers = [
        {
            "mediaType": PLAIN_LAYER,
            **put_blob(layout, gzip.decompress(blob(oci_dir, layer["digest"]).read_bytes())),
        }
        for layer in source["layers"]
    ]
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            **put_blob(layout, config),
        },
        "layers": layers,
    }
    described = put_blob(layout, json.dumps(manifest).encode())
    index = {"schemaVersion": 2, "manifests": [{"mediaType": manifest["mediaType"], **described}]}
    (layout / "index.json").write_text(json.dumps(index))
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    legacy = [
        {
            "Config": f"blobs/sha256/{config_digest[7:]}",
            "RepoTags": [],
            "Layers": [f"blobs/sha256/{str(layer['digest'])[7:]}" for layer in layers],
        }
    ]
    (layout / "manifest.json").write_text(json.dumps(legacy))
    return pack(layout, archive)


# -- the tar header parser against tarfile ------------------------------------------------------

LONG = "usr/lib/python3.11/site-packages/" + "deep/" * 30 + "module.py"


@pytest.mark.parametrize(
    "tar_format", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT]
)
def test_headers_read_as_tarfile_reads_them(tmp_path: Path, tar_format: int) -> None:
    """Long names (ustar prefix, GNU `L`/`K`, pax path/linkpath), non-ASCII names and links,
    each format as tarfile writes it: the reader's names, kinds and sizes are tarfile's."""
    buffer = io.BytesIO()
    members = [
        ("a" * 90 + "/" + "b" * 90 + ".txt", tarfile.REGTYPE, b"prefix split", ""),
        ("caf\u00e9/men\u00fc.txt", tarfile.REGTYPE, b"x" * 1000, ""),
        ("etc/link", tarfile.SYMTYPE, b"", "../" + "t" * 60 + "/target"),
        ("etc/hard", tarfile.LNKTYPE, b"", "caf\u00e9/men\u00fc.txt"),
        ("var/empty/", tarfile.DIRTYPE, b"", ""),
    ]
    if tar_format != tarfile.USTAR_FORMAT:
        members += [
            (LONG, tarfile.REGTYPE, b"long", ""),
            ("etc/long-link", tarfile.SYMTYPE, b"", LONG),
        ]
    with tarfile.open(fileobj=buffer, mode="w", format=tar_format, encoding="utf-8") as archive:
        for name, kind, content, link in members:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.size = kind, link, len(content)
            archive.addfile(info, io.BytesIO(content))
    data = buffer.getvalue()
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        expected = [
            (info.name.rstrip("/"), info.size if info.isreg() else 0, info.linkname or None)
            for info in archive.getmembers()
        ]
    read = entries(read_image(oci_layout(tmp_path / "layout", [data])), lambda path: True)[0]
    assert [(entry.path, entry.size, entry.link) for entry in read] == expected
    assert read[0].content == b"prefix split"


def test_a_corrupted_header_is_not_read_as_one(tmp_path: Path) -> None:
    data = bytearray(tar_of([("f", "file", b"x")]))
    data[0:1] = b"g"  # the name changes, the checksum does not
    bad(oci_layout(tmp_path / "layout", [bytes(data)]), "bad header checksum at byte 0")


def test_unverified_plain_layers_skip_content_and_still_count_it(tmp_path: Path) -> None:
    layer = tar_of([("big", "file", os.urandom(3 << 20)), ("small", "file", b"tail")])
    image = read_image(oci_layout(tmp_path / "layout", [layer]), verify_digests=False)
    assert image.open_layer is not None
    stream = image.open_layer(image.layers[0], lambda path: path == "small")
    assert [(entry.path, entry.size, entry.content) for entry in stream] == [
        ("big", 3 << 20, None),
        ("small", 4, b"tail"),
    ]
    assert stream.uncompressed_bytes == len(layer)


def test_a_layout_blob_linking_out_of_the_layout(tmp_path: Path) -> None:
    layout = oci_layout(tmp_path / "layout", [tar_of([("f", "file", b"x")])])
    stored = blob(layout, manifest_of(layout)["layers"][0]["digest"])
    outside = tmp_path / "outside.tar"
    outside.write_bytes(stored.read_bytes())
    stored.unlink()
    stored.symlink_to(outside)
    bad(layout, "a link outside the layout")


def test_a_negative_size_is_damage_not_a_member(tmp_path: Path) -> None:
    data = bytearray(tar_of([("f", "file", b"x")]))
    data[124:136] = b"-0000000001\0"  # int() would take the sign; no tar writes one
    data[148:156] = b" " * 8
    data[148:156] = b"%06o\0 " % sum(data[:512])  # a checksum that holds
    bad(oci_layout(tmp_path / "layout", [bytes(data)]), "negative size at byte 0")


def test_a_gzip_layer_decompressed_ahead_reports_the_fault_the_stream_meets_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The decompression runs ahead of the parsing in a thread of its own; a fault it meets
    # later in the stream must not overtake one the parsing meets first.
    monkeypatch.setattr(image_archive, "READ_BYTES", 4096)
    member = tar_of([("a", "file", os.urandom(3000))])
    packed = gzip.compress(b"\xff" * 512 + member[512:] + os.urandom(200_000))
    damaged = packed[:150_000] + bytes(4000) + packed[154_000:]  # its CRC fails at the end
    bad(oci_layout(tmp_path / "both", [damaged], media_type=GZIP_LAYER), "bad header checksum")
    # the deflate fault alone is still reported
    packed = gzip.compress(member + os.urandom(200_000))
    damaged = packed[:150_000] + bytes(4000) + packed[154_000:]
    bad(oci_layout(tmp_path / "gz", [damaged], media_type=GZIP_LAYER), "corrupt gzip")


def test_what_runs_ahead_comes_in_order_with_its_fault_last() -> None:
    def chunks() -> Iterator[bytes]:
        yield b"one"
        yield b"two"
        raise PitstopError("the fault")

    ahead = image_archive._Ahead(chunks())
    assert [ahead.next_chunk(), ahead.next_chunk()] == [b"one", b"two"]
    with pytest.raises(PitstopError, match="the fault"):
        ahead.next_chunk()
    assert ahead.next_chunk() == b""
    ahead.stop()
    # a reader that stops early ends the thread, though it was blocked on a full queue
    endless = image_archive._Ahead(iter(lambda: b"x", None))
    assert endless.next_chunk() == b"x"
    endless.stop()
    assert not endless.thread.is_alive()


def test_the_decompression_thread_ends_and_the_switch_interval_is_restored(
    tmp_path: Path,
) -> None:
    import sys
    import threading

    before = sys.getswitchinterval()
    good = gzip.compress(tar_of([(f"f{i}", "file", os.urandom(1000)) for i in range(20)]))
    assert len(entries(read_image(oci_layout(tmp_path / "ok", [good], media_type=GZIP_LAYER))))
    broken = gzip.compress(b"\xff" * 2048 + bytes(500_000))  # fails at its first header
    bad(oci_layout(tmp_path / "bad", [broken], media_type=GZIP_LAYER), "not a tar")
    assert sys.getswitchinterval() == before
    assert not [t for t in threading.enumerate() if t.name == "pitstop-inflate"]
