"""Split a RUN script into simple commands, enough to see what each one runs.

This is not a shell: it never expands or executes anything. It splits on the
operators that separate commands (`&&`, `||`, `;`, `|`, `&`, newlines), drops the
words that only prefix a command (`VAR=value`, `sudo`, `then`...), and keeps the
words of each command in order.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", ";;", "|&", "(", ")", "{", "}"})
_KEYWORDS = frozenset({"then", "do", "else", "elif", "if", "while", "until", "!", "fi", "done"})
_WRAPPERS = frozenset({"sudo", "env", "time", "nice", "nohup", "exec", "command", "xargs"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True)
class SimpleCommand:
    """One command of a script: `words[0]` is the program (prefixes removed)."""

    words: tuple[str, ...]
    env: tuple[str, ...] = ()

    @property
    def program(self) -> str:
        return self.words[0].rsplit("/", 1)[-1] if self.words else ""

    def has(self, *options: str) -> bool:
        return any(word in options or word.split("=", 1)[0] in options for word in self.words)

    def operands(self) -> tuple[str, ...]:
        """The words after the program that are not options."""
        return tuple(w for w in self.words[1:] if not w.startswith("-"))


def split_commands(script: str) -> list[SimpleCommand]:
    """The simple commands of `script`, in order; unparseable text yields what it can."""
    commands: list[SimpleCommand] = []
    for chunk in _logical_lines(script):
        current: list[str] = []
        for token in _tokens(chunk):
            if token in _SEPARATORS:
                _flush(current, commands)
                current = []
            else:
                current.append(token)
        _flush(current, commands)
    return commands


def _logical_lines(script: str) -> list[str]:
    joined = re.sub(r"\\\r?\n", " ", script)
    return [
        line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def _tokens(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    lexer.commenters = ""
    tokens: list[str] = []
    try:
        for token in lexer:
            tokens.append(token)
    except ValueError:  # an unbalanced quote: keep what was read, like a shell reporting an error
        pass
    return tokens


def _flush(words: list[str], commands: list[SimpleCommand]) -> None:
    env: list[str] = []
    while words and (words[0] in _KEYWORDS or _ASSIGNMENT.match(words[0])):
        word = words.pop(0)
        if _ASSIGNMENT.match(word):
            env.append(word)
    while words and words[0] in _WRAPPERS:
        words.pop(0)
        while words and (words[0].startswith("-") or _ASSIGNMENT.match(words[0])):
            words.pop(0)
    if words:
        commands.append(SimpleCommand(tuple(words), tuple(env)))


def pip_install(command: SimpleCommand) -> tuple[str, ...] | None:
    """The arguments after `install` when `command` is a pip install (pip, pip3,
    python -m pip, uv pip), else None."""
    words = command.words
    program = command.program
    if re.fullmatch(r"python[0-9.]*", program) and words[1:3] == ("-m", "pip"):
        words = words[2:]
    elif program == "uv" and len(words) > 1 and words[1] == "pip":
        words = words[1:]
    elif not re.fullmatch(r"pip[0-9.]*", program):
        return None
    rest = [w for w in words[1:]]
    while rest and rest[0].startswith("-"):
        rest.pop(0)
    if not rest or rest[0] != "install":
        return None
    return tuple(rest[1:])


def apt_get(command: SimpleCommand) -> tuple[str, tuple[str, ...]] | None:
    """(`update`/`install`/..., the other words) for `apt-get` or `apt`, else None."""
    if command.program not in ("apt-get", "apt"):
        return None
    operands = [w for w in command.words[1:] if not w.startswith("-")]
    if not operands:
        return None
    return operands[0], tuple(w for w in command.words[1:] if w != operands[0])


# Commands the shell runs itself: `exec`-ing them, or writing them in a JSON exec form,
# does not work (there is no `set` or `cd` program to run).
_BUILTINS = frozenset({
    ".", ":", "[", "alias", "break", "cd", "continue", "eval", "exec", "exit", "export", "false",
    "local", "read", "readonly", "return", "set", "shift", "source", "test", "trap", "true",
    "ulimit", "umask", "unset", "wait",
})  # fmt: skip
_SHELL_SYNTAX = re.compile(r"&&|\|\||[;|&<>`\n]|\$\(")
_SEQUENCE = frozenset({"&&", "||", ";", "&", ";;"})


def as_one_command(script: str) -> SimpleCommand | None:
    """`script` as a single simple command that could run without a shell (so it could be
    written in exec form), or None: operators, `$(...)`, redirections, a leading variable
    assignment or a shell builtin all need the shell."""
    if _SHELL_SYNTAX.search(script):
        return None
    words = _tokens(script)
    if not words or _ASSIGNMENT.match(words[0]) or words[0] in _BUILTINS or words[0] in _KEYWORDS:
        return None
    return SimpleCommand(tuple(words))


def last_in_sequence(script: str) -> tuple[str, ...]:
    """The words of the command a `;`/`&&`/`||`/newline chain runs last (empty when the
    script ends in an operator); a pipeline stays whole (`a | b` is returned as words)."""
    lines = _logical_lines(script)
    last: list[str] = []
    for token in _tokens(lines[-1]) if lines else []:
        last = [] if token in _SEQUENCE else [*last, token]
    return tuple(last)


def ends_in_exec(script: str) -> bool:
    """Whether the last command of `script` is `exec PROGRAM ...` (not in a pipeline), so
    that program replaces the shell and receives signals itself."""
    words = list(last_in_sequence(script))
    while words and _ASSIGNMENT.match(words[0]):
        words.pop(0)
    if len(words) < 2 or words[0] != "exec" or any(w in ("|", "|&", "(", ")") for w in words):
        return False
    return not words[1].startswith("-") or len(words) > 2
