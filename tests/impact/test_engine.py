"""`api.affected` and `api.explain` on real repositories, as the CLI and the plugin call them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pitstop import api
from pitstop.errors import PitstopError
from tests.impact.fakes import PROJECT, commit, git, repository, write


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return repository(tmp_path / "project", PROJECT)


def test_uncommitted_changes_by_default(project: Path):
    write(project, {"src/demo/extra.py": "def spare():\n    return 3\n"})
    result = api.affected(project)
    assert (result.run_all, result.changed, result.selected) == (
        False,
        ("src/demo/extra.py",),
        ("tests/test_extra.py",),  # a body-only change: test_core only loads extra.py
    )
    plain = api.affected(project, precise=False)
    assert plain.selected == ("tests/test_core.py", "tests/test_extra.py")


def test_a_branch_against_its_base(project: Path):
    git(project, "checkout", "-q", "-b", "feature")
    write(project, {"src/demo/util.py": "def helper():\n    return 2\n"})
    commit(project, "work")
    assert api.affected(project, base="main").selected == ("tests/test_core.py",)
    assert api.affected(project, base="HEAD").selected == ()


def test_an_untracked_test_file_selects_itself(project: Path):
    write(project, {"tests/test_new.py": "def test_new():\n    pass\n"})
    result = api.affected(project)
    assert result.selected == ("tests/test_new.py",) and result.total == 4


def test_changed_paths_work_outside_git(tmp_path: Path):
    root = write(tmp_path / "plain", PROJECT)
    result = api.affected(root, changed=["src/demo/util.py", str(root / "tests/test_alone.py")])
    assert result.changed == ("src/demo/util.py", "tests/test_alone.py")
    assert result.selected == ("tests/test_alone.py", "tests/test_core.py", "tests/test_extra.py")
    assert api.affected(root, changed=["/elsewhere/x.py"]).reasons == (
        "1 changed path(s) outside the root were not considered",
    )


def test_without_git_the_change_must_be_named(tmp_path: Path):
    with pytest.raises(PitstopError, match="not a git repository: name the changes with --changed"):
        api.affected(tmp_path)


def test_base_and_changed_together_are_a_usage_error(project: Path):
    with pytest.raises(PitstopError, match="either --base or --changed"):
        api.affected(project, base="main", changed=["x.py"])


def test_a_missing_root_is_a_usage_error(tmp_path: Path):
    with pytest.raises(PitstopError, match="no such directory"):
        api.affected(tmp_path / "nope", changed=[])


def test_a_missing_base_runs_everything(project: Path):
    result = api.affected(project, base="origin/main")
    assert result.run_all and len(result.selected) == result.total == 3
    assert "git fetch origin origin/main" in result.reasons[0] or "fetch" in result.reasons[0]


def test_the_cache_does_not_show_up_as_a_change(project: Path):
    api.affected(project)
    assert (project / ".pitstop" / "affected.json").is_file()
    assert api.affected(project).changed == ()


def test_explain_gives_the_chain_from_the_changed_file(project: Path):
    write(project, {"src/demo/util.py": "def helper():\n    return 2\n"})
    explanation = api.explain("tests/test_core.py", project)
    assert explanation.selected
    assert [(s.path, s.why) for s in explanation.chain] == [
        ("src/demo/util.py", "changed"),
        ("src/demo/core.py", "line 1"),
        ("src/demo/__init__.py", "re-exports 'run'"),
        ("tests/test_core.py", "line 1"),
    ]
    unaffected = api.explain("tests/test_extra.py", project)
    assert not unaffected.selected and "not affected" in unaffected.summary


def test_explain_of_a_file_that_is_not_a_test_is_a_usage_error(project: Path):
    with pytest.raises(PitstopError, match="not a test file"):
        api.explain("src/demo/util.py", project)


def test_explain_when_everything_runs(project: Path):
    write(project, {"pyproject.toml": "[project]\nname = 'demo2'\n"})
    explanation = api.explain("tests/test_alone.py", project)
    assert explanation.selected and explanation.summary.startswith(
        "every test runs: pyproject.toml"
    )


def test_explain_names_the_module_that_acts_at_import_time(tmp_path: Path):
    registry = "HOOKS = []\n\ndef register(f):\n    HOOKS.append(f)\n    return f\n"
    extra = "from .registry import register\n\n@register\ndef spare():\n    return 2\n"
    files = {**PROJECT, "src/demo/registry.py": registry, "src/demo/extra.py": extra}
    project = repository(tmp_path / "project", files)
    write(project, {"src/demo/extra.py": extra.replace("return 2", "return 3")})
    assert api.explain("tests/test_core.py", project).summary == (
        "tests/test_core.py loads src/demo/extra.py but its import-time code runs or hands out "
        "functions of its own, so even a change inside a function body can reach it"
    )


def test_explain_names_another_loaded_module_that_acts_at_import_time(tmp_path: Path):
    files = {
        **PROJECT,
        "src/demo/__init__.py": PROJECT["src/demo/__init__.py"] + "from .plugin import X\n",
        "src/demo/plugin.py": "from .extra import spare\n\nX = spare()\n",
    }
    project = repository(tmp_path / "project", files)
    write(project, {"src/demo/extra.py": "def spare():\n    return 3\n"})
    explanation = api.explain("tests/test_core.py", project)
    assert explanation.selected and explanation.summary == (
        "tests/test_core.py loads src/demo/extra.py; it also loads src/demo/plugin.py, which it "
        "does not call, but its import-time code uses extra.spare from the repository, so even "
        "a change inside a function body can reach it"
    )
