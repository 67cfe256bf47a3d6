"""The commands reference (docs/commands.md), generated from the CLI's real argument parser.

Regenerate it with `python -m pitstop.commands_doc > docs/commands.md`; a test fails when
the file and the parser disagree, so an option added, renamed or re-documented in `cli.py`
(or a new command) cannot leave the reference behind.

The walk reads argparse's own records of the parser (`_actions`, `_action_groups`, the
subparsers' `choices`): argparse has no public API for them, and reading them is what keeps
this reference equal to what `pitstop COMMAND --help` says. The synopsis is built here
rather than by argparse's HelpFormatter, whose wrapping depends on the terminal's width
and whose layout changes between Python versions.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from pitstop.cli import build_parser

_HEADER = """# pitstop commands

Generated from pitstop's argument parser by
`python -m pitstop.commands_doc > docs/commands.md`; do not edit by hand (a test checks
it). `pitstop COMMAND --help` prints the same options. The rules `pitstop review` applies
are in [rules.md](rules.md); what each command does, with examples, is in the
[README](../README.md#commands).
"""


@dataclass(frozen=True)
class Command:
    """One parser of the CLI: a command (`review`) or a subcommand (`record junit`)."""

    words: tuple[str, ...]  # the words after `pitstop`: ("record", "junit")
    parser: argparse.ArgumentParser
    summary: str  # the one-line help the parent parser lists it with

    @property
    def name(self) -> str:
        return " ".join(("pitstop", *self.words))

    @property
    def anchor(self) -> str:
        """The heading's anchor as GitHub slugs it (`pitstop-record-junit`)."""
        return "-".join(("pitstop", *self.words))


def commands(parser: argparse.ArgumentParser | None = None) -> list[Command]:
    """Every command and subcommand of the parser (default: pitstop's), depth first."""
    root = parser or build_parser()
    return list(_walk(root, ()))


def _walk(parser: argparse.ArgumentParser, words: tuple[str, ...]) -> Iterator[Command]:
    for action in _subparsers(parser):
        summaries = {pseudo.dest: pseudo.help or "" for pseudo in action._choices_actions}
        seen: set[int] = set()
        for name, child in action.choices.items():
            if id(child) in seen:  # an alias names a parser already listed
                continue
            seen.add(id(child))
            yield Command((*words, name), child, summaries.get(name, ""))
            yield from _walk(child, (*words, name))


def _subparsers(
    parser: argparse.ArgumentParser,
) -> list[argparse._SubParsersAction[argparse.ArgumentParser]]:
    return [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]


def forms(command: Command) -> list[str]:
    """The command's names, with each form a positional choice selects: `pitstop affected`
    and `pitstop affected audit` (audit is a choice of `affected`, not a subparser)."""
    return [command.name, *(f"{command.name} {choice}" for _, choice in _forms(command))]


def commands_markdown(parser: argparse.ArgumentParser | None = None) -> str:
    listed = commands(parser)
    parts = [_HEADER, "\n", _index(listed)]
    parts.extend(_section(command) for command in listed)
    return "".join(parts)


def _index(listed: list[Command]) -> str:
    rows = []
    for command in listed:
        rows.append(f"| [{command.name}](#{command.anchor}) | {_cell(command.summary)} |\n")
        for action, choice in _forms(command):
            anchor = f"{command.anchor}-{choice}"
            what = _expand_help(action, command.parser.prog)
            rows.append(f"| [{command.name} {choice}](#{anchor}) | {_cell(what)} |\n")
    return "| command | what it does |\n|---|---|\n" + "".join(rows)


def _section(command: Command) -> str:
    parser = command.parser
    parts = [f"\n## {command.name}\n\n"]
    if parser.description:  # the summary says it again, shorter: the index lists that
        parts.append(f"{_prose(_expand(parser.description, parser.prog))}\n\n")
    elif command.summary:
        parts.append(f"{_prose(_sentence(command.summary))}\n\n")
    parts.append(f"```text\n{_synopsis(command)}\n```\n")
    children = _children(command)
    if children:
        parts.append("\n" + _index(children))
    parts.extend(_group_table(group, parser.prog) for group in _groups(parser))
    parts.extend(_form_section(command, action, choice) for action, choice in _forms(command))
    return "".join(parts)


def _forms(command: Command) -> list[tuple[argparse.Action, str]]:
    """The positional choices that name a form of the command (`affected audit`)."""
    return [
        (action, str(choice))
        for action in command.parser._actions
        if not action.option_strings
        and not isinstance(action, argparse._SubParsersAction)
        and action.choices is not None
        for choice in action.choices
    ]


def _form_section(command: Command, action: argparse.Action, choice: str) -> str:
    help_text = _expand_help(action, command.parser.prog)
    said = f"{_prose(_sentence(help_text))}\n\n" if help_text else ""
    return (
        f"\n## {command.name} {choice}\n\n{said}`{command.name}` with `{choice}` as its "
        f"`{_metavar(action)}` argument: it takes the options of "
        f"[{command.name}](#{command.anchor}).\n"
    )


def _children(command: Command) -> list[Command]:
    return [
        c for c in _walk(command.parser, command.words) if len(c.words) == len(command.words) + 1
    ]


def _groups(parser: argparse.ArgumentParser) -> Iterator[tuple[str, list[argparse.Action]]]:
    """The argument groups as `--help` shows them, minus help, version and subparsers."""
    for group in parser._action_groups:
        shown = [a for a in group._group_actions if _documented(a)]
        if not shown:
            continue
        if group is parser._positionals:
            yield "Arguments", shown
        elif group is parser._optionals:
            yield "Options", shown
        else:
            title = group.title or "options"
            yield title[:1].upper() + title[1:], shown


def _documented(action: argparse.Action) -> bool:
    hidden = (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)
    return not isinstance(action, hidden) and action.help != argparse.SUPPRESS


def _group_table(group: tuple[str, list[argparse.Action]], prog: str) -> str:
    title, actions = group
    rows = "".join(_row(action, prog) for action in actions)
    return f"\n{title}:\n\n| argument | value | default | description |\n|---|---|---|---|\n{rows}"


def _row(action: argparse.Action, prog: str) -> str:
    names = ", ".join(f"`{name}`" for name in action.option_strings) or f"`{_metavar(action)}`"
    value = _value(action)
    return (
        f"| {names} | {_cell(value)} | {_cell(_default(action))} | "
        f"{_cell(_expand_help(action, prog))} |\n"
    )


def _value(action: argparse.Action) -> str:
    """What the argument takes: its metavar or choices, with the repetition nargs allows.
    A positional's name is its metavar already: only its choices and repetition are left."""
    if action.nargs == 0:
        return ""
    shown = f"`{_metavar(action)}`" if action.option_strings else ""
    if action.choices is not None and action.metavar is None:
        shown = ", ".join(f"`{choice}`" for choice in action.choices)
    repeat = {"?": "optional", "*": "zero or more", "+": "one or more"}.get(str(action.nargs))
    if repeat:
        shown = f"{shown} ({repeat})" if shown else repeat
    if isinstance(action, argparse._AppendAction):
        shown += " (repeatable)"
    return shown


def _metavar(action: argparse.Action) -> str:
    if isinstance(action.metavar, tuple):
        return " ".join(action.metavar)
    if action.metavar is not None:
        return action.metavar
    if action.choices is not None:
        return "{" + ",".join(str(choice) for choice in action.choices) + "}"
    return action.dest if not action.option_strings else action.dest.upper()


def _default(action: argparse.Action) -> str:
    if action.required:
        return "required"
    default = action.default
    if default is None or default is argparse.SUPPRESS or action.nargs == 0 or default == []:
        return ""
    return f"`{default}`"


def _synopsis(command: Command) -> str:
    words = [command.name]
    grouped: dict[int, argparse._MutuallyExclusiveGroup] = {}
    for exclusive in command.parser._mutually_exclusive_groups:
        for action in exclusive._group_actions:
            grouped[id(action)] = exclusive
    done: set[int] = set()
    for action in command.parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._VersionAction):
            continue
        group = grouped.get(id(action))
        if group is None:
            words.append(_usage(action))
        elif id(group) not in done:  # the group is shown once, where its first member is
            done.add(id(group))
            inner = " | ".join(_usage(a, bare=True) for a in group._group_actions)
            words.append(f"({inner})" if group.required else f"[{inner}]")
    return _wrap(words, len(command.name) + 1)


