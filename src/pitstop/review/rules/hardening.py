"""Hardening rules: they judge the stage that ships (a build's target, or the last stage),
including every stage it is built FROM."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from pitstop.errors import PitstopError
from pitstop.model import Area, Fix, Location, Related, Severity, TextEdit
from pitstop.parsers.build_declarations import HealthyWait
from pitstop.parsers.dockerfile import Instruction, RunCommand, Stage
from pitstop.parsers.shell import (
    SimpleCommand,
    as_one_command,
    ends_in_exec,
    last_in_sequence,
    pip_install,
)
from pitstop.review.project import Build, DockerfileSource, ImagePurpose, Project
from pitstop.review.rules.base import DockerfileCheck, Hit, Rule
from pitstop.review.rules.common import (
    at,
    commands,
    container_path,
    copy_destination,
    shipped_lineages,
    shipped_name,
    walk,
)

# Packages that build software. git, curl and wget are not among them: images use them at
# run time too (an app that clones repositories, a healthcheck), which pitstop cannot see.
_BUILD_PACKAGE = re.compile(
    r"^(gcc|g\+\+|gcc-[\d.]+|g\+\+-[\d.]+|cpp|clang(-[\d.]+)?|make|cmake|ninja-build|build-essential|"
    r"build-base|musl-dev|autoconf|automake|libtool|pkg-config|pkgconf|rustc|cargo|golang(-go)?|"
    r".+-dev|.+-devel)(=.*)?$"
)
# Compilers and header packages: what a later build command of the same image compiles with.
_COMPILER = re.compile(
    r"^(gcc|g\+\+|gcc-[\d.]+|g\+\+-[\d.]+|cpp|clang(-[\d.]+)?|build-essential|build-base|"
    r"musl-dev|rustc|cargo|golang(-go)?|.+-dev|.+-devel)(=.*)?$"
)
_INSTALLERS = {
    "apt-get": "install",
    "apt": "install",
    "apk": "add",
    "yum": "install",
    "dnf": "install",
    "microdnf": "install",
}
_REMOVERS = {
    "apt-get": ("purge", "remove", "autoremove"),
    "apt": ("purge", "remove"),
    "apk": ("del",),
    "yum": ("remove",),
    "dnf": ("remove",),
    "microdnf": ("remove",),
}


# Programs that start the service as another user from a root entrypoint.
_PRIVILEGE_DROP = re.compile(
    r"\b(gosu|su-exec|s6-setuidgid|setuidgid|setpriv|runuser)\b|\bchpst\s+(-\w+\s+)*-u\b"
)


def judged_as_runtime(check: DockerfileCheck) -> DockerfileCheck:
    """`check` for images that run as a service: skipped for images whose place says they
    are not (devcontainers, test fixtures), lowered to info with the assumption otherwise."""

    def judged(source: DockerfileSource, project: Project) -> Iterator[Hit]:
        purpose = source.purpose or _base_for_others(source, project)
        if purpose is not None and purpose.certain:
            return
        for hit in check(source, project):
            if purpose is None:
                yield hit
            else:
                note = (
                    f" (Info only: this image is {purpose.what}; the advice is for images "
                    "that run a service.)"
                )
                yield replace(hit, message=hit.message + note, severity=Severity.INFO)

    return judged


def _base_for_others(source: DockerfileSource, project: Project) -> ImagePurpose | None:
    users = project.built_on(source)
    if not users:
        return None
    more = f" and {len(users) - 1} more" if len(users) > 1 else ""
    return ImagePurpose(
        "taken as a base image: other Dockerfiles of this repository start FROM an image of "
        f"its name ({users[0]}{more})",
        False,
    )


def build_tools(command: SimpleCommand) -> list[str]:
    """Build tools or package managers `command` installs (compilers, headers, git, poetry)."""
    verb = _INSTALLERS.get(command.program)
    operands = command.operands()
    if verb is not None and verb in operands:
        after = operands[operands.index(verb) + 1 :]
        return [p for p in after if _BUILD_PACKAGE.match(p)]
    packages = pip_install(command)
    if packages is not None:
        return [p for p in packages if re.match(r"^(poetry|pipenv|pdm|hatch)([=<>!~].*)?$", p)]
    if command.program == "pipx" and "install" in command.words and "poetry" in command.words:
        return ["poetry"]
    return []


def _removed(instruction: Instruction, package: str) -> bool:
    for command in commands(instruction):
        verbs = _REMOVERS.get(command.program, ())
        if any(v in command.words for v in verbs) and package.split("=")[0] in command.words:
            return True
    return False


@dataclass(frozen=True)
class _Install:
    """Build tools one RUN installs and leaves in the image, and the first later command of
    the image that builds with them (None when the Dockerfile shows none)."""

    instruction: Instruction
    tools: list[str]
    built_by: RunCommand | None

    @property
    def certainly_for_building(self) -> bool:
        """Whether these are compilers or headers and the Dockerfile itself builds with them
        afterwards; otherwise the image may need them at run time (notebooks where users
        build packages, JIT-compiled kernels, asset builders), which pitstop cannot see."""
        return self.built_by is not None and any(_COMPILER.match(t) for t in self.tools)


def _installs(lineage: tuple[Stage, ...]) -> Iterator[_Install]:
    runs = [(p.instruction, r) for p in walk(lineage) for r in p.instruction.run_commands]
    for index, (instruction, run) in enumerate(runs):
        after = runs[index + 1 :]
        same_run = tuple(r.command for i, r in after if i is instruction)
        if _removed_as_group(run.command, same_run):
            continue
        tools = [t for t in build_tools(run.command) if not _removed(instruction, t)]
        if tools:
            built_by = next((r for _, r in after if _builds(r.command)), None)
            yield _Install(instruction, tools, built_by)


# Commands that compile: a Python package install or wheel build (sdists compile C
# extensions), make, cmake, configure, cargo, go and the compilers themselves.
_BUILD_PROGRAMS = frozenset({"make", "cmake", "configure", "gcc", "cc", "g++", "clang", "ninja"})


def _builds(command: SimpleCommand) -> bool:
    if pip_install(command) is not None or command.program in _BUILD_PROGRAMS:
        return True
    operands = command.operands()[:1]
    return (
        (command.program in ("pip", "pip3") and operands == ("wheel",))
        or (command.program == "uv" and operands == ("sync",))
        or (command.program in ("poetry", "pdm", "pipenv") and operands == ("install",))
        or (command.program in ("cargo", "go") and operands in (("build",), ("install",)))
        or (command.program.startswith("python") and "setup.py" in command.words)
    )


def _removed_as_group(install: SimpleCommand, later: tuple[SimpleCommand, ...]) -> bool:
    """Whether a later command of the same RUN removes everything `install` installed:
    `apk add --virtual NAME ...` then `apk del NAME`, or apt's `apt-mark auto` then
    `apt-get purge --auto-remove` (the official images' pattern), so nothing ships."""
    if install.program == "apk":
        group = _flag_value(install, "--virtual", "-t")
        return group is not None and any(
            c.program == "apk" and "del" in c.words and group in c.words for c in later
        )
    if install.program in ("apt-get", "apt"):
        marked = any(c.program == "apt-mark" and "auto" in c.words for c in later)
        return marked and any(
            c.program in ("apt-get", "apt")
            and ("autoremove" in c.words or "--auto-remove" in c.words)
            for c in later
        )
    return False


def _flag_value(command: SimpleCommand, *names: str) -> str | None:
    for index, word in enumerate(command.words):
        for name in names:
            if word.startswith(f"{name}="):
                return word.split("=", 1)[1]
            if word == name and index + 1 < len(command.words):
                return command.words[index + 1]
    return None


def check_build_tools_shipped(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    if not source.is_multi_stage():
        return
    for shipped, lineage in shipped_lineages(source):
        if _devel_base(lineage[0].base_image or ""):
            continue  # the base ships a toolchain already: a builder stage would not drop it
        for install in _installs(lineage):
            yield _build_tools_hit(
                source, install, f'the shipped stage "{shipped.label}"', "a builder stage"
            )


_DEVEL_BASE = re.compile(r"(?:^|[-_:/.])(devel|dev|sdk|buildpack-deps|dev-complete)(?:[-_:./]|$)")


def _devel_base(image: str) -> bool:
    """Whether the base image is a development image (`nvidia/cuda:...-devel-...`,
    `rocm/dev-ubuntu-22.04`, `buildpack-deps`, `...-sdk`): it ships compilers itself."""
    return bool(_DEVEL_BASE.search(image.lower()))


def check_single_stage_build_tools(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    if source.is_multi_stage():
        return
    for install in _installs(source.dockerfile.stages):
        yield _build_tools_hit(
            source,
            install,
            "the image this single-stage Dockerfile ships",
            "a builder stage on the same base (compile, build wheels or a virtualenv)",
        )


def _build_tools_hit(source: DockerfileSource, install: _Install, where: str, stage: str) -> Hit:
    tools = ", ".join(install.tools)
    one = len(install.tools) == 1
    stays, them, they = ("stays", "it", "it is") if one else ("stay", "them", "they are")
    advice = (
        f"install {them} in {stage} and copy only the built artifacts (wheels, a virtualenv) "
        "into the image that ships (COPY --from)."
    )
    location = at(source, install.instruction, re.escape(install.tools[0].split("=")[0]))
    if install.built_by is not None and install.certainly_for_building:
        command = " ".join(install.built_by.command.words)
        command = command if len(command) <= 40 else command[:39] + "…"
        return Hit(
            location,
            f"{tools} installed here {stays} in {where}. Compilers and headers build software, "
            f"and this Dockerfile builds afterwards (`{command}` on line "
            f"{install.built_by.line}): unless something compiles at run time, {advice}",
        )
    return Hit(
        location,
        f"{tools} installed here {stays} in {where}. If {they} only needed to build, {advice} "
        "(Info only: pitstop cannot tell whether the image "
        "builds at run time, as notebook images, JIT-compiled kernels and asset builders do.)",
        severity=Severity.INFO,
    )


def _is_root(user: str) -> bool:
    name = user.split(":")[0].strip()
    return name in ("root", "0", "")


def check_root_user(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for shipped, lineage in shipped_lineages(source):
        users = [p.instruction for p in walk(lineage) if p.instruction.keyword == "USER"]
        if users and not _is_root(users[-1].args[0]):
            continue
        base = lineage[0].base_image or ""
        if not users and ("nonroot" in base or not _official(base)):
            continue  # another image's user is not visible from here: nothing certain to say
        if not users and not _runs_a_service(lineage):
            continue  # a tool, base or build image: the advice is for services
        hit = _root_hit(source, shipped, base, users[-1] if users else None)
        note = _why_root(source, project, lineage)
        if note is not None:
            lead = "" if hit.severity is Severity.INFO else " Info only:"
            hit = replace(hit, message=f"{hit.message}{lead} {note}", severity=Severity.INFO)
        yield hit


# Programs that serve requests or jobs: an image whose command runs one is a service.
_SERVERS = frozenset(
    {
        "gunicorn",
        "uvicorn",
        "daphne",
        "hypercorn",
        "granian",
        "uwsgi",
        "waitress-serve",
        "celery",
        "dramatiq",
        "rq",
        "flask",
        "streamlit",
        "nginx",
        "httpd",
        "apache2-foreground",
        "node",
        "java",
    }
)


def _runs_a_service(lineage: tuple[Stage, ...]) -> bool:
    """Whether the image evidently runs an application server: its CMD or ENTRYPOINT names
    one. A port alone does not tell: supervisors, host monitors and tools with a preview
    server EXPOSE ports and run as root by design, and a base image for others or a CLI
    tool run on mounted files is a different question, which PS103 does not answer."""
    words: list[str] = []
    for keyword in ("ENTRYPOINT", "CMD"):
        instruction = _effective(lineage, keyword)
        if instruction is not None:
            words += [w for arg in instruction.args for w in arg.split()]
    return any(posixpath.basename(word.strip("\"'")) in _SERVERS for word in words)


def _root_hit(source: DockerfileSource, shipped: Stage, base: str, user: Instruction | None) -> Hit:
    name = shipped_name(shipped, source)
    if user is not None:
        # An explicit `USER root` is a decision (cron, supervisord and s6 images start as
        # root), not an omission: said, not blamed.
        return Hit(
            source.location(user.line),
            f"{name} ends as root: an explicit `USER {user.args[0]}` is taken as deliberate, as "
            "in images that run cron, supervisord or an init such as s6. If the service it starts "
            "does not need root, have it drop privileges (gosu, su-exec) or switch back with "
            "`USER <name>` after the steps that need root.",
            severity=Severity.INFO,
        )
    if _official(base):
        return Hit(
            source.location(shipped.line),
            f"{name} sets no USER and `{base}` runs as root, so the "
            "process runs as root: create a user and add `USER <name>` before CMD.",
        )
    return Hit(
        source.location(shipped.line),
        f"{name} sets no USER, so the process runs as root "
        f"unless the base image {_shown(base)} sets another user (pitstop does not read "
        "images): check it, or add `USER <name>` before CMD.",
        severity=Severity.INFO,
    )


def _why_root(source: DockerfileSource, project: Project, lineage: tuple[Stage, ...]) -> str | None:
    """Why starting as root is probably the design: something drops to another user before
    the service starts (seen), or a privilege-drop tool is installed and the entrypoint
    script that would use it cannot be read (assumed)."""
    dropped = _privilege_drop(source, project, lineage)
    if dropped is not None:
        return (
            f"{dropped} drops to another user before the service starts; that is the usual "
            "pattern for images that fix volume ownership as root first."
        )
    tool = _installed_drop_tool(lineage)
    script = _unread_entrypoint(source, project, lineage)
    if tool is not None and script is not None:
        return (
            f"the image installs {tool} and its entrypoint {script} could not be read, so "
            f"pitstop assumed the entrypoint drops privileges with {tool}, the usual pattern "
            "for images that fix volume ownership as root first."
        )
    return None


# Official distribution and language images: they set no USER, so they run as root.
_ROOT_BASES = frozenset(
    {
        "scratch",
        "busybox",
        "alpine",
        "debian",
        "ubuntu",
        "fedora",
        "centos",
        "rockylinux",
        "almalinux",
        "amazonlinux",
        "oraclelinux",
        "archlinux",
        "opensuse/leap",
        "buildpack-deps",
        "python",
        "pypy",
        "node",
        "golang",
        "rust",
        "ruby",
        "php",
        "perl",
        "openjdk",
        "eclipse-temurin",
        "amazoncorretto",
        "gcc",
        "swift",
        "elixir",
        "erlang",
        "haskell",
    }
)


def _shown(image: str) -> str:
    return f"`{image}`" if image else "(named by a build argument with no default)"


def _official(image: str) -> bool:
    """Whether `image` is an official distribution or language image (root by default)."""
    name = re.sub(r"^(docker\.io/)?(library/)?", "", image.split("@")[0]).split(":")[0]
    return name.lower() in _ROOT_BASES


def _privilege_drop(
    source: DockerfileSource, project: Project, lineage: tuple[Stage, ...]
) -> str | None:
    """What drops root at run time: the command, its entrypoint script, or compose `user:`."""
    users = {b.run_user for b in source.builds if b.run_user}
    if users and all(not _is_root(u) for u in users):
        return f"compose runs the service as `{sorted(users)[0]}` (`user:`), which"
    for keyword in ("ENTRYPOINT", "CMD"):
        instruction = _effective(lineage, keyword)
        if instruction is None:
            continue
        match = _PRIVILEGE_DROP.search(" ".join(instruction.args))
        if match is not None:
            return f"the {keyword} runs `{match.group(0)}`, which"
        for script in _scripts(instruction):
            found = _script_text(source, project, lineage, script)
            if found is not None and (match := _PRIVILEGE_DROP.search(found[1])):
                return f"its entrypoint script {found[0]} runs `{match.group(0)}`, which"
    return None


# Tools made only to start a service as another user from a root entrypoint (tini and
# dumb-init are inits, they drop nothing).
_DROP_TOOL = re.compile(r"\b(gosu|su-exec|s6-overlay)\b")


def _installed_drop_tool(lineage: tuple[Stage, ...]) -> str | None:
    """The privilege-drop tool a RUN, COPY or ADD of the lineage installs, if any."""
    for placed in walk(lineage):
        instruction = placed.instruction
        if instruction.keyword in ("RUN", "COPY", "ADD"):
            match = _DROP_TOOL.search(" ".join(instruction.flags + instruction.args))
            if match is not None:
                return match.group(0)
    return None


def _unread_entrypoint(
    source: DockerfileSource, project: Project, lineage: tuple[Stage, ...]
) -> str | None:
    """The script the entrypoint (or, without one, the command) runs when pitstop cannot
    read what it does: not copied from this repository, unreadable, or empty."""
    instruction = _effective(lineage, "ENTRYPOINT") or _effective(lineage, "CMD")
    for script in _scripts(instruction) if instruction is not None else []:
        found = _script_text(source, project, lineage, script)
        if found is None or not found[1].strip():
            return f"`{script}`"
    return None


def _scripts(instruction: Instruction) -> list[str]:
    words = " ".join(instruction.args).split()
    return [w for w in words if w.endswith(".sh") or w.startswith(("/", "./"))]


def _script_text(
    source: DockerfileSource, project: Project, lineage: tuple[Stage, ...], script: str
) -> tuple[str, str] | None:
    """(repository path, text) of the file COPY put at `script` in the image, if it is here."""
    placed = list(walk(lineage))
    target = container_path(placed[-1].workdir if placed else "/", script)
    for item in reversed(placed):
        destination = copy_destination(item)
        if destination is None:
            continue
        for copy in source.copies:
            if copy.instruction is not item.instruction:
                continue
            name = posixpath.basename(copy.cleaned)
            if target in (destination, posixpath.join(destination, name)):
                try:
                    return copy.in_repository, project.tree.read_text(copy.in_repository)
                except PitstopError:
                    return None  # not readable text: nothing can be said of it
    return None


def _effective(lineage: tuple[Stage, ...], keyword: str) -> Instruction | None:
    found = [p.instruction for p in walk(lineage) if p.instruction.keyword == keyword]
    return found[-1] if found else None


def check_healthcheck(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    # Only what certainly breaks: compose refuses to start a service that waits with
    # `condition: service_healthy` for one that has no healthcheck. Whether anything else
    # needs a HEALTHCHECK depends on the platform (Kubernetes and Cloud Run ignore it).
    for build in source.builds:
        target = source.dockerfile.stage(build.target) if build.target else None
        shipped = target or source.dockerfile.last_stage
        probe = _image_probe(source, shipped)
        waited: dict[str, list[HealthyWait]] = {}
        for wait in build.healthy_waits:
            waited.setdefault(wait.service, []).append(wait)
        for waits in waited.values():
            own = waits[0].healthcheck
            if own or (own is None and probe is not None and probe.args[:1] != ("NONE",)):
                continue
            hit = _unhealthy_wait_hit(source, build, shipped, probe, waits)
            yield _with_override(hit, project, build)


def _with_override(hit: Hit, project: Project, build: Build) -> Hit:
    """Info when an override file that `docker compose up` merges in sits beside the compose
    file: it may give the service a healthcheck (pitstop reads each compose file alone)."""
    compose = build.declared_at.path if build.declared_at is not None else ""
    folder = posixpath.dirname(compose)
    for name in _OVERRIDES:
        override = posixpath.join(folder, name)
        if override != compose and project.tree.exists(override):
            note = (
                f" (Info only: `docker compose up` also merges {override}, which may add one; "
                "pitstop reads each compose file alone.)"
            )
            return replace(hit, message=hit.message + note, severity=Severity.INFO)
    return hit


# The files `docker compose up` merges into compose.yaml / docker-compose.yml by default.
_OVERRIDES = (
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)


def _image_probe(source: DockerfileSource, shipped: Stage) -> Instruction | None:
    """The HEALTHCHECK in force in `shipped`, through its FROM chain; a chain whose first
    FROM names a stage by a variable (`FROM deps-${TARGETARCH}`) goes on through the
    stages that name can be."""
    lineage = source.dockerfile.lineage(shipped)
    probe = _effective(lineage, "HEALTHCHECK")
    if probe is not None:
        return probe
    probes = [
        _effective(source.dockerfile.lineage(s), "HEALTHCHECK")
        for s in _named_by(source, lineage[0])
    ]
    # One of them probing is enough to make the failure uncertain: not reported.
    return next((p for p in probes if p is not None and p.args[:1] != ("NONE",)), None)


def _named_by(source: DockerfileSource, stage: Stage) -> list[Stage]:
    """The earlier stages a FROM with a variable can name (none for a plain image)."""
    base = stage.base_image or ""
    if "$" not in base:
        return []
    parts = re.split(r"\$\{[^}]*\}|\$\w+", base)
    pattern = re.compile(".+".join(re.escape(part) for part in parts))
    return [
        s
        for s in source.dockerfile.stages[: stage.index]
        if s.name is not None and pattern.fullmatch(s.name)
    ]


def _certainly_no_probe(source: DockerfileSource, shipped: Stage) -> bool:
    """Whether the images the shipped stage starts from certainly define no HEALTHCHECK:
    official images define none; others may, and pitstop does not read images."""
    root = source.dockerfile.lineage(shipped)[0]
    named = _named_by(source, root)
    if named:
        return all(_certainly_no_probe(source, s) for s in named)
    return _official(root.base_image or "")


def _unhealthy_wait_hit(
    source: DockerfileSource,
    build: Build,
    shipped: Stage,
    probe: Instruction | None,
    waits: list[HealthyWait],
) -> Hit:
    compose = build.declared_at.path if build.declared_at is not None else "compose"
    service, own = waits[0].service, waits[0].healthcheck
    name = shipped_name(shipped, source)
    line = shipped.line
    if own is False:
        why = f"the compose service `{service}` disables its healthcheck"
    elif probe is not None:
        why, line = f"{name} turns its healthcheck off (`HEALTHCHECK NONE`)", probe.line
    else:
        why = f"neither the compose service `{service}` nor {name} defines a healthcheck"
    assumed = own is None and probe is None and not _certainly_no_probe(source, shipped)
    root = source.dockerfile.lineage(shipped)[0]
    unless = (
        f" (unless the image it starts from, {_shown(root.base)}, defines a HEALTHCHECK: "
        "pitstop does not read images)"
        if assumed
        else ""
    )
    dependants = " and ".join(f"`{w.dependant}` ({compose}:{w.line})" for w in waits)
    return Hit(
        source.location(line),
        f"{dependants} {'wait' if len(waits) > 1 else 'waits'} for `{service}` with "
        f"`condition: service_healthy`, but {why}{unless}: `docker compose up` with that file "
        'then fails with "container ... has no healthcheck configured". Add a '
        f"`HEALTHCHECK CMD ...` probing the service here, or a `healthcheck:` with a `test` to "
        f"`{service}` in "
        f"{compose}.",
        related=tuple(
            Related(Location(compose, w.line), f"`{w.dependant}` waits here") for w in waits
        ),
        severity=Severity.INFO if assumed else None,
    )


def _shell_form_commands(source: DockerfileSource) -> Iterator[tuple[Stage, Instruction]]:
    seen: set[int] = set()
    for shipped, lineage in shipped_lineages(source):
        for keyword in ("ENTRYPOINT", "CMD"):
            instruction = _effective(lineage, keyword)
            if (
                instruction is not None
                and not instruction.json_form
                and instruction.line not in seen
            ):
                seen.add(instruction.line)
                yield shipped, instruction


def _script(instruction: Instruction) -> str:
    return " ".join(instruction.args).strip()


def check_signals(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for _, instruction in _shell_form_commands(source):
        script = _script(instruction)
        if ends_in_exec(script):
            continue  # the exec'd program replaces the shell and gets the signals (PS106)
        single = as_one_command(script)
        if single is not None:
            yield _single_command_hit(source, instruction, script, single.words[0])
        else:
            yield _script_hit(source, instruction, script)


def _single_command_hit(
    source: DockerfileSource, instruction: Instruction, script: str, program: str
) -> Hit:
    return Hit(
        at(source, instruction, re.escape(program)),
        f'shell-form {instruction.keyword} runs `/bin/sh -c "{script}"`: the shell is PID 1 '
        f"and does not pass SIGTERM on to {program}, so `docker stop` and rolling deploys kill "
        "it after the grace period instead of letting it shut down cleanly. Use the exec form "
        f'({instruction.keyword} ["{program}", ...]) or start the command with `exec`.',
        fix=_exec_fix(source, instruction, script, program),
    )


_NOT_RUN_LAST = frozenset({"exec", "set", "cd", "export", "true", "false", ":"})


def _script_hit(source: DockerfileSource, instruction: Instruction, script: str) -> Hit:
    # A chain, a substitution or a builtin needs the shell: no exec form says the same, so
    # the advice is in words (exec the last command), and no fix is offered.
    last = [w for w in last_in_sequence(script) if "=" not in w.split(" ")[0]]
    program = last[0] if last and last[0] not in _NOT_RUN_LAST else None
    advice = (
        f"put `exec` in front of the command it runs last (`exec {program} ...`) so {program} "
        "replaces the shell and receives the signals"
        if program is not None and "|" not in last
        else "end the script with `exec` and the long-running command, so that command "
        "replaces the shell and receives the signals"
    )
    return Hit(
        at(source, instruction, rf"\b{instruction.keyword}\b"),
        f"shell-form {instruction.keyword} runs a shell script under `/bin/sh -c`: the shell is "
        "PID 1 and does not pass SIGTERM on to the process it starts, so `docker stop` and "
        "rolling deploys kill it after the grace period instead of letting it shut down cleanly. "
        f"Keep the shell form and {advice}, or move the script into an entrypoint script that "
        "ends in `exec`.",
    )


def _exec_fix(
    source: DockerfileSource, instruction: Instruction, script: str, program: str
) -> Fix | None:
    # Prefixing `exec` is safe only for one simple command (as_one_command): with `&&` or `|`
    # it would change what runs. Variables still expand, because the shell still parses it.
    if instruction.line != instruction.end_line:
        return None
    line = source.dockerfile.lines[instruction.line - 1]
    match = re.match(rf"\s*{instruction.keyword}\s+", line, re.IGNORECASE)
    if match is None or not line[match.end() :].startswith(program):
        return None
    column = match.end() + 1
    edit = TextEdit(source.path, instruction.line, column, instruction.line, column, "exec ")
    return Fix(f"prefix the {instruction.keyword} with `exec` so {program} runs as PID 1", (edit,))


def check_shell_form(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for _, instruction in _shell_form_commands(source):
        script = _script(instruction)
        if not ends_in_exec(script):
            continue  # PS105 reports it
        single = script.startswith("exec ") and as_one_command(script[5:]) is not None
        if instruction.keyword == "ENTRYPOINT":
            fix = (
                'Use the exec form (ENTRYPOINT ["..."]).'
                if single
                else "Move the script into a file that ends in `exec` and name it in the exec "
                'form (ENTRYPOINT ["/entrypoint.sh"]).'
            )
            message = (
                "shell-form ENTRYPOINT ignores CMD and every `docker run` argument; `exec` does "
                f"make signals reach the process. {fix}"
            )
        elif single:
            message = (
                "`exec` makes signals reach the process, so this works; the exec form "
                '(CMD ["...", ...]) says the same without a shell. Keep the shell form only if '
                "it expands variables such as ${PORT}."
            )
        else:
            continue  # a script that ends in exec needs its shell: nothing to change
        yield Hit(at(source, instruction, r"\bexec\b"), message)


RULES = (
    Rule(
        "PS101",
        "build-tools-in-shipped-stage",
        "Build tools in the shipped stage",
        Severity.WARNING,
        Area.DOCKERFILE,
        "Compilers, `-dev` headers and package managers such as Poetry are needed to build "
        "wheels, not to run them. In the stage that ships they add hundreds of megabytes to every "
        "pull and every cold start, and give an attacker a toolchain. Some images do build at "
        "run time (notebooks, JIT-compiled kernels, asset builders), which pitstop cannot see: "
        "a warning only for compilers and headers that a later command of the Dockerfile builds "
        "with, info otherwise. git, curl and wget are not counted: images use them at run time.",
        check_dockerfile=judged_as_runtime(check_build_tools_shipped),
    ),
    Rule(
        "PS102",
        "single-stage-build-tools",
        "Single-stage image installs build tools",
        Severity.WARNING,
        Area.DOCKERFILE,
        "A single-stage Dockerfile ships everything it needed to build. A multi-stage build keeps "
        "compilers and package managers in a builder stage and copies only wheels or a virtualenv "
        "into a slim runtime stage: smaller images, faster pulls, a smaller attack surface. As "
        "for PS101, a warning only for compilers and headers a later command builds with.",
        check_dockerfile=judged_as_runtime(check_single_stage_build_tools),
    ),
    Rule(
        "PS103",
        "runs-as-root",
        "Shipped stage runs as root",
        Severity.WARNING,
        Area.SECURITY,
        "A process running as root inside the container is root on the host's kernel interface: "
        "a container escape or a writable mount becomes a host compromise. Create an unprivileged "
        "user and switch to it with `USER` before the command runs. Reported only where it is "
        "certain and matters: an official base image (which runs as root) under an image whose "
        "CMD or ENTRYPOINT runs an application server (gunicorn, uvicorn, celery, ...); another "
        "image's user is not visible, and tools, base images, supervisors and host monitors "
        "run as root by design. An explicit `USER root`, and an image that starts as root to "
        "drop privileges (gosu, su-exec, s6), are info.",
        check_dockerfile=judged_as_runtime(check_root_user),
    ),
    Rule(
        "PS104",
        "missing-healthcheck",
        "Compose waits for a healthcheck the image lacks",
        Severity.WARNING,
        Area.DOCKERFILE,
        "A compose service that `depends_on` another with `condition: service_healthy` makes "
        "`docker compose up` fail when that service has no healthcheck: neither a compose "
        "`healthcheck:` nor a HEALTHCHECK in its image (inherited through FROM; `HEALTHCHECK "
        "NONE` is none). Whether other images need a HEALTHCHECK depends on the platform "
        "(Kubernetes and Cloud Run ignore it), so pitstop reports only this case.",
        check_dockerfile=check_healthcheck,
    ),
    Rule(
        "PS105",
        "signals-not-forwarded",
        "Shell-form CMD or ENTRYPOINT does not forward signals",
        Severity.WARNING,
        Area.DOCKERFILE,
        "In shell form, Docker runs the command under `/bin/sh -c`; the shell becomes PID 1 and "
        "does not forward SIGTERM. `docker stop`, Cloud Run and Kubernetes then kill the process "
        "after the grace period, dropping in-flight requests. The exec form, or `exec` in front of "
        "a single command, makes the process itself PID 1; a script (a `&&` chain, `$(...)`, "
        "`set`, `cd`) keeps its shell and execs its last command. A script that already ends in "
        "`exec` forwards signals and is not reported.",
        check_dockerfile=check_signals,
        fixable=True,
    ),
    Rule(
        "PS106",
        "shell-form-command",
        "Shell-form CMD or ENTRYPOINT",
        Severity.INFO,
        Area.DOCKERFILE,
        "A shell-form command with `exec` does receive signals, but a shell-form ENTRYPOINT "
        "ignores CMD and `docker run` arguments, and the shell form hides from readers and tools "
        "which program runs. The exec form is the documented default.",
        check_dockerfile=check_shell_form,
    ),
)
