"""The text `pitstop init` writes: the configuration table and the workflow, from what
`detect` found, each with comments saying what was found and why a value was chosen.

Only keys `pitstop.config` accepts are written (tests load every written file with it).
Text is built with `\\n`; `plan` gives it the line endings of the file it goes into.
"""

from __future__ import annotations

import json
import re

from pitstop import __version__
from pitstop.config import DEFAULT_CONTEXT_BUDGET_MB
from pitstop.init.detect import Detected

# Actions the workflow uses, each pinned by a release's full commit SHA (a tag can be moved
# to other code; a commit cannot), the release named beside it for the reader and Dependabot.
CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2"
SETUP_PYTHON = "actions/setup-python@42375524e23c412d93fb67b49958b491fce71c38  # v5.4.0"
SETUP_UV = "astral-sh/setup-uv@681c641aba71e4a1c380be3ab5e12ad51f415867  # v7.1.6"
UPLOAD_ARTIFACT = "actions/upload-artifact@65c4c4a1ddee5b72f698fdd19549f0f0fb45cf08  # v4.6.0"
DOWNLOAD_ARTIFACT = "actions/download-artifact@fa0a91b85d4f404e444e00e005971372dc801d16  # v4.1.8"
CACHE_RESTORE = "actions/cache/restore@1bd1e32a3bdc45362d1e726936510720a7c30a57  # v4.2.0"
CACHE_SAVE = "actions/cache/save@1bd1e32a3bdc45362d1e726936510720a7c30a57  # v4.2.0"
SHARDS = 4
_SHOWN = 10  # names listed in a comment before "and N more"


def config_text(found: Detected, *, pyproject: bool) -> str:
    """The `[tool.pitstop]` table (pyproject) or the `.pitstop.toml` document."""
    header = "[tool.pitstop]\n" if pyproject else ""
    affected = "[tool.pitstop.affected]" if pyproject else "[affected]"
    budget = f"{DEFAULT_CONTEXT_BUDGET_MB:g}"
    return (
        f"{header}"
        f"# Written by `pitstop init` (pitstop {__version__}) from what it found; every key is\n"
        "# optional and these are the defaults (see the README, Configuration).\n"
        f"# Package manager: {found.manager} ({_safe(found.manager_why)}).\n"
        f"# Tests: {_tests_comment(found)}.\n"
        f"# Dockerfiles found: {_names(found.dockerfiles)}\n"
        f"# Workflows found: {_names(found.workflows)}\n"
        '# Exit 1 only on findings that certainly fail a build; "warning" is stricter.\n'
        'fail-on = "blocking"\n'
        "# PS205 reports a build context above this many MB (10^6 bytes);\n"
        "# `pitstop context DIR` measures one.\n"
        f"context-budget-mb = {budget}\n"
        "# Dockerfiles not to review (.gitignore-style globs).\n"
        "exclude = []\n"
        "\n"
        f"{affected}\n"
        f"{_source_roots_comment(found)}"
        f"source-roots = {_toml_list(found.source_roots)}\n"
        "# Files whose change runs every test, besides pitstop's own list (pyproject.toml,\n"
        "# lock and requirements files, pytest's configuration).\n"
        "run-all = []\n"
    )


def _tests_comment(found: Detected) -> str:
    where = (
        f"in {', '.join(_safe(p) for p in found.testpaths)}"
        if found.testpaths
        else "no test folder found"
    )
    how = (
        f"pytest, configured in {found.pytest_why}"
        if found.pytest_why
        else "pytest assumed, no configuration found"
    )
    return f"{how}; {where}"


def _source_roots_comment(found: Detected) -> str:
    if not found.source_roots:
        return "# Folders holding top-level packages besides the root and src/: none found.\n"
    return (
        "# Folders holding top-level packages besides the root and src/ (a package inside,\n"
        "# no __init__.py of their own), for `pitstop affected`.\n"
    )


def _names(names: tuple[str, ...]) -> str:
    if not names:
        return "none"
    shown = ", ".join(_safe(n) for n in names[:_SHOWN])
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return f"{shown}{more}"


def _safe(text: str) -> str:
    """`text` fit for one comment line: a file name may hold a newline or a control byte."""
    return re.sub(r"[\x00-\x1f\x7f]", "?", text)


def _toml_list(values: tuple[str, ...]) -> str:
    # JSON strings are TOML basic strings (the same escapes), so json.dumps quotes safely.
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def workflow_text(found: Detected) -> str:
    """`.github/workflows/pitstop.yml`: review; plan the shards (the tests a pull request can
    affect, every test on the default branch); run them; record the run in the history."""
    return "".join(
        (
            _workflow_header(found),
            _review_job(),
            _plan_job(),
            _test_job(found),
            _history_job(),
        )
    )


