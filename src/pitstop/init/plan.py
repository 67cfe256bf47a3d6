"""What `pitstop init` writes, where, and how: decided before anything is written, shown as
a unified diff (`--dry-run`), then written all or none (`pitstop.files.write_all`).

The configuration goes where pitstop's loader will find it: beside an existing one (only
with `force`), else into `pyproject.toml` as `[tool.pitstop]`, else into `.pitstop.toml`.
pyproject.toml keeps every byte it had (comments, order, line endings, a byte-order mark):
the table is appended in the file's own line endings; with `force`, the old table is first
taken out by tomlkit, which leaves the rest of the document as it was.
"""

from __future__ import annotations

import codecs
import difflib
import itertools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pitstop.config import invalid_toml
from pitstop.errors import PitstopError
from pitstop.files import MAX_FILE_BYTES, read_regular_file, write_all
from pitstop.init.detect import Detected, detect
from pitstop.init.render import config_text, workflow_text

PYPROJECT = "pyproject.toml"
DOTFILE = ".pitstop.toml"
WORKFLOW = ".github/workflows/pitstop.yml"
# A table header line: `[name]` or `[[name]]`, maybe a comment after it.
_HEADER = re.compile(r"[ \t]*\[\[?([^\[\]\n]*)\]\]?[ \t]*(?:#.*)?\r?\n?\Z")


@dataclass(frozen=True)
class InitWrite:
    """One file init writes: its path from the root, its bytes before (None: a new file)
    and after."""

    path: str
    before: bytes | None
    after: bytes


@dataclass(frozen=True)
class InitPlan:
    root: Path
    found: Detected
    writes: tuple[InitWrite, ...]
    notes: tuple[str, ...]  # what the user should know about where things went


def plan_init(root: Path, *, workflow: bool = False, force: bool = False) -> InitPlan:
    """What init would write in `root`; PitstopError (nothing written) when a file it would
    replace exists and `force` is not given."""
    if not root.is_dir():
        raise PitstopError("not a folder", path=str(root))
    found = detect(root)
    _refuse_overwrite(root, found, workflow=workflow, force=force)
    config, notes = _config_write(root, found)
    writes = [config]
    if workflow:
        writes.append(_new_file(root, WORKFLOW, workflow_text(found)))
    return InitPlan(root, found, tuple(writes), tuple(notes))


def _refuse_overwrite(root: Path, found: Detected, *, workflow: bool, force: bool) -> None:
    there = []
    if found.existing is not None:
        table = "[tool.pitstop]" if found.existing == PYPROJECT else "pitstop configuration"
        there.append(f"{found.existing} ({table})")
    if workflow and (root / WORKFLOW).exists():
        there.append(WORKFLOW)
    if there and not force:
        raise PitstopError(
            f"pitstop is set up already: {', '.join(there)}; nothing written (--force replaces it)"
        )


def _config_write(root: Path, found: Detected) -> tuple[InitWrite, list[str]]:
    if found.existing == DOTFILE or not found.has_pyproject:
        return _new_file(root, DOTFILE, config_text(found, pyproject=False)), []
    before = read_regular_file(root / PYPROJECT, PYPROJECT)
    after = _with_table(before, config_text(found, pyproject=True))
    if after is None:
        note = (
            f"{PYPROJECT} defines `tool` in a way a [tool.pitstop] table cannot be added to "
            f"(an inline table or dotted keys): the configuration goes to {DOTFILE}"
        )
        return _new_file(root, DOTFILE, config_text(found, pyproject=False)), [note]
    return InitWrite(PYPROJECT, before, after), []


def _with_table(before: bytes, table: str) -> bytes | None:
    """pyproject.toml's bytes with `table` in place of any `[tool.pitstop]` it had, appended
    in the file's own line endings; None when the result would not hold the table as TOML."""
    bom = codecs.BOM_UTF8 if before.startswith(codecs.BOM_UTF8) else b""
    try:
        text = before[len(bom) :].decode("utf-8")
    except UnicodeDecodeError:
        raise PitstopError("not UTF-8; not changed", path=PYPROJECT) from None
    text = _without_pitstop(text)
    newline = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith("\n"):
        text += newline
    separator = newline if text.strip() else ""
    result = text + separator + table.replace("\n", newline)
    try:
        written = tomllib.loads(result)["tool"]["pitstop"]
    except (tomllib.TOMLDecodeError, KeyError, TypeError):
        return None
    if written != tomllib.loads(table)["tool"]["pitstop"]:
        return None
    return bom + result.encode("utf-8")


def _without_pitstop(text: str) -> str:
    """`text` without its `tool.pitstop` table (and its sub-tables), the rest untouched."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise invalid_toml(error, text, PYPROJECT) from None
    if "pitstop" not in data.get("tool", {}):
        return text
    expected = dict(data, tool={k: v for k, v in data["tool"].items() if k != "pitstop"})
    if not expected["tool"]:
        del expected["tool"]
    cut = _cut_tables(text)
    if _parses_to(cut, expected):
        return cut
    import tomlkit  # only here: the table was not written as plain [tool.pitstop...] headers

    document = tomlkit.parse(text)
    tool = document["tool"]
    del tool["pitstop"]
    if not tool:
        del document["tool"]
    return document.as_string()


def _cut_tables(text: str) -> str:
    """`text` without the lines of its `[tool.pitstop...]` tables. The comments and blank
    lines just before the next header stay: they usually speak of that table."""
    lines = text.splitlines(keepends=True)
    headers = [i for i, line in enumerate(lines) if _HEADER.match(line)] + [len(lines)]
    ours = [_is_pitstop_header(lines[i]) for i in headers[:-1]] + [False]
    dropped: set[int] = set()
    for n, (start, end) in enumerate(itertools.pairwise(headers)):
        if not ours[n]:
            continue
        while not ours[n + 1] and end > start + 1 and _comment_or_blank(lines[end - 1]):
            end -= 1
        dropped.update(range(start, end))
    return "".join(line for i, line in enumerate(lines) if i not in dropped)


def _is_pitstop_header(line: str) -> bool:
    match = _HEADER.match(line)
    name = re.sub(r"[\s\"']", "", match.group(1)) if match else ""
    return name == "tool.pitstop" or name.startswith("tool.pitstop.")


def _comment_or_blank(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#")


def _parses_to(text: str, expected: object) -> bool:
    try:
        return tomllib.loads(text) == expected
    except tomllib.TOMLDecodeError:
        return False


def _new_file(root: Path, path: str, text: str) -> InitWrite:
    """A file written whole: `text` in the line endings of the file it replaces, if any."""
    target = root / path
    before = read_regular_file(target, path, MAX_FILE_BYTES) if target.exists() else None
    newline = "\r\n" if before is not None and b"\r\n" in before else "\n"
    return InitWrite(path, before, text.replace("\n", newline).encode("utf-8"))


def init_diff(plan: InitPlan) -> str:
    """Every write of `plan` as one unified diff (`git apply` takes it)."""
    return "".join(_diff(write) for write in plan.writes)


def _diff(write: InitWrite) -> str:
    before = write.before.decode("utf-8-sig", "replace") if write.before is not None else ""
    after = write.after.decode("utf-8-sig")
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{write.path}" if write.before is not None else "/dev/null",
        tofile=f"b/{write.path}",
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def write_init(plan: InitPlan) -> None:
    """Write every file of `plan`, all or none."""
    write_all([(plan.root / w.path, w.after) for w in plan.writes], root=plan.root)
