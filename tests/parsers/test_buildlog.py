"""Image builds from `docker buildx build --progress=plain` logs, metadata files and
`docker image inspect` output (fixtures written from the documented formats)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pitstop.errors import PitstopError
from pitstop.parsers.buildlog import (
    read_build_log,
    read_build_logs,
    read_build_metadata,
    read_image_sizes,
)
from pitstop.runs import BuildStep, ImageSize

# A multi-stage build: parallel stages interleave, a step's header is printed again when its
# output resumes, the base image pull and [internal] vertices are not layer steps.
PLAIN = """\
#0 building with "default" instance using docker driver

#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 612B done
#1 DONE 0.0s

#2 [internal] load metadata for docker.io/library/python:3.12-slim
#2 DONE 1.2s

#3 [internal] load .dockerignore
#3 transferring context: 120B done
#3 DONE 0.0s

#4 [builder 1/4] FROM docker.io/library/python:3.12-slim@sha256:1f1a0c43a1b2
#4 resolve docker.io/library/python:3.12-slim@sha256:1f1a0c43a1b2 0.0s done
#4 DONE 0.0s

#5 [internal] load build context
#5 transferring context: 48.21kB 0.1s done
#5 DONE 0.1s

#6 [builder 2/4] WORKDIR /src
#6 CACHED

#7 [builder 3/4] COPY requirements.txt .
#7 CACHED

#8 [builder 4/4] RUN pip wheel --wheel-dir /wheels -r requirements.txt
#8 0.912 Collecting flask==3.0.3
#8 2.310 [notice] A new release of pip is available

#9 [stage-1 2/5] RUN useradd --create-home app
#9 DONE 0.7s

#8 [builder 4/4] RUN pip wheel --wheel-dir /wheels -r requirements.txt
#8 14.02 Successfully built flask
#8 DONE 14.6s

#10 [stage-1 3/5] COPY --from=builder /wheels /wheels
#10 DONE 0.3s

#11 [stage-1 4/5] RUN pip install --no-index /wheels/*
#11 ERROR: process "/bin/sh -c pip install --no-index /wheels/*" did not complete successfully: exit code: 1

#12 [stage-1 5/5] COPY . /app
#12 CANCELED

#13 exporting to image
#13 exporting layers 0.4s done
#13 DONE 0.5s
"""


def write(tmp_path: Path, text: str, name: str = "build.log") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_layer_steps_with_cache_hits_and_durations(tmp_path):
    build = read_build_log(write(tmp_path, PLAIN), "build.log")
    assert build.steps == (
        BuildStep(6, "[builder 2/4] WORKDIR /src", True, None),
        BuildStep(7, "[builder 3/4] COPY requirements.txt .", True, None),
        BuildStep(
            8, "[builder 4/4] RUN pip wheel --wheel-dir /wheels -r requirements.txt", False, 14.6
        ),
        BuildStep(9, "[stage-1 2/5] RUN useradd --create-home app", False, 0.7),
        BuildStep(10, "[stage-1 3/5] COPY --from=builder /wheels /wheels", False, 0.3),
        BuildStep(11, "[stage-1 4/5] RUN pip install --no-index /wheels/*", False, None),
        BuildStep(12, "[stage-1 5/5] COPY . /app", False, None),
    )
    assert build.cache_hit_rate == pytest.approx(2 / 7)
    assert (build.image, build.digest, build.seconds) == ("", "", None)


def test_github_timestamps_give_the_build_time_and_bake_targets_are_steps(tmp_path):
    log = """\
