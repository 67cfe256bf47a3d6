"""What the selection needs to know about the project beyond its Python files.

From pitstop's own configuration (`.pitstop.toml` table `[affected]`, else `pyproject.toml`
table `[tool.pitstop.affected]`):

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
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pitstop.errors import ConfigError, PitstopError

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
KEYS = ("run-all", "source-roots")


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
    pyproject = _toml(root / "pyproject.toml")
    own, source = _own_table(root, pyproject)
    pytest = _pytest_options(root, pyproject)
    run_all, roots = _checked(own, source)
    return Settings(
        run_all=DEFAULT_RUN_ALL + run_all,
        source_roots=roots + _setuptools_roots(pyproject) + _words(pytest.get("pythonpath")),
        test_files=_words(pytest.get("python_files")) or DEFAULT_TEST_FILES,
        testpaths=_words(pytest.get("testpaths")),
        plugins=_plugins(pytest.get("addopts")) + _entry_points(pyproject),
        scripts=_scripts(pyproject),
    )


def _toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise PitstopError(f"cannot read: {error}", path=str(path)) from None


def _own_table(root: Path, pyproject: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    dotfile = root / ".pitstop.toml"
    if dotfile.is_file():
        return _toml(dotfile).get("affected", {}), str(dotfile)
    table = pyproject.get("tool", {}).get("pitstop", {}).get("affected", {})
    return table, str(root / "pyproject.toml")


def _checked(table: Mapping[str, Any], source: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    problems: list[tuple[int | None, str]] = []
    if not isinstance(table, Mapping):
        raise ConfigError([(None, "[affected] must be a table")], path=source)
    for key in table:
        if key not in KEYS:
            problems.append(
                (None, f"affected: unknown key {key!r} (valid keys: {', '.join(KEYS)})")
            )
    values = [_strings(table, key, problems.append) for key in KEYS]
    if problems:
        raise ConfigError(problems, path=source)
    return values[0], tuple(v.strip("/") for v in values[1])


def _strings(
    table: Mapping[str, Any], key: str, problem: Callable[[tuple[int | None, str]], None]
) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problem((None, f"affected.{key} must be a list of strings"))
        return ()
    return tuple(value)


def _pytest_options(root: Path, pyproject: Mapping[str, Any]) -> Mapping[str, Any]:
    """pytest's ini options from the first file that has them, in pytest's order."""
    for name, section in (("pytest.ini", "pytest"), (".pytest.ini", "pytest")):
        options = _ini_section(root / name, section)
        if options is not None:
            return options
    table = pyproject.get("tool", {}).get("pytest", {}).get("ini_options")
    if isinstance(table, Mapping):
        return table
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        options = _ini_section(root / name, section)
        if options is not None:
            return options
    return {}


def _ini_section(path: Path, section: str) -> dict[str, str] | None:
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError, OSError):
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
    points = pyproject.get("project", {}).get("entry-points", {}).get("pytest11", {})
    if not isinstance(points, Mapping):
        return ()
    return tuple(str(v).split(":")[0].strip() for v in points.values())


def _scripts(pyproject: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """`[project.scripts]`, `[project.gui-scripts]` and `[tool.poetry.scripts]`: each name
    with the `module:function` it runs."""
    project = pyproject.get("project", {})
    tables = [project.get("scripts"), project.get("gui-scripts")]
    tables.append(pyproject.get("tool", {}).get("poetry", {}).get("scripts"))
    found = []
    for table in tables:
        for name, target in table.items() if isinstance(table, Mapping) else ():
            spec = target.get("reference") if isinstance(target, Mapping) else target
            if isinstance(spec, str) and ":" in spec:
                found.append((str(name), spec.strip()))
    return tuple(found)


def _setuptools_roots(pyproject: Mapping[str, Any]) -> tuple[str, ...]:
    setuptools = pyproject.get("tool", {}).get("setuptools", {})
    roots: list[str] = []
    find = setuptools.get("packages", {})
    if isinstance(find, Mapping):
        roots += _words(find.get("find", {}).get("where"))
    package_dir = setuptools.get("package-dir", {})
    if isinstance(package_dir, Mapping) and isinstance(package_dir.get(""), str):
        roots.append(package_dir[""])
    return tuple(r.strip("/") for r in roots if r.strip("/") not in ("", "."))
