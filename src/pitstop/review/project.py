"""The Project model rules see: every Dockerfile with the builds that use it.

Issue 3 adds contexts from workflows, compose and bake files, ignore files and
dependency declarations; rules already read builds through `DockerfileSource.builds`.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

from pitstop.config import DecodedToml
from pitstop.errors import PitstopError
from pitstop.files import read_head, read_text_file
from pitstop.model import InputProblem, Location
from pitstop.parsers.build_declarations import HealthyWait
from pitstop.parsers.dependencies import IncludedFile, PathDependency
from pitstop.parsers.dockerfile import Dockerfile, Instruction, Stage, unquote
from pitstop.parsers.ignore import IgnoreFile
from pitstop.parsers.tomlfile import TomlFile, parse_toml, unreadable_toml
from pitstop.parsers.workflow import Workflow
from pitstop.review.context_walk import ContextTree, choose_ignore_file, walk_context

# Windows base images: the Windows and PowerShell images of mcr.microsoft.com, and any tag
# naming a Windows base (python:3.13-windowsservercore-ltsc2022, dotnet/sdk:8.0-nanoserver-...).
_WINDOWS_IMAGE = re.compile(
    r"^(mcr\.microsoft\.com/)?windows(/|:|$)|^mcr\.microsoft\.com/windows/"
    r"|[:/-](windowsservercore|nanoserver|servercore)([-:._]|$)",
    re.IGNORECASE,
)
# `# escape=`` ` is the parser directive Windows Dockerfiles use, as `\` is their path separator.
_ESCAPE_BACKTICK = re.compile(r"^\s*#\s*escape\s*=\s*`\s*$", re.IGNORECASE)


# Folders whose Dockerfiles are test fixtures, documentation examples, development images.
_TEST_FOLDERS = frozenset(
    {"tests", "test", "testing", "fixtures", "e2e", "integration-tests", "benchmarks"}
)
_DOCS_FOLDERS = frozenset({"docs", "doc", "documentation"})
_DEVELOPMENT_FOLDERS = frozenset({"development", "dev"})
# A command that only starts an interpreter or a shell: nothing is served.
_BARE_COMMANDS = frozenset(
    {"python", "python3", "ipython", "bash", "sh", "ash", "zsh", "pwsh", "powershell", "cmd"}
)


@dataclass(frozen=True)
class ImagePurpose:
    """What an image is for when it is not run as a service. `certain` when its place says so
    (runtime-hardening rules then skip it); otherwise they lower to info and say `what`."""

    what: str
    certain: bool


@dataclass(frozen=True)
class Build:
    """One way a Dockerfile is built: its context folder (relative to the root) and target."""

    context: str
    target: str | None = None
    declared_at: Location | None = None
    context_at: Location | None = None
    dockerfile_at: Location | None = None
    run_user: str | None = None  # the user a compose service runs the image as
    # compose services running this image that others wait for with `service_healthy`
    healthy_waits: tuple[HealthyWait, ...] = ()

    @property
    def declared(self) -> bool:
        """Whether a workflow, compose or bake file declares this build (else it is assumed)."""
        return self.declared_at is not None

    @property
    def assumption(self) -> str:
        """What pitstop assumed for a build no file declares, said in findings that depend on it."""
        folder = f"`{self.context}/`" if self.context else "the repository root"
        return (
            f"(No workflow, compose or bake file builds this Dockerfile, so pitstop assumed "
            f"its own folder, {folder}, is the build context; built from another folder, this "
            "may not apply.)"
        )


@dataclass(frozen=True)
class CopySource:
    """One source of a COPY/ADD from the build context, in one build."""

    build: Build
    stage: Stage
    instruction: Instruction
    raw: str

    @property
    def cleaned(self) -> str:
        return posixpath.normpath(self.raw.lstrip("/") or ".")

    @property
    def in_repository(self) -> str:
        """The source as a path relative to the repository root."""
        return posixpath.normpath(posixpath.join(self.build.context or ".", self.cleaned))


@dataclass(frozen=True)
class DockerfileSource:
    """A Dockerfile in the project, parsed, with the builds that use it."""

    path: str
    dockerfile: Dockerfile
    builds: tuple[Build, ...]

    @property
    def folder(self) -> str:
        parent = str(PurePosixPath(self.path).parent)
        return "" if parent == "." else parent

    @cached_property
    def copies(self) -> tuple[CopySource, ...]:
        """Every context source of every COPY/ADD in the stages each build builds."""
        found = []
        for build in self.builds:
            target = self.dockerfile.stage(build.target) if build.target else None
            shipped = target or self.dockerfile.last_stage
            for stage in self.dockerfile.stages_built_for(shipped):
                for instruction in stage.of("COPY", "ADD"):
                    if instruction.flag("from") is not None or instruction.heredocs:
                        continue
                    for word in instruction.args[:-1]:
                        raw = unquote(word)  # BuildKit removes shell quotes from the words
                        if "://" not in raw and not raw.startswith("git@") and "$" not in raw:
                            found.append(CopySource(build, stage, instruction, raw))
        return tuple(found)

    def shipped_stages(self) -> tuple[Stage, ...]:
        """The stages that become images: each build's target, or the last stage."""
        shipped: dict[int, Stage] = {}
        for build in self.builds or (Build(self.folder),):
            stage = self.dockerfile.stage(build.target) if build.target else None
            stage = stage or self.dockerfile.last_stage
            shipped[stage.index] = stage
        return tuple(shipped[i] for i in sorted(shipped))

    def built_stages(self) -> tuple[Stage, ...]:
        """The stages BuildKit builds for some shipped stage (unreferenced ones never run)."""
        built: dict[int, Stage] = {}
        for shipped in self.shipped_stages():
            for stage in self.dockerfile.stages_built_for(shipped):
                built[stage.index] = stage
        return tuple(built[i] for i in sorted(built))

    @property
    def is_windows(self) -> bool:
        """Whether the file builds a Windows image: a Windows base image or platform, or the
        backtick escape directive that only Windows Dockerfiles use."""
        for line in self.dockerfile.lines:
            if not line.lstrip().startswith("#"):
                break  # parser directives come before any instruction or blank line
            if _ESCAPE_BACKTICK.match(line):
                return True
        return any(
            _WINDOWS_IMAGE.search(stage.base_image or "")
            or (stage.platform or "").lower().startswith("windows")
            for stage in self.dockerfile.stages
        )

    @cached_property
    def purpose(self) -> ImagePurpose | None:
        """Why this image is not a runtime service, or None when it may be one."""
        folders = PurePosixPath(self.path).parts[:-1]
        if ".devcontainer" in folders:
            return ImagePurpose("a devcontainer (under .devcontainer/), not run as a service", True)
        if _TEST_FOLDERS & set(folders):
            return ImagePurpose("a test fixture (under a tests folder), not run as a service", True)
        for kinds, what in (
            (_DOCS_FOLDERS, "a documentation example"),
            (_DEVELOPMENT_FOLDERS, "a development image"),
        ):
            found = [f for f in folders if f in kinds]
            if found:
                return ImagePurpose(f"taken as {what} (it lives under {found[0]}/)", False)
        command = self._bare_command()
        if command is not None:
            return ImagePurpose(
                f"taken as a base or tool image: its command is `{command}` alone, with no "
                "ENTRYPOINT and no EXPOSE, so it serves nothing itself",
                False,
            )
        return None

    def _bare_command(self) -> str | None:
        """The interpreter or shell every shipped stage runs alone, if that is all they run."""
        commands = set()
        for shipped in self.shipped_stages():
            effective = {
                i.keyword: i
                for stage in self.dockerfile.lineage(shipped)
                for i in stage.instructions
                if i.keyword in ("CMD", "ENTRYPOINT", "EXPOSE")
            }
            cmd = effective.get("CMD")
            words = " ".join(cmd.args).split() if cmd is not None else []
            if "ENTRYPOINT" in effective or "EXPOSE" in effective or len(words) != 1:
                return None
            if PurePosixPath(words[0]).name.lower() not in _BARE_COMMANDS:
                return None
            commands.add(words[0])
        return commands.pop() if len(commands) == 1 else None

    @property
    def context_assumed(self) -> bool:
        """Whether no workflow, compose or bake file builds this Dockerfile, so its own folder
        is taken as the context (and findings that depend on it say so)."""
        return not any(build.declared for build in self.builds)

    def is_multi_stage(self) -> bool:
        return len(self.dockerfile.stages) > 1

    def location(self, line: int, column: int = 1) -> Location:
        return Location(self.path, line, column)


