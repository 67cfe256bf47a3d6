"""The benchmark's image generator (benchmarks/image_archive.py): a tiny archive of each
layout lists the members its format requires, and the figures it claims (per layer files
added, changed and deleted; waste) agree with a count made here, independently, by reading
the layers back with tarfile and applying whiteouts and opaque directories."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import posixpath
import subprocess
import tarfile

import pytest

from benchmarks.image_archive import sidecar, write_image

SIZE, LAYERS, FILES = 4_000_000, 8, 2000


def members(path):
    done = subprocess.run(["tar", "tf", str(path)], capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def read_json(outer, name):
    return json.loads(outer.extractfile(name).read())


def docker_layers(outer):
    """(blob name, blob bytes, diff_id) per layer, from manifest.json and the config."""
    manifest = read_json(outer, "manifest.json")[0]
    config = read_json(outer, manifest["Config"])
    blobs = [outer.extractfile(name).read() for name in manifest["Layers"]]
    return config, [
        (name, blob, blob) for name, blob in zip(manifest["Layers"], blobs, strict=True)
    ]


def oci_layers(outer):
    index = read_json(outer, "index.json")
    manifest = read_json(outer, "blobs/sha256/" + index["manifests"][0]["digest"][7:])
    config = read_json(outer, "blobs/sha256/" + manifest["config"]["digest"][7:])
    layers = []
    for layer in manifest["layers"]:
        assert layer["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip"
        blob = outer.extractfile("blobs/sha256/" + layer["digest"][7:]).read()
        assert (hashlib.sha256(blob).hexdigest(), len(blob)) == (layer["digest"][7:], layer["size"])
        layers.append((layer["digest"], blob, gzip.decompress(blob)))
    return config, layers


def overlay(layer_tars):
    """Per layer (added, changed, deleted) and the hidden file versions, by applying each
    layer's tar to the files visible below it, as an overlay filesystem does."""
    visible, hidden, counts = {}, [], []
    for number, data in enumerate(layer_tars):
        with tarfile.open(fileobj=io.BytesIO(data)) as layer:
            entries = [(m.name.rstrip("/"), m) for m in layer.getmembers()]
        added = changed = deleted = 0
        for name, _ in entries:  # whiteouts hide what is below, never this layer's files
            folder, base = posixpath.split(name)
            if base == ".wh..wh..opq":
                gone = [p for p in visible if p.startswith(folder + "/")]
            elif base.startswith(".wh."):
                gone = [posixpath.join(folder, base[4:])]
            else:
                continue
            for path in gone:
                hidden.append((path, *visible.pop(path), number))
                deleted += 1
        for name, member in entries:
            if member.isfile() and not posixpath.basename(name).startswith(".wh."):
                if name in visible:
                    hidden.append((name, *visible[name], number))
                    changed += 1
                else:
                    added += 1
                visible[name] = (member.size, number)
        counts.append((added, changed, deleted))
    return counts, hidden, visible


@pytest.mark.parametrize("layout", ["docker", "oci"])
def test_the_figures_match_an_independent_reading_of_the_layers(tmp_path, layout):
    path = tmp_path / "image.tar"
    figures = write_image(path, SIZE, LAYERS, FILES, layout)
    assert json.loads(sidecar(path).read_text()) == figures
    with tarfile.open(path) as outer:
        config, layers = (oci_layers if layout == "oci" else docker_layers)(outer)
    diff_ids = [f"sha256:{hashlib.sha256(tar).hexdigest()}" for _, _, tar in layers]
    assert config["rootfs"]["diff_ids"] == diff_ids
    assert [e["diff_id"] for e in figures["layers"]] == diff_ids
    assert [e["bytes"] for e in figures["layers"]] == [len(tar) for _, _, tar in layers]
    assert figures["bytes"]["compressed"] == sum(len(blob) for _, blob, _ in layers)
    made = [h["created_by"] for h in config["history"] if not h.get("empty_layer")]
    assert [e["created_by"] for e in figures["layers"]] == made

    counts, hidden, visible = overlay([tar for _, _, tar in layers])
    claimed = [
        (e["files_added"], e["files_changed"], e["files_deleted"]) for e in figures["layers"]
    ]
    assert claimed == counts
    assert figures["waste"]["bytes"] == sum(size for _, size, _, _ in hidden) > 0
    claimed_waste = [tuple(w.values()) for w in figures["waste"]["files"]]
    assert sorted(claimed_waste) == sorted(hidden)  # (path, bytes, stored_in, hidden_by)
    assert (figures["files"], figures["visible_bytes"]) == (
        len(visible),
        sum(s for s, _ in visible.values()),
    )


def test_the_image_has_every_kind_of_waste(tmp_path):
    """Whiteouts, an opaque directory, and a file changed in several layers (the case dive
    counts twice); the archive is about the size asked for."""
    path = tmp_path / "image.tar"
    figures = write_image(path, SIZE, LAYERS, FILES)
    assert abs(figures["archive_bytes"] - SIZE) < SIZE * 0.05
    with tarfile.open(path) as outer:
        _, layers = docker_layers(outer)
    names = set()
    for _, _, tar in layers:
        with tarfile.open(fileobj=io.BytesIO(tar)) as layer:
            names.update(layer.getnames())
    assert any(n.endswith("/.wh..wh..opq") for n in names)
    assert any("/.wh." in n and not n.endswith(".opq") for n in names)
    versions = [w["path"] for w in figures["waste"]["files"]]
    assert max(versions.count(p) for p in versions) >= 2
    assert any(n.endswith(".dist-info/RECORD") for n in names)


@pytest.mark.parametrize(
    ("layout", "required"),
    [
        ("docker", {"manifest.json", "repositories"}),
        ("oci", {"oci-layout", "index.json", "blobs/", "blobs/sha256/"}),
    ],
)
def test_tar_lists_the_members_the_layout_requires(tmp_path, layout, required):
    path = tmp_path / "image.tar"
    figures = write_image(path, SIZE, LAYERS, FILES, layout)
    listed = members(path)
    assert len(listed) == len(set(listed))
    assert required <= set(listed)
    if layout == "docker":
        with tarfile.open(path) as outer:
            manifest = read_json(outer, "manifest.json")[0]
        folders = [name.split("/")[0] for name in manifest["Layers"]]
        expected = {manifest["Config"], *required}
        for folder in folders:
            expected |= {f"{folder}/", f"{folder}/VERSION", f"{folder}/json", f"{folder}/layer.tar"}
        assert set(listed) == expected
    else:
        blobs = {f"blobs/sha256/{e['digest'][7:]}" for e in figures["layers"]}
        assert blobs <= set(listed)
        assert len(listed) == len(required) + len(blobs) + 2  # and the config and the manifest
