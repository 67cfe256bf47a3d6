"""Base-image and ADD rules: what an image is built from and how files get into it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pitstop.model import Area, Fix, Severity, TextEdit
from pitstop.parsers.dockerfile import Instruction
from pitstop.review.project import DockerfileSource, Project
from pitstop.review.rules.base import Hit, Rule
from pitstop.review.rules.common import (
    at,
    built_instructions,
    commands,
    shipped_lineages,
    shipped_name,
    walk,
)
from pitstop.review.rules.hardening import build_tools, judged_as_runtime

_URL = re.compile(r"^(https?|git)://|^git@|\.git(#.*)?$")
_ARCHIVE = re.compile(
    r"\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst)$", re.IGNORECASE
)
_ADD_ONLY_FLAGS = ("checksum", "keep-git-dir", "unpack")


def image_tag(image: str) -> str | None:
    """The tag of an image reference (`None` when it has none); digests count as pinned."""
    if "@" in image:
        return image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def check_unpinned_base(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for stage in source.built_stages():
        image = stage.base_image
        if image is None or image.lower() == "scratch" or "$" in image or not image:
            continue
        tag = image_tag(image)
        if tag is not None and tag != "latest":
            continue
        problem = "no tag, so it means :latest" if tag is None else "the :latest tag"
        yield Hit(
            source.location(stage.line, _column(source, stage.line, image)),
            f"`FROM {image}` has {problem}: each build may start from a different image, and "
            "the build cache is invalidated whenever it moves. Pin a version tag "
            "(python:3.12-slim), or a digest for fully reproducible builds.",
        )


# The full (non-slim) Debian variants of the official python image: `3.14`, `3.12-bookworm`.
_FULL_PYTHON = re.compile(
    r"^(?P<name>(docker\.io/)?(library/)?python):(?P<version>\d+(\.\d+){0,2}(rc\d*|a\d+|b\d+)?)"
    r"(-(?P<release>bookworm|trixie|bullseye|buster|forky))?$"
)


def slim_variant(image: str) -> str | None:
    """The slim variant of a full python image on the same Debian release, else None."""
    match = _FULL_PYTHON.match(image.split("@")[0])
    if match is None:
        return None
    release = f"-{match['release']}" if match["release"] else ""
    return f"{match['name']}:{match['version']}-slim{release}"


def check_full_python_base(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for shipped, lineage in shipped_lineages(source):
        image = lineage[0].base_image or ""
        slim = slim_variant(image)
        if slim is None:
            continue
        tools = [t for p in walk(lineage) for c in commands(p.instruction) for t in build_tools(c)]
        if tools:
            tradeoff = (
                f" This stage installs {', '.join(dict.fromkeys(tools))}, so it builds here: on "
                f"{slim} those come from the package manager, or build in a builder stage and "
                f"ship {slim} with only the result."
            )
        else:
            tradeoff = " Use it unless something in the image needs those tools at run time."
        yield Hit(
            source.location(lineage[0].line, _column(source, lineage[0].line, image)),
            f"{shipped_name(shipped, source)} starts from `{image}`, the full image with "
            f"compilers, headers and version-control tools; `{slim}` is the same Python on the "
            f"same Debian release without them.{tradeoff}",
        )


def _column(source: DockerfileSource, line: int, text: str) -> int:
    found = source.dockerfile.lines[line - 1].find(text)
    return found + 1 if found >= 0 else 1


def _sources(instruction: Instruction) -> tuple[str, ...]:
    return instruction.args[:-1]


def check_add_url(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for _, instruction in built_instructions(source):
        if instruction.keyword != "ADD" or instruction.flag("checksum") is not None:
            continue
        urls = [s for s in _sources(instruction) if _URL.search(s)]
        if urls:
            yield Hit(
                at(source, instruction, re.escape(urls[0])),
                f"ADD {urls[0]} downloads without a checksum: the content can change under the "
                "same URL and BuildKit fetches it again on every build to find out. Add "
                "`--checksum=sha256:...` (or, for a git repository, pin a commit).",
            )


def check_add_for_copy(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for _, instruction in built_instructions(source):
        if instruction.keyword != "ADD" or instruction.heredocs:
            continue
        sources = _sources(instruction)
        if not sources or any(_URL.search(s) or _ARCHIVE.search(s) or "$" in s for s in sources):
            continue
        if _may_unpack(source, project, instruction):
            continue
        yield Hit(
            at(source, instruction, r"(?i)\bADD\b"),
            "ADD of local files does what COPY does, plus unpacking archives and fetching URLs "
            "that readers must rule out: use COPY.",
            fix=_copy_fix(source, instruction),
        )


# What ADD unpacks is decided by content, not by name (moby's archive detection): a tar, or
# a gzip, bzip2, xz or zstd stream, whatever the file is called.
_ARCHIVE_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")


def _may_unpack(source: DockerfileSource, project: Project, instruction: Instruction) -> bool:
    """Whether a source of this ADD is, or may be, an archive ADD would unpack: a file whose
    bytes say so, or a wildcard that may match one, in any build of it."""
    for copy in source.copies:
        if copy.instruction is not instruction:
            continue
        path = copy.in_repository
        if set("*?[") & set(path):
            return True
        if not project.tree.exists(path) or project.tree.is_dir(path):
            continue  # a missing source fails either way (PS203); a folder is never unpacked
        head = project.tree.read_head(path, 512)
        if head is None or head.startswith(_ARCHIVE_MAGIC) or head[257:262] == b"ustar":
            return True
    return False


def _copy_fix(source: DockerfileSource, instruction: Instruction) -> Fix | None:
    if any(instruction.flag(name) is not None for name in _ADD_ONLY_FLAGS):
        return None
    line = source.dockerfile.lines[instruction.line - 1]
    match = re.match(r"(\s*)(ADD)\b", line, re.IGNORECASE)
    if match is None:
        return None
    start, end = match.start(2) + 1, match.end(2) + 1
    edit = TextEdit(source.path, instruction.line, start, instruction.line, end, "COPY")
    return Fix("replace ADD with COPY", (edit,))


RULES = (
    Rule(
        "PS140",
        "unpinned-base-image",
        "Unpinned base image",
        Severity.WARNING,
        Area.DOCKERFILE,
        "An image with no tag, or `latest`, changes whenever its publisher pushes: builds stop "
        "being reproducible, a rebuild can silently change the Python or OS version, and every "
        "move invalidates the layer cache. Pin a version tag, or a digest.",
        check_dockerfile=check_unpinned_base,
    ),
    Rule(
        "PS141",
        "add-url",
        "ADD of a URL without a checksum",
        Severity.WARNING,
        Area.DOCKERFILE,
        "ADD with a URL fetches the file on every build to see whether it changed, and trusts "
        "whatever the server returns. `ADD --checksum=sha256:...` makes the download verified "
        "and cacheable.",
        check_dockerfile=check_add_url,
    ),
    Rule(
        "PS142",
        "add-instead-of-copy",
        "ADD where COPY is meant",
        Severity.INFO,
        Area.DOCKERFILE,
        "ADD also unpacks local tar archives and downloads URLs. For plain files COPY does the "
        "same with none of the surprises, which is why Docker's best practices prefer it. "
        "Whether ADD unpacks is decided by the file's bytes, not its name, so a source whose "
        "content is a tar or a compressed stream, or a wildcard that may match one, keeps ADD.",
        check_dockerfile=check_add_for_copy,
        fixable=True,
    ),
    Rule(
        "PS143",
        "full-python-base",
        "Full python base image for the shipped stage",
        Severity.INFO,
        Area.DOCKERFILE,
        "The full `python:<version>` images carry compilers, headers and version-control tools "
        "for building packages; the `-slim` variant is the same Python on the same Debian "
        "release without them. A runtime stage on the slim variant pulls and starts faster and "
        "ships fewer packages to patch. A stage that compiles extensions can keep the full image, "
        "or build in a builder stage and ship the slim one.",
        check_dockerfile=judged_as_runtime(check_full_python_base),
    ),
)
