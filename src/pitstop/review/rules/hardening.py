"""Hardening rules: they judge the stage that ships (a build's target, or the last stage),
including every stage it is built FROM."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import replace

from pitstop.errors import PitstopError
from pitstop.model import Area, Fix, Severity, TextEdit
from pitstop.parsers.dockerfile import Instruction, Stage
from pitstop.parsers.shell import (
    SimpleCommand,
    as_one_command,
    ends_in_exec,
    last_in_sequence,
    pip_install,
)
from pitstop.review.project import DockerfileSource, ImagePurpose, Project
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

_BUILD_PACKAGE = re.compile(
    r"^(gcc|g\+\+|gcc-[\d.]+|g\+\+-[\d.]+|cpp|clang(-[\d.]+)?|make|cmake|ninja-build|build-essential|"
    r"build-base|musl-dev|autoconf|automake|libtool|pkg-config|pkgconf|rustc|cargo|golang(-go)?|git|"
    r".+-dev|.+-devel)(=.*)?$"
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
_SERVER = re.compile(
    r"\b(uvicorn|gunicorn|hypercorn|daphne|granian|waitress-serve|runserver|flask run|nginx|httpd|"
    r"node|npm start|serve|streamlit|fastapi run)\b"
)


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


def _installs(lineage: tuple[Stage, ...]) -> Iterator[tuple[Instruction, list[str]]]:
    for placed in walk(lineage):
        run = commands(placed.instruction)
        tools = [
            tool
            for index, command in enumerate(run)
            if not _removed_as_group(command, run[index + 1 :])
            for tool in build_tools(command)
            if not _removed(placed.instruction, tool)
        ]
        if tools:
            yield placed.instruction, tools


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
        for instruction, tools in _installs(lineage):
            yield Hit(
                at(source, instruction, re.escape(tools[0].split("=")[0])),
                f'{", ".join(tools)} installed here end up in the shipped stage "{shipped.label}": '
                "install them in a builder stage and copy only the built artifacts (wheels, a "
                "virtualenv) into the runtime stage.",
            )


def check_single_stage_build_tools(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    if source.is_multi_stage():
        return
    for instruction, tools in _installs(source.dockerfile.stages):
        yield Hit(
            at(source, instruction, re.escape(tools[0].split("=")[0])),
            f"this single-stage image installs {', '.join(tools)} and ships them: split it into a "
            "builder stage (tools, compile, build wheels or a virtualenv) and a runtime stage on "
            "the same slim base that copies only the result (COPY --from=builder).",
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
        if not users and "nonroot" in base:
            continue
        dropped = _privilege_drop(source, project, lineage)
        if users:
            hit = Hit(
                source.location(users[-1].line), f"{shipped_name(shipped, source)} ends as root."
            )
        elif _official(base):
            hit = Hit(
                source.location(shipped.line),
                f"{shipped_name(shipped, source)} sets no USER and `{base}` runs as root, so the "
                "process runs as root: create a user and add `USER <name>` before CMD.",
            )
        else:
            hit = Hit(
                source.location(shipped.line),
                f"{shipped_name(shipped, source)} sets no USER, so the process runs as root "
                f"unless the base image {_shown(base)} sets another user (pitstop does not read "
                "images): check it, or add `USER <name>` before CMD.",
                severity=Severity.INFO,
            )
        if dropped is not None:
            hit = replace(
                hit,
                message=f"{hit.message} Info only: {dropped} drops to another user before the "
                "service starts; that is the usual pattern for images that fix volume "
                "ownership as root first.",
                severity=Severity.INFO,
            )
        yield hit


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
    for shipped, lineage in shipped_lineages(source):
        if _effective(lineage, "HEALTHCHECK") is not None:
            continue
        expose = _effective(lineage, "EXPOSE")
        command = _effective(lineage, "CMD") or _effective(lineage, "ENTRYPOINT")
        server = command is not None and _SERVER.search(" ".join(command.args))
        reason = expose or (command if server else None)
        if reason is None:
            continue
        what = "EXPOSEs a port" if reason is expose else "runs a server"
        yield Hit(
            source.location(reason.line),
            f"{shipped_name(shipped, source)} {what} but has no HEALTHCHECK: `docker run`, "
            "compose `depends_on: service_healthy` and swarm cannot tell a hung server from a "
            "healthy one. Add `HEALTHCHECK CMD ...` probing it, or `HEALTHCHECK NONE` to say "
            "the platform probes it (Kubernetes and Cloud Run ignore HEALTHCHECK).",
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
        "Compilers, `-dev` headers, git and package managers such as Poetry are needed to build "
        "wheels, not to run them. In the stage that ships they add hundreds of megabytes to every "
        "pull and every cold start, and give an attacker a toolchain. Install them in a builder "
        "stage and copy only the built artifacts into the runtime stage.",
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
        "into a slim runtime stage: smaller images, faster pulls, a smaller attack surface.",
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
        "user and switch to it with `USER` before the command runs.",
        check_dockerfile=judged_as_runtime(check_root_user),
    ),
    Rule(
        "PS104",
        "missing-healthcheck",
        "No HEALTHCHECK for a server image",
        Severity.INFO,
        Area.DOCKERFILE,
        "Without a HEALTHCHECK, Docker, compose and swarm consider a container healthy as soon as "
        "it starts, so dependants start too early and a hung server is never replaced. Kubernetes "
        "and Cloud Run ignore HEALTHCHECK and use their own probes: there, `HEALTHCHECK NONE` "
        "records that decision.",
        check_dockerfile=judged_as_runtime(check_healthcheck),
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
