"""The one way pitstop runs git: inside a repository whose own configuration is untrusted.

pitstop reads repositories it did not write (a zip from a colleague, a copied work tree,
a CI checkout of a pull request). A repository's `.git/config` and `.gitattributes` can name
programs that git starts on ordinary read commands; pitstop never executes anything of the
repository it reads, so every git call goes through `run_git`, which turns each of them off.

Reachable from the commands pitstop runs (`ls-files`, `rev-parse`, `check-ignore`,
`merge-base`, `diff --name-status`, `cat-file blob`, `config --get-regexp`), and how each is
neutralised:

- `core.fsmonitor`: a command run on any index read; forced to `false`.
- hooks (`post-index-change` on an index write): `core.hooksPath=/dev/null`, and
  `GIT_OPTIONAL_LOCKS=0` so read commands never refresh and rewrite the index at all.
- `core.untrackedCache`: off, so `ls-files --others` never writes the index either.
- filter drivers (`filter.<name>.clean`, `.smudge`, `.process`, chosen by `.gitattributes`):
  git runs the clean filter to hash a work-tree file whose stat data changed. The driver
  names are open-ended, so they are read from the configuration (reading runs nothing) and
  each one is blanked, and made not `required`, as command-line configuration, which wins
  over every configuration file.
- diff drivers (`diff.external`, `diff.<name>.command`, `diff.<name>.textconv`):
  `--no-ext-diff --no-textconv` on `diff`, plus the same blanking by name.
- `core.pager`: `--no-pager`; `core.askPass`, `credential.helper`, `core.sshCommand`,
  `core.editor`, `sequence.editor`, `gpg.program`, `core.alternateRefsCommand`: blanked
  (none is reached by a read command today; blanking them keeps a future command safe),
  with `GIT_TERMINAL_PROMPT=0` and `protocol.allow=never` so git never reaches a network.

The user's own global and system configuration are theirs and stay in force; only the
keys above are overridden. Every call has a timeout.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

DEFAULT_TIMEOUT = 60.0

# Keys that name a program, and the value that makes git run nothing.
SAFE_CONFIG = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", os.devnull),
    ("core.untrackedCache", "false"),
    ("core.pager", "cat"),
    ("core.askPass", ""),
    ("core.sshCommand", ""),
    ("core.editor", ""),
    ("core.alternateRefsCommand", ""),
    ("sequence.editor", ""),
    ("credential.helper", ""),
    ("gpg.program", ""),
    ("diff.external", ""),
    ("protocol.allow", "never"),
    ("core.quotePath", "false"),
)
SAFE_ENV = {"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat"}
# Per-driver keys that name a program (`filter.<name>.clean`, `diff.<name>.textconv`, ...).
_DRIVER_KEYS = {
    "filter": (("clean", ""), ("smudge", ""), ("process", ""), ("required", "false")),
    "diff": (("command", ""), ("textconv", "")),
    "merge": (("driver", ""),),
}


class GitError(Exception):
    """git failed, timed out or is missing; the message is what it said on stderr."""


def run_git(cwd: Path, args: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """git's stdout for `args` (no `git` in front), run in `cwd` with every program-running
    setting of the repository turned off; GitError when it fails or exceeds `timeout`."""
    overrides = [*SAFE_CONFIG, *_driver_overrides(cwd, timeout)]
    return _run(cwd, args, overrides, timeout)


def _run(
    cwd: Path, args: Sequence[str], overrides: Sequence[tuple[str, str]], timeout: float
) -> bytes:
    command = ["git", "--no-pager", *args]
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            env=_environment(overrides),
            timeout=timeout,
            check=False,
        )
    except OSError as error:
        raise GitError(f"cannot run git: {error}") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0] if args else ''} took longer than {timeout:g}s") from None
    if done.returncode != 0:
        raise GitError(done.stderr.decode("utf-8", "replace").strip())
    return done.stdout


def _environment(overrides: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The environment with `overrides` as command-line configuration. GIT_CONFIG_KEY_<n> and
    GIT_CONFIG_VALUE_<n> keep a key and its value apart, so a driver name holding `=` (legal
    in a subsection) cannot change which key is set, as it could in `-c key=value`. Overrides
    the user already passes this way are kept, before ours."""
    env = {**os.environ, **SAFE_ENV}
    try:
        start = int(env.get("GIT_CONFIG_COUNT", "0"))
    except ValueError:
        start = 0
    for index, (key, value) in enumerate(overrides, start):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    env["GIT_CONFIG_COUNT"] = str(start + len(overrides))
    return env


def _driver_overrides(cwd: Path, timeout: float) -> list[tuple[str, str]]:
    """A blank value for each program key of every filter, diff and merge driver the
    configuration names (the names come from the repository, so they cannot be listed ahead)."""
    query = ["config", "-z", "--get-regexp", r"^(filter|diff|merge)\..+\."]
    try:
        output = _run(cwd, query, SAFE_CONFIG, timeout)
    except GitError:
        return []  # exit 1: no driver configured (or not a repository: nothing to run)
    drivers = {_driver(entry) for entry in output.split(b"\0") if entry}
    return [
        (f"{section}.{name}.{key}", value)
        for section, name in sorted(d for d in drivers if d is not None)
        for key, value in _DRIVER_KEYS[section]
    ]


def _driver(entry: bytes) -> tuple[str, str] | None:
    """(section, driver name) from one `config -z` entry, `section.name.key\\nvalue`."""
    key = entry.split(b"\n", 1)[0].decode("utf-8", "surrogateescape")
    section, _, rest = key.partition(".")
    name, _, _ = rest.rpartition(".")
    if section.lower() not in _DRIVER_KEYS or not name:
        return None
    return section.lower(), name
