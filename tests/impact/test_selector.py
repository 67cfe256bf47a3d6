"""The selection on small in-memory projects: one test per rule of `pitstop affected`."""

from __future__ import annotations

import pytest

from pitstop.impact.settings import DEFAULT_RUN_ALL, Settings
from tests.impact.fakes import PROJECT, selection


def selected(files, changed, **options) -> list[str]:
    result = selection(files, changed, **options)
    assert not result.run_all, result.reasons
    return list(result.selected)


def test_a_changed_module_selects_the_tests_whose_closure_holds_it():
    before = {"src/demo/util.py": PROJECT["src/demo/util.py"]}
    after = {**PROJECT, "src/demo/util.py": "def helper():\n    return 5\n"}
    assert selected(after, ["src/demo/util.py"], before=before) == ["tests/test_core.py"]
    # without the old text the change may act on import, and `import demo` runs util.py
    assert selected(after, ["src/demo/util.py"]) == ["tests/test_core.py", "tests/test_extra.py"]


def test_a_changed_test_file_selects_itself():
    assert selected(PROJECT, ["tests/test_alone.py"]) == ["tests/test_alone.py"]


def test_nothing_changed_selects_nothing():
    result = selection(PROJECT, [])
    assert (result.selected, result.run_all, result.reasons) == ((), False, ())


def test_total_counts_test_files_only():
    assert selection(PROJECT, []).total == 3  # conftest.py is not a test file


# -- precision through re-export modules -------------------------------------------------

BODY_ONLY = {"src/demo/extra.py": "def spare():\n    return 99\n"}


def test_a_body_only_change_behind_a_reexport_skips_the_tests_that_only_load_it():
    before = {"src/demo/extra.py": PROJECT["src/demo/extra.py"]}
    after = {**PROJECT, **BODY_ONLY}
    assert selected(after, ["src/demo/extra.py"], before=before) == ["tests/test_extra.py"]


def test_without_the_previous_text_every_change_counts_as_an_import_time_change():
    after = {**PROJECT, **BODY_ONLY}
    assert selected(after, ["src/demo/extra.py"]) == ["tests/test_core.py", "tests/test_extra.py"]


def test_a_change_to_code_that_runs_on_import_selects_every_test_that_loads_it():
    before = {"src/demo/extra.py": PROJECT["src/demo/extra.py"]}
    after = {**PROJECT, "src/demo/extra.py": "LIMIT = 3\n\ndef spare():\n    return 2\n"}
    assert selected(after, ["src/demo/extra.py"], before=before) == [
        "tests/test_core.py",
        "tests/test_extra.py",
    ]


def test_a_module_that_hands_out_its_functions_on_import_is_never_skipped():
    registering = "from .registry import register\n\n@register\ndef spare():\n    return {}\n"
    files = {
        **PROJECT,
        "src/demo/registry.py": "HOOKS = []\ndef register(f):\n    HOOKS.append(f)\n    return f\n",
    }
    before = {"src/demo/extra.py": registering.format(1)}
    after = {**files, "src/demo/extra.py": registering.format(2).replace("{}", "3")}
    assert "tests/test_core.py" in selected(after, ["src/demo/extra.py"], before=before)


