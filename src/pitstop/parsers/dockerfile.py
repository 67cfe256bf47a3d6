"""Dockerfile text in, a typed model of stages and instructions out.

Tokenising is BuildKit's own parser (the `dockerfile` package wraps
github.com/moby/buildkit/frontend/dockerfile/parser); this module adds what the
parser leaves to BuildKit's later passes: stage structure, ARG expansion in FROM,
and the checks that make `docker build` refuse a file (unknown instruction, no
FROM, missing arguments), so pitstop rejects what Docker rejects.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace

from pitstop.errors import PitstopError
from pitstop.lines import text_lines
from pitstop.parsers.shell import SimpleCommand, split_commands

KNOWN_INSTRUCTIONS = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
})  # fmt: skip
_MIN_ARGS = {"ADD": 2, "COPY": 2, "FROM": 1, "WORKDIR": 1, "USER": 1, "ENV": 1, "ARG": 1}


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str


@dataclass(frozen=True)
class RunCommand:
    """One simple command of a RUN, with where its program word starts in the Dockerfile."""

    command: SimpleCommand
    line: int
    column: int


@dataclass(frozen=True)
class Instruction:
    """One instruction as BuildKit tokenised it; `keyword` is upper-case."""

    keyword: str
    args: tuple[str, ...]
    flags: tuple[str, ...]
    line: int
    end_line: int
    original: str
    json_form: bool = False
    heredocs: tuple[Heredoc, ...] = ()
    # The simple commands a RUN executes, each placed at its own line and column (computed
    # once by the parser so every rule reports a command where it is, not where the RUN is).
    run_commands: tuple[RunCommand, ...] = ()

    def flag(self, name: str) -> str | None:
        """The value of `--name=value` (`""` for a bare `--name`), or None when absent."""
        for raw in self.flags:
            key, sep, value = raw.partition("=")
            if key == f"--{name}":
                return value if sep else ""
        return None

    def flag_values(self, name: str) -> tuple[str, ...]:
        """Every value of a flag that may repeat, such as `--mount`."""
        values = []
        for raw in self.flags:
            key, _, value = raw.partition("=")
            if key == f"--{name}":
                values.append(value)
        return tuple(values)

    @property
    def shell_script(self) -> str:
        """The text a shell runs for a shell-form RUN/CMD/ENTRYPOINT (heredoc bodies included)."""
        if self.json_form:
            return " ".join(shlex.quote(a) for a in self.args)
        text = " ".join(self.args)
        for doc in self.heredocs:
            text += "\n" + doc.content
        return text


@dataclass(frozen=True)
class Stage:
    """A build stage: a FROM and the instructions up to the next FROM."""

    index: int
    name: str | None
    base: str
    line: int
    instructions: tuple[Instruction, ...]
    parent: int | None = None
    platform: str | None = None
    written_base: str = ""  # the image as the FROM line writes it, before ARG expansion

    @property
    def label(self) -> str:
        return self.name if self.name is not None else f"stage {self.index}"

    @property
    def base_image(self) -> str | None:
        """The image this stage starts from, or None when it starts from another stage."""
        return None if self.parent is not None else self.base

    def of(self, *keywords: str) -> tuple[Instruction, ...]:
        return tuple(i for i in self.instructions if i.keyword in keywords)


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile: global ARGs, stages in order, and the source lines."""

    path: str
    lines: tuple[str, ...]
    global_args: tuple[Instruction, ...]
    stages: tuple[Stage, ...]

    def stage(self, ref: str) -> Stage | None:
        """The stage named `ref` (case-insensitive) or numbered `ref`, as `--target`/`--from`."""
        for stage in self.stages:
            if stage.name is not None and stage.name.lower() == ref.lower():
                return stage
        index = _stage_index(ref)
        if index is not None and index < len(self.stages):
            return self.stages[index]
        return None

    @property
    def last_stage(self) -> Stage:
        return self.stages[-1]

    def lineage(self, stage: Stage) -> tuple[Stage, ...]:
        """The stages whose layers `stage` is built on, oldest first, `stage` last."""
        chain = [stage]
        while chain[-1].parent is not None:
            chain.append(self.stages[chain[-1].parent])  # parents always precede: no cycle
        return tuple(reversed(chain))

    def stages_built_for(self, target: Stage) -> tuple[Stage, ...]:
        """Every stage BuildKit builds to produce `target`: its FROM chain and the
        stages it copies or mounts from, transitively; unreferenced stages are skipped."""
        needed: set[int] = set()
        pending = [target.index]
        while pending:
            index = pending.pop()
            if index in needed:
                continue
            needed.add(index)
            stage = self.stages[index]
            if stage.parent is not None:
                pending.append(stage.parent)
            pending.extend(dep.index for dep in self._stage_sources(stage))
        return tuple(s for s in self.stages if s.index in needed)

    def _stage_sources(self, stage: Stage) -> list[Stage]:
        sources = []
        for instruction in stage.instructions:
            refs = [instruction.flag("from")] if instruction.keyword in ("COPY", "ADD") else []
            if instruction.keyword == "RUN":
                refs += [_mount_option(m, "from") for m in instruction.flag_values("mount")]
            for ref in refs:
                found = self.stage(ref) if ref else None
                if found is not None and found.index < stage.index:
                    sources.append(found)
        return sources

    def stage_of_line(self, line: int) -> Stage | None:
        owner = None
        for stage in self.stages:
            if stage.line <= line:
                owner = stage
        return owner


