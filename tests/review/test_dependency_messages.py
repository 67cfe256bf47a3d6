"""What PS301-PS304 tell the user on the bundled example (README promises): the place, the
cause and the advice. A change that points at the wrong packages, the wrong context or
gives other advice fails here."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pitstop import api
from pitstop.model import Finding, Severity

EXAMPLE = Path(__file__).parents[2] / "examples" / "monorepo"
ABSOLUTE = "/Users/olorin/Documents/olorin/packages/"
PACKAGES = "bayit-translation, bayit-voice-pipeline, olorin-core, olorin-shared"


def the_finding(root: Path, code: str) -> Finding:
    (finding,) = [f for f in api.review(root).findings if f.rule == code]
    return finding


def example_variant(tmp_path: Path, edit: dict[str, str], vendor: bool = False) -> Path:
    """The example with its backend/pyproject.toml rewritten by `edit` (regex: replacement)."""
    root = tmp_path / "monorepo"
    shutil.copytree(EXAMPLE, root)
    pyproject = root / "backend" / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    for pattern, replacement in edit.items():
        text = re.sub(pattern, replacement, text)
    pyproject.write_text(text, encoding="utf-8")
    if vendor:
        shutil.copytree(root / "packages", root / "backend" / "vendor")
    return root


def test_ps301_names_the_repository_packages_and_says_to_widen_the_context():
    finding = the_finding(EXAMPLE, "PS301")
    assert (finding.location.path, finding.location.line) == ("backend/pyproject.toml", 55)
    assert finding.severity is Severity.BLOCKING
    message = finding.message
    assert message.startswith("4 path dependencies (declared 8 times) are absolute paths")
    assert f"`{ABSOLUTE}bayit-voice-pipeline`; {PACKAGES}" in message
    assert "the image build from backend/ fails to install them" in message
    assert (
        "They name packages/bayit-translation, packages/bayit-voice-pipeline, "
        "packages/olorin-core, packages/olorin-shared of this repository, outside the build "
        "context backend/" in message
    )
    assert message.endswith(
        "build from a context that holds both, copy the packages in before the install, "
        "and make the paths relative."
    )
    assert "publish" not in message  # the packages are in the repository: no need to publish
    assert finding.fix is not None
    assert finding.fix.description == (
        "build backend/Dockerfile from the repository root and copy its path dependencies in"
    )


def test_ps302_relative_path_outside_the_context(tmp_path: Path):
    root = example_variant(
        tmp_path,
        {r'@ file:///Users[^"]*",?': '@ https://example.invalid/x.whl",', ABSOLUTE: "../packages/"},
    )
    finding = the_finding(root, "PS302")
    assert (finding.location.path, finding.location.line) == ("backend/pyproject.toml", 100)
    assert finding.message == (
        f"{PACKAGES}: `../packages/bayit-voice-pipeline` resolves outside the build context "
        "backend/, which Docker never sends: the install in the image fails. Build from a "
        "context that holds the project and its path dependencies."
    )
    assert finding.fix is not None
    assert "from the repository root" in finding.fix.description


def test_ps303_inside_the_context_but_not_copied(tmp_path: Path):
    root = example_variant(
        tmp_path,
        {r'@ file:///Users[^"]*",?': '@ https://example.invalid/x.whl",', ABSOLUTE: "vendor/"},
        vendor=True,
    )
    finding = the_finding(root, "PS303")
    assert (finding.location.path, finding.location.line) == ("backend/pyproject.toml", 100)
    assert finding.message == (
        f"{PACKAGES}: `vendor/bayit-voice-pipeline` is inside the build context but the "
        "Dockerfile does not copy it into the image before the step that installs the "
        "project, so the install cannot find it. COPY it before that step."
    )
    assert finding.fix is not None
    assert finding.fix.description == (
        "build backend/Dockerfile from backend and copy its path dependencies in"
    )


def test_ps304_a_file_url_that_names_the_filesystem_root(tmp_path: Path):
    root = example_variant(tmp_path, {"file://" + ABSOLUTE: "file:///../packages/"})
    finding = the_finding(root, "PS304")
    assert (finding.location.path, finding.location.line) == ("backend/pyproject.toml", 55)
    assert finding.message == (
        "file:///../packages/bayit-voice-pipeline is an absolute URL: "
        "'/../packages/bayit-voice-pipeline' starts at the root's parent, which is the root "
        "itself, so it names '/packages/bayit-voice-pipeline', not a folder beside this "
        f"project ({PACKAGES}). Use a path relative to the project instead."
    )
    assert finding.fix is None  # pitstop cannot know which folder was meant


@pytest.mark.parametrize("code", ["PS302", "PS303", "PS304"])
def test_the_bundled_example_itself_raises_only_ps301(code: str):
    assert not [f for f in api.review(EXAMPLE).findings if f.rule == code]
