"""What the selection needs to know about the project beyond its Python files.

From pitstop's own configuration, read and checked by `pitstop.config.load_config` (the one
loader; `.pitstop.toml` table `[affected]`, else `pyproject.toml` `[tool.pitstop.affected]`):

- `run-all`: globs of files whose change runs every test, added to `DEFAULT_RUN_ALL`;
- `source-roots`: folders that hold top-level packages besides the root and `src/`.

From pytest's configuration (`pytest.ini`, `pyproject.toml` `[tool.pytest.ini_options]`,
`tox.ini` `[pytest]`, `setup.cfg` `[tool:pytest]`, the first that has it, as pytest reads
them): `python_files` (what is a test file), `testpaths` (where tests are), `pythonpath`
(more source roots) and the `-p` plugins of `addopts`. The project's own `pytest11` entry
points count as plugins too: pytest loads them in every session, so every test depends on them.
"""

from __future__ import annotations

import configparser
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pitstop.config import Config, load_config
from pitstop.files import read_text_file, refuse_outside
from pitstop.parsers.tomlfile import parse_toml

# Files whose change can alter every test: dependencies, interpreter, test settings.
DEFAULT_RUN_ALL = (
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "tox.ini",
    "pytest.ini",
    ".pytest.ini",
    "requirements*.txt",
    "**/requirements/*.txt",
    "constraints*.txt",
    "*.lock",
    "Pipfile",
    ".python-version",
)
DEFAULT_TEST_FILES = ("test_*.py", "*_test.py")


@dataclass(frozen=True)
class Settings:
    run_all: tuple[str, ...] = DEFAULT_RUN_ALL
    source_roots: tuple[str, ...] = ()
    test_files: tuple[str, ...] = DEFAULT_TEST_FILES
    testpaths: tuple[str, ...] = ()
    plugins: tuple[str, ...] = ()
    # console scripts: a test that runs one by name (`["tool", "--help"]`) runs its function
    scripts: tuple[tuple[str, str], ...] = ()


def load_settings(root: Path) -> Settings:
    """The settings of the project at `root`; ConfigError for a malformed pitstop table."""
    config = load_config(root)
    own = config.affected
    pyproject = _pyproject(root, config)
    pytest = _pytest_options(root, pyproject)
    return Settings(
        run_all=DEFAULT_RUN_ALL + own.run_all,
        source_roots=own.source_roots
        + _setuptools_roots(pyproject)
        + _words(pytest.get("pythonpath")),
        test_files=_words(pytest.get("python_files")) or DEFAULT_TEST_FILES,
        testpaths=_words(pytest.get("testpaths")),
        plugins=_plugins(pytest.get("addopts")) + _entry_points(pyproject),
        scripts=_scripts(pyproject),
    )


def _pyproject(root: Path, config: Config) -> Mapping[str, Any]:
    """The root pyproject.toml, decoded; the configuration's decoding when it read the same
    text (it reads this file for `[tool.pitstop]`), so the file is decoded once."""
    path = root / "pyproject.toml"
    text = _text(root, path)
    if text is None:
        return {}
    pyproject = parse_toml(text, str(path), config.decoded)
    if pyproject.problem is not None:
        raise pyproject.problem
    return pyproject.document


def _text(root: Path, path: Path) -> str | None:
    """A settings file's text, None when there is none; PitstopError for one that leads out
    of the repository, or is too large or not UTF-8 (read as every input is: bounded, and
    only when it is a regular file)."""
    try:
        if not path.is_file():
            return None
    except OSError:
        return None
    return read_text_file(refuse_outside(path, root), str(path))


def _pytest_options(root: Path, pyproject: Mapping[str, Any]) -> Mapping[str, Any]:
    """pytest's ini options from the first file that has them, in pytest's order."""
    for name, section in (("pytest.ini", "pytest"), (".pytest.ini", "pytest")):
        options = _ini_section(root, root / name, section)
        if options is not None:
            return options
    table = _dig(pyproject, "tool", "pytest", "ini_options")
    if isinstance(table, Mapping):
        return table
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        options = _ini_section(root, root / name, section)
        if options is not None:
            return options
    return {}


def _ini_section(root: Path, path: Path, section: str) -> dict[str, str] | None:
    text = _text(root, path)
    if text is None:
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, str(path))
    except configparser.Error:
        return None
    return dict(parser[section]) if parser.has_section(section) else None


def _words(value: object) -> tuple[str, ...]:
    """An ini value as a list: TOML lists as they are, ini strings split on whitespace."""
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def _plugins(addopts: object) -> tuple[str, ...]:
    words = list(_words(addopts)) if isinstance(addopts, list) else _split(addopts)
    plugins = []
    for index, word in enumerate(words):
        name = words[index + 1] if word == "-p" and index + 1 < len(words) else None
        if word.startswith("-p") and len(word) > 2:
            name = word[2:]
        if name and not name.startswith("no:"):
            plugins.append(name)
    return tuple(plugins)


def _split(value: object) -> list[str]:
    if not isinstance(value, str):
        return []
    try:
        return shlex.split(value)
    except ValueError:
        return value.split()


def _entry_points(pyproject: Mapping[str, Any]) -> tuple[str, ...]:
    points = _dig(pyproject, "project", "entry-points", "pytest11")
    if not isinstance(points, Mapping):
        return ()
    return tuple(str(v).split(":")[0].strip() for v in points.values())


def _scripts(pyproject: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """`[project.scripts]`, `[project.gui-scripts]` and `[tool.poetry.scripts]`: each name
    with the `module:function` it runs."""
    tables = [_dig(pyproject, "project", "scripts"), _dig(pyproject, "project", "gui-scripts")]
    tables.append(_dig(pyproject, "tool", "poetry", "scripts"))
    found = []
    for table in tables:
        for name, target in table.items() if isinstance(table, Mapping) else ():
            spec = target.get("reference") if isinstance(target, Mapping) else target
            if isinstance(spec, str) and ":" in spec:
                found.append((str(name), spec.strip()))
    return tuple(found)


def _setuptools_roots(pyproject: Mapping[str, Any]) -> tuple[str, ...]:
    roots: list[str] = list(
        _words(_dig(pyproject, "tool", "setuptools", "packages", "find", "where"))
    )
    package_dir = _dig(pyproject, "tool", "setuptools", "package-dir")
    if isinstance(package_dir, Mapping) and isinstance(package_dir.get(""), str):
        roots.append(package_dir[""])
    return tuple(r.strip("/") for r in roots if r.strip("/") not in ("", "."))


def _dig(data: Mapping[str, Any], *keys: str) -> Any:
    """`data[k1][k2]...`, or None where a step is missing or not a table: these are other
    tools' tables in the user's file, and a malformed one is theirs to report, not a crash."""
    value: Any = data
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
