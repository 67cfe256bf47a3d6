"""Split a shell script into simple commands, enough to see what each one runs.

This is not a shell: it never expands or executes anything. It reads the script once,
character by character, the way a POSIX shell splits it into words: quotes, backslash
escapes, backslash-newline continuations, `#` comments (only where a word starts, so
`${REF#refs/}` is not one, and a `\\` at the end of a comment continues nothing),
redirections and here-documents (whose bodies are data, not commands). It splits on the
operators that separate commands (`&&`, `||`, `;`, `|`, `&`, newlines), drops the words
that only prefix a command (`VAR=value`, `sudo`, `then`...), and keeps the words of each
command in order, with the script line each command starts on.

GitHub Actions `run:` steps are not all POSIX: `shell: pwsh`/`powershell` (the default on
Windows runners) and `shell: cmd` are other languages, with their own continuation
character (a backtick, a caret) and comments. Their scripts are split into commands by
those rules and by quotes and separators only: how they expand arguments (variables that
hold arrays, splatting, `%VAR%`) is not modelled, so a caller that needs exact arguments
reads POSIX scripts only (see `Dialect`).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from enum import Enum

_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", ";;", "|&", "(", ")"})
_KEYWORDS = frozenset(
    {"then", "do", "else", "elif", "if", "while", "until", "!", "fi", "done", "{", "}"}
)
_WRAPPERS = frozenset({"sudo", "env", "time", "nice", "nohup", "exec", "command", "xargs"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_OPERATOR_CHARS = frozenset(";&|()<>")
_PLAIN = re.compile(r"[^\s\\'\"`$#;&|()<>]+")
"""Characters that only ever add to the word being read."""
_BLANKS = re.compile(r"[ \t\r]+")
_REDIRECTIONS = frozenset({"<<<", "<<-", "<<", ">>", ">&", ">|", "<&", "<>", ">", "<", "&>>", "&>"})
_OPERATOR = re.compile("|".join(re.escape(o) for o in sorted(
    {*_REDIRECTIONS, "&&", "||", ";;", "|&", ";", "|", "&", "(", ")"}, key=len, reverse=True
)))  # fmt: skip
"""An operator or a redirection, the longest that matches (`&&` before `&`)."""


class Dialect(Enum):
    """The language a script is written in, as far as splitting it into commands goes."""

    POSIX = "posix"  # bash, sh and other Bourne shells: read fully
    POWERSHELL = "powershell"  # pwsh, powershell: backtick continuations, read conservatively
    CMD = "cmd"  # cmd.exe: caret continuations, read conservatively
    OTHER = "other"  # python, a custom program, an expression: no commands are read


_POSIX_SHELLS = frozenset({"bash", "sh", "dash", "ksh", "zsh"})


def shell_dialect(shell: str | None) -> Dialect:
    """The dialect of a GitHub Actions `shell:` value (None: GitHub's default, bash or sh).

    A custom shell is a command with `{0}` for the script's path (`bash -e {0}`); its
    program decides the dialect.
    """
    if shell is None:
        return Dialect.POSIX
    words = shell.split()
    if not words or "${{" in shell:
        return Dialect.OTHER
    program = re.split(r"[/\\]", words[0])[-1].lower().removesuffix(".exe")
    if program in _POSIX_SHELLS:
        return Dialect.POSIX
    if program in ("pwsh", "powershell"):
        return Dialect.POWERSHELL
    return Dialect.CMD if program == "cmd" else Dialect.OTHER


@dataclass(frozen=True)
class SimpleCommand:
    """One command of a script: `words[0]` is the program (prefixes removed).

    `line` is the 0-based script line the command starts on.
    """

    words: tuple[str, ...]
    env: tuple[str, ...] = ()
    line: int = 0

    @property
    def program(self) -> str:
        return self.words[0].rsplit("/", 1)[-1] if self.words else ""

    def has(self, *options: str) -> bool:
        return any(word in options or word.split("=", 1)[0] in options for word in self.words)

    def operands(self) -> tuple[str, ...]:
        """The words after the program that are not options."""
        return tuple(w for w in self.words[1:] if not w.startswith("-"))


def split_commands(script: str, dialect: Dialect = Dialect.POSIX) -> list[SimpleCommand]:
    """The simple commands of `script`, in order; unparseable text yields what it can."""
    if dialect is Dialect.POSIX:
        tokens = _posix_tokens(script)
    elif dialect is Dialect.POWERSHELL:
        tokens = _conservative_tokens(script, _POWERSHELL)
    elif dialect is Dialect.CMD:
        tokens = _conservative_tokens(script, _CMD)
    else:
        return []
    return _commands(tokens)


_END_MARK = "\x00pitstop-end\x00"


def appends_cleanly(line: str) -> bool:
    """Whether text appended after `line` would be read as more of the script: the line
    leaves no quote, backquote or `$(` open and ends in no comment (a word put after it
    comes out as a word of its own, not swallowed by any of those)."""
    tokens = _posix_tokens(f"{line} {_END_MARK}")
    return bool(tokens) and tokens[-1].text == _END_MARK and tokens[-1].kind == "word"


# -- POSIX ------------------------------------------------------------------------------


def _posix_tokens(script: str) -> list[_Token]:
    return _PosixScanner(script.replace("\r\n", "\n")).tokens()


@dataclass(frozen=True)
class _Token:
    """A word, an operator (`&&`, `;`, a newline...) or a redirection, with its line."""

    text: str
    line: int
    kind: str  # "word", "operator" or "redirection"


class _PosixScanner:
    """POSIX shell word splitting (XCU 2.3, "Token Recognition"), without any expansion.

    `$(...)`, `${...}`, backquotes and GitHub's `${{ ... }}` are kept whole inside their
    word, so the operators and `#` they contain do not split it.
    """

    def __init__(self, script: str):
        self.text = script
        self.at = 0
        self.line = 0
        self.out: list[_Token] = []
        self.word: list[str] = []
        self.word_line = 0
        self.quoted = False
        self.heredocs: list[tuple[str, bool]] = []  # (delimiter, strip leading tabs)
        self.expect_delimiter: bool | None = None  # `<<-` seen: True; `<<`: False
        self._lines: tuple[dict[str, list[int]], dict[str, list[int]]] | None = None

    def tokens(self) -> list[_Token]:
        while self.at < len(self.text):
            self._step(self.text[self.at])
        self._end_word()
        return self.out

    def _step(self, char: str) -> None:
        plain = _PLAIN.match(self.text, self.at)
        if plain:  # most of a script: read a run of ordinary characters at once
            self._start_word()
            self.word.append(plain.group(0))
            self.at = plain.end()
        elif self._at("\\\n"):
            self._advance(2)  # a continuation: the two characters vanish
        elif char == "\n":
            self._end_word()
            self._advance(1)
            self.out.append(_Token("\n", self.line - 1, "operator"))
            self._skip_heredocs()
        elif char in " \t\r":
            self._end_word()
            self.at = _BLANKS.match(self.text, self.at).end()  # type: ignore[union-attr]
        elif char == "#" and not self.word and not self.quoted:
            end = self.text.find("\n", self.at)
            self.at = len(self.text) if end < 0 else end
        elif char in _OPERATOR_CHARS:
            self._operator()
        else:
            self._word_part(char)

    def _at(self, *prefixes: str) -> bool:
        return any(self.text.startswith(prefix, self.at) for prefix in prefixes)

    def _advance(self, count: int) -> str:
        taken = self.text[self.at : self.at + count]
        self.line += taken.count("\n")
        self.at += count
        return taken

    def _start_word(self) -> None:
        if not self.word and not self.quoted:
            self.word_line = self.line

    def _word_part(self, char: str) -> None:
        self._start_word()
        if char == "\\":
            self.word.append(self._advance(2)[1:])
        elif char == "'":
            self.quoted = True
            self.word.append(_inside(self._until("'", 1), "'"))
        elif char == '"':
            self.quoted = True
            self.word.append(_unescape_double(_inside(self._double_quoted(), '"')))
        elif self._at("${{"):
            self.word.append(self._until("}}", 3))
        elif self._at("$(", "${"):
            opening = self.text[self.at + 1]
            self.word.append(self._balanced(opening, ")" if opening == "(" else "}", 1))
        elif char == "`":
            self.word.append(self._until("`", 1))
        else:
            self.word.append(self._advance(1))

    def _until(self, end: str, skip: int) -> str:
        """The text from here through the next `end` (or the end of the script)."""
        stop = self.text.find(end, self.at + skip)
        return self._advance(len(self.text) - self.at if stop < 0 else stop + len(end) - self.at)

    def _double_quoted(self) -> str:
        position = self.at + 1
        while position < len(self.text) and self.text[position] != '"':
            position += 2 if self.text[position] == "\\" else 1
        return self._advance(position + 1 - self.at)

    def _balanced(self, opening: str, closing: str, skip: int) -> str:
        depth, position = 0, self.at + skip
        while position < len(self.text):
            char = self.text[position]
            if char == "\\":
                position += 1
            elif char == opening:
                depth += 1
            elif char == closing:
                depth -= 1
                if depth == 0:
                    break
            position += 1
        return self._advance(position + 1 - self.at)

    def _end_word(self) -> None:
        if self.word or self.quoted:
            text = "".join(self.word)
            if self.expect_delimiter is not None:
                self.heredocs.append((text, self.expect_delimiter))
                self.expect_delimiter = None
            self.out.append(_Token(text, self.word_line, "word"))
        self.word, self.quoted = [], False

    def _operator(self) -> None:
        operator = _OPERATOR.match(self.text, self.at).group(0)  # type: ignore[union-attr]
        if operator in _REDIRECTIONS:
            redirection = operator
            if self.word and not self.quoted and "".join(self.word).isdigit():
                self.word = []  # `2>`: the number names a file descriptor, not a word
            self._end_word()
            if redirection in ("<<", "<<-"):
                self.expect_delimiter = redirection == "<<-"
            self.out.append(_Token(self._advance(len(redirection)), self.line, "redirection"))
            return
        self._end_word()
        self.out.append(_Token(self._advance(len(operator)), self.line, "operator"))

    def _skip_heredocs(self) -> None:
        """Skip the bodies of the here-documents started on the line just ended, when their
        delimiter line is there (a body without one is read as script, as it was written)."""
        for delimiter, strip_tabs in self.heredocs:
            end = self._line_end(delimiter, strip_tabs)
            if end is not None:
                self._advance(min(end + 1, len(self.text)) - self.at)
        self.heredocs = []

    def _line_end(self, text: str, strip_tabs: bool) -> int | None:
        """Where the first line from here that reads `text` ends (its newline), else None.

        Lines are indexed once per script, so many here-documents cost no more than one.
        """
        if self._lines is None:
            self._lines = ({}, {})
            start = 0
            for line in self.text.split("\n"):
                self._lines[0].setdefault(line, []).append(start)
                self._lines[1].setdefault(line.lstrip("\t"), []).append(start)
                start += len(line) + 1
        starts = self._lines[strip_tabs].get(text, [])
        found = bisect.bisect_left(starts, self.at)
        if found == len(starts):
            return None
        end = self.text.find("\n", starts[found])
        return len(self.text) if end < 0 else end


def _inside(quoted: str, quote: str) -> str:
    """The text between a quote and its closing quote (an unclosed one runs to the end)."""
    closed = len(quoted) > 1 and quoted.endswith(quote)
    return quoted[1:-1] if closed else quoted[1:]


def _unescape_double(body: str) -> str:
    """A double-quoted string's text: `\\` escapes only `$`, a backquote, `"`, `\\` and a
    newline (which it removes) there."""
    return re.sub(r'\\([$`"\\\n])', lambda m: "" if m.group(1) == "\n" else m.group(1), body)


# -- PowerShell and cmd ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Language:
    """What the conservative reader needs to know about a non-POSIX shell."""

    continuation: str  # the character that, last on a line, continues it
    separators: re.Pattern[str]  # what splits one line into commands
    comment: re.Pattern[str]  # a whole-line comment
    line_comment: bool  # whether `#` where a word starts comments out the rest of the line
    quotes: str  # the quote characters (a separator inside quotes does not split)
    block_comment: re.Pattern[str] | None = None


_POWERSHELL = _Language(
    continuation="`",
    separators=re.compile(r"&&|\|\||;|\|"),
    comment=re.compile(r"^\s*#"),
    line_comment=True,
    quotes="'\"",
    block_comment=re.compile(r"<#.*?#>", re.DOTALL),
)
"""PowerShell: `#` and `<# ... #>` comments, `;`/`|`/`&&`/`||` between commands."""

_CMD = _Language(
    continuation="^",
    separators=re.compile(r"&&|\|\||&|\|"),
    comment=re.compile(r"^\s*(@?rem(\s|$)|::)", re.IGNORECASE),
    line_comment=False,
    quotes='"',
)
"""cmd.exe: `rem`/`::` comment lines, `&`/`&&`/`||`/`|` between commands, `"` quotes only."""

_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def _conservative_tokens(script: str, language: _Language) -> list[_Token]:
    """Words and separators of a PowerShell or cmd script, each line continued where it
    ends in the continuation character; quotes keep a separator inside them whole."""
    tokens: list[_Token] = []
    if language.block_comment is not None:  # blanked, keeping the lines they span
        script = language.block_comment.sub(lambda m: "\n" * m.group(0).count("\n"), script)
    for start, line in _continued_lines(script, language.continuation):
        if not language.comment.match(line):
            tokens += _line_tokens(line, start, language)
        tokens.append(_Token("\n", start, "operator"))
    return tokens


def _continued_lines(script: str, continuation: str) -> list[tuple[int, str]]:
    """Lines with continued ones joined, each with the 0-based index it starts on."""
    joined: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for index, line in enumerate(script.replace("\r\n", "\n").split("\n")):
        if not pending:
            start = index
        if line.endswith(continuation):
            pending.append(line[: -len(continuation)])
            continue
        joined.append((start, " ".join([*pending, line])))
        pending = []
    if pending:
        joined.append((start, " ".join(pending)))
    return joined


def _line_tokens(line: str, index: int, language: _Language) -> list[_Token]:
    """The words and separators of one (continued) line."""
    tokens: list[_Token] = []
    word: list[str] = []
    quoted = False
    position = 0

    def end_word() -> None:
        nonlocal quoted
        if word or quoted:
            tokens.append(_Token("".join(word), index, "word"))
        word.clear()
        quoted = False

    while position < len(line):
        char = line[position]
        expression = _EXPRESSION.match(line, position)
        separator = language.separators.match(line, position)
        if expression:
            word.append(expression.group(0))
            position = expression.end()
        elif char in " \t\r":
            end_word()
            position += 1
        elif separator:
            end_word()
            tokens.append(_Token(separator.group(0), index, "operator"))
            position = separator.end()
        elif char == "#" and not word and language.line_comment:
            break
        elif char in language.quotes:
            close = line.find(char, position + 1)
            close = len(line) if close < 0 else close
            word.append(line[position + 1 : close])
            quoted = True
            position = close + 1
        else:
            word.append(char)
            position += 1
    end_word()
    return tokens


# -- commands from tokens -----------------------------------------------------------------


def _commands(tokens: list[_Token]) -> list[SimpleCommand]:
    commands: list[SimpleCommand] = []
    current: list[_Token] = []
    skip_target = False
    for token in tokens:
        if skip_target and token.kind == "word":
            skip_target = False  # the file (or here-document delimiter) of a redirection
        elif token.kind == "redirection":
            skip_target = True
        elif token.kind == "operator" and (token.text in _SEPARATORS or token.text == "\n"):
            _flush(current, commands)
            current = []
        else:
            current.append(token)
    _flush(current, commands)
    return commands


def _flush(tokens: list[_Token], commands: list[SimpleCommand]) -> None:
    words = [t.text for t in tokens]
    env: list[str] = []
    dropped = 0
    while dropped < len(words) and (
        words[dropped] in _KEYWORDS or _ASSIGNMENT.match(words[dropped])
    ):
        if _ASSIGNMENT.match(words[dropped]):
            env.append(words[dropped])
        dropped += 1
    while dropped < len(words) and words[dropped] in _WRAPPERS:
        dropped += 1
        while dropped < len(words) and (
            words[dropped].startswith("-") or _ASSIGNMENT.match(words[dropped])
        ):
            dropped += 1
    if dropped < len(words):
        commands.append(SimpleCommand(tuple(words[dropped:]), tuple(env), tokens[0].line))


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
    words = [token.text for token in _posix_tokens(script) if token.kind == "word"]
    if not words or _ASSIGNMENT.match(words[0]) or words[0] in _BUILTINS or words[0] in _KEYWORDS:
        return None
    return SimpleCommand(tuple(words))


def last_in_sequence(script: str) -> tuple[str, ...]:
    """The words of the command a `;`/`&&`/`||`/newline chain runs last (empty when the
    script ends in an operator); a pipeline stays whole (`a | b` is returned as words)."""
    last: list[str] = []
    line_ended = False
    for token in _posix_tokens(script):
        if token.text == "\n" and token.kind == "operator":
            line_ended = bool(last)  # blank and comment lines after the command change nothing
        elif token.kind == "operator" and token.text in _SEQUENCE:
            last, line_ended = [], False
        else:
            last = [token.text] if line_ended else [*last, token.text]
            line_ended = False
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