def _stage_index(ref: str) -> int | None:
    """`ref` as a stage number the way BuildKit reads one (Go's strconv.Atoi): ASCII digits
    only, so `²` or `٣` is a name, and a number too large for an int64 is no index."""
    if not (ref.isascii() and ref.isdigit()) or len(ref.lstrip("0")) > 18:
        return None
    return int(ref)


def _mount_option(mount: str, key: str) -> str | None:
    for part in mount.split(","):
        name, _, value = part.partition("=")
        if name.strip() == key:
            return value.strip()
    return None


def mount_options(mount: str) -> dict[str, str]:
    """`type=cache,target=/root/.cache` as a dict (a bare key maps to "")."""
    options = {}
    for part in mount.split(","):
        name, _, value = part.partition("=")
        if name.strip():
            options[name.strip()] = value.strip()
    return options


_VAR = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<modifier>:?[-+][^}]*)?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def expand_args(text: str, values: dict[str, str | None]) -> str:
    """Expand `$NAME`, `${NAME}` and `${NAME:-default}` as BuildKit does for FROM."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("bare")
        value = values.get(name)
        modifier = match.group("modifier") or ""
        if modifier.lstrip(":").startswith("-") and not value:
            return modifier.lstrip(":")[1:]
        if modifier.lstrip(":").startswith("+"):
            return modifier.lstrip(":")[1:] if value else ""
        return value if value is not None else ""

    return _VAR.sub(substitute, text)


def parse_dockerfile(text: str, path: str) -> Dockerfile:
    """Parse Dockerfile `text`; PitstopError naming `path` and line where Docker would refuse it."""
    import dockerfile as buildkit  # lazy: keeps `pitstop --version` fast

    _check_passable(text, path)
    try:
        commands = buildkit.parse_string(text)
    except buildkit.GoParseError as error:
        raise PitstopError(
            f"Dockerfile syntax error: {_one_line(str(error))}",
            path=path,
            line=_error_line(error, text),
        ) from None
    except UnicodeDecodeError:  # the package could not hand over what BuildKit split
        raise PitstopError(_SPLIT_FLAG, path=path, line=_split_flag_line(text)) from None
    lines = tuple(text_lines(text))
    escape = escape_character(lines)
    instructions = [_with_commands(_instruction(c, path), lines, escape) for c in commands]
    return _assemble(path, text, instructions)


def _instruction(command: object, path: str) -> Instruction:
    keyword = str(getattr(command, "cmd", "")).upper()
    line = int(getattr(command, "start_line", 1))
    if keyword not in KNOWN_INSTRUCTIONS:
        message = f"unknown instruction: {_one_line(keyword)} (is it a typo?)"
        raise PitstopError(message, path=path, line=line)
    sub_keyword = getattr(command, "sub_cmd", None)
    args = tuple(str(v) for v in getattr(command, "value", ()))
    if keyword == "ONBUILD" and sub_keyword:
        args = (str(sub_keyword).upper(), *args)
    heredocs = tuple(Heredoc(h.name, h.content) for h in getattr(command, "heredocs", ()))
    instruction = Instruction(
        keyword=keyword,
        args=args,
        flags=tuple(_utf8_flag(str(f)) for f in getattr(command, "flags", ())),
        line=line,
        end_line=int(getattr(command, "end_line", line)),
        original=str(getattr(command, "original", "")),
        json_form=bool(getattr(command, "json", False)),
        heredocs=heredocs,
    )
    needed = _MIN_ARGS.get(keyword, 0) - (1 if heredocs and keyword in ("COPY", "ADD") else 0)
    if len([a for a in args if a]) < needed:
        noun = "argument" if needed == 1 else "arguments"
        raise PitstopError(f"{keyword} requires at least {needed} {noun}", path=path, line=line)
    return instruction


_DIRECTIVE = re.compile(r"^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(\S+)\s*$")


def escape_character(lines: tuple[str, ...]) -> str:
    """The line-continuation character: `\\`, or what a leading `# escape=` directive sets.
    Directives are only read before the first comment, blank line or instruction."""
    for line in lines:
        match = _DIRECTIVE.match(line.strip())
        if match is None:
            break
        if match.group(1).lower() == "escape" and match.group(2) in ("`", "\\"):
            return match.group(2)
    return "\\"


@dataclass(frozen=True)
class _Script:
    """A RUN's shell text as the builder assembles it, with where each piece came from:
    `pieces` holds (offset in `text`, line, column) for each source line copied in."""

    text: str
    pieces: tuple[tuple[int, int, int], ...]
    start: int = 0  # where the shell text begins, after the RUN's flags

    @property
    def shell(self) -> str:
        return self.text[self.start :]

    def place(self, offset: int) -> tuple[int, int]:
        """(line, column) in the Dockerfile of character `offset` of `text`."""
        found = self.pieces[0]
        for piece in self.pieces:
            if piece[0] <= offset:
                found = piece
        return found[1], found[2] + offset - found[0]


_RUN_KEYWORD = re.compile(r"\s*RUN\b", re.IGNORECASE)
_FLAGS = re.compile(r"\s*(?:--\S+\s+)*")  # flags may sit on continuation lines too


def _run_script(instruction: Instruction, lines: tuple[str, ...], escape: str) -> _Script | None:
    """The shell-form RUN text rebuilt from the source lines: escaped newlines joined,
    comment and blank lines inside the continuation dropped, heredoc bodies appended."""
    first = lines[instruction.line - 1] if instruction.line <= len(lines) else ""
    prefix = _RUN_KEYWORD.match(first)
    if prefix is None:
        return None
    text, pieces = "", list[tuple[int, int, int]]()
    number, start = instruction.line, prefix.end()
    while number <= len(lines):
        line = lines[number - 1]
        body = line[start:]
        stripped = body.rstrip()
        if number == instruction.line or (line.strip() and not line.lstrip().startswith("#")):
            pieces.append((len(text), number, start + 1))
            if not stripped.endswith(escape):
                text += body
                break
            text += stripped[: -len(escape)]
        number, start = number + 1, 0
    for doc in instruction.heredocs:
        text += "\n"
        for body in doc.content.splitlines(keepends=True):
            number += 1
            pieces.append((len(text), number, 1))
            text += body
        number += 1  # the terminator line
    flags = _FLAGS.match(text)
    return _Script(text, tuple(pieces), flags.end() if flags else 0)


def _locate(script: _Script, commands: list[SimpleCommand]) -> tuple[RunCommand, ...]:
    """Each command placed at its program word, found by reading the text forward so that
    the same word in an earlier command is never taken for a later one."""
    placed, cursor = list[RunCommand](), script.start
    for command in commands:
        start = None
        for word in command.words:
            found = script.text.find(word, cursor) if word else -1
            if found >= 0:
                start = found if start is None else start
                cursor = found + len(word)
        line, column = script.place(start if start is not None else cursor)
        placed.append(RunCommand(command, line, column))
    return tuple(placed)


def _with_commands(instruction: Instruction, lines: tuple[str, ...], escape: str) -> Instruction:
    if instruction.keyword != "RUN":
        return instruction
    if instruction.json_form:
        column = lines[instruction.line - 1].find("[") + 1 if instruction.line <= len(lines) else 1
        run = (RunCommand(SimpleCommand(instruction.args), instruction.line, max(column, 1)),)
        return replace(instruction, run_commands=run)
    script = _run_script(instruction, lines, escape)
    if script is None:  # not where BuildKit said it was: place every command at the RUN
        return replace(
            instruction,
            run_commands=tuple(
                RunCommand(c, instruction.line, 1) for c in split_commands(instruction.shell_script)
            ),
        )
    return replace(instruction, run_commands=_locate(script, split_commands(script.shell)))


# BuildKit's flag parser tests single bytes with unicode.IsSpace, so 0x85 and 0xA0 inside
# a character's UTF-8 end the flag there; the pieces left are not text, and Docker then
# fails on them too (no stage or option has such a name).
_SPLIT_FLAG = (
    "a flag holds a character BuildKit cuts in two (its UTF-8 bytes include 0x85 or 0xA0, "
    "which BuildKit's flag parser takes for a space)"
)


def _split_flag_line(text: str) -> int | None:
    for number, line in enumerate(text_lines(text), 1):
        flags = line.partition(" --")[2]
        if any(b"\x85" in c.encode() or b"\xa0" in c.encode() for c in flags if ord(c) > 0x7F):
            return number
    return None


def _one_line(text: str) -> str:
    """`text` with line breaks and other control characters escaped (BuildKit quotes the
    source in its errors, and a lone CR or form feed is not a line break to it)."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def _utf8_flag(flag: str) -> str:
    """A flag as written: the `dockerfile` package hands flags over as their UTF-8 bytes
    decoded as Latin-1 (`--from=bü` arrives as `--from=bÃ¼`), unlike values and originals."""
    try:
        return flag.encode("latin-1").decode("utf-8")
    except UnicodeError:  # not such a mis-decoding: keep it as given
        return flag


