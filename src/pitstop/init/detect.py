"""What `pitstop init` finds in a repository: its package manager, how its tests run, its
Dockerfiles and workflows, and whether pitstop is configured already.

Every file is read through `pitstop.files` (regular files inside the repository, of bounded
size); the file list is the review's own (`pitstop.review.discovery`), so init sees the
repository as `pitstop review` does. Nothing of the repository is executed.
"""

from __future__ import annotations

import configparser
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from pitstop.config import invalid_toml
from pitstop.errors import PitstopError
from pitstop.files import inside_root, read_text_file
from pitstop.review.discovery import find_dockerfiles, repository_files

# Lock files, in the order they decide the manager (a repository rarely has two).
LOCK_FILES = (
    ("uv.lock", "uv"),
    ("poetry.lock", "poetry"),
    ("Pipfile.lock", "pipenv"),
    ("pdm.lock", "pdm"),
)
# Root requirements files a test job installs: the project's own and its test tools'.
_REQUIREMENTS = (
    "requirements.txt",
    "requirements-dev.txt",
    "requirements-test.txt",
    "requirements-tests.txt",
    "requirements_dev.txt",
    "requirements_test.txt",
)
# Interpreters the workflow may set up, newest first: the first the project accepts is used.
PYTHONS = ("3.13", "3.12", "3.11", "3.10", "3.9")
# An extra's or group's name as PEP 685 writes it: it goes into shell commands, so nothing else.
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\Z")
_NOT_SOURCE_ROOTS = frozenset(
    {"src", "tests", "test", "docs", "doc", "examples", "benchmarks", "scripts"}
)


@dataclass(frozen=True)
class Detected:
    """What init found; each `*_why` says from which file, for the comments it writes."""

    manager: str  # uv, poetry, pipenv, pdm or pip
    manager_why: str
    requirements: tuple[str, ...]  # root requirements files (pip)
    test_extra: str | None  # an optional-dependencies extra that lists pytest
    test_group: str | None  # a dependency group that lists pytest
    pytest_why: str | None  # where pytest's configuration is, None when none was found
    testpaths: tuple[str, ...]
    dockerfiles: tuple[str, ...]
    workflows: tuple[str, ...]
    source_roots: tuple[str, ...]
    python: str
    python_why: str
    has_pyproject: bool
    installable: bool  # pyproject.toml or setup.py: `pip install -e .` works
    existing: str | None  # the file that configures pitstop already
    default_branch: str


def detect(root: Path) -> Detected:
    """Look at the repository at `root` (read-only)."""
    files = repository_files(root)
    present = frozenset(files)
    pyproject = _toml(root, "pyproject.toml") if "pyproject.toml" in present else {}
    manager, manager_why = _manager(present, pyproject)
    extra, group = _test_dependencies(pyproject)
    pytest_why, testpaths = _pytest(root, present, pyproject)
    python, python_why = _python(root, present, pyproject)
    return Detected(
        manager=manager,
        manager_why=manager_why,
        requirements=tuple(r for r in _REQUIREMENTS if r in present),
        test_extra=extra,
        test_group=group,
        pytest_why=pytest_why,
        testpaths=testpaths,
        dockerfiles=tuple(find_dockerfiles(files)),
        workflows=tuple(f for f in files if _is_workflow(f)),
        source_roots=_source_roots(files, testpaths),
        python=python,
        python_why=python_why,
        has_pyproject="pyproject.toml" in present,
        installable="pyproject.toml" in present or "setup.py" in present,
        existing=_existing(root, present, pyproject),
        default_branch=_default_branch(root),
    )


def _read(root: Path, name: str) -> str:
    """A file of the repository; a symlink out of it is refused (it could name any file)."""
    if not inside_root(root / name, root):
        raise PitstopError("a link out of the repository; not read", path=name)
    return read_text_file(root / name, name)


def _toml(root: Path, name: str) -> dict[str, Any]:
    text = _read(root, name)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise invalid_toml(error, text, name) from None


def _table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    for key in keys:
        value = data.get(key)
        data = value if isinstance(value, dict) else {}
    return data


def _manager(present: frozenset[str], pyproject: Mapping[str, Any]) -> tuple[str, str]:
    for lock, manager in LOCK_FILES:
        if lock in present:
            return manager, f"{lock} at the root"
    if _table(pyproject, "tool", "poetry"):
        return "poetry", "[tool.poetry] in pyproject.toml (no poetry.lock yet)"
    if any(r in present for r in _REQUIREMENTS):
        return "pip", "requirements files at the root"
    backend = _table(pyproject, "build-system").get("build-backend")
    if isinstance(backend, str):
        return "pip", f"pyproject.toml builds with {backend}"
    return "pip", "no lock file, requirements file or build backend found: pip assumed"