BOTH = ["tests/test_core.py", "tests/test_extra.py"]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ('from .extra import spare\nSEP = "-"\n', ["tests/test_extra.py"]),  # `+` on a str
        ('from .extra import spare\nSEP = "-"\nSEP = "+"\n', BOTH),  # not a constant
        ("from .extra import spare\nSEP = spare()\n", BOTH),  # runs the changed code
        ("from .util import helper\nSEP = helper()\n", ["tests/test_extra.py"]),  # unchanged
    ],
)
def test_import_time_code_may_use_what_cannot_run_the_changed_code(names: str, expected: list[str]):
    # test_core loads plugin.py and names.py through the package, but reaches neither
    files = {
        **PROJECT,
        "src/demo/__init__.py": PROJECT["src/demo/__init__.py"] + "from .plugin import LABEL\n",
        "src/demo/plugin.py": "from .names import SEP\n\nLABEL = SEP + 'x'\n",
        "src/demo/names.py": names,
        **BODY_ONLY,
    }
    before = {"src/demo/extra.py": PROJECT["src/demo/extra.py"]}
    assert selected(files, ["src/demo/extra.py"], before=before) == expected


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("class Base:\n    pass\n", ["tests/test_extra.py"]),
        ("class Base:\n    def __init_subclass__(cls):\n        cls.go()\n", BOTH),
        ("from .util import Root\nclass Base(Root):\n    pass\n", BOTH),  # Root's hooks
    ],
)
def test_subclassing_a_class_of_a_passive_repository_module_keeps_a_module_passive(
    base: str, expected: list[str]
):
    extra = (
        "from .base import Base\n\nclass Spare(Base):\n    pass\n\ndef spare():\n    return {}\n"
    )
    files = {
        **PROJECT,
        "src/demo/base.py": base,
        "src/demo/util.py": "class Root:\n    def __init_subclass__(cls):\n        pass\n",
        "src/demo/extra.py": extra.format(3),
    }
    before = {"src/demo/extra.py": extra.format(2)}
    assert selected(files, ["src/demo/extra.py"], before=before) == expected


@pytest.mark.parametrize(
    ("test_source", "expected"),
    [
        ("import demo\n\ndef test_run():\n    assert demo.run() == 1\n", []),
        ("import demo as d\n\ndef test_run():\n    assert d.run() == 1\n", []),
        ("import demo.core\n\ndef test_run():\n    assert demo.core.run() == 1\n", []),
        ("import demo\n\ndef test_run():\n    assert demo.spare() == 2\n", ["tests/test_core.py"]),
        # the module itself handed on, rebound or written to: everything it holds
        (
            "import demo\n\ndef test_run():\n    assert getattr(demo, 'run')() == 1\n",
            ["tests/test_core.py"],
        ),
        (
            "import demo\n\ndef test_run(monkeypatch):\n    demo.run = print\n",
            ["tests/test_core.py"],
        ),
        (
            "import demo\nimport importlib\n\nM = importlib.import_module('demo')\n",
            ["tests/test_core.py"],
        ),
    ],
)
def test_importing_the_whole_package_reaches_the_names_read_from_it(
    test_source: str, expected: list[str]
):
    files = {**PROJECT, "tests/test_core.py": test_source}
    before = {"src/demo/extra.py": PROJECT["src/demo/extra.py"]}
    after = {**files, **BODY_ONLY}
    assert selected(after, ["src/demo/extra.py"], before=before) == [
        *expected,
        "tests/test_extra.py",
    ]


def test_an_init_with_code_of_its_own_is_followed_whole():
    init = "from .core import run\nfrom .extra import spare\nrun()\n"
    before = {"src/demo/extra.py": PROJECT["src/demo/extra.py"]}
    after = {**PROJECT, "src/demo/__init__.py": init, **BODY_ONLY}
    assert selected(after, ["src/demo/extra.py"], before=before) == [
        "tests/test_core.py",
        "tests/test_extra.py",
    ]


def test_the_plain_module_closure_ignores_names():
    before = {"src/demo/extra.py": PROJECT["src/demo/extra.py"]}
    after = {**PROJECT, **BODY_ONLY}
    assert selected(after, ["src/demo/extra.py"], before=before, precise=False) == [
        "tests/test_core.py",
        "tests/test_extra.py",
    ]


def test_a_name_reexported_twice_is_followed_to_its_definition():
    files = {
        **PROJECT,
        "src/demo/__init__.py": "from .api import run, spare\n",
        "src/demo/api.py": "from .core import run\nfrom .extra import spare\n",
    }
    before = {"src/demo/extra.py": PROJECT["src/demo/extra.py"]}
    assert selected({**files, **BODY_ONLY}, ["src/demo/extra.py"], before=before) == [
        "tests/test_extra.py"
    ]


