"""Project settings: pitstop's own table and what pytest's configuration says about tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from pitstop.errors import ConfigError, PitstopError
from pitstop.impact.settings import DEFAULT_RUN_ALL, DEFAULT_TEST_FILES, load_settings
from tests.impact.fakes import write


def test_defaults_without_any_configuration(tmp_path: Path):
    settings = load_settings(tmp_path)
    assert (settings.run_all, settings.test_files, settings.testpaths) == (
        DEFAULT_RUN_ALL,
        DEFAULT_TEST_FILES,
        (),
    )


def test_pyproject_gives_run_all_globs_source_roots_pytest_options_and_plugins(tmp_path: Path):
    write(
        tmp_path,
        {
            "pyproject.toml": """
[project.entry-points.pytest11]
mine = "myplugin.plugin"

[tool.setuptools.packages.find]
where = ["lib"]

[tool.pitstop.affected]
run-all = ["docker/*.env"]
source-roots = ["packages/"]

[tool.pytest.ini_options]
testpaths = ["tests"]
python_files = ["check_*.py"]
pythonpath = ["helpers"]
addopts = "-q -p tests.plugin -pno:cacheprovider"
"""
        },
    )
    settings = load_settings(tmp_path)
    assert settings.run_all == (*DEFAULT_RUN_ALL, "docker/*.env")
    assert settings.source_roots == ("packages", "lib", "helpers")
    assert (settings.testpaths, settings.test_files) == (("tests",), ("check_*.py",))
    assert settings.plugins == ("tests.plugin", "myplugin.plugin")


def test_pitstop_toml_wins_over_pyproject(tmp_path: Path):
    write(
        tmp_path,
        {
            ".pitstop.toml": '[affected]\nrun-all = ["a.cfg"]\n',
            "pyproject.toml": '[tool.pitstop.affected]\nrun-all = ["b.cfg"]\n',
        },
    )
    assert load_settings(tmp_path).run_all[-1] == "a.cfg"


def test_pytest_ini_wins_over_pyproject_and_setup_cfg_is_read_last(tmp_path: Path):
    write(tmp_path, {"setup.cfg": "[tool:pytest]\ntestpaths = t1\n"})
    assert load_settings(tmp_path).testpaths == ("t1",)
    write(tmp_path, {"pyproject.toml": "[tool.pytest.ini_options]\ntestpaths = ['t2']\n"})
    assert load_settings(tmp_path).testpaths == ("t2",)
    write(tmp_path, {"pytest.ini": "[pytest]\ntestpaths = t3 t4\n"})
    assert load_settings(tmp_path).testpaths == ("t3", "t4")


def test_every_problem_of_the_affected_table_is_reported_at_once(tmp_path: Path):
    write(
        tmp_path,
        {"pyproject.toml": '[tool.pitstop.affected]\nrun_all = []\nsource-roots = "src"\n'},
    )
    with pytest.raises(ConfigError) as raised:
        load_settings(tmp_path)
    assert [message for _, message in raised.value.problems] == [
        "affected: unknown key 'run_all' (valid keys: run-all, source-roots)",
        "affected.source-roots must be a list of strings",
    ]


def test_the_review_configuration_accepts_the_affected_table(tmp_path: Path):
    from pitstop.config import load_config

    write(tmp_path, {"pyproject.toml": '[tool.pitstop.affected]\nrun-all = ["x"]\n'})
    assert load_config(tmp_path).fail_on is not None


def test_console_scripts_are_read_from_pep_621_and_poetry(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[project.scripts]\nx = "x.cli:main"\n'
        '[project.gui-scripts]\nxg = "x.gui:App.run"\n'
        '[tool.poetry.scripts]\nxp = "x.poetry:main"\nbad = 3\n'
    )
    assert load_settings(tmp_path).scripts == (
        ("x", "x.cli:main"),
        ("xg", "x.gui:App.run"),
        ("xp", "x.poetry:main"),
    )


@pytest.mark.parametrize(
    ("testpaths", "path", "expected"),
    [
        ((), "tests/test_a.py", True),
        ((), "tests.py", False),  # not a python_files name, and nothing names it
        (("tests.py",), "tests.py", True),  # named itself: pytest collects it as given
        (("./tests.py",), "tests.py", True),
        (("tests.py",), "tests/test_a.py", False),  # outside the testpaths
        (("tests",), "tests/unit/test_a.py", True),
        (("tests",), "tests/helpers.py", False),
        (("tests",), "testsuite/test_a.py", False),
        (("pkg/*/tests",), "pkg/core/tests/test_a.py", True),  # a glob pytest expands
        (("pkg/*/tests",), "pkg/core/sub/tests/test_a.py", False),  # `*` stays in a folder
        (("src/**/tests",), "src/a/b/tests/test_a.py", True),
        (("src/**/tests",), "src/tests/test_a.py", True),  # `**/` may be no folder at all
        (("src/**/tests",), "srcx/tests/test_a.py", False),
        (("test_[ab]*.py",), "test_b1.py", True),
        (("check?.py",), "check1.py", True),
        (("tests",), "tests/conftest.py", False),
    ],
)
def test_what_is_a_test_file_under_testpaths(tmp_path: Path, testpaths, path, expected):
    from dataclasses import replace

    from pitstop.impact.import_graph import is_test_file

    settings = replace(load_settings(tmp_path), testpaths=testpaths)
    assert is_test_file(path, settings) is expected


def test_a_test_file_testpaths_names_is_selected_for_a_change(tmp_path: Path):
    from pitstop import api

    write(
        tmp_path,
        {
            "setup.cfg": "[tool:pytest]\ntestpaths = tests.py\n",
            "signer.py": "def sign(value):\n    return value + '.sig'\n",
            "tests.py": "from signer import sign\n\ndef test_sign():\n    assert sign('a')\n",
        },
    )
    result = api.affected(tmp_path, changed=["signer.py"])
    assert result.selected == ("tests.py",)


def test_the_pyproject_is_decoded_once_for_the_configuration_and_pytest(tmp_path, monkeypatch):
    import tomllib

    pyproject = '[tool.pitstop.affected]\nrun-all = ["data/*"]\n\n[tool.pytest.ini_options]\n'
    pyproject += 'python_files = ["check_*.py"]\n'
    write(tmp_path, {"pyproject.toml": pyproject})
    decoded: list[str] = []
    loads = tomllib.loads
    monkeypatch.setattr(tomllib, "loads", lambda text: decoded.append(text) or loads(text))
    settings = load_settings(tmp_path)
    assert settings.test_files == ("check_*.py",) and "data/*" in settings.run_all
    assert decoded == [pyproject]


def test_a_settings_file_leading_out_of_the_repository_is_refused(tmp_path: Path):
    outside = tmp_path / "outside.ini"
    outside.write_text("[pytest]\npython_files = check_*.py\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "pytest.ini").symlink_to(outside)
    with pytest.raises(PitstopError, match="outside the repository") as raised:
        load_settings(root)
    assert raised.value.path == str(root / "pytest.ini")


def test_a_settings_file_is_read_bounded(tmp_path: Path, monkeypatch):
    import pitstop.files

    monkeypatch.setattr(pitstop.files.read_regular_file, "__defaults__", (64,))
    write(tmp_path, {"tox.ini": "[pytest]\n" + "# padding\n" * 20})
    with pytest.raises(PitstopError, match="larger than"):
        load_settings(tmp_path)


def test_an_invalid_pyproject_names_its_line(tmp_path: Path):
    write(tmp_path, {".pitstop.toml": "", "pyproject.toml": '[project]\nname = "a"\nname = "b"\n'})
    with pytest.raises(PitstopError, match="invalid TOML") as raised:
        load_settings(tmp_path)
    assert raised.value.line == 3