def _lists_pytest(requirements: object) -> bool:
    names = requirements if isinstance(requirements, list) else []
    return any(
        isinstance(r, str) and re.match(r"pytest\b(?![-_.])", r.strip().lower()) for r in names
    )


def _test_dependencies(pyproject: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The first extra and the first dependency group that list pytest."""
    extras = _table(pyproject, "project", "optional-dependencies")
    groups = pyproject.get("dependency-groups")
    groups = groups if isinstance(groups, dict) else {}
    extra = next((n for n, deps in extras.items() if _NAME.match(n) and _lists_pytest(deps)), None)
    group = next((n for n, deps in groups.items() if _NAME.match(n) and _lists_pytest(deps)), None)
    return extra, group


def _pytest(
    root: Path, present: frozenset[str], pyproject: Mapping[str, Any]
) -> tuple[str | None, tuple[str, ...]]:
    """Where pytest's configuration is (the first file pytest itself would read) and its
    testpaths, else the tests folder, if there is one."""
    where, testpaths = _pytest_config(root, present, pyproject)
    if testpaths:
        return where, testpaths
    folder = next(
        (f for f in ("tests", "test") if any(p.startswith(f"{f}/") for p in present)), None
    )
    return where, (folder,) if folder else ()


def _pytest_config(
    root: Path, present: frozenset[str], pyproject: Mapping[str, Any]
) -> tuple[str | None, tuple[str, ...]]:
    options = _table(pyproject, "tool", "pytest", "ini_options")
    if options:
        return "[tool.pytest.ini_options] in pyproject.toml", _words(options.get("testpaths"))
    for name, section in (
        ("pytest.ini", "pytest"),
        ("tox.ini", "pytest"),
        ("setup.cfg", "tool:pytest"),
    ):
        if name in present:
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read_string(_read(root, name))
            except configparser.Error:
                continue  # pytest would say what is wrong with it; init just looks elsewhere
            if parser.has_section(section):
                return f"[{section}] in {name}", _words(
                    parser.get(section, "testpaths", fallback="")
                )
    return None, ()


def _words(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return tuple(value.split()) if isinstance(value, str) else ()


def _python(root: Path, present: frozenset[str], pyproject: Mapping[str, Any]) -> tuple[str, str]:
    if ".python-version" in present:
        text = _read(root, ".python-version").strip()
        match = re.match(r"(3\.\d+)", text)
        if match:
            return match.group(1), ".python-version"
    requires = _table(pyproject, "project").get("requires-python")
    if isinstance(requires, str):
        try:
            accepted = SpecifierSet(requires)
        except InvalidSpecifier:
            accepted = SpecifierSet()
        chosen = next((p for p in PYTHONS if accepted.contains(f"{p}.0")), None)
        if chosen is not None:
            return chosen, f"the newest Python requires-python ({requires}) accepts"
    return "3.12", "no .python-version or requires-python found"


def _is_workflow(path: str) -> bool:
    parts = PurePosixPath(path)
    return parts.parent.as_posix() == ".github/workflows" and parts.suffix in (".yml", ".yaml")


def _source_roots(files: list[str], testpaths: tuple[str, ...]) -> tuple[str, ...]:
    """Top-level folders that hold packages without being one (`libs/pkg/__init__.py`, no
    `libs/__init__.py`): `pitstop affected` knows the root and `src/` only."""
    present = frozenset(files)
    roots = set()
    for path in files:
        parts = PurePosixPath(path).parts
        if (
            len(parts) == 3
            and parts[2] == "__init__.py"
            and f"{parts[0]}/__init__.py" not in present
        ):
            roots.add(parts[0])
    skipped = _NOT_SOURCE_ROOTS | set(testpaths)
    return tuple(sorted(r for r in roots if r not in skipped and not r.startswith(".")))


def _existing(root: Path, present: frozenset[str], pyproject: Mapping[str, Any]) -> str | None:
    if ".pitstop.toml" in present or (root / ".pitstop.toml").exists():
        return ".pitstop.toml"
    if "pitstop" in _table(pyproject, "tool"):
        return "pyproject.toml"
    return None


def _default_branch(root: Path) -> str:
    """The remote's default branch as the last clone or fetch recorded it (a file git wrote,
    read, never git run); `main` when it is not known."""
    head = root / ".git" / "refs" / "remotes" / "origin" / "HEAD"
    try:
        readable = head.is_file() and inside_root(head, root)
        text = read_text_file(head, ".git/refs/remotes/origin/HEAD") if readable else ""
    except PitstopError:
        return "main"
    match = re.fullmatch(r"ref: refs/remotes/origin/([\w./-]+)\s*", text)
    return match.group(1) if match else "main"
