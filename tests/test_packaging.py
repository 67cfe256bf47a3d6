"""The package as a user gets it: `python -m build` makes an sdist and, from it, a wheel that
`twine check` passes and that holds what pitstop loads at run time; the wheel installs into a
fresh virtualenv (its dependencies from the package index), where the command, the review of
the bundled example, the HTML report's template and the pytest plugin work.

Slow by nature (one build and one install per session, about half a minute with pip's cache):
`-m "not build"` leaves these tests out while working on something else."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

from pitstop import __version__

pytestmark = pytest.mark.build

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "pitstop"
EXAMPLE = ROOT / "examples" / "monorepo"
# setup.cfg: the egg_info settings setuptools writes into every sdist
SDIST_TOP = {
    "CHANGELOG.md",
    "LICENSE",
    "MANIFEST.in",
    "PKG-INFO",
    "README.md",
    "pyproject.toml",
    "setup.cfg",
}


def run(
    command: list[str | Path], cwd: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    # Without PYTHONPATH, so nothing but the virtualenv's own site-packages is importable.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True
    )
    if check and done.returncode != 0:
        pytest.fail(f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="session")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files of this checkout that git tracks or would (a fresh clone with the work in
    progress): setuptools adds whatever an earlier build's src/pitstop.egg-info/SOURCES.txt
    lists to the sdist, which would hide a file missing from package-data."""
    folder = tmp_path_factory.mktemp("checkout")
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT)
    for name in filter(None, listed.stdout.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is not listed
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    return folder


@pytest.fixture(scope="session")
def dist(checkout: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, the wheel built from the sdist (as `python -m build` does
    without --sdist/--wheel), so a file the sdist lacks is missing from the wheel too."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", out, checkout], cwd=out)
    return out


@pytest.fixture(scope="session")
def wheel(dist: Path) -> Path:
    (found,) = dist.glob("*.whl")
    return found


@pytest.fixture(scope="session")
def sdist(dist: Path) -> Path:
    (found,) = dist.glob("*.tar.gz")
    return found


@pytest.fixture(scope="session")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv (no system site-packages) with the wheel and pytest installed."""
    folder = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", folder], cwd=folder)
    pip = [folder / "bin" / "python", "-m", "pip", "install", "--quiet"]
    run([*pip, "--disable-pip-version-check", wheel, "pytest"], cwd=folder)
    return folder


def package_files() -> set[str]:
    """Every file of src/pitstop a checkout holds (what the wheel must carry)."""
    return {
        path.relative_to(PACKAGE.parent).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_twine_check_passes(dist: Path) -> None:
    run([sys.executable, "-m", "twine", "check", "--strict", *sorted(dist.iterdir())], cwd=dist)


def test_the_wheel_holds_the_package_with_its_data_and_nothing_else(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    info = f"pitstop-{__version__}.dist-info"
    assert {name for name in names if not name.startswith(f"{info}/")} == package_files()
    assert {"pitstop/py.typed", "pitstop/reports/templates/history.html.j2"} <= names
    assert f"{info}/licenses/LICENSE" in names


def test_the_wheel_metadata(wheel: Path) -> None:
    info = f"pitstop-{__version__}.dist-info"
    metadata = HeaderParser().parsestr(zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode())
    assert wheel.name == f"pitstop-{__version__}-py3-none-any.whl"
    assert (metadata["Version"], metadata["License-Expression"]) == (__version__, "MIT")
    assert metadata["Requires-Python"] == ">=3.11"
    assert {"history", "postgresql", "zstd"} <= set(metadata.get_all("Provides-Extra"))
    # The base install stays without the 24 MB zstd decoder and the PostgreSQL driver.
    base = [r for r in metadata.get_all("Requires-Dist") if "extra ==" not in r]
    assert not [r for r in base if r.startswith(("zstandard", "psycopg"))]


def test_the_sdist_builds_the_wheel_and_holds_no_tests_or_work_files(sdist: Path) -> None:
    top = f"pitstop-{__version__}"
    with tarfile.open(sdist) as archive:
        names = {m.name.removeprefix(f"{top}/") for m in archive.getmembers() if m.isfile()}
    assert {name for name in names if "/" not in name} == SDIST_TOP
    assert {name for name in names if name.startswith("src/pitstop/")} == {
        f"src/{name}" for name in package_files()
    }
    assert not [n for n in names if n.split("/")[0] in {"tests", "benchmarks", "examples", "docs"}]


def test_the_installed_command_reports_the_version(venv: Path, tmp_path: Path) -> None:
    done = run([venv / "bin" / "pitstop", "--version"], cwd=tmp_path)
    assert done.stdout.strip() == f"pitstop {__version__}"
    where = run(
        [venv / "bin" / "python", "-c", "import pitstop; print(pitstop.__file__)"], tmp_path
    )
    assert Path(where.stdout.strip()).is_relative_to(venv)  # the wheel, not this checkout


@pytest.mark.parametrize("form", ["text", "json"])
def test_the_installed_command_reviews_the_example(venv: Path, tmp_path: Path, form: str) -> None:
    done = run(
        [venv / "bin" / "pitstop", "review", EXAMPLE, "--format", form], tmp_path, check=False
    )
    assert done.returncode in (0, 1), done.stderr  # findings or none; never an input error
    if form == "json":
        assert json.loads(done.stdout)["files_reviewed"]


def test_the_installed_html_report_finds_its_template(venv: Path, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'history.db'}"
    command = [venv / "bin" / "pitstop", "report", "--db", database, "--format", "html"]
    done = run([*command, "--output", tmp_path / "report.html"], tmp_path)
    assert done.returncode == 0
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_the_installed_pytest_plugin_loads_and_runs(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "test_one.py").write_text("def test_one():\n    pass\n")
    python = venv / "bin" / "python"
    helped = run([python, "-m", "pytest", "--help"], tmp_path)
    assert "--pitstop-affected" in helped.stdout
    outcomes = tmp_path / "outcomes.json"
    run(
        [python, "-m", "pytest", "-p", "no:cacheprovider", f"--pitstop-outcomes={outcomes}"],
        tmp_path,
    )
    assert json.loads(outcomes.read_text())["test_one.py"]["failed"] is False
