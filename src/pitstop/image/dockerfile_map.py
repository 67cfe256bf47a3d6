"""Which Dockerfile instruction wrote each history step.

Builders write a step's `created_by` in their own words:

- BuildKit: `RUN /bin/sh -c pip install . # buildkit`, `COPY app /app # buildkit`,
  `WORKDIR /app`, `ENV A=b`, `CMD ["python" "app.py"]`, `EXPOSE map[8000/tcp:{}]`; a RUN that
  sees build arguments is prefixed `|2 A=1 B=2`;
- the legacy builder: `/bin/sh -c #(nop)  COPY file:3a4b... in /app` (the sources are a
  content hash, so only the destination can be compared), `/bin/sh -c #(nop)  ENV A=b`,
  and a RUN as its bare command, `/bin/sh -c pip install .`;
- buildah: whatever `--created-by` said, often one of the above.

A step is matched to an instruction only when their keyword and arguments agree once
spacing and JSON quoting are set aside; steps and instructions are matched in order, from
the top of the image down, so a step never takes an instruction above the one its successor
took. A step that matches nothing gets no line: never a wrong one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pitstop.image.records import (
    DockerfileLine as DockerfileLine,
)
from pitstop.parsers.dockerfile import (
    KNOWN_INSTRUCTIONS,
    Dockerfile,
    Instruction,
    env_pairs,
)

DEFAULT_SHELL: tuple[str, ...] = ("/bin/sh", "-c")
_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s+")
_BUILD_ARGS = re.compile(r"^\|(\d+)\s+")
_LEGACY_SOURCE = re.compile(r"^(?:file|dir|multi):\S+ in (?P<dest>.+)$")
_PORT = re.compile(r"(\d+)(?:/([a-z]+))?")


def shipped_instructions(
    dockerfile: Dockerfile, target: str | None = None
) -> tuple[Instruction, ...]:
    """The instructions whose steps an image of `target` (default: the last stage) holds:
    those of its stage and of the stages it is built FROM, oldest first."""
    stage = dockerfile.stage(target) if target is not None else dockerfile.last_stage
    if stage is None:
        return ()
    return tuple(i for s in dockerfile.lineage(stage) for i in s.instructions)


def align(
    created_by: Sequence[str | None], instructions: Sequence[Instruction]
) -> dict[int, Instruction]:
    """Step index -> the instruction that wrote it, matched from the top down and in order."""
    shells = _shells(instructions)
    found: dict[int, Instruction] = {}
    remaining = len(instructions)
    for index in reversed(range(len(created_by))):
        text = created_by[index]
        if text is None or remaining == 0:
            continue
        for candidate in reversed(range(remaining)):
            if matches(text, instructions[candidate], shells[candidate]):
                found[index], remaining = instructions[candidate], candidate
                break
    return found


def _shells(instructions: Sequence[Instruction]) -> list[tuple[str, ...]]:
    """The shell each instruction's shell form runs in: `/bin/sh -c` until a SHELL sets
    another (a stage inherits its parent's, as the list is the lineage in order)."""
    shells: list[tuple[str, ...]] = []
    shell = DEFAULT_SHELL
    for instruction in instructions:
        if instruction.keyword == "SHELL" and instruction.json_form:
            shell = instruction.args
        shells.append(shell)
    return shells


def matches(
    created_by: str, instruction: Instruction, shell: Sequence[str] = DEFAULT_SHELL
) -> bool:
    """Whether the history's `created_by` text describes `instruction` (a shell-form RUN
    run by `shell`)."""
    keyword, rest = split_created_by(created_by)
    if keyword != instruction.keyword or instruction.heredocs:
        return False
    if keyword == "RUN":
        return _same_run(rest, instruction, shell)
    if keyword in ("COPY", "ADD"):
        return _same_copy(rest, instruction)
    if keyword == "EXPOSE":
        return _ports(rest) == _ports(" ".join(instruction.args))
    return _same_words(rest, instruction)


def split_created_by(text: str) -> tuple[str, str]:
    """(keyword, arguments) of a `created_by`; a bare command is the legacy builder's RUN."""
    text = text.strip().removesuffix("# buildkit").rstrip()
    nop = _NOP.match(text)
    if nop is not None:
        keyword, _, rest = text[nop.end() :].partition(" ")
        return keyword.upper(), rest.strip()
    word, _, rest = text.partition(" ")
    if word in KNOWN_INSTRUCTIONS:  # BuildKit's form, upper case as it writes it
        return word, rest.strip()
    return "RUN", text


def _same_run(rest: str, instruction: Instruction, shell: Sequence[str]) -> bool:
    command = _normal(_without_build_args(rest))
    if instruction.json_form:
        return command == _normal(" ".join(instruction.args))
    return command == _normal(" ".join((*shell, instruction.shell_script)))


def _without_build_args(rest: str) -> str:
    """`|2 A=1 B=2 /bin/sh -c ...` without the build arguments the builder listed first."""
    found = _BUILD_ARGS.match(rest)
    if found is None:
        return rest
    words = rest[found.end() :].split(" ")
    return " ".join(words[int(found.group(1)) :])


def _same_copy(rest: str, instruction: Instruction) -> bool:
    sources = [w for w in instruction.args if w]
    legacy = _LEGACY_SOURCE.match(rest)
    if legacy is not None:
        return _path(legacy.group("dest")) == _path(sources[-1])
    written = [w for w in rest.split() if not w.startswith("--")]
    return [_path(w) for w in written] == [_path(w) for w in sources]


def _same_words(rest: str, instruction: Instruction) -> bool:
    if instruction.keyword in ("ENV", "LABEL"):
        expected = " ".join(f"{key}={value}" for key, value in env_pairs(instruction))
    else:
        expected = " ".join(instruction.args)
    written, wanted = _words(rest), _words(expected)
    if written == wanted:
        return True
    # a shell-form CMD or ENTRYPOINT is stored as ["/bin/sh" "-c" "..."]
    shell_form = instruction.keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK")
    return shell_form and not instruction.json_form and written.endswith(" -c " + wanted)


def _ports(text: str) -> set[str]:
    return {f"{port}/{proto or 'tcp'}" for port, proto in _PORT.findall(text)}


def _words(text: str) -> str:
    """Words with JSON and Go quoting set aside: `["python", "a.py"]` and `["python" "a.py"]`
    (BuildKit prints the Go form) and `python a.py` all read `python a.py`."""
    return " ".join(re.sub(r'[\[\]",]', " ", text).split())


def _normal(text: str) -> str:
    return " ".join(text.split())


def _path(word: str) -> str:
    return word.rstrip("/") or word