def _check_passable(text: str, path: str) -> None:
    """Refuse what the Go parser cannot be given: it reads the text as a C string, so a NUL
    would silently cut the file short, and text that is not valid Unicode (lone surrogates,
    from a caller's `surrogateescape`) crashes the whole process."""
    nul = text.find("\0")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise PitstopError("NUL byte: not a text Dockerfile", path=path, line=line)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        line = text.count("\n", 0, error.start) + 1
        raise PitstopError("not UTF-8 (undecodable byte)", path=path, line=line) from None


def _assemble(path: str, text: str, instructions: list[Instruction]) -> Dockerfile:
    global_args: list[Instruction] = []
    stages: list[Stage] = []
    body: list[Instruction] = []
    current: Stage | None = None
    arg_values: dict[str, str | None] = {}
    for instruction in instructions:
        if instruction.keyword == "FROM":
            if current is not None:
                stages.append(_with_body(current, body))
            current, body = _stage(instruction, len(stages), stages, arg_values, path), []
        elif current is None:
            if instruction.keyword != "ARG":
                raise PitstopError(
                    f"{instruction.keyword} before the first FROM (only ARG may come first)",
                    path=path,
                    line=instruction.line,
                )
            global_args.append(instruction)
            arg_values.update(parse_arg_pairs(instruction))
        else:
            body.append(instruction)
    if current is None:
        raise PitstopError(
            "no FROM instruction: not a Dockerfile Docker can build", path=path, line=1
        )
    stages.append(_with_body(current, body))
    return Dockerfile(path, tuple(text_lines(text)), tuple(global_args), tuple(stages))