def image_name_of(path: str) -> str | None:
    """The image name a Dockerfile's path suggests: its folder for a plain `Dockerfile`, else
    the suffix or prefix of its file name (`Dockerfile.base` -> `base`)."""
    posix = PurePosixPath(path)
    lowered = posix.name.lower()
    for plain in ("dockerfile", "containerfile"):
        if lowered == plain:
            return posix.parent.name.lower() or None
        for separator in (".", "_", "-"):
            if lowered.startswith(plain + separator):
                return lowered[len(plain) + 1 :] or None
        if lowered.endswith("." + plain):
            return lowered[: -len(plain) - 1] or None
    return None


def _repository_name(image: str) -> str:
    """The last path component of an image reference, without tag or digest."""
    last = image.split("@")[0].rsplit("/", 1)[-1]
    return last.split(":")[0].lower()


class Tree:
    """Read-only access to the reviewed repository; never leaves `root`, even through a symlink."""

    def __init__(self, root: Path, decoded: DecodedToml | None = None):
        self.root = root.resolve()
        self.decoded = decoded  # the configuration's TOML file, decoded once already

    def _unreachable(self, relative: str) -> str:
        """Why a path `_inside` refused cannot be read: a loop or a dangling link, or a
        link out of the repository."""
        full = self.root / relative
        if full.is_symlink() and not os.path.exists(full):
            return "symlink that leads nowhere (a loop or a missing target); not followed"
        return "symlink points outside the repository; not followed"

    def _inside(self, relative: str) -> Path | None:
        try:
            path = (self.root / relative).resolve()
        except (OSError, RuntimeError):  # a name too long, a symlink loop (before 3.13)
            return None
        if path != self.root and self.root not in path.parents:
            return None
        return path

    def is_dir(self, relative: str) -> bool:
        path = self._inside(relative)
        try:
            return path is not None and path.is_dir()
        except OSError:  # Path.is_dir forgives only "not found": not a name too long, no `x`
            return False

    def exists(self, relative: str) -> bool:
        path = self._inside(relative)
        return path is not None and os.path.exists(path)

    def read_head(self, relative: str, size: int) -> bytes | None:
        """The first bytes of a regular file inside the root (None otherwise)."""
        path = self._inside(relative)
        return None if path is None else read_head(path, size)

    def read_text(self, relative: str) -> str:
        """The UTF-8 text of a regular file inside the root, line endings as they are.

        PitstopError naming the file (and line) for anything else: a symlink out of the
        root, a FIFO or device (reading one could block or never end), a file over
        pitstop.files.MAX_FILE_BYTES, bytes that are not UTF-8."""
        path = self._inside(relative)
        full = self.root / relative
        if path is None or (full.is_symlink() and not os.path.exists(full)):
            raise PitstopError(self._unreachable(relative), path=relative)
        return read_text_file(path, relative)

    def read_toml(self, relative: str) -> TomlFile:
        """The TOML file at `relative`, decoded; what kept it from being read or decoded is
        its `problem`."""
        try:
            text = self.read_text(relative)
        except PitstopError as error:
            return unreadable_toml(relative, error)
        return parse_toml(text, relative, self.decoded)


