"""The change from git: working tree against the merge base, and the safe fallbacks."""

from __future__ import annotations

from pathlib import Path

from pitstop.impact.git import SubprocessGit, change_since, inside_work_tree, previous_text
from tests.impact.fakes import PROJECT, commit, git, repository, write


def test_the_working_tree_counts_whole_but_ignored_files_and_the_cache_do_not(tmp_path: Path):
    root = repository(tmp_path / "r", {**PROJECT, ".gitignore": "*.log\n"})
    write(
        root,
        {"src/demo/util.py": "x = 1\n", "src/demo/new.py": "", "run.log": "", ".pitstop/a": ""},
    )
    git(root, "add", "src/demo/util.py")  # staged counts like unstaged
    write(root, {"tests/test_core.py": "changed = True\n"})
    change = change_since(SubprocessGit(root), "HEAD")
    assert change.run_all is None
    assert sorted(change.paths) == ["src/demo/new.py", "src/demo/util.py", "tests/test_core.py"]


def test_the_base_is_the_merge_base_with_the_ref(tmp_path: Path):
    root = repository(tmp_path / "r", PROJECT)
    git(root, "checkout", "-q", "-b", "feature")
    write(root, {"src/demo/util.py": "x = 2\n"})
    commit(root, "feature work")
    git(root, "checkout", "-q", "main")
    write(root, {"src/demo/extra.py": "y = 1\n"})
    commit(root, "main moves on")
    git(root, "checkout", "-q", "feature")
    change = change_since(SubprocessGit(root), "main")
    assert change.paths == ("src/demo/util.py",)  # main's own later change is not ours
    assert (
        previous_text(SubprocessGit(root), change.base or "", "src/demo/util.py")
        == PROJECT["src/demo/util.py"].encode()
    )


def test_renames_and_deletions_name_both_sides(tmp_path: Path):
    root = repository(tmp_path / "r", PROJECT)
    git(root, "mv", "src/demo/util.py", "src/demo/helpers.py")
    git(root, "rm", "-q", "tests/test_alone.py")
    change = change_since(SubprocessGit(root), "HEAD")
    assert sorted(change.paths) == [
        "src/demo/helpers.py",
        "src/demo/util.py",
        "tests/test_alone.py",
    ]


def test_a_missing_base_ref_runs_everything_and_says_how_to_fetch_it(tmp_path: Path):
    root = repository(tmp_path / "r", PROJECT)
    change = change_since(SubprocessGit(root), "origin/main")
    assert change.paths == ()
    assert change.run_all is not None
    assert "'origin/main' not found" in change.run_all and "fetch-depth: 0" in change.run_all


def test_a_shallow_clone_without_the_merge_base_runs_everything(tmp_path: Path):
    origin = repository(tmp_path / "origin", PROJECT)
    git(origin, "checkout", "-q", "-b", "feature")
    for number in range(3):
        write(origin, {"src/demo/util.py": f"x = {number}\n"})
        commit(origin, f"feature {number}")
    git(origin, "checkout", "-q", "main")
    write(origin, {"src/demo/extra.py": "y = 1\n"})
    commit(origin, "main moves on")
    clone = tmp_path / "clone"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth",
        "1",
        "--no-single-branch",
        f"file://{origin}",
        str(clone),
    )
    git(clone, "checkout", "-q", "feature")
    change = change_since(SubprocessGit(clone), "origin/main")
    assert change.run_all is not None
    assert change.run_all.startswith("shallow clone") and "fetch-depth: 0" in change.run_all


def test_a_subfolder_root_sees_its_own_paths_and_counts_the_rest_outside(tmp_path: Path):
    root = repository(tmp_path / "r", {"backend/app.py": "", "frontend/x.js": ""})
    write(root, {"backend/app.py": "x = 1\n", "frontend/x.js": "1"})
    change = change_since(SubprocessGit(root / "backend"), "HEAD")
    assert (change.paths, change.outside) == (("app.py",), ("frontend/x.js",))


def test_outside_git_there_is_no_work_tree(tmp_path: Path):
    assert not inside_work_tree(SubprocessGit(tmp_path))


def test_a_folder_git_ignores_is_not_in_its_work_tree(tmp_path: Path):
    root = repository(tmp_path / "r", {".gitignore": "scratch/\n", "a.py": ""})
    write(root, {"scratch/sdist/pkg.py": ""})
    assert inside_work_tree(SubprocessGit(root))
    assert not inside_work_tree(SubprocessGit(root / "scratch" / "sdist"))


def test_git_failing_midway_runs_everything_with_the_reason(tmp_path: Path):
    from collections.abc import Sequence

    from pitstop.impact.git import GitError

    class DiffTimesOut:
        def run(self, args: Sequence[str]) -> bytes:
            if args[0] == "diff":
                raise GitError("git diff took longer than 60s")
            return SubprocessGit(root).run(args)

    root = repository(tmp_path / "r", PROJECT)
    change = change_since(DiffTimesOut(), "HEAD")
    assert change.paths == ()
    assert change.run_all == "git failed, so the change is unknown: git diff took longer than 60s"