def _with_body(stage: Stage, body: list[Instruction]) -> Stage:
    return replace(stage, instructions=tuple(body))


def _stage(
    instruction: Instruction,
    index: int,
    earlier: list[Stage],
    args: dict[str, str | None],
    path: str,
) -> Stage:
    words = list(instruction.args)
    name = None
    if len(words) == 3 and words[1].lower() == "as":
        name = words[2]
    elif len(words) != 1:
        raise PitstopError(
            "FROM takes an image and an optional 'AS name'", path=path, line=instruction.line
        )
    base = expand_args(words[0], args)
    parent = next((s.index for s in earlier if s.name and s.name.lower() == base.lower()), None)
    platform = instruction.flag("platform")
    return Stage(index, name, base, instruction.line, (), parent, platform, words[0])


def parse_arg_pairs(instruction: Instruction) -> dict[str, str | None]:
    """ARG `NAME` or `NAME=default` declarations (several per line allowed)."""
    pairs: dict[str, str | None] = {}
    for word in instruction.args:
        name, sep, value = word.partition("=")
        pairs[name] = unquote(value) if sep else None
    return pairs


def env_pairs(instruction: Instruction) -> list[tuple[str, str]]:
    """ENV `KEY=value ...` or legacy `KEY value` as (key, value) pairs, quotes removed."""
    args = instruction.args
    return [(args[i], unquote(args[i + 1])) for i in range(0, len(args) - 1, 2)]


def unquote(value: str) -> str:
    try:
        words = shlex.split(value)
    except ValueError:
        return value
    return " ".join(words) if words else ""


def _error_line(error: Exception, text: str) -> int | None:
    match = re.search(r"line (\d+)", str(error))
    if match:
        return int(match.group(1))
    if "heredoc" in str(error):
        heredoc_lines = [n for n, line in enumerate(text_lines(text), 1) if "<<" in line]
        return heredoc_lines[-1] if heredoc_lines else None
    return None