def in_requirements_folder(path: str) -> bool:
    """Whether `path` sits in a `requirements/` folder (`requirements/dev.txt`), which
    belongs to the project in the folder above it: pip installs such a file from there."""
    return PurePosixPath(path).parent.name == "requirements"


@dataclass(frozen=True)
class DependencyFile:
    """A file that declares Python dependencies, with the local paths it depends on; for a
    requirements file, also the names of all it requires (a pyproject's are in its model)."""

    path: str
    dependencies: tuple[PathDependency, ...]
    includes: tuple[IncludedFile, ...] = ()
    names: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Project:
    """The reviewed repository as rules see it."""

    root: Path
    tree: Tree
    dockerfiles: tuple[DockerfileSource, ...]
    files: frozenset[str] = frozenset()
    build_files: tuple[str, ...] = ()
    missing_paths: tuple[tuple[Location, str, str], ...] = ()
    dependency_files: tuple[DependencyFile, ...] = ()
    ignore_files: tuple[IgnoreFile, ...] = ()
    context_budget_bytes: int = 50 * 1000 * 1000
    # Whether fixes may add PS206's exclusions: not when the user turned PS206 off.
    ignore_fixes: bool = True
    workflows: tuple[Workflow, ...] = ()
    _measured: dict[tuple[str, str | None], ContextTree] = field(
        default_factory=dict, compare=False, repr=False
    )
    # The TOML files read so far, by path: the loader's dependency parser and the rules
    # share them, so each file is decoded once per review (see `toml`).
    toml_files: dict[str, TomlFile] = field(default_factory=dict, compare=False, repr=False)

    def toml(self, path: str) -> TomlFile:
        """The pyproject.toml or hatch.toml at `path`, read and decoded once per review."""
        if path not in self.toml_files:
            self.toml_files[path] = self.tree.read_toml(path)
        return self.toml_files[path]

    def measure(self, context: str, ignore: IgnoreFile | None) -> ContextTree:
        """The context as Docker sends it with `ignore` (walked once per pair)."""
        key = (context, ignore.path if ignore else None)
        if key not in self._measured:
            self._measured[key] = walk_context(self.tree.root / context, ignore)
        return self._measured[key]

    def walk_problems(self) -> list[InputProblem]:
        """What the context walks so far could not read, with paths relative to the root."""
        found: dict[str, InputProblem] = {}
        for (context, _), tree in self._measured.items():
            folder = "" if context == "." else context.strip("/")
            for problem in tree.problems:
                inner = "" if problem.path == "." else problem.path
                path = "/".join(part for part in (folder, inner) if part) or "."
                found.setdefault(path, InputProblem(path, problem.message, problem.line))
        return [found[path] for path in sorted(found)]

    def ignore_file_for(self, dockerfile: str, context: str) -> IgnoreFile | None:
        """The ignore file Docker applies: `<Dockerfile>.dockerignore` beside the Dockerfile
        wins over `<context>/.dockerignore` (BuildKit's rule)."""
        by_path = {f.path: f for f in self.ignore_files}
        chosen = choose_ignore_file(context, dockerfile, by_path.__contains__)
        return by_path[chosen] if chosen else None

    def built_on(self, source: DockerfileSource) -> tuple[str, ...]:
        """The other Dockerfiles of the repository that start FROM the image `source` builds,
        matched by name: a namespaced image (`org/name`) whose name is `source`'s folder
        (`name/Dockerfile`) or its file suffix (`Dockerfile.name`, `name.Dockerfile`)."""
        name = image_name_of(source.path)
        if name is None:
            return ()
        return tuple(
            other.path
            for other in self.dockerfiles
            if other.path != source.path
            and any(
                "/" in (stage.base_image or "") and _repository_name(stage.base_image or "") == name
                for stage in other.dockerfile.stages
            )
        )

    def folders(self) -> frozenset[str]:
        """Every folder that holds a file of the project ("" is the root)."""
        found = {""}
        for path in self.files:
            parent = PurePosixPath(path).parent
            while str(parent) not in (".", "") and str(parent) not in found:
                found.add(str(parent))
                parent = parent.parent
        return frozenset(found)
