"""The test map end to end: real pytest sessions record it (`--pitstop-record`, in a child
process, with each backend this Python has), then `pitstop affected` selects with it."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import pitstop
from pitstop.cli import main
from tests.impact.fakes import commit, git, repository, write

# coverage.py's C tracer everywhere, its own sys.monitoring core and pitstop's from 3.12
BACKENDS = ["coverage"] + (["coverage-sysmon", "monitoring"] if sys.version_info >= (3, 12) else [])
# the child sessions load the pitstop under test, even where another one is installed
PITSTOP = str(Path(pitstop.__file__).resolve().parent.parent)
PYPROJECT = '[project]\nname = "demo"\n\n[tool.pytest.ini_options]\npythonpath = ["src"]\n'

# tests/test_f.py runs f, tests/test_g.py runs g; both import the same module.
PROJECT = {
    "pyproject.toml": PYPROJECT,
    "src/demo/__init__.py": "",
    "src/demo/a.py": "def f():\n    return 1\n\n\ndef g():\n    return 2\n",
    "src/demo/registry.py": (
        "from demo.a import f\n\n\ndef compute():\n    return 3\n\n\nVALUE = compute()\n"
    ),
    "src/demo/shared.py": "def prepare():\n    return 'ready'\n",
    "src/demo/tool.py": "def main():\n    return 0\n",
    "src/demo/table.py": (
        "OPS = {\n    'inc': lambda x: x + 1,\n    'dbl': lambda x: x * 2,\n}\n\n\n"
        "def scale(x, factor=2):\n    return x * factor\n"
    ),
    "tests/__init__.py": "",
    "tests/conftest.py": (
        "import pytest\nfrom demo.shared import prepare\n\n\n@pytest.fixture(scope='session')\n"
        "def resource():\n    return prepare()\n"
    ),
    "tests/test_f.py": "from demo.a import f\n\n\ndef test_f():\n    assert f() == 1\n",
    "tests/test_table.py": (
        "from demo.table import OPS, scale\n\n\ndef test_inc():\n    assert OPS['inc'](1) == 2\n\n\n"
        "def test_scale():\n    assert scale(2) == 4\n"
    ),
    "tests/test_dbl.py": (
        "from demo.table import OPS\n\n\ndef test_dbl():\n    assert OPS['dbl'](2) == 4\n"
    ),
    "tests/test_g.py": "from demo.a import g\n\n\ndef test_g():\n    assert g() == 2\n",
    "tests/test_registry.py": (
        "from demo.registry import VALUE\n\n\ndef test_value():\n    assert VALUE == 3\n"
    ),
    "tests/test_uses_resource_1.py": "def test_one(resource):\n    assert resource\n",
    "tests/test_uses_resource_2.py": "def test_two(resource):\n    assert resource\n",
    "tests/test_spawns.py": (
        "import subprocess, sys\n\n\ndef test_tool():\n"
        "    code = 'import demo.tool; demo.tool.main()'\n"
        "    subprocess.run([sys.executable, '-c', code], check=True)\n"
    ),
    "tests/test_thread.py": (
        "import threading\nfrom demo import shared\n\n\ndef test_in_thread():\n"
        "    t = threading.Thread(target=shared.prepare)\n    t.start()\n    t.join()\n"
    ),
}


def record(root: Path, backend: str, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    name, _, core = backend.partition("-")
    command += ["--pitstop-record", f"--pitstop-record-backend={name}", *extra]
    env = {
        "PYTHONPATH": f"{root / 'src'}{os.pathsep}{PITSTOP}",
        "PATH": "/usr/bin:/bin",
        "HOME": str(root),
    }
    if core:
        env["COVERAGE_CORE"] = core
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def affected(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, object]:
    capsys.readouterr()
    assert main(["affected", "--root", str(root), "--format", "json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(params=BACKENDS)
def recorded(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    root = repository(tmp_path / "demo", PROJECT)
    git(root, "config", "core.excludesFile", "/dev/null")
    write(root, {".gitignore": ".pitstop/\nselection.json\n"})
    commit(root, "ignore")
    done = record(root, request.param)
    assert "pitstop: recorded the test map of 10 tests in 9 files" in done.stdout
    return root


def test_a_body_change_selects_the_tests_that_ran_the_function(recorded, capsys):
    write(recorded, {"src/demo/a.py": "def f():\n    return 1\n\n\ndef g():\n    return 2 + 0\n"})
    found = affected(recorded, capsys)
    assert found["selected"] == ["tests/test_g.py"]
    assert found["coverage"]["tests"] == 9
    assert len(found["coverage"]["recorded_at"]) == 40
    static = affected(recorded, capsys, "--static")
    assert "tests/test_f.py" in static["selected"]
    assert static["coverage"] is None


def test_an_import_time_change_selects_by_the_static_net(recorded, capsys):
    write(
        recorded,
        {"src/demo/a.py": "X = 1\n\n\ndef f():\n    return 1\n\n\ndef g():\n    return 2\n"},
    )
    found = affected(recorded, capsys)
    assert {"tests/test_f.py", "tests/test_g.py", "tests/test_registry.py"} <= set(
        found["selected"]
    )


def test_a_function_run_at_import_time_selects_the_modules_importers(recorded, capsys):
    text = (recorded / "src/demo/registry.py").read_text().replace("return 3", "return 4")
    write(recorded, {"src/demo/registry.py": text})
    found = affected(recorded, capsys)
    assert found["selected"] == ["tests/test_registry.py"]
    capsys.readouterr()
    main(["affected", "--root", str(recorded), "--explain", "tests/test_registry.py"])
    assert "whose import ran src/demo/registry.py::compute" in capsys.readouterr().out


def test_a_broad_fixture_counts_for_every_test_that_uses_it(recorded, capsys):
    write(recorded, {"src/demo/shared.py": "def prepare():\n    return 'set'\n"})
    found = affected(recorded, capsys)
    assert {"tests/test_uses_resource_1.py", "tests/test_uses_resource_2.py"} <= set(
        found["selected"]
    )
    assert "tests/test_thread.py" in found["selected"]  # ran it in a thread
    assert "tests/test_f.py" not in found["selected"]


def test_a_test_that_starts_a_process_falls_back_to_the_static_net(recorded, capsys):
    write(recorded, {"src/demo/tool.py": "def main():\n    return 1\n"})
    found = affected(recorded, capsys)
    assert found["selected"] == ["tests/test_spawns.py"]
    capsys.readouterr()
    main(["affected", "--root", str(recorded), "--explain", "tests/test_spawns.py"])
    assert "started a process" in capsys.readouterr().out


def test_changes_committed_since_the_recording_still_count(recorded, capsys):
    write(recorded, {"src/demo/a.py": "def f():\n    return 1 + 0\n\n\ndef g():\n    return 2\n"})
    commit(recorded, "after the recording")
    found = affected(recorded, capsys)  # no uncommitted change: only the drift
    assert found["selected"] == ["tests/test_f.py"]


def test_a_lambda_body_selects_the_tests_that_ran_that_lambda(recorded, capsys, request):
    text = (recorded / "src/demo/table.py").read_text()
    write(recorded, {"src/demo/table.py": text.replace("x * 2", "x * 2 + 0")})
    found = affected(recorded, capsys)["selected"]
    if request.node.callspec.id.endswith("monitoring"):
        assert found == ["tests/test_dbl.py"]
    else:  # executed lines cannot tell the lambda from the statement: import time
        assert found == ["tests/test_dbl.py", "tests/test_table.py"]


def test_a_literal_default_selects_the_tests_that_ran_the_function(recorded, capsys):
    text = (recorded / "src/demo/table.py").read_text()
    write(recorded, {"src/demo/table.py": text.replace("factor=2", "factor=3")})
    assert affected(recorded, capsys)["selected"] == ["tests/test_table.py"]


def test_a_new_test_file_is_selected(recorded, capsys):
    write(recorded, {"tests/test_new.py": "def test_new():\n    pass\n"})
    assert affected(recorded, capsys)["selected"] == ["tests/test_new.py"]


def test_a_map_whose_commit_is_missing_gives_the_static_selection(recorded, capsys):
    git(recorded, "checkout", "-q", "--orphan", "other")
    commit(recorded, "unrelated history")
    git(recorded, "branch", "-D", "main")
    git(recorded, "reflog", "expire", "--expire=now", "--all")
    git(recorded, "gc", "-q", "--prune=now")
    write(recorded, {"src/demo/a.py": "def f():\n    return 1\n\n\ndef g():\n    return 5\n"})
    capsys.readouterr()
    assert main(["affected", "--root", str(recorded)]) == 0
    out = capsys.readouterr().out
    assert "is not in this clone" in out
    assert "tests/test_f.py" in out  # the static selection


def test_xdist_workers_merge_into_one_map(tmp_path, capsys):
    root = repository(tmp_path / "demo", PROJECT)
    write(root, {".gitignore": ".pitstop/\n"})
    commit(root, "ignore")
    said = record(root, BACKENDS[-1], "-n", "2").stdout
    # each worker's line, printed by the controller
    workers = re.findall(r"pitstop: (gw\d): recorded the test map of (\d+) tests", said)
    assert sorted(w for w, _ in workers) == ["gw0", "gw1"], said
    assert sum(int(n) for _, n in workers) == 10, said
    write(root, {"src/demo/a.py": "def f():\n    return 1\n\n\ndef g():\n    return 2 + 0\n"})
    found = affected(root, capsys)
    assert found["coverage"]["tests"] == 9, said  # every file, whichever worker ran it
    assert found["selected"] == ["tests/test_g.py"]


def test_a_worker_that_cannot_store_its_map_says_so_through_the_controller(tmp_path):
    root = repository(tmp_path / "demo", PROJECT)
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
    connection.close()
    said = record(root, BACKENDS[-1], "-n", "2", f"--pitstop-db=sqlite:///{foreign}").stdout
    for worker in ("gw0", "gw1"):
        assert f"pitstop: {worker}: the test map was not stored: " in said, said
    assert "is not a pitstop history" in said


def test_the_audit_measures_the_selection_with_the_map(tmp_path, capsys):
    root = write(tmp_path / "demo", {k: v for k, v in PROJECT.items() if "spawns" not in k})
    args = ["affected", "audit", "--root", str(root), "--mutants", "4", "--coverage"]
    capsys.readouterr()
    assert main([*args, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["coverage"]["safety"] in (None, 1.0)
    assert document["coverage"]["selected_files_share"] <= document["selected_files_share"]
    assert main(args) == 0
    assert "with the test map: safety" in capsys.readouterr().out


def test_a_git_ignored_generated_module_is_not_a_change(tmp_path, capsys):
    files = {
        **PROJECT,
        ".gitignore": ".pitstop/\nsrc/demo/_version.py\n",
        "src/demo/_version.py": "version = '1.0'\n",
        "tests/test_version.py": (
            "from demo._version import version\n\n\ndef test_version():\n    assert version\n"
        ),
    }
    root = repository(tmp_path / "demo", files)
    record(root, BACKENDS[-1])
    write(root, {"src/demo/_version.py": "version = '1.1'\n"})  # a build tool wrote it anew
    assert affected(root, capsys)["selected"] == []


SUBCLASSES = {
    "pyproject.toml": PYPROJECT,
    "src/demo/__init__.py": "",
    "src/demo/base.py": (
        "REGISTRY = {}\n\n\nclass Plugin:\n    def __init_subclass__(cls, **kw):\n"
        "        super().__init_subclass__(**kw)\n        REGISTRY[cls.__name__] = cls\n"
    ),
    "src/demo/plugins.py": "from demo.base import Plugin\n\n\nclass Csv(Plugin):\n    pass\n",
    "src/demo/other.py": "def other():\n    return 1\n",
    "tests/test_registry.py": (
        "from demo.base import REGISTRY\nimport demo.plugins\n\n\n"
        "def test_csv():\n    assert 'Csv' in REGISTRY\n"
    ),
    "tests/test_other.py": "from demo.other import other\n\n\ndef test_other():\n    assert other()\n",
}


def test_a_hook_run_at_class_creation_selects_the_tests_loading_its_subclasses(tmp_path, capsys):
    root = repository(tmp_path / "demo", {**SUBCLASSES, ".gitignore": ".pitstop/\n"})
    record(root, BACKENDS[-1])
    text = (root / "src/demo/base.py").read_text()
    write(root, {"src/demo/base.py": text.replace("cls.__name__", "cls.__name__.lower()")})
    found = affected(root, capsys)
    assert found["selected"] == ["tests/test_registry.py"]


def test_the_plugin_runs_what_the_map_selects(recorded):
    write(recorded, {"src/demo/a.py": "def f():\n    return 1\n\n\ndef g():\n    return 2 + 0\n"})
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    path = f"{recorded / 'src'}{os.pathsep}{PITSTOP}"
    env = {"PYTHONPATH": path, "PATH": "/usr/bin:/bin", "HOME": str(recorded)}
    done = subprocess.run(
        [*command, "--pitstop-affected"], cwd=recorded, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stdout
    assert "1 passed, 9 deselected" in done.stdout


def test_recording_leaves_the_loaders_as_they_are(tmp_path):
    checks = (
        "import importlib.machinery\nimport demo.a\n\n\ndef test_loader():\n"
        "    loader = demo.a.__spec__.loader\n"
        "    assert type(loader) is importlib.machinery.SourceFileLoader\n"
    )
    root = repository(tmp_path / "demo", {**PROJECT, "tests/test_loader_type.py": checks})
    for backend in BACKENDS:
        record(root, backend, "tests/test_loader_type.py")  # asserts the session passed


# shared() runs twice in a test and again in another; a generator made and resumed in one test is resumed again,
# at the same `yield`, in a later one.
TWICE = {
    "pyproject.toml": PYPROJECT,
    "src/demo/__init__.py": "",
    "src/demo/twice.py": (
        "KEPT = []\n\n\ndef shared():\n    return 1\n\n\n"
        "def ticks():\n    while True:\n        yield 1\n"
    ),
    "tests/test_1.py": (
        "from demo import twice\n\n\ndef test_makes():\n"
        "    assert twice.shared() + twice.shared() == 2\n"
        "    twice.KEPT.append(twice.ticks())\n    assert next(twice.KEPT[0]) == 1\n"
        "    assert next(twice.KEPT[0]) == 1\n"
    ),
    "tests/test_2.py": (
        "from demo import twice\n\n\ndef test_calls():\n    assert twice.shared() == 1\n"
    ),
    "tests/test_3.py": (
        "from demo import twice\n\n\ndef test_resumes():\n    assert next(twice.KEPT[0]) == 1\n"
    ),
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_function_counts_for_every_test_it_runs_in_not_only_the_first(tmp_path, capsys, backend):
    root = repository(tmp_path / "demo", {**TWICE, ".gitignore": ".pitstop/\n"})
    record(root, backend)
    text = (root / "src/demo/twice.py").read_text()
    write(root, {"src/demo/twice.py": text.replace("return 1", "return 1 + 0")})
    assert affected(root, capsys)["selected"] == ["tests/test_1.py", "tests/test_2.py"]
    write(root, {"src/demo/twice.py": text.replace("yield 1", "yield 1 + 0")})
    assert affected(root, capsys)["selected"] == ["tests/test_1.py", "tests/test_3.py"]