# -- imports of every shape ---------------------------------------------------------------


@pytest.mark.parametrize(
    "test_source",
    [
        "from demo import util\n",  # a submodule by name
        "from demo.util import helper\n",
        "import demo.util as u\n",
        "def test_late():\n    from demo.util import helper\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from demo.util import helper\n",
        "import importlib\nutil = importlib.import_module('demo.util')\n",
        "from unittest import mock\n\n@mock.patch('demo.util.helper')\ndef test_x(h):\n    pass\n",
    ],
)
def test_every_import_shape_reaches_the_module(test_source: str):
    files = {**PROJECT, "tests/test_new.py": test_source}
    assert "tests/test_new.py" in selected(files, ["src/demo/util.py"])


def test_relative_imports_resolve_against_the_package():
    files = {
        "pkg/__init__.py": "",
        "pkg/a.py": "from .sub.b import thing\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/b.py": "from ..c import other\nthing = 1\n",
        "pkg/c.py": "other = 1\n",
        "tests/test_a.py": "from pkg.a import thing\n",
    }
    assert selected(files, ["pkg/c.py"]) == ["tests/test_a.py"]


def test_namespace_packages_and_several_top_level_packages():
    files = {
        "src/ns/alpha/__init__.py": "",
        "src/ns/alpha/mod.py": "from ns.beta.tool import t\n",
        "src/ns/beta/__init__.py": "",
        "src/ns/beta/tool.py": "t = 1\n",
        "src/other/__init__.py": "",
        "tests/test_alpha.py": "from ns.alpha.mod import t\n",
        "tests/test_other.py": "import other\n",
    }
    assert selected(files, ["src/ns/beta/tool.py"]) == ["tests/test_alpha.py"]


def test_test_helpers_imported_by_rootdir_insertion_count():
    files = {
        "pkg/__init__.py": "",
        "pkg/m.py": "",
        "tests/helpers.py": "import pkg.m\n",
        "tests/test_h.py": "from helpers import thing\n",
    }
    assert selected(files, ["pkg/m.py"]) == ["tests/test_h.py"]


def test_a_test_depends_on_every_conftest_above_it_and_no_other():
    files = {
        "tests/conftest.py": "",
        "tests/unit/conftest.py": "from pkg import fixtures\n",
        "tests/unit/test_u.py": "",
        "tests/other/test_o.py": "",
        "pkg/__init__.py": "",
        "pkg/fixtures.py": "",
    }
    assert selected(files, ["tests/unit/conftest.py"]) == ["tests/unit/test_u.py"]
    assert selected(files, ["tests/conftest.py"]) == [
        "tests/other/test_o.py",
        "tests/unit/test_u.py",
    ]
    assert selected(files, ["pkg/fixtures.py"]) == ["tests/unit/test_u.py"]


def test_pytest_plugins_make_their_modules_dependencies():
    files = {
        "tests/conftest.py": "pytest_plugins = ['tests.plugins.db']\n",
        "tests/plugins/db.py": "",
        "tests/test_x.py": "",
    }
    assert selected(files, ["tests/plugins/db.py"]) == ["tests/test_x.py"]


def test_configured_plugins_are_dependencies_of_every_test():
    files = {"tools/plug.py": "", "tests/test_a.py": "", "tests/test_b.py": ""}
    settings = Settings(plugins=("tools.plug",))
    assert selected(files, ["tools/plug.py"], settings=settings) == [
        "tests/test_a.py",
        "tests/test_b.py",
    ]


def test_a_module_run_by_name_in_a_subprocess_counts():
    files = {
        "pkg/__init__.py": "",
        "pkg/__main__.py": "from pkg.cli import main\n",
        "pkg/cli.py": "",
        "tests/test_cli.py": "import subprocess, sys\nsubprocess.run([sys.executable, '-m', 'pkg'])\n",
    }
    assert selected(files, ["pkg/cli.py"]) == ["tests/test_cli.py"]


