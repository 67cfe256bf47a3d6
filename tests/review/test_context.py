"""The build context as BuildKit sends it, on small real trees."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from pitstop.parsers.ignore import IgnoreFile, parse_ignore
from pitstop.review.context_walk import (
    LARGE_FILE_BYTES,
    ContextFile,
    ContextTree,
    effective_ignore_file,
    largest_folders,
    missed_by_ignore,
    summarize,
    used_by_copy,
    walk_context,
)


def make(root: Path, files: Mapping[str, str | bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def ignore(text: str) -> IgnoreFile:
    return parse_ignore(text, ".dockerignore")


def paths(tree: ContextTree) -> list[str]:
    return [f.path for f in tree.files]


# --------------------------------------------------------------------------- ignore file


@pytest.mark.parametrize(
    ("files", "context", "dockerfile", "expected"),
    [
        ({".dockerignore": ""}, ".", "Dockerfile", ".dockerignore"),
        ({"svc/.dockerignore": ""}, "svc", "svc/Dockerfile", "svc/.dockerignore"),
        ({"svc/.dockerignore": ""}, "./svc/", None, "svc/.dockerignore"),
        (
            {"backend/.dockerignore": "", "backend/Dockerfile.dockerignore": ""},
            "backend",
            "backend/Dockerfile",
            "backend/Dockerfile.dockerignore",
        ),
        (
            {".dockerignore": "", "api.Dockerfile.dockerignore": ""},
            ".",
            "api.Dockerfile",
            "api.Dockerfile.dockerignore",
        ),
        (  # the Dockerfile's own ignore file works even outside the context
            {"docker/api.Dockerfile.dockerignore": "x", "services/api/.dockerignore": ""},
            "services/api",
            "docker/api.Dockerfile",
            "docker/api.Dockerfile.dockerignore",
        ),
        ({"svc/.dockerignore": ""}, "svc", "other/Dockerfile", "svc/.dockerignore"),
        ({"Dockerfile": "FROM x"}, ".", "Dockerfile", None),
        ({".dockerignore/x": ""}, ".", None, None),  # a folder is not an ignore file
    ],
)
def test_effective_ignore_file(
    tmp_path: Path,
    files: dict[str, str],
    context: str,
    dockerfile: str | None,
    expected: str | None,
) -> None:
    make(tmp_path, files)
    assert effective_ignore_file(tmp_path, context, dockerfile) == expected


# --------------------------------------------------------------------------- the walk


def test_files_sizes_and_path_order(tmp_path: Path) -> None:
    make(tmp_path, {"a.txt": "12", "a/x": "123", "a-b": "", "a0": "1", "b/c/d": "1234"})
    tree = walk_context(tmp_path, None)
    assert paths(tree) == sorted(paths(tree)) == ["a-b", "a.txt", "a/x", "a0", "b/c/d"]
    assert tree.files[1] == ContextFile("a.txt", 2)
    assert tree.bytes == 10
    assert (tree.problems, tree.pruned) == ((), 0)


def test_ignore_file_excludes_and_prunes(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "app.py": "",
            "README.md": "",
            "node_modules/pkg/index.js": "x" * 100,
            "src/__pycache__/m.pyc": "",
            "src/mod.py": "",
            ".dockerignore": "",
            "Dockerfile": "",
        },
    )
    tree = walk_context(tmp_path, ignore("node_modules\n**/__pycache__\n*.md\n.dockerignore"))
    # BuildKit reads the Dockerfile and the ignore file on their own channel: an excluded
    # .dockerignore is not in the context.
    assert paths(tree) == ["Dockerfile", "app.py", "src/mod.py"]
    assert tree.pruned == 2


def test_exception_brings_back_a_file_inside_an_excluded_folder(tmp_path: Path) -> None:
    make(tmp_path, {"docs/keep.md": "k", "docs/other.md": "o", "docs/api/x.md": "", "cache/a": ""})
    tree = walk_context(tmp_path, ignore("docs\ncache\n!docs/keep.md"))
    assert paths(tree) == ["docs/keep.md"]
    assert tree.pruned == 2  # cache, docs/api; docs itself is entered for the exception


def test_wildcard_exception_enters_every_excluded_folder(tmp_path: Path) -> None:
    make(tmp_path, {"node_modules/p/keep.txt": "", "node_modules/p/x.js": "", "a/keep.txt": ""})
    tree = walk_context(tmp_path, ignore("node_modules\n!**/keep.txt"))
    assert paths(tree) == ["a/keep.txt", "node_modules/p/keep.txt"]
    assert tree.pruned == 0


def test_walk_agrees_with_path_matching(tmp_path: Path) -> None:
    layout = [
        f"{top}/{middle}/{leaf}"
        for top in ("src", "docs", "tests", ".git", "pkg.egg-info")
        for middle in ("a", "__pycache__", "fixtures", "b.d")
        for leaf in ("x.py", "y.pyc", "README.md", "z.txt")
    ]
    make(tmp_path, dict.fromkeys([*layout, "README.md", "setup.py"], ""))
    rules = ignore(
        "**/__pycache__\n*.md\n!README.md\ndocs/**\n!docs/a/*.md\n.git\n"
        "tests/**/fixtures\n**/*.egg-info\n!**/b.d/z.txt\nsrc/?/x.py\n"
    )
    expected = [p for p in paths(walk_context(tmp_path, None)) if not rules.excludes(p)]
    assert paths(walk_context(tmp_path, rules)) == expected


def test_symlinks_are_sent_as_links_and_never_followed(tmp_path: Path) -> None:
    make(tmp_path, {"a/file": "data"})
    (tmp_path / "loop").symlink_to(".")
    (tmp_path / "a" / "back").symlink_to("..")
    (tmp_path / "out").symlink_to("/etc")
    (tmp_path / "dangling").symlink_to("missing/target")
    tree = walk_context(tmp_path, None)
    assert tree.files == (
        ContextFile("a/back", 2),
        ContextFile("a/file", 4),
        ContextFile("dangling", len("missing/target")),
        ContextFile("loop", 1),
        ContextFile("out", len("/etc")),
    )


def test_a_link_to_a_folder_is_matched_as_a_file(tmp_path: Path) -> None:
    make(tmp_path, {"real/x": ""})
    (tmp_path / "node_modules").symlink_to("real")
    tree = walk_context(tmp_path, ignore("node_modules"))
    assert paths(tree) == ["real/x"]


def test_second_hard_link_is_sent_with_size_zero(tmp_path: Path) -> None:
    make(tmp_path, {"b/data": "12345"})
    os.link(tmp_path / "b" / "data", tmp_path / "a")
    os.link(tmp_path / "b" / "data", tmp_path / "b.x")
    tree = walk_context(tmp_path, None)
    # Go walks b/ before b.x ("b" < "b.x" by name); the string order puts b.x first.
    assert tree.files == (ContextFile("a", 5), ContextFile("b.x", 0), ContextFile("b/data", 0))
    assert tree.bytes == 5


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], None]:
    """Make one folder fail to list, as chmod 000 would for a user other than root."""

    def deny(folder: Path) -> None:
        real = os.scandir

        def scandir(path: str) -> Iterator[os.DirEntry[str]]:
            if os.path.normpath(path) == os.path.normpath(folder):
                raise PermissionError(13, "Permission denied", path)
            return real(path)

        monkeypatch.setattr(os, "scandir", scandir)

    return deny


def test_unreadable_folder_is_a_problem(tmp_path: Path, unreadable: Callable[[Path], None]) -> None:
    make(tmp_path, {"secret/key": "", "app.py": ""})
    unreadable(tmp_path / "secret")
    tree = walk_context(tmp_path, None)
    assert paths(tree) == ["app.py"]
    (problem,) = tree.problems
    assert problem.path == "secret"
    assert "Permission denied" in problem.message and "error from sender" in problem.message


def test_unreadable_folder_inside_an_excluded_one_is_skipped(
    tmp_path: Path, unreadable: Callable[[Path], None]
) -> None:
    make(tmp_path, {"data/pg/base": "", "data/keep.txt": ""})
    unreadable(tmp_path / "data" / "pg")
    tree = walk_context(tmp_path, ignore("data\n!**/keep.txt"))
    assert paths(tree) == ["data/keep.txt"]
    assert tree.problems == ()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_unreadable_folder_on_disk(tmp_path: Path) -> None:
    make(tmp_path, {"secret/key": ""})
    (tmp_path / "secret").chmod(0)
    try:
        tree = walk_context(tmp_path, None)
    finally:
        (tmp_path / "secret").chmod(0o755)
    assert [p.path for p in tree.problems] == ["secret"]


def test_names_that_are_not_utf8(tmp_path: Path) -> None:
    base = os.fsencode(tmp_path)
    for name in (b"bad\xff.txt", b"skip\xfe.log"):
        with open(os.path.join(base, name), "wb") as handle:
            handle.write(b"x")
    os.mkdir(os.path.join(base, b"dir\xfe"))
    make(tmp_path, {"ok.txt": "1"})
    tree = walk_context(tmp_path, ignore("*.log"))
    assert paths(tree) == ["ok.txt"]
    assert [p.path for p in tree.problems] == ["bad\\xff.txt", "dir\\xfe"]
    assert all("UTF-8" in p.message for p in tree.problems)


def test_deep_trees_do_not_recurse(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*(["d"] * 400))
    deep.mkdir(parents=True)
    (deep / "f").write_text("x")
    tree = walk_context(tmp_path, ignore("**/e"))
    assert paths(tree) == ["/".join(["d"] * 400 + ["f"])]


def test_progress_reports_counts(tmp_path: Path) -> None:
    make(tmp_path, {f"d{i}/f{j}": "" for i in range(3) for j in range(700)})
    seen: list[int] = []
    tree = walk_context(tmp_path, None, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == len(tree.files) == 2100
    assert len(seen) >= 2


# --------------------------------------------------------------------------- analysis


def context(*files: tuple[str, int]) -> ContextTree:
    records = tuple(sorted(ContextFile(p, s) for p, s in files))
    return ContextTree(records, sum(s for _, s in files))


def test_largest_folders() -> None:
    tree = context(("a/x", 10), ("a/b/y", 30), ("c/z", 25), ("root.txt", 1000), ("a/b/c/w", 5))
    assert largest_folders(tree) == [("a", 45, 3), ("c", 25, 1)]
    assert largest_folders(tree, depth=2) == [("a/b", 35, 2), ("c", 25, 1), ("a", 10, 1)]
    assert largest_folders(tree, depth=2, top=1) == [("a/b", 35, 2)]


MESSY = context(
    (".git/HEAD", 10),
    (".git/objects/ab/cdef", 500),
    (".venv/pyvenv.cfg", 5),
    (".venv/lib/site.py", 100),
    ("tools/env/pyvenv.cfg", 5),
    ("tools/env/bin/python", 50),
    ("web/node_modules/left-pad/index.js", 40),
    ("src/pkg/__pycache__/m.cpython-312.pyc", 20),
    ("src/pkg/old.pyc", 7),
    (".pytest_cache/v/cache", 3),
    ("tests/test_app.py", 9),
    ("src/pkg/tests/test_unit.py", 4),
    ("docs/index.rst", 11),
    ("src/NOTES.md", 2),
    ("docs-site/a/b.md", 3),
    ("README.md", 1),
    ("CHANGELOG.md", 4),
    ("dist/pkg-1.0.whl", 300),
    ("build/lib/pkg/app.py", 30),
    ("src/pkg.egg-info/PKG-INFO", 6),
    ("htmlcov/index.html", 8),
    (".coverage", 12),
    ("models/weights.bin", LARGE_FILE_BYTES),
    ("assets/intro.mp4", 99),
    ("backups/db.tar.gz", 77),
    ("src/pkg/app.py", 123),
    ("src/pkg/build.py", 5),
)


def test_missed_by_ignore_finds_each_category() -> None:
    found = {(m.category, m.suggested_pattern): (m.paths, m.bytes) for m in missed_by_ignore(MESSY)}
    assert found == {
        ("VCS data", ".git"): ((".git",), 510),
        ("virtualenvs", ".venv"): ((".venv",), 105),
        ("virtualenvs", "tools/env"): (("tools/env",), 55),
        ("node_modules", "**/node_modules"): (("web/node_modules",), 40),
        ("caches", "**/__pycache__"): (("src/pkg/__pycache__",), 20),
        ("caches", "**/*.pyc"): (("src/pkg/old.pyc",), 7),
        ("caches", ".pytest_cache"): ((".pytest_cache",), 3),
        ("build outputs", "dist"): (("dist",), 300),
        ("build outputs", "build"): (("build",), 30),
        ("build outputs", "**/*.egg-info"): (("src/pkg.egg-info",), 6),
        ("build outputs", "htmlcov"): (("htmlcov",), 8),
        ("build outputs", "**/.coverage*"): ((".coverage",), 12),
        ("tests", "tests"): (("tests",), 9),
        ("docs", "docs"): (("docs",), 11),
        ("docs", "*/**/*.md"): (("docs-site/a/b.md", "src/NOTES.md"), 5),
        ("docs", "CHANGELOG.md"): (("CHANGELOG.md",), 4),
        ("large binaries", "models/weights.bin"): (("models/weights.bin",), LARGE_FILE_BYTES),
        ("large binaries", "**/*.mp4"): (("assets/intro.mp4",), 99),
        ("large binaries", "**/*.gz"): (("backups/db.tar.gz",), 77),
    }


def test_suggested_patterns_exclude_exactly_what_they_claim() -> None:
    kept = {"README.md", "src/pkg/app.py", "src/pkg/build.py", "src/pkg/tests/test_unit.py"}
    for miss in missed_by_ignore(MESSY):
        rules = ignore(miss.suggested_pattern)
        claimed = [
            f.path
            for f in MESSY.files
            if any(f.path == p or f.path.startswith(p + "/") for p in miss.paths)
        ]
        assert claimed and all(rules.excludes(p) for p in claimed), miss
        assert not any(rules.excludes(p) for p in kept), miss


def test_literal_patterns_escape_wildcards() -> None:
    tree = context(
        ("data/[raw]*?.bin", LARGE_FILE_BYTES),
        ("#notes!", LARGE_FILE_BYTES),
        ("line\nbreak ", LARGE_FILE_BYTES),
        ("media/Intro.MP4", 1),
    )
    misses = missed_by_ignore(tree)
    assert len(misses) == 4
    for miss in misses:
        rules = ignore(miss.suggested_pattern)
        assert [p for p in paths(tree) if rules.excludes(p)] == list(miss.paths)


@pytest.mark.parametrize("with_ignore", [False, True])
def test_the_walk_gathers_the_summary_computed_from_the_files(
    tmp_path: Path, with_ignore: bool
) -> None:
    """The summary `pitstop context` prints comes from the walk itself; it must be what the
    files say, for every category, with an ignore file or without."""
    make(tmp_path, {path: b"x" * size for path, size in MESSY.files if size < 1000})
    (tmp_path / "models").mkdir()
    with open(tmp_path / "models" / "weights.bin", "wb") as handle:
        handle.truncate(LARGE_FILE_BYTES)  # sparse: 10 MB on paper, nothing on disk
    rules = ignore("dist\n**/node_modules\n!web/node_modules/left-pad\n") if with_ignore else None
    walked = walk_context(tmp_path, rules)
    assert walked.summary is not None
    from_files = summarize(ContextTree(walked.files, walked.bytes))
    assert walked.summary == from_files
    assert from_files.missed and from_files.folders


def test_nothing_missed_in_a_clean_context() -> None:
    assert missed_by_ignore(context(("app.py", 1), ("README.md", 2), ("pkg/build.py", 3))) == []


# --------------------------------------------------------------------------- COPY sources


APP = context(
    ("pyproject.toml", 1),
    ("requirements.txt", 1),
    ("src/app/main.py", 1),
    ("src/app/sub/util.py", 1),
    ("src/lib.py", 1),
    ("docs/index.md", 1),
    ("app.py", 1),
    ("scripts/run.sh", 1),
)


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        (["src"], {"src/app/main.py", "src/app/sub/util.py", "src/lib.py"}),
        (["src/"], {"src/app/main.py", "src/app/sub/util.py", "src/lib.py"}),
        (["/src/app"], {"src/app/main.py", "src/app/sub/util.py"}),
        (["*.toml", "requirements.txt"], {"pyproject.toml", "requirements.txt"}),
        (["*.py"], {"app.py"}),  # a wildcard stays in its component
        (["src/*.py"], {"src/lib.py"}),
        (["src/*"], {"src/app/main.py", "src/app/sub/util.py", "src/lib.py"}),  # folders whole
        (["src/*/main.py"], {"src/app/main.py"}),
        (["s*/run.sh"], {"scripts/run.sh"}),
        (["../requirements.txt"], {"requirements.txt"}),  # cannot leave the context
        (["[abc]pp.py"], {"app.py"}),
        (["src/[", "missing.txt"], set()),  # Go rejects the pattern: it matches nothing
    ],
)
def test_used_by_copy(sources: list[str], expected: set[str]) -> None:
    assert used_by_copy(APP, sources) == expected


def test_used_by_copy_dot_is_everything() -> None:
    assert used_by_copy(APP, ["."]) == set(paths(APP))
    assert used_by_copy(APP, ["./"]) == set(paths(APP))


def test_bytes_no_copy_can_use() -> None:
    used = used_by_copy(APP, ["src", "requirements.txt"])
    assert sum(f.size for f in APP.files if f.path not in used) == 4
