"""Secret rules: credentials written into ARG or ENV end up in the image or its history."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pitstop.model import Area, Severity
from pitstop.parsers.dockerfile import Instruction, env_pairs, mount_options, parse_arg_pairs
from pitstop.review.project import DockerfileSource, Project
from pitstop.review.rules.base import Hit, Rule

_SECRET_NAME = re.compile(
    r"(^|_)(TOKEN|PASSWORD|PASSWD|PASS|SECRET|KEY|APIKEY|CREDENTIALS?|PRIVATE_KEY)$", re.IGNORECASE
)
# Names that match the pattern but hold public values (a GPG fingerprint in the official
# python image, public keys, key ids).
_NOT_SECRET = re.compile(r"(^GPG_KEY$|PUBLIC_KEY$|_KEY_ID$|^KEY$|_PUB_KEY$)", re.IGNORECASE)
# Values that switch a feature off or point at a file, not credentials: `GOOGLE_API_KEY=no`,
# `DB_PASSWORD=/run/secrets/db`.
_NOT_A_VALUE = re.compile(
    r"^(no|none|null|nil|false|true|off|on|0|1|disabled|unset|\.|/.*)$", re.IGNORECASE
)
_REFERENCE = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*(:?-[^}]*)?\}?$")


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name)) and not _NOT_SECRET.search(name)


def _declarations(source: DockerfileSource) -> Iterator[tuple[Instruction, str, str | None]]:
    """(instruction, name, value or None) for every ARG and ENV in the file."""
    instructions = list(source.dockerfile.global_args)
    for stage in source.dockerfile.stages:
        instructions += [i for i in stage.instructions if i.keyword in ("ARG", "ENV")]
    for instruction in instructions:
        pairs = (
            parse_arg_pairs(instruction).items()
            if instruction.keyword == "ARG"
            else env_pairs(instruction)
        )
        for name, value in pairs:
            if is_secret_name(name):
                yield instruction, name, value


def _column(source: DockerfileSource, instruction: Instruction, name: str) -> int:
    found = source.dockerfile.lines[instruction.line - 1].find(name)
    return found + 1 if found >= 0 else 1


def check_literal_secret(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for instruction, name, value in _declarations(source):
        if not value or _REFERENCE.match(value) or _NOT_A_VALUE.match(value):
            continue
        yield Hit(
            source.location(instruction.line, _column(source, instruction, name)),
            f"{instruction.keyword} {name} holds a literal value ({len(value)} characters, not "
            "shown): it is stored in the image "
            + (
                "config, visible to anyone who can pull it"
                if instruction.keyword == "ENV"
                else "history and build cache"
            )
            + ". Remove it, rotate the credential, and pass it at build time with "
            "`RUN --mount=type=secret,id=...` or at run time from a secret manager.",
        )


def _secret_mounts(source: DockerfileSource) -> frozenset[str]:
    """Ids and env names of every `RUN --mount=type=secret` in the Dockerfile, lower case."""
    found = set()
    for stage in source.dockerfile.stages:
        for instruction in stage.of("RUN"):
            for mount in instruction.flag_values("mount"):
                options = mount_options(mount)
                if options.get("type") == "secret":
                    found |= {options.get("id", "").lower(), options.get("env", "").lower()}
    return frozenset(found - {""})


def check_secret_build_arg(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    mounted = _secret_mounts(source)
    for instruction, name, value in _declarations(source):
        if name.lower() in mounted:
            continue  # the credential arrives as a build secret: the advice is followed already
        if instruction.keyword == "ARG" and not value:
            detail = (
                f"a value passed with --build-arg {name}=... is recorded in the image "
                "history and in build provenance"
            )
        elif instruction.keyword == "ENV" and value and _REFERENCE.match(value):
            detail = (
                f"ENV {name}={value} copies a build argument into the image config, "
                "where anyone who pulls the image can read it"
            )
        else:
            continue
        yield Hit(
            source.location(instruction.line, _column(source, instruction, name)),
            f"{detail}. Use a build secret (`RUN --mount=type=secret,id={name.lower()}` with "
            f"`--secret id={name.lower()},env={name}`) so it never enters a layer.",
        )


RULES = (
    Rule(
        "PS150",
        "secret-in-dockerfile",
        "Secret value in ARG or ENV",
        Severity.BLOCKING,
        Area.SECURITY,
        "A credential written into an ENV is part of the image config; in an ARG it is in the "
        "image history and the build cache. Anyone who can pull the image, or read the "
        "repository, has it. It must be rotated and supplied as a build secret or at run time.",
        check_dockerfile=check_literal_secret,
    ),
    Rule(
        "PS151",
        "secret-build-arg",
        "Secret passed as a build argument",
        Severity.WARNING,
        Area.SECURITY,
        "Build arguments are not secret: their values appear in `docker history`, in provenance "
        "attestations and, once copied into ENV, in the image config. BuildKit secret mounts "
        "make a credential available to one RUN without storing it anywhere.",
        check_dockerfile=check_secret_build_arg,
    ),
)