def _wrap(words: list[str], indent: int, width: int = 92) -> str:
    """Lines of at most `width` characters where it can, broken between arguments only."""
    lines = [words[0]]
    for word in words[1:]:
        if len(lines[-1]) + 1 + len(word) > width and lines[-1].strip():
            lines.append(" " * indent + word)
        else:
            lines[-1] += " " + word
    return "\n".join(lines)


def _usage(action: argparse.Action, bare: bool = False) -> str:
    """One argument as the synopsis shows it: `--format FORMAT`, `[PATH]`, `FILE [FILE ...]`."""
    if isinstance(action, argparse._SubParsersAction):
        return f"{_metavar(action)} ..."
    metavar = _metavar(action)
    value = {
        "0": "",
        "?": f"[{metavar}]",
        "*": f"[{metavar} ...]",
        "+": f"{metavar} [{metavar} ...]",
    }.get(str(action.nargs), metavar)
    if not action.option_strings:
        return value
    shown = f"{action.option_strings[0]} {value}".rstrip()
    return shown if bare or action.required else f"[{shown}]"


def _expand_help(action: argparse.Action, prog: str) -> str:
    """The help as `--help` prints it: argparse %-formats it with the action's fields."""
    text = action.help or ""
    params = {k: v for k, v in vars(action).items() if v is not argparse.SUPPRESS}
    params["prog"] = prog
    if params.get("choices") is not None:
        params["choices"] = ", ".join(str(c) for c in action.choices or ())
    return text % params


def _expand(text: str, prog: str) -> str:
    """A description as `--help` prints it (argparse expands it only when it names %(prog))."""
    return text % {"prog": prog} if "%(prog)" in text else text


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell (a `|` ends the cell even inside a code span)."""
    return " ".join(_prose(text).replace("|", "\\|").split())


def _prose(text: str) -> str:
    """Help text as Markdown shows it verbatim: outside its `code` spans, `<Dockerfile>`
    would be an HTML tag and `*.json` the start of emphasis, so they are escaped."""
    spans = text.split("`")
    for index in range(0, len(spans), 2):  # the even pieces are outside the code spans
        for char in "\\*<":
            spans[index] = spans[index].replace(char, "\\" + char)
    return "`".join(spans)


def main() -> int:
    sys.stdout.write(commands_markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