2025-06-01T10:00:00.1000000Z #1 [app internal] load build definition from Dockerfile
2025-06-01T10:00:00.2000000Z #1 DONE 0.0s
2025-06-01T10:00:01.0000000Z #2 [app 2/3] RUN make
2025-06-01T10:00:31.0000000Z #2 DONE 30.0s
2025-06-01T10:00:31.5000000Z #3 [app 3/3] COPY dist /dist
2025-06-01T10:00:31.6000000Z #3 CACHED
"""
    build = read_build_log(write(tmp_path, log), "build.log")
    assert [(s.name, s.cached, s.seconds) for s in build.steps] == [
        ("[app 2/3] RUN make", False, 30.0),
        ("[app 3/3] COPY dist /dist", True, None),
    ]
    assert build.seconds == pytest.approx(31.5)


def test_several_builds_in_one_log(tmp_path):
    second = PLAIN.replace("/src", "/work")
    path = write(tmp_path, PLAIN + "\n" + second)
    builds = read_build_logs(path, "build.log")
    assert [b.steps[0].name for b in builds] == [
        "[builder 2/4] WORKDIR /src",
        "[builder 2/4] WORKDIR /work",
    ]
    with pytest.raises(PitstopError, match=r"^build\.log:52: a second build starts here"):
        read_build_log(path, "build.log")
    without_header = PLAIN.replace('#0 building with "default" instance using docker driver\n', "")
    assert len(read_build_logs(write(tmp_path, without_header * 2), "build.log")) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", r"^build\.log: no BuildKit lines"),
        ("hello\nworld\n", r"^build\.log: no BuildKit lines"),
        (
            "Sending build context to Docker daemon  2.048kB\nStep 1/3 : FROM python:3.12\n",
            r"^build\.log:2: output of Docker's legacy builder",
        ),
    ],
)
def test_logs_that_are_not_buildkit_output_are_named(tmp_path, text, expected):
    with pytest.raises(PitstopError, match=expected):
        read_build_log(write(tmp_path, text), "build.log")


def test_undecodable_bytes_and_endless_lines_do_not_stop_the_read(tmp_path):
    path = tmp_path / "build.log"
    path.write_bytes(b"#1 [2/2] RUN make\n#1 0.1 \xff\xfe" + b"x" * 200_000 + b"\n#1 DONE 2.0s\n")
    assert read_build_log(path, "build.log").steps == (BuildStep(1, "[2/2] RUN make", False, 2.0),)


def test_a_fifo_is_refused(tmp_path):
    os.mkfifo(tmp_path / "build.log")
    with pytest.raises(PitstopError, match="not a regular file"):
        read_build_log(tmp_path / "build.log", "build.log")


METADATA = {
    "buildx.build.ref": "builder/builder0/k7zt9ar0f2wqmhbbl8mi7kcn9",
    "containerimage.config.digest": "sha256:2937f66a9722f7f4a2df583de2f8cb97fc91960",
    "containerimage.descriptor": {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": "sha256:19ffeab6f8bc9293ac2c3fdf94ebe28396254c993aea0b5a542cfb02e0883fa3",
        "size": 1054,
    },
    "containerimage.digest": "sha256:19ffeab6f8bc9293ac2c3fdf94ebe28396254c993aea0b5a542cfb02e0883fa3",
    "image.name": "ghcr.io/acme/shop:latest,ghcr.io/acme/shop:0123abcd",
}


def test_metadata_file_gives_image_and_digest(tmp_path):
    path = write(tmp_path, json.dumps(METADATA), "metadata.json")
    assert read_build_metadata(path, "metadata.json") == (
        "ghcr.io/acme/shop:latest,ghcr.io/acme/shop:0123abcd",
        "sha256:19ffeab6f8bc9293ac2c3fdf94ebe28396254c993aea0b5a542cfb02e0883fa3",
    )
    bake = write(tmp_path, json.dumps({"app": METADATA}), "bake.json")
    assert read_build_metadata(bake, "bake.json")[0].startswith("ghcr.io/acme/shop")
    untagged = write(tmp_path, json.dumps({"buildx.build.ref": "b/b0/x"}), "m.json")
    assert read_build_metadata(untagged, "m.json") == ("", "")


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([], "m.json: not a buildx --metadata-file"),
        ({"a": METADATA, "b": METADATA}, "m.json: a bake metadata file with several targets"),
        ({"image.name": 5}, "m.json: `image.name` is not a string"),
    ],
)
def test_bad_metadata_is_named(tmp_path, document, expected):
    with pytest.raises(PitstopError) as raised:
        read_build_metadata(write(tmp_path, json.dumps(document), "m.json"), "m.json")
    assert str(raised.value).startswith(expected)


INSPECT = [
    {
        "Id": "sha256:5e1b1f3c2a7c",
        "RepoTags": ["ghcr.io/acme/shop:latest", "ghcr.io/acme/shop:0123abcd"],
        "RepoDigests": ["ghcr.io/acme/shop@sha256:19ffeab6f8bc"],
        "Created": "2025-06-01T10:00:31.123456789Z",
        "Size": 187654321,
        "Architecture": "amd64",
        "Os": "linux",
    },
    {"Id": "sha256:aa11", "RepoTags": [], "RepoDigests": ["python@sha256:1f1a"], "Size": 50},
    {"Id": "sha256:bb22", "RepoTags": None, "RepoDigests": None, "Size": 0},
]


def test_image_sizes_from_docker_image_inspect(tmp_path):
    path = write(tmp_path, json.dumps(INSPECT), "inspect.json")
    assert read_image_sizes(path, "inspect.json") == [
        ImageSize("ghcr.io/acme/shop:latest", 187654321),
        ImageSize("python@sha256:1f1a", 50),
        ImageSize("sha256:bb22", 0),
    ]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"Size": 1}, "i.json: not `docker image inspect` output"),
        ([{"Id": "x", "Size": "1 GB"}], "i.json: [0] has no `Size` in bytes"),
        ([{"Id": "x", "Size": -1}], "i.json: [0] has no `Size` in bytes"),
        ([{"Size": 1}], "i.json: [0] has neither `RepoTags`, `RepoDigests` nor `Id`"),
        ([3], "i.json: [0] is not an image"),
    ],
)
def test_bad_inspect_output_is_named(tmp_path, document, expected):
    with pytest.raises(PitstopError) as raised:
        read_image_sizes(write(tmp_path, json.dumps(document), "i.json"), "i.json")
    assert str(raised.value).startswith(expected)


def test_inspect_json_with_nan_names_the_line(tmp_path):
    with pytest.raises(PitstopError, match=r"^i\.json:2: invalid JSON: NaN is not a number$"):
        read_image_sizes(write(tmp_path, '[{"Id": "x",\n "Size": NaN}]', "i.json"), "i.json")


def test_the_source_digest_is_of_every_byte_read_even_a_line_cut_short(tmp_path):
    import hashlib

    from pitstop.parsers.streams import LINE_BYTES

    data = PLAIN.replace("#3 DONE 0.0s", "#3 " + "x" * (3 * LINE_BYTES) + "\n#3 DONE 0.0s")
    path = tmp_path / "build.log"
    path.write_bytes(data.encode() + b"no newline at the end")
    source = hashlib.sha256()
    read_build_log(path, "build.log", source)
    assert source.hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