def _workflow_header(found: Detected) -> str:
    branch = json.dumps(found.default_branch)
    return (
        "# Written by `pitstop init` (pitstop "
        + __version__
        + "): review the repository, run the\n"
        "# tests a change can affect in balanced shards, and keep the history the shards are\n"
        "# balanced from. Package manager: "
        + found.manager
        + " ("
        + _safe(found.manager_why)
        + ").\n"
        "name: pitstop\n"
        "on:\n"
        "  push:\n"
        f"    branches: [{branch}]\n"
        "  pull_request:\n"
        "permissions:\n"
        "  contents: read\n"
        "concurrency:\n"
        "  # A new push to a pull request cancels its previous run; every other run is its own.\n"
        "  group: ${{ github.workflow }}-"
        "${{ github.event_name == 'pull_request' && github.ref || github.run_id }}\n"
        "  cancel-in-progress: true\n"
        "jobs:\n"
    )


def _install_pitstop() -> str:
    return (
        f"      - uses: {SETUP_PYTHON}\n"
        "        with:\n"
        '          python-version: "3.12"\n'
        "          cache: pip\n"
        "          cache-dependency-path: .github/workflows/pitstop.yml  # pins pitstop below\n"
        f"      - run: pip install pitstop=={__version__}\n"
    )


def _review_job() -> str:
    return (
        "  review:\n"
        "    runs-on: ubuntu-latest\n"
        "    timeout-minutes: 10\n"
        "    steps:\n"
        f"      - uses: {CHECKOUT}\n"
        f"{_install_pitstop()}"
        "      # Annotations on the pull request; for code scanning instead, write SARIF\n"
        "      # (--format sarif --output pitstop.sarif --fail-on never) and upload it with\n"
        "      # github/codeql-action/upload-sarif (permissions: security-events: write).\n"
        "      - run: pitstop review --format github\n"
    )


def _restore_history() -> str:
    return (
        "      # The history the durations come from.\n"
        f"      - uses: {CACHE_RESTORE}\n"
        "        with:\n"
        "          path: .pitstop/history.db\n"
        "          key: pitstop-history-${{ github.run_id }}\n"
        "          restore-keys: pitstop-history-\n"
    )


def _plan_job() -> str:
    return (
        "  plan:\n"
        "    runs-on: ubuntu-latest\n"
        "    timeout-minutes: 10\n"
        "    outputs:\n"
        "      matrix: ${{ steps.shard.outputs.matrix }}\n"
        "    steps:\n"
        f"      - uses: {CHECKOUT}\n"
        "        with:\n"
        "          fetch-depth: 0  # the merge base, for the selection\n"
        f"{_install_pitstop()}"
        f"{_restore_history()}"
        "      - id: shard\n"
        "        env:\n"
        "          BASE: ${{ github.base_ref }}\n"
        "        run: |\n"
        '          if [ -n "$BASE" ]; then\n'
        '            selection=(--base "origin/$BASE")  # a pull request: the tests it can affect\n'
        "          else\n"
        "            selection=(--all)  # the default branch: every test\n"
        "          fi\n"
        f'          echo "matrix=$(pitstop shard --shards {SHARDS} "${{selection[@]}}" '
        '--format github-matrix)" >> "$GITHUB_OUTPUT"\n'
    )


def _test_job(found: Detected) -> str:
    setup, runner = _project_setup(found)
    return (
        "  test:\n"
        "    needs: plan\n"
        "    # Nothing selected: no test job.\n"
        "    if: ${{ fromJSON(needs.plan.outputs.matrix).include[0] != null }}\n"
        "    runs-on: ubuntu-latest\n"
        "    timeout-minutes: 30\n"
        "    strategy:\n"
        "      fail-fast: false\n"
        "      matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}\n"
        "    steps:\n"
        f"      - uses: {CHECKOUT}\n"
        f"{setup}"
        "      - name: Test shard ${{ matrix.shard }} of ${{ matrix.shards }}\n"
        "        env:\n"
        "          ARGS: ${{ matrix.args }}  # shell-quoted by pitstop; via env, never inlined\n"
        "          JUNIT: junit-${{ matrix.shard }}-of-${{ matrix.shards }}.xml\n"
        "        run: |\n"
        '          eval "set -- $ARGS"\n'
        f'          {runner}pytest "$@" --junitxml="$JUNIT"\n'
        "      - if: always()\n"
        f"        uses: {UPLOAD_ARTIFACT}\n"
        "        with:\n"
        "          name: junit-${{ matrix.shard }}\n"
        "          path: junit-*.xml\n"
        "          if-no-files-found: ignore\n"
    )