def test_a_bare_package_name_in_a_literal_reaches_only_its_main():
    files = {
        "pkg/__init__.py": "from pkg.core import f\nfrom pkg.other import g\n",
        "pkg/core.py": "import logging\nLOG = logging.getLogger('pkg')\ndef f():\n    return 1\n",
        "pkg/other.py": "def g():\n    return 1\n",
        "tests/test_core.py": "from pkg import f\n",
    }
    before = {"pkg/other.py": files["pkg/other.py"]}
    after = {**files, "pkg/other.py": "def g():\n    return 2\n"}
    assert selected(after, ["pkg/other.py"], before=before) == []
    # `-m pkg` runs the package's import-time code: an import-time change counts
    after = {**files, "pkg/other.py": "X = 1\ndef g():\n    return 1\n"}
    assert selected(after, ["pkg/other.py"], before=before) == ["tests/test_core.py"]


def test_a_dotted_literal_ending_in_a_name_reaches_that_name():
    files = {
        **PROJECT,
        "src/demo/core.py": "from .util import helper\n\nSALT = b'demo.run'\n\ndef run():\n    return helper()\n",
    }
    before = {"src/demo/extra.py": PROJECT["src/demo/extra.py"]}
    assert selected({**files, **BODY_ONLY}, ["src/demo/extra.py"], before=before) == [
        "tests/test_extra.py"
    ]
    mention = {
        **files,
        "src/demo/core.py": files["src/demo/core.py"].replace("demo.run", "demo.spare"),
    }
    assert selected({**mention, **BODY_ONLY}, ["src/demo/extra.py"], before=before) == [
        "tests/test_core.py",
        "tests/test_extra.py",
    ]


def test_a_console_script_run_by_name_counts():
    files = {
        "pkg/__init__.py": "",
        "pkg/cli.py": "from pkg.util import run\ndef main():\n    run()\n",
        "pkg/util.py": "def run():\n    pass\n",
        "tests/test_cli.py": "import subprocess\nsubprocess.run(['pkg-tool', '--help'])\n",
    }
    before = {"pkg/util.py": files["pkg/util.py"]}
    after = {**files, "pkg/util.py": "def run():\n    return 1\n"}
    settings = Settings(scripts=(("pkg-tool", "pkg.cli:main"),))  # as load_settings reads it
    assert selected(after, ["pkg/util.py"], before=before, settings=settings) == [
        "tests/test_cli.py"
    ]
    assert selected(after, ["pkg/util.py"], before=before) == []


def test_a_script_run_by_path_counts():
    files = {"scripts/tool.py": "", "tests/test_tool.py": "RUN = ['python', 'scripts/tool.py']\n"}
    assert selected(files, ["scripts/tool.py"]) == ["tests/test_tool.py"]


# -- deleted and renamed files ----------------------------------------------------------


def test_a_deleted_module_selects_the_tests_that_still_import_it():
    files = dict(PROJECT)
    del files["src/demo/util.py"]
    # importing demo runs core.py, which imports the deleted module: both tests break
    assert selected(files, ["src/demo/util.py"]) == ["tests/test_core.py", "tests/test_extra.py"]
    files["src/demo/__init__.py"] = ""
    assert selected(files, ["src/demo/util.py"]) == []  # nothing imports demo.core any more
    files["tests/test_util.py"] = "from demo.util import helper\n"
    assert selected(files, ["src/demo/util.py"]) == ["tests/test_util.py"]


def test_a_rename_is_a_delete_and_an_add():
    files = dict(PROJECT)
    files["src/demo/helpers.py"] = files.pop("src/demo/util.py")
    files["src/demo/core.py"] = files["src/demo/core.py"].replace(".util", ".helpers")
    files["tests/test_old.py"] = "from demo.util import helper\n"
    changed = ["src/demo/util.py", "src/demo/helpers.py", "src/demo/core.py"]
    assert "tests/test_old.py" in selected(files, changed)
    assert "tests/test_core.py" in selected(files, ["src/demo/helpers.py"])


