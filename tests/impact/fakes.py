"""In-memory trees and real git repositories for the selection tests."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pitstop.impact.cache import FactsStore
from pitstop.impact.import_graph import Graph, build_graph
from pitstop.impact.selector import ChangeSet, Selection, select
from pitstop.impact.settings import Settings


@dataclass
class FakeTree:
    """A source tree held in a dict: {path: text}."""

    files: dict[str, str] = field(default_factory=dict)

    def python_files(self) -> list[str]:
        return sorted(p for p in self.files if p.endswith(".py"))

    def read(self, path: str) -> bytes | None:
        text = self.files.get(path)
        return None if text is None else text.encode()

    def stat(self, path: str) -> tuple[int, ...] | None:
        return None if path not in self.files else (len(self.files[path]), 0)


def graph_of(files: Mapping[str, str], settings: Settings | None = None, deleted=()) -> Graph:
    store = FactsStore(FakeTree(dict(files)), None)
    return build_graph(store, settings or Settings(), deleted=deleted)


def selection(
    files: Mapping[str, str],
    changed: list[str],
    *,
    before: Mapping[str, str] | None = None,
    precise: bool = True,
    settings: Settings | None = None,
) -> Selection:
    """The selection for `changed` paths of the tree `files`; `before` gives the old text
    of changed files (as `--base` does), else their previous text is unknown."""
    graph = graph_of(files, settings, deleted=changed)
    previous = None
    if before is not None:
        old = dict(before)
        previous = lambda path: old[path].encode() if path in old else None  # noqa: E731
    return select(ChangeSet(tuple(changed), previous), graph, precise=precise)


def write(root: Path, files: Mapping[str, str | bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=root,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def repository(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """A git repository at `root` whose one commit on `main` holds `files`."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    write(root, files)
    commit(root, "init")
    return root


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


# A small src-layout project: a package that re-exports from two modules, and tests.
PROJECT = {
    "pyproject.toml": '[project]\nname = "demo"\n',
    "src/demo/__init__.py": "from .core import run\nfrom .extra import spare\n",
    "src/demo/core.py": "from .util import helper\n\ndef run():\n    return helper()\n",
    "src/demo/util.py": "def helper():\n    return 1\n",
    "src/demo/extra.py": "def spare():\n    return 2\n",
    "tests/conftest.py": "",
    "tests/test_core.py": "from demo import run\n\ndef test_run():\n    assert run() == 1\n",
    "tests/test_extra.py": "from demo import spare\n\ndef test_spare():\n    assert spare() == 2\n",
    "tests/test_alone.py": "def test_alone():\n    assert True\n",
}