def _history_job() -> str:
    return (
        "  history:\n"
        "    needs: test\n"
        "    if: always()  # failed and cancelled runs are history too\n"
        "    runs-on: ubuntu-latest\n"
        "    timeout-minutes: 10\n"
        "    steps:\n"
        f"      - uses: {CHECKOUT}\n"
        f"{_install_pitstop()}"
        f"      - uses: {DOWNLOAD_ARTIFACT}\n"
        "        with:\n"
        "          pattern: junit-*\n"
        "          path: junit\n"
        "          merge-multiple: true\n"
        f"{_restore_history()}"
        "      # With a team PostgreSQL history, set PITSTOP_DB from a secret here and drop the\n"
        "      # cache steps (see the README, Recording every CI run).\n"
        "      - name: Record this run\n"
        "        run: |\n"
        "          for file in junit/*.xml; do\n"
        '            [ -e "$file" ] || continue\n'
        '            shard=$(basename "$file" .xml)\n'
        "            shard=${shard#junit-}\n"
        '            pitstop record junit "$file" --shard "${shard/-of-//}"\n'
        "          done\n"
        '          pitstop report --format markdown >> "$GITHUB_STEP_SUMMARY"\n'
        "      # Only the default branch writes the history: a cache saved by pull-request runs\n"
        "      # would fill the repository's cache on every push (PS404).\n"
        "      - if: github.event_name == 'push'\n"
        f"        uses: {CACHE_SAVE}\n"
        "        with:\n"
        "          path: .pitstop/history.db\n"
        "          key: pitstop-history-${{ github.run_id }}\n"
    )


def _project_setup(found: Detected) -> tuple[str, str]:
    """The steps that install the project and its test tools, and the prefix pytest runs
    under, for the detected package manager."""
    if found.manager == "uv":
        return _uv_setup(found), "uv run "
    if found.manager == "poetry":
        return _poetry_setup(found), "poetry run "
    if found.manager == "pipenv":
        install = "pip install pipenv && pipenv install --dev --deploy"
        return _setup_python(
            found, "pipenv", "Pipfile.lock"
        ) + f"      - run: {install}\n", "pipenv run "
    if found.manager == "pdm":
        groups = "".join(f" -G {g}" for g in (found.test_extra, found.test_group) if g)
        install = f"pip install pdm && pdm sync{groups}"
        return _setup_python(found, "pip", "pdm.lock") + f"      - run: {install}\n", "pdm run "
    return _pip_setup(found), ""


def _setup_python(found: Detected, cache: str, key_files: str | None) -> str:
    path = f"          cache-dependency-path: {key_files}\n" if key_files else ""
    return (
        f"      - uses: {SETUP_PYTHON}\n"
        "        with:\n"
        f'          python-version: "{found.python}"  # {_safe(found.python_why)}\n'
        f"          cache: {cache}\n"
        f"{path}"
    )


def _uv_setup(found: Detected) -> str:
    options = f" --extra {found.test_extra}" if found.test_extra else ""
    if found.test_group and found.test_group != "dev":  # uv syncs the dev group by default
        options += f" --group {found.test_group}"
    return (
        f"      - uses: {SETUP_UV}\n"
        "        with:\n"
        "          enable-cache: true\n"
        f'          python-version: "{found.python}"  # {_safe(found.python_why)}\n'
        f"      - run: uv sync --locked{options}\n"
    )


def _poetry_setup(found: Detected) -> str:
    options = f" --extras {found.test_extra}" if found.test_extra else ""
    if found.test_group:
        options += f" --with {found.test_group}"
    # setup-python asks Poetry for its cache folder, so Poetry is installed first.
    return (
        "      - run: pipx install poetry\n"
        f"{_setup_python(found, 'poetry', None)}"
        f"      - run: poetry install --no-interaction{options}\n"
    )


def _pip_setup(found: Detected) -> str:
    words = [f"-r {r}" for r in found.requirements]
    if found.installable:
        words.append(f"-e '.[{found.test_extra}]'" if found.test_extra else "-e .")
    if found.test_group:
        words.append(f"--group {found.test_group}")  # pip 25.1+
    if found.test_extra is None and found.test_group is None and not found.requirements:
        words.append("pytest")  # nothing declares the test tools
    keys = [*found.requirements, *(["pyproject.toml"] if found.has_pyproject else [])]
    if not keys:
        keys = ["setup.py"] if found.installable else [".github/workflows/pitstop.yml"]
    setup = _setup_python(found, "pip", "\n".join(keys) if len(keys) < 2 else None)
    if len(keys) > 1:
        setup += "          cache-dependency-path: |\n" + "".join(
            f"            {k}\n" for k in keys
        )
    return setup + f"      - run: pip install {' '.join(words)}\n"
