"""Which Python files the graph sees, with and without git."""

from __future__ import annotations

from pathlib import Path

from pitstop.impact.git import SubprocessGit
from pitstop.impact.tree import DiskTree
from tests.impact.fakes import repository, write

NOISE = {
    "venv/pyvenv.cfg": "",
    "venv/lib/site.py": "",
    "node_modules/x/y.py": "",
    ".tox/py311/z.py": "",
    "build/lib/pkg/a.py": "",
    "dist/b.py": "",
    ".pitstop/c.py": "",
    ".hidden/d.py": "",
    "pkg.egg-info/e.py": "",
}


def test_a_walk_skips_what_never_holds_the_projects_code(tmp_path: Path):
    root = write(tmp_path, {**NOISE, "pkg/__init__.py": "", "tests/test_a.py": "", "notes.txt": ""})
    assert DiskTree(root).python_files() == ["pkg/__init__.py", "tests/test_a.py"]


def test_git_lists_tracked_and_untracked_files_but_not_ignored_ones(tmp_path: Path):
    root = repository(tmp_path / "r", {".gitignore": "ignored/\n", "pkg/__init__.py": ""})
    write(root, {**NOISE, "pkg/new.py": "", "ignored/x.py": ""})
    tree = DiskTree(root, SubprocessGit(root))
    assert tree.python_files() == ["pkg/__init__.py", "pkg/new.py"]


def test_tracked_files_count_even_in_a_folder_named_build(tmp_path: Path):
    root = repository(tmp_path / "r", {"build/__init__.py": "", "build/steps.py": ""})
    assert DiskTree(root, SubprocessGit(root)).python_files() == [
        "build/__init__.py",
        "build/steps.py",
    ]


def test_missing_files_read_as_none(tmp_path: Path):
    tree = DiskTree(tmp_path)
    assert (tree.read("gone.py"), tree.stat("gone.py")) == (None, None)


def test_only_regular_files_inside_the_root_are_read(tmp_path: Path):
    """A tracked `x.py -> /dev/zero` would be read until memory runs out, and
    `secret.py -> /etc/passwd` would read a file outside the repository."""
    outside = tmp_path / "outside.py"
    outside.write_text("import secret_module\n")
    root = write(tmp_path / "repo", {"pkg/__init__.py": "import os\n"})
    (root / "pkg" / "zero.py").symlink_to("/dev/zero")
    (root / "pkg" / "secret.py").symlink_to(outside)
    (root / "pkg" / "inside.py").symlink_to("__init__.py")
    tree = DiskTree(root)
    assert tree.read("pkg/zero.py") is None
    assert tree.read("pkg/secret.py") is None
    assert tree.stat("pkg/secret.py") is None  # not even its metadata
    assert tree.stat("pkg/inside.py") is not None
    assert tree.read("pkg/inside.py") == b"import os\n"
    assert tree.read("pkg/__init__.py") == b"import os\n"
