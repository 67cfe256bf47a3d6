"""Image builds from `docker buildx build --progress=plain` logs, the build's
`--metadata-file`, and image sizes from `docker image inspect`.

A plain-progress log is a stream of lines `#N text` about BuildKit's vertices, interleaved
when steps run in parallel; a vertex's header (`#8 [builder 2/4] RUN pip install ...`) may
be printed again when its output resumes, and it ends with `#8 DONE 6.2s`, `#8 CACHED`,
`#8 ERROR: ...` or `#8 CANCELED`. What is read:

- Layer steps are the vertices named `[stage i/n] INSTRUCTION` (bake adds the target:
  `[app builder 2/4]`), except `FROM`: pulling a base image builds no layer. `[internal]`
  vertices, `[auth]`, cache import and export are not steps. A step is cached when its
  last status is `CACHED` (BuildKit also prints CACHED for a step it did not need to run);
  its seconds are those of its last `DONE`, None when cached, failed or cancelled.
- Each line may carry a prefix: GitHub Actions' `2025-06-01T10:00:00.1234567Z ` (then the
  build's seconds run from its first `#` line to its last) or a CI's clock `10:00:00 `.
  Without GitHub's stamps the log gives no whole-build time, and it is None.
- Several builds in one log (a CI step that builds twice): a build starts at `#0 building
  with ...` or when vertex numbering restarts at an `#1 [internal] ...` vertex.
  `read_build_logs` returns them all; `read_build_log` needs exactly one.
- The log is read streaming, line by line (a line is cut at 64 KiB), as UTF-8 with
  undecodable bytes replaced: it is program output, not a file of ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from pitstop.errors import PitstopError
from pitstop.files import read_regular_file
from pitstop.parsers.jsonfile import load_json
from pitstop.parsers.streams import Digest, bounded_lines, open_regular
from pitstop.runs import Build, BuildStep, ImageSize

_LINE = re.compile(
    r"^(?:(?P<stamp>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) |[\d:.]+\s+)?"
    r"#(?P<n>\d+) (?P<rest>.*)$"
)
_STEP = re.compile(r"^\[(?:[^\]]*? )?\d+/\d+\] (?P<instruction>\S+)")
_DONE = re.compile(r"^DONE (?P<seconds>\d+(?:\.\d+)?)s$")
_LEGACY = re.compile(r"^Step \d+/\d+ : ")


@dataclass
class _Vertex:
    name: str
    cached: bool = False
    seconds: float | None = None
    ended: bool = False


@dataclass
class _BuildRead:
    vertices: dict[int, _Vertex] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None
    line: int = 0  # where it starts


def read_build_log(path: Path, shown: str, source: Digest | None = None) -> Build:
    """The one build in the log at `path` (image and digest "" until a metadata file gives
    them: `dataclasses.replace(build, image=..., digest=...)`); PitstopError naming `shown`
    when it holds none or several. `source`, if given, is fed the bytes read."""
    builds = _read(path, shown, source)
    if len(builds) > 1:
        message = "a second build starts here: this log holds several; split it or read all"
        raise PitstopError(message, path=shown, line=builds[1].line)
    return _build(builds[0])


def read_build_logs(path: Path, shown: str) -> list[Build]:
    """Every build in the log at `path`, in log order."""
    return [_build(build) for build in _read(path, shown)]


def _read(path: Path, shown: str, source: Digest | None = None) -> list[_BuildRead]:
    builds: list[_BuildRead] = []
    legacy: int | None = None
    with open_regular(path, shown) as stream:
        for number, raw in enumerate(bounded_lines(stream, digest=source), start=1):
            text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            found = _LINE.match(text)
            if found is None:
                legacy = legacy or (number if _LEGACY.match(text) else None)
                continue
            vertex, rest = int(found["n"]), found["rest"]
            if not builds or _starts_build(builds[-1], vertex, rest):
                builds.append(_BuildRead(line=number))
            _take(builds[-1], vertex, rest, found["stamp"])
    if not builds:
        raise PitstopError(_no_build_message(legacy), path=shown, line=legacy)
    return builds


def _no_build_message(legacy: int | None) -> str:
    if legacy is not None:
        return "output of Docker's legacy builder (`Step 1/5 :`); record BuildKit's " + (
            "`docker buildx build --progress=plain` output instead"
        )
    return "no BuildKit lines (`#1 ...`): not `docker buildx build --progress=plain` output"


def _starts_build(build: _BuildRead, vertex: int, rest: str) -> bool:
    if not build.vertices:
        return False
    if vertex == 0 and rest.startswith("building with "):
        return True
    if vertex != 1 or not rest.startswith("[internal] ") or max(build.vertices) < 2:
        return False
    first = build.vertices.get(1)
    return first is None or first.ended  # else the header printed again as output resumes


def _take(build: _BuildRead, vertex: int, rest: str, stamp: str | None) -> None:
    if rest.startswith("[") and not _status(rest):
        known = build.vertices.get(vertex)
        if known is None or known.name != rest:
            build.vertices[vertex] = _Vertex(rest)
    else:
        known = build.vertices.get(vertex)
        if known is not None:
            _update(known, rest)
    if stamp is not None:
        moment = datetime.fromisoformat(stamp)
        build.first = build.first or moment
        build.last = moment


def _status(rest: str) -> bool:
    return rest in ("CACHED", "CANCELED") or rest.startswith("ERROR") or bool(_DONE.match(rest))


def _update(vertex: _Vertex, rest: str) -> None:
    done = _DONE.match(rest)
    if done is not None:
        vertex.cached, vertex.seconds, vertex.ended = False, float(done["seconds"]), True
    elif rest == "CACHED":
        vertex.cached, vertex.seconds, vertex.ended = True, None, True
    elif rest == "CANCELED" or rest.startswith("ERROR"):
        vertex.cached, vertex.seconds, vertex.ended = False, None, True


def _is_step(vertex: _Vertex) -> bool:
    step = _STEP.match(vertex.name)
    return step is not None and step["instruction"].upper() != "FROM"


def _build(build: _BuildRead) -> Build:
    steps = tuple(
        BuildStep(number, vertex.name, vertex.cached, vertex.seconds)
        for number, vertex in sorted(build.vertices.items())
        if _is_step(vertex)
    )
    seconds = None
    if build.first is not None and build.last is not None:
        seconds = (build.last - build.first).total_seconds()
    return Build(image="", digest="", steps=steps, seconds=seconds)


def read_build_metadata(path: Path, shown: str) -> tuple[str, str]:
    """(image name, digest) from a `--metadata-file` (`image.name`, `containerimage.digest`;
    "" for what it does not give, as after a build that was not tagged). A bake metadata
    file, one object per target, is read when it has exactly one target."""
    document = load_json(read_regular_file(path, shown), shown)
    if not isinstance(document, Mapping):
        raise PitstopError("not a buildx --metadata-file: expected a JSON object", path=shown)
    targets = [v for v in document.values() if isinstance(v, Mapping) and _has_image(v)]
    if not _has_image(document) and len(targets) > 1:
        message = "a bake metadata file with several targets; one build's metadata is needed"
        raise PitstopError(message, path=shown)
    chosen = document if _has_image(document) or not targets else targets[0]
    return _string(chosen, "image.name", shown), _string(chosen, "containerimage.digest", shown)


def _has_image(document: Mapping[str, object]) -> bool:
    return "image.name" in document or "containerimage.digest" in document


def _string(document: Mapping[str, object], key: str, shown: str) -> str:
    value = document.get(key, "")
    if not isinstance(value, str):
        raise PitstopError(f"`{key}` is not a string", path=shown)
    return value


def read_image_sizes(path: Path, shown: str) -> list[ImageSize]:
    """One size per image of a `docker image inspect` JSON list, named by its first tag
    (else its first digest reference, else its id)."""
    document = load_json(read_regular_file(path, shown), shown)
    if not isinstance(document, list):
        raise PitstopError("not `docker image inspect` output: expected a JSON list", path=shown)
    return [_image_size(entry, index, shown) for index, entry in enumerate(document)]


def read_image_report(path: Path, shown: str, name: str | None = None) -> ImageSize:
    """The image size of a `pitstop image --format json` report: its uncompressed bytes (the
    layers as pulled), named `name`, else by the archive's file name."""
    document = load_json(read_regular_file(path, shown), shown)
    if not isinstance(document, Mapping) or document.get("version") != 1:
        raise PitstopError("not a `pitstop image --format json` report (version 1)", path=shown)
    sizes = document.get("bytes")
    size = sizes.get("uncompressed") if isinstance(sizes, Mapping) else None
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise PitstopError("the report has no `bytes.uncompressed`", path=shown)
    source = document.get("image")
    found = name or (
        PurePosixPath(source.replace("\\", "/")).name if isinstance(source, str) else ""
    )
    if not found:
        raise PitstopError("the report names no image: give --name", path=shown)
    return ImageSize(found, size)


def _image_size(entry: object, index: int, shown: str) -> ImageSize:
    if not isinstance(entry, Mapping):
        raise PitstopError(f"[{index}] is not an image", path=shown)
    size = entry.get("Size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise PitstopError(f"[{index}] has no `Size` in bytes", path=shown)
    names = [*_strings(entry.get("RepoTags")), *_strings(entry.get("RepoDigests"))]
    name = names[0] if names else entry.get("Id")
    if not isinstance(name, str) or not name:
        raise PitstopError(f"[{index}] has neither `RepoTags`, `RepoDigests` nor `Id`", path=shown)
    return ImageSize(name, size)


def _strings(value: object) -> Iterable[str]:
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []
