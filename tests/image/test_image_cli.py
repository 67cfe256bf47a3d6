"""`pitstop image` end to end on real images built with buildah and exported by skopeo: the
layers, the base's bytes against the added ones, waste, the Python weight and the budget, in
every format; and an independent count of the same image made by unpacking its layers with
the `tar` command."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pitstop.cli import main
from tests.image.images import Builder, Step
from tests.test_cli import loaded_modules

RECORD = (
    "requests/__init__.py,sha256=x,2000\n"
    "requests/__pycache__/__init__.cpython-311.pyc,,\n"
    "requests-2.31.0.dist-info/METADATA,sha256=y,40\n"
    "requests-2.31.0.dist-info/RECORD,,\n"
)
DPKG_STATUS = (
    "Package: gcc-12\nStatus: install ok installed\nInstalled-Size: 5\nVersion: 12.2.0-14\n\n"
    "Package: libc6\nStatus: install ok installed\nInstalled-Size: 1\nVersion: 2.36-9\n\n"
)
SITE = "usr/local/lib/python3.11/site-packages"

# The base (two layers: a root filesystem with a compiler, then Python's standard library),
# then what a Dockerfile adds: a pip install that leaves its cache and apt lists, the
# application, and a later layer that deletes the pip cache (stored, then hidden: waste).
STEPS = [
    Step(
        "ADD rootfs.tar / # base",
        {
            "var/lib/dpkg/status": DPKG_STATUS.encode(),
            "var/lib/dpkg/info/gcc-12.list": b"/usr/bin/gcc-12\n/usr/lib/gcc/cc1\n",
            "usr/bin/gcc-12": b"\x7fELF" + b"g" * 3000,
            "usr/lib/gcc/cc1": b"\x7fELF" + b"c" * 6000,
        },
    ),
    Step("COPY python /usr/lib/python3.11 # base", {"usr/lib/python3.11/os.py": b"#" * 4000}),
    Step(
        "RUN /bin/sh -c pip install requests # buildkit",
        {
            f"{SITE}/requests/__init__.py": b"r" * 2000,
            f"{SITE}/requests/__pycache__/__init__.cpython-311.pyc": b"p" * 1500,
            f"{SITE}/requests-2.31.0.dist-info/METADATA": b"Name: requests\n" + b"m" * 25,
            f"{SITE}/requests-2.31.0.dist-info/RECORD": RECORD.encode(),
            "root/.cache/pip/http/a/b/c": b"z" * 7000,
            "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease": b"l" * 900,
        },
    ),
    Step("COPY app /app # buildkit", {"app/main.py": b"print('hi')\n"}),
    Step("RUN /bin/sh -c rm -rf /root/.cache/pip # buildkit", remove=["root/.cache/pip"]),
]
DOCKERFILE = """\
FROM python:3.11-slim
RUN pip install requests
COPY app /app
RUN rm -rf /root/.cache/pip
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("python-image")
    builder = Builder(folder)
    builder.build("pyapp", STEPS)
    made = {
        "image": folder / "image.tar",
        "oci": folder / "oci",
        "base": folder / "base.tar",
        "dockerfile": folder / "Dockerfile",
    }
    builder.export("pyapp", f"docker-archive:{made['image']}")
    builder.export("pyapp", f"oci:{made['oci']}")
    builder.export("pyapp:1", f"docker-archive:{made['base']}")  # the first two steps
    made["dockerfile"].write_text(DOCKERFILE)
    return made


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(["image", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def report(capsys, *args) -> dict:
    code, out, err = run(capsys, *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_layers_base_and_added_bytes_with_the_base_s_archive(built, capsys):
    found = report(capsys, built["image"], "--base", built["base"])
    layers = found["layers"]
    assert [layer["created_by"] for layer in layers] == [s.created_by for s in STEPS]
    assert [layer["base"] for layer in layers] == [True, True, False, False, False]
    assert [layer["files_added"] for layer in layers] == [4, 1, 6, 1, 0]
    assert layers[4]["files_deleted"] == 1  # the cache's one file, under a deleted folder
    sizes = found["bytes"]
    assert sizes["base"] == layers[0]["bytes"] + layers[1]["bytes"]
    assert sizes["base"] + sizes["added"] == sizes["uncompressed"]
    assert found["base"] == {
        "layers": 2,
        "source": "layers",
        "assumed": False,
        "reason": "the base's 2 layers are this image's bottom 2",
        "digest": None,
    }


def test_waste_is_the_pip_cache_stored_then_deleted_once(built, capsys):
    found = report(capsys, built["image"])
    digests = [layer["digest"] for layer in found["layers"]]
    assert found["waste"]["bytes"] == 7000
    assert found["waste"]["files"] == [
        {
            "path": "root/.cache/pip/http/a/b/c",
            "bytes": 7000,
            "stored_in": digests[2],
            "hidden_by": digests[4],
            "how": "deleted",
        }
    ]


def test_python_weight_names_the_layer_line_and_rule(built, capsys):
    found = report(capsys, built["image"], "--dockerfile", built["dockerfile"])
    python = found["python"]
    (requests,) = python["distributions"]
    assert (requests["name"], requests["version"], requests["ownership"]) == (
        "requests",
        "2.31.0",
        "RECORD",
    )
    assert requests["instruction"] == {"path": str(built["dockerfile"]), "line": 2}
    assert python["bytecode"]["bytes"] == 1500
    caches = {c["key"]: c for c in python["caches"]}
    assert set(caches) == {"apt-lists"}  # the pip cache was deleted: not in the final image
    assert caches["apt-lists"]["bytes"] == 900 and caches["apt-lists"]["rules"] == ["PS131"]
    assert caches["apt-lists"]["instruction"]["line"] == 2
    toolchain = {p["name"] for p in python["toolchain_packages"]}
    assert toolchain == {"gcc-12"}
    lines = [(layer["instruction"] or {}).get("line") for layer in found["layers"]]
    assert lines == [None, None, 2, 3, 4]


def test_the_oci_layout_reads_as_the_docker_archive(built, capsys):
    archive, layout = report(capsys, built["image"]), report(capsys, built["oci"])
    assert layout["bytes"]["uncompressed"] == archive["bytes"]["uncompressed"]
    assert layout["bytes"]["compressed"] < archive["bytes"]["compressed"]  # gzip blobs
    assert layout["waste"]["bytes"] == archive["waste"]["bytes"]
    assert [x["files_added"] for x in layout["layers"]] == [4, 1, 6, 1, 0]


def test_budget_exits_1_over_and_0_within(built, capsys):
    total = report(capsys, built["image"])["bytes"]["uncompressed"]
    code, out, _ = run(capsys, built["image"], "--budget", f"{total - 1}")
    assert code == 1 and "OVER" in out
    code, out, _ = run(capsys, built["image"], "--budget", f"{total}")
    assert code == 0 and "within" in out
    found = report(capsys, built["image"], "--budget", "1GB")
    assert found["budget"]["limit"] == 10**9 and found["budget"]["over"] is False


def test_budget_added_needs_a_known_base(built, capsys):
    code, _, err = run(capsys, built["image"], "--budget-added", "1MB")
    assert code == 2 and err.startswith("pitstop: error: --budget-added cannot be judged")
    code, out, _ = run(capsys, built["image"], "--budget-added", "1kB", "--base", built["base"])
    assert code == 1 and "on the bytes added above the base" in out


def test_the_configured_budget_applies_and_the_option_wins(built, tmp_path, capsys):
    (tmp_path / ".pitstop.toml").write_text('[image]\nbudget = "1kB"\n')
    assert run(capsys, built["image"], "--root", tmp_path)[0] == 1
    assert run(capsys, built["image"], "--root", tmp_path, "--budget", "1GB")[0] == 0
    (tmp_path / ".pitstop.toml").write_text('[image]\nbudget = "lots"\n')
    code, _, err = run(capsys, built["image"], "--root", tmp_path)
    assert code == 2 and 'image.budget must be a size such as "1GB"' in err


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_text_and_markdown_show_the_same_figures(built, capsys, fmt):
    code, out, _ = run(capsys, built["image"], "--base", built["base"], "--format", fmt)
    assert code == 0
    assert "7.0 kB in 1 file version stored but not visible" in out
    assert "requests" in out and "PS131" in out
    assert "base:" in out and "added by the Dockerfile" in out


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.write_bytes(b"not a tar at all" * 100), "image.bin"),
        (lambda p: p.write_bytes(b""), "image.bin"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, make, expected):
    path = tmp_path / "image.bin"
    make(path)
    code, out, err = run(capsys, path)
    assert (code, out) == (2, "")
    assert err.startswith("pitstop: error: ") and expected in err and err.count("\n") == 1


@pytest.mark.parametrize("digest", ["sha256:" + "ab" * 32, "sha512:" + "cd" * 64])
def test_a_base_given_by_digest_is_kept_and_its_layers_are_not_guessed_from_it(
    built, capsys, digest
):
    code, out, err = run(capsys, built["image"], "--base", digest, "--format", "json")
    assert (code, err) == (0, "")
    assert digest in out  # named in the report, as a digest that does not say its layers


def test_a_base_that_is_neither_a_file_nor_a_digest_is_exit_2(built, capsys):
    code, _, err = run(capsys, built["image"], "--base", "python:3.11")
    assert code == 2 and "neither an image archive or layout nor a digest" in err


def test_independent_count_by_unpacking_the_layers_with_tar(built, tmp_path, capsys):
    """Unpack the docker archive with `tar`, then each layer in order into one folder,
    applying its whiteouts by hand: the stored file bytes minus the bytes visible at the end
    are the waste pitstop reports; the visible files and bytes are its visible figures."""
    found = report(capsys, built["image"])
    outer = tmp_path / "outer"
    outer.mkdir()
    subprocess.run(["tar", "-xf", str(built["image"]), "-C", str(outer)], check=True)
    manifest = json.loads((outer / "manifest.json").read_text())[0]
    root = tmp_path / "root"
    root.mkdir()
    stored = 0
    for layer in manifest["Layers"]:
        listing = subprocess.run(
            ["tar", "-tvf", str(outer / layer)], capture_output=True, text=True, check=True
        ).stdout
        stored += sum(int(line.split()[2]) for line in listing.splitlines() if line[0] == "-")
        names = subprocess.run(
            ["tar", "-tf", str(outer / layer)], capture_output=True, text=True, check=True
        ).stdout.split()
        for name in names:
            base = Path(name.rstrip("/"))
            if base.name.startswith(".wh."):
                subprocess.run(["rm", "-rf", str(root / base.parent / base.name[4:])], check=True)
        subprocess.run(
            ["tar", "-xf", str(outer / layer), "-C", str(root), "--exclude", ".wh.*"], check=True
        )
    visible = [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
    visible_bytes = sum(p.stat().st_size for p in visible)
    assert found["waste"]["bytes"] == stored - visible_bytes
    assert found["visible"]["bytes"] == visible_bytes


def test_the_image_command_loads_no_review_engine(built):
    loaded = loaded_modules("image", str(built["image"]))
    assert "pitstop.parsers.image_archive" in loaded
    assert not [m for m in loaded if m.startswith(("pitstop.review", "sqlalchemy", "rich"))]


def test_record_image_takes_the_report_and_report_shows_the_size(built, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'history.db'}"
    out = tmp_path / "image.json"
    assert main(["image", str(built["image"]), "--format", "json", "-o", str(out)]) == 0
    total = json.loads(out.read_text())["bytes"]["uncompressed"]
    identity = ["--run-id", "1", "--branch", "main", "--db", url]
    assert main(["record", "image", "--report", str(out), "--name", "app", *identity]) == 0
    assert "1 image sizes recorded" in capsys.readouterr().err
    assert main(["report", "--format", "json", "--db", url, "--root", str(tmp_path)]) == 0
    images = json.loads(capsys.readouterr().out)["images"]
    assert [(i["image"], i["latest"]) for i in images] == [("app", total)]
    assert main(["record", "image", "--report", str(built["dockerfile"]), *identity]) == 2
    assert "Dockerfile:1: invalid JSON" in capsys.readouterr().err
    (tmp_path / "other.json").write_text('{"version": 2}')
    assert main(["record", "image", "--report", str(tmp_path / "other.json"), *identity]) == 2
    assert "not a `pitstop image --format json` report" in capsys.readouterr().err