def test_a_deleted_test_file_is_not_selected():
    files = dict(PROJECT)
    del files["tests/test_alone.py"]
    assert selected(files, ["tests/test_alone.py"]) == []


# -- files that do not parse ----------------------------------------------------------


def test_a_changed_file_that_does_not_parse_runs_everything_and_says_why():
    files = {**PROJECT, "src/demo/util.py": "def helper(:\n"}
    result = selection(files, ["src/demo/util.py"])
    assert result.run_all
    assert result.reasons == (
        "src/demo/util.py does not parse (SyntaxError: invalid syntax (line 1)): its imports are unknown",
    )
    assert result.selected == ("tests/test_alone.py", "tests/test_core.py", "tests/test_extra.py")


def test_an_unchanged_file_that_does_not_parse_keeps_the_imports_it_spells():
    broken = "from demo.util import helper\n\ndef broken(:\n"
    files = {
        **PROJECT,
        "src/demo/broken.py": broken,
        "tests/test_broken.py": "from demo.broken import x\n",
    }
    before = {"src/demo/util.py": PROJECT["src/demo/util.py"]}
    changed = {**files, "src/demo/util.py": "def helper():\n    return 5\n"}
    assert selected(changed, ["src/demo/util.py"], before=before) == [
        "tests/test_broken.py",
        "tests/test_core.py",
    ]


# -- non-Python files ---------------------------------------------------------------


DATA = {
    "tests/test_io.py": "from pathlib import Path\nDATA = Path(__file__).parent / 'data' / 'x.json'\n",
    "tests/test_name.py": "NAME = 'y.csv'\n",
    "tests/test_suffix.py": "PATH = 'tests/data/z.txt'\n",
    "tests/test_other.py": "",
    "tests/data/x.json": "{}",
}


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        ("tests/data/x.json", ["tests/test_io.py"]),  # the folder 'data' is mentioned
        ("tests/data/y.csv", ["tests/test_io.py", "tests/test_name.py"]),
        ("tests/data/z.txt", ["tests/test_io.py", "tests/test_suffix.py"]),
    ],
)
def test_data_files_select_the_tests_that_mention_them(changed: str, expected: list[str]):
    assert selected(DATA, [changed]) == expected


def test_an_unmentioned_data_file_selects_the_tests_of_its_folder():
    files = {**PROJECT, "tests/fixtures/page.html": "<p>"}
    assert selected(files, ["tests/fixtures/page.html"]) == [
        "tests/test_alone.py",
        "tests/test_core.py",
        "tests/test_extra.py",
    ]


def test_an_unmentioned_file_inside_a_package_selects_the_tests_of_the_package():
    assert selected(PROJECT, ["src/demo/templates/page.html"]) == [
        "tests/test_core.py",
        "tests/test_extra.py",
    ]


def test_a_file_outside_every_python_folder_selects_nothing():
    assert selected(PROJECT, ["README.md", ".github/workflows/ci.yml"]) == []


@pytest.mark.parametrize(
    "changed",
    [
        "pyproject.toml",
        "setup.cfg",
        "setup.py",
        "tox.ini",
        "pytest.ini",
        "requirements.txt",
        "requirements-dev.txt",
        "requirements/test.txt",
        "uv.lock",
        "poetry.lock",
        "backend/pyproject.toml",
        "conftest.py",
    ],
)
def test_run_all_files_select_everything_with_a_reason_naming_them(changed: str):
    result = selection({**PROJECT, "conftest.py": ""}, [changed])
    assert result.run_all
    assert result.reasons[0].startswith(f"{changed} changed")
    assert len(result.selected) == result.total == 3


def test_configured_run_all_globs_count():
    settings = Settings(run_all=(*DEFAULT_RUN_ALL, "docker/*.env"))
    assert selection(PROJECT, ["docker/app.env"], settings=settings).run_all
    assert not selection(PROJECT, ["docker/app.env"]).run_all
