"""PS401-PS404, PS430, PS431: workflow caches, keys, cache writes from pull requests,
hand-installed tools and browser downloads."""

from __future__ import annotations

import pytest

from .workflows import findings, fix_and_review, hits, write

# Steps start on line 7 (after the checkout on line 6).
JOB = """\
on: {on}
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
{steps}"""


def job(steps: str, on: str = "push") -> str:
    return JOB.format(on=on, steps=steps)


SETUP = "      - uses: actions/setup-python@v5\n        with:\n          python-version: '3.12'\n"
PIP = "      - run: pip install -r requirements.txt\n"
REQUIREMENTS = {"requirements.txt": "flask==3.0\n"}
POETRY = {"pyproject.toml": "[tool.poetry]\nname = 'x'\n", "poetry.lock": "# lock\n"}


@pytest.mark.parametrize(
    ("steps", "files", "expected"),
    [
        (SETUP + PIP, REQUIREMENTS, [("PS401", 7)]),
        (SETUP.replace("'3.12'\n", "'3.12'\n          cache: pip\n") + PIP, REQUIREMENTS, []),
        (SETUP + "      - run: python tools/report.py\n", REQUIREMENTS, []),  # installs nothing
        (
            SETUP
            + "      - uses: actions/cache@v4\n        with:\n          path: ~/.cache/pip\n"
            + "          key: ${{ runner.os }}-pip-${{ hashFiles('requirements.txt') }}\n"
            + PIP,
            REQUIREMENTS,
            [],
        ),
        (
            SETUP + "      - run: pip install poetry\n      - run: poetry install\n",
            POETRY,
            [("PS401", 7)],
        ),
        ("      - uses: actions/setup-python@v5\n" + PIP, REQUIREMENTS, [("PS401", 7)]),
        (
            "      - uses: actions/setup-python@v5\n        with: {python-version: '3.12'}\n" + PIP,
            REQUIREMENTS,
            [("PS401", 7)],
        ),
    ],
    ids=[
        "no-cache",
        "cache-pip",
        "no-install",
        "own-cache",
        "poetry-after",
        "no-with",
        "flow-with",
    ],
)
def test_setup_python_without_cache(tmp_path, steps, files, expected):
    assert hits(tmp_path, "PS401", job(steps), files) == expected


UV_SYNC = "      - run: uv sync --locked\n"
UV_LOCK = {"pyproject.toml": "[project]\nname = 'x'\n", "uv.lock": "# lock\n"}


def uv(ref: str, inputs: str = "") -> str:
    """A setup-uv step at `ref` (the text after `@`, a comment allowed) with `inputs`."""
    return f"      - uses: astral-sh/setup-uv@{ref}\n" + (
        f"        with:\n          {inputs}\n" if inputs else ""
    )


SHA = "c771a70e6277c0a99b617c7a806ffedaca235ff9"


@pytest.mark.parametrize(
    ("steps", "on", "expected"),
    [
        (SETUP + uv("v7", "enable-cache: true") + UV_SYNC, "push", []),
        (SETUP + uv("v6") + UV_SYNC, "push", []),  # v5+ caches by default
        (SETUP + uv(f"{SHA} # v9.0.0") + UV_SYNC, "push", []),
        (SETUP + uv(SHA) + UV_SYNC, "push", []),  # unknown release: silent
        (SETUP + uv("main") + UV_SYNC, "push", []),
        (SETUP + uv("v4") + UV_SYNC, "push", [("PS401", 7)]),  # v1-v4 cache only when asked
        (SETUP + uv("v6", "enable-cache: false") + UV_SYNC, "push", []),  # off on purpose
        (SETUP + uv("v10") + UV_SYNC, "release", [("PS401", 7)]),  # auto is off on release
        (SETUP + uv("v10") + UV_SYNC, "pull_request", []),
        (SETUP + uv("v6") + "      - run: uv run pytest\n", "push", []),
        (
            SETUP
            + "      - id: envs\n        run: pip install hatch\n"
            + "      - uses: actions/cache/save@v4\n        with:\n"
            + "          path: ${{ steps.envs.outputs.path }}\n          key: k\n",
            "push",
            [],  # a folder named by an expression may be the installer's: not judged
        ),
    ],
    ids=[
        "enable-cache",
        "v6-default",
        "sha-with-version",
        "sha-unknown",
        "branch",
        "v4-default-off",
        "turned-off",
        "v10-release",
        "v10-pull-request",
        "uv-run",
        "expression-path",
    ],
)
def test_setup_python_with_setup_uv(tmp_path, steps, on, expected):
    assert hits(tmp_path, "PS401", job(steps, on=on), UV_LOCK) == expected


def test_a_cache_turned_off_in_the_job_is_a_choice_not_a_finding(tmp_path):
    """`enable-cache: false` (or `uv ... --no-cache`) says the job runs cold on purpose
    (release and publish jobs do, against cache poisoning): PS401 says nothing there."""
    steps = SETUP + uv("v6", "enable-cache: false") + PIP
    write(tmp_path, {".github/workflows/ci.yml": job(steps), **REQUIREMENTS})
    from pitstop import api

    assert api.review(tmp_path, select=("PS401",)).findings == ()


@pytest.mark.parametrize(
    ("runs_on", "extra", "reported"),
    [
        ("ubuntu-latest", "", True),
        ("self-hosted", "", False),  # its folders persist between runs
        ("{group: aws-highmemory}", "", False),
        ("ubuntu-latest", "      - uses: ./.github/actions/base-cache\n", False),
    ],
)
def test_pip_install_where_caching_is_out_of_sight(tmp_path, runs_on, extra, reported):
    text = job(SETUP + extra + PIP).replace("runs-on: ubuntu-latest", f"runs-on: {runs_on}")
    write(tmp_path, {".github/workflows/ci.yml": text, **REQUIREMENTS})
    from pitstop import api

    assert bool(api.review(tmp_path, select=("PS401",)).findings) is reported


@pytest.mark.parametrize(
    ("steps", "files", "added"),
    [
        (
            SETUP + PIP,
            REQUIREMENTS,
            "        with:\n          cache: pip\n          python-version: '3.12'\n",
        ),
        (
            "      - uses: actions/setup-python@v5\n" + PIP,
            REQUIREMENTS,
            "      - uses: actions/setup-python@v5\n        with:\n          cache: pip\n",
        ),
        (
            "      - run: pipx install poetry\n"
            + SETUP
            + "      - run: poetry install --with dev\n",
            POETRY,
            "        with:\n          cache: poetry\n          python-version: '3.12'\n",
        ),
        (
            SETUP + "      - run: pip install -r requirements-ci.txt\n",
            {"requirements-ci.txt": "pytest\n"},
            "          cache: pip\n          cache-dependency-path: requirements-ci.txt\n",
        ),
    ],
    ids=["pip", "pip-no-with", "poetry-installed-first", "dependency-path"],
)
def test_setup_python_cache_fix(tmp_path, steps, files, added):
    write(tmp_path, {".github/workflows/ci.yml": job(steps), **files})
    fixed, left = fix_and_review(tmp_path, "PS401")
    assert added in fixed
    assert left == []


def test_setup_python_cache_has_no_fix_when_poetry_comes_later_or_nothing_is_checked_out(tmp_path):
    steps = SETUP + "      - run: pip install poetry\n      - run: poetry install\n"
    write(tmp_path, {".github/workflows/ci.yml": job(steps), **POETRY})
    from pitstop import api

    (finding,) = api.review(tmp_path, select=("PS401",)).findings
    assert finding.fix is None and "pipx install poetry" in finding.message
    unchecked = job(SETUP + PIP).replace("      - uses: actions/checkout@v4\n", "")
    write(tmp_path, {".github/workflows/ci.yml": unchecked, **REQUIREMENTS})
    (finding,) = api.review(tmp_path, select=("PS401",)).findings
    assert finding.fix is None  # setup-python's cache would find no requirements.txt


CACHE = """\
      - uses: actions/cache@v4
        with:
          path: {path}
          key: {key}
"""


def cache(path: str, key: str, restore: str = "") -> str:
    step = CACHE.format(path=path, key=key)
    if restore:
        step += "          restore-keys: |\n" + "".join(
            f"            {r}\n" for r in restore.split("|")
        )
    return step


@pytest.mark.parametrize(
    ("path", "key", "missing"),
    [
        ("~/.cache/pip", "pip-${{ hashFiles('requirements.txt') }}", ["`runner.os`"]),
        (".venv", "${{ runner.os }}-venv-${{ hashFiles('poetry.lock') }}", ["the Python version"]),
        (
            ".venv",
            "${{ runner.os }}-venv-${{ hashFiles('**/pyproject.toml') }}",
            ["the Python version"],
        ),
        (
            "~/.cache/pypoetry",
            "poetry-${{ runner.os }}-${{ hashFiles('backend/poetry.lock') }}",
            ["the Python version"],
        ),
        (".venv", "${{ runner.os }}-py${{ matrix.python-version }}-venv", ["a `hashFiles"]),
        (".venv", "venv", ["`runner.os`", "the Python version", "a `hashFiles"]),
        (
            ".venv",
            "${{ runner.os }}-${{ steps.py.outputs.python-version }}-${{ hashFiles('**/poetry.lock') }}",
            [],
        ),
        (".venv", "Linux-py312-${{ hashFiles('uv.lock') }}", []),
        ("~/.cache/pip", "${{ runner.os }}-pip-${{ github.run_id }}", []),
        ("~/.cache/ms-playwright", "playwright", []),  # not a Python cache: not judged here
    ],
)
def test_cache_key(tmp_path, path, key, missing):
    found = hits(tmp_path, "PS402", job(cache(path, key)))
    assert found == ([("PS402", 10)] if missing else [])
    if missing:
        from pitstop import api

        (finding,) = api.review(tmp_path, select=("PS402",)).findings
        assert all(m in finding.message for m in missing)


FULL_KEY = "${{ runner.os }}-py${{ matrix.python-version }}-${{ hashFiles('poetry.lock') }}"


@pytest.mark.parametrize(
    ("path", "restore", "expected"),
    [
        (".venv", "${{ runner.os }}-py${{ matrix.python-version }}-", []),
        (".venv", "${{ runner.os }}-", [("PS403", 12)]),
        (".venv", "${{ runner.os }}-py${{ matrix.python-version }}-|venv-", [("PS403", 13)]),
        ("~/.cache/pip", "${{ runner.os }}-", []),  # downloads work with any interpreter
        ("~/.cache/pip", "pip-", [("PS403", 12)]),  # but not across operating systems
    ],
)
def test_restore_keys(tmp_path, path, restore, expected):
    assert hits(tmp_path, "PS403", job(cache(path, FULL_KEY, restore))) == expected


BUILD_GHA = """\
      - uses: docker/setup-buildx-action@v3
      - uses: docker/build-push-action@v6
        with:
          context: .
          cache-from: type=gha
          cache-to: {cache_to}
"""


@pytest.mark.parametrize(
    ("on", "steps", "expected"),
    [
        (
            "pull_request_target",
            cache("~/.cache/pip", "${{ runner.os }}-pip-${{ hashFiles('r.txt') }}"),
            [("PS404", 7)],
        ),
        (
            "pull_request",
            cache("~/.cache/pip", "${{ runner.os }}-pip-${{ hashFiles('r.txt') }}"),
            [],
        ),
        (
            "pull_request",
            cache("~/.cache/pip", "${{ runner.os }}-pip-${{ github.run_id }}"),
            [("PS404", 7)],
        ),
        ("pull_request", BUILD_GHA.format(cache_to="type=gha,mode=max"), [("PS404", 8)]),
        (
            "pull_request",
            BUILD_GHA.format(
                cache_to="${{ github.event_name != 'pull_request' && 'type=gha' || '' }}"
            ),
            [],
        ),
        ("push", BUILD_GHA.format(cache_to="type=gha,mode=max"), []),
        (
            "pull_request_target",
            SETUP.replace("'3.12'\n", "'3.12'\n          cache: pip\n"),
            [("PS404", 7)],
        ),
        (
            "[push, pull_request_target]",
            cache("~/.cache/pip", "k").replace(
                "      - uses", "      - if: github.ref == 'refs/heads/main'\n        uses"
            ),
            [],
        ),
        (
            "[push, pull_request_target]",
            cache("~/.cache/pip", "k").replace("actions/cache@", "actions/cache/restore@"),
            [],
        ),
    ],
    ids=[
        "target-cache",
        "pr-keyed-cache",
        "pr-per-run-key",
        "pr-gha-export",
        "pr-guarded-export",
        "push",
        "target-setup-python",
        "guarded-step",
        "restore-only",
    ],
)
def test_cache_writes_reachable_from_pull_requests(tmp_path, on, steps, expected):
    assert hits(tmp_path, "PS404", job(steps, on=on)) == expected


DEV_GROUP = {
    "pyproject.toml": "[project]\nname = 'x'\n\n[project.optional-dependencies]\ndev = ['pytest>=8', 'ruff']\n"
}


@pytest.mark.parametrize(
    ("run", "files", "expected"),
    [
        ("pip install pytest ruff", DEV_GROUP, [("PS430", 7)]),
        ("pip install tox tox-uv", DEV_GROUP, []),  # builds its own environments
        ("pip install pre-commit", DEV_GROUP, []),
        (
            "pip install pytest",
            {"backends/server/pyproject.toml": DEV_GROUP["pyproject.toml"]},
            [],  # a nested project the step does not work in
        ),
        ("python -m pip install --upgrade pytest-cov coverage", DEV_GROUP, [("PS430", 7)]),
        ("pip install pytest", {"requirements-dev.txt": "pytest\n"}, [("PS430", 7)]),
        ("pip install pytest", {"requirements/dev.txt": "pytest\n"}, [("PS430", 7)]),
        ("pip install pytest", {"requirements/tests.in": "-r base.in\npytest\n"}, [("PS430", 7)]),
        ("pip install pytest", {"requirements/prod.txt": "pytest\n"}, []),  # not a dev file
        # the names come from the one requirements parser, PEP 503 normalised
        ("pip install pytest_cov", {"test-requirements.txt": "Pytest-Cov\n"}, [("PS430", 7)]),
        (
            "pip install pytest",
            {"backend/requirements/dev.txt": "pytest\n"},
            [],  # a nested project's requirements folder
        ),
        (
            "pip install pytest",
            {"pyproject.toml": "[dependency-groups]\ntest = ['pytest']\n"},
            [("PS430", 7)],
        ),
        (
            "pip install pytest",
            {"pyproject.toml": "[tool.poetry.group.dev.dependencies]\npytest = '^8'\n"},
            [("PS430", 7)],
        ),
        (
            "pip install pytest",
            {"pyproject.toml": "[project]\nname = 'x'\n"},
            [],
        ),  # nowhere to put them
        (
            "pip install pytest",
            {"pyproject.toml": "[project.optional-dependencies]\npostgres = ['psycopg']\n"},
            [],
        ),
        ("pip install -e '.[dev]'", DEV_GROUP, []),
        ("pip install poetry", DEV_GROUP, []),
    ],
)
def test_tools_installed_by_hand(tmp_path, run, files, expected):
    assert hits(tmp_path, "PS430", job(f"      - run: {run}\n"), files) == expected


def test_a_requirements_file_the_parser_refuses_names_no_tool(tmp_path):
    # still the project's dev declaration, but what it lists is not known: the finding
    # does not say pytest is in it
    from pitstop import api

    files = {"requirements-dev.txt": "pytest\nnot a requirement!\n"}
    write(tmp_path, {".github/workflows/ci.yml": job("      - run: pip install pytest\n"), **files})
    result = api.review(tmp_path, select=("PS430",))
    assert [(p.path, p.line) for p in result.problems] == [("requirements-dev.txt", 2)]
    (finding,) = result.findings
    assert "declared there already" not in finding.message


def test_tools_installed_by_hand_says_which_are_declared_and_points_at_the_line(tmp_path):
    from pitstop import api

    steps = "      - run: |\n          pip install -e .\n          pip install pytest black\n"
    write(tmp_path, {".github/workflows/ci.yml": job(steps), **DEV_GROUP})
    (finding,) = api.review(tmp_path, select=("PS430",)).findings
    assert finding.location.line == 9
    assert "pytest is declared there already" in finding.message
    assert [(r.location.path, r.location.line) for r in finding.related] == [("pyproject.toml", 4)]


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ("      - run: npx playwright install --with-deps\n", [("PS431", 7)]),
        ("      - run: poetry run playwright install chromium\n", [("PS431", 7)]),
        ("      - run: sudo apt-get install -y chromium-driver\n", [("PS431", 7)]),
        (
            "      - run: curl -sSLo cd.zip https://storage.googleapis.com/chrome-for-testing-public/1/chromedriver.zip\n",
            [("PS431", 7)],
        ),
        ("      - run: npx cypress install\n", [("PS431", 7)]),
        ("      - run: sudo apt-get install -y libpq-dev\n", []),
        (
            cache("~/.cache/ms-playwright", "pw-${{ hashFiles('package-lock.json') }}")
            + "      - run: npx playwright install --with-deps\n",
            [],
        ),
    ],
)
def test_browser_downloads(tmp_path, steps, expected):
    assert hits(tmp_path, "PS431", job(steps)) == expected


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (uv("v6"), [("PS404", 7)]),  # caches by default, so saves on pull_request_target
        (uv("v10"), []),  # v10's default caches nothing on pull_request_target
        (uv("v4"), []),
        (uv(SHA), []),  # unknown release: silent
        (uv("v6", "save-cache: false"), []),
    ],
    ids=["v6", "v10", "v4", "sha", "restore-only"],
)
def test_setup_uv_default_cache_on_pull_request_target(tmp_path, step, expected):
    assert hits(tmp_path, "PS404", job(step, on="pull_request_target")) == expected


REUSABLE = """\
on:
  workflow_call:
jobs:
  e2e:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
        with:
          cache-from: type=gha
          cache-to: type=gha,mode=max
"""


@pytest.mark.parametrize(
    ("caller_on", "condition", "expected"),
    [
        (
            "[push, pull_request]",
            "",
            [(".github/workflows/e2e.yml", 7, ".github/workflows/ci.yml", 7)],
        ),
        # only pull requests call it: no default-branch run could save the cache instead
        ("pull_request", "", []),
        ("push", "", []),
        ("[push, pull_request]", "    if: github.event_name == 'push'\n", []),
    ],
    ids=["pull-request-caller", "only-pull-requests", "push-caller", "guarded-caller"],
)
def test_a_reusable_workflow_runs_in_its_callers_events(tmp_path, caller_on, condition, expected):
    caller = (
        f"on: {caller_on}\njobs:\n  lint:\n    runs-on: x\n    steps: [{{run: make}}]\n"
        f"  e2e:\n{condition}    uses: ./.github/workflows/e2e.yml\n"
    )
    write(tmp_path, {".github/workflows/e2e.yml": REUSABLE})
    found = findings(tmp_path, "PS404", caller)
    assert [
        (f.location.path, f.location.line, r.location.path, r.location.line)
        for f in found
        for r in f.related
    ] == [(p, line, rp, rl + (1 if condition else 0)) for p, line, rp, rl in expected]


def test_tools_installed_by_hand_in_a_nested_project_it_works_in(tmp_path):
    steps = "      - run: pip install pytest\n        working-directory: ./backends/server\n"
    files = {"backends/server/pyproject.toml": DEV_GROUP["pyproject.toml"]}
    assert hits(tmp_path, "PS430", job(steps), files) == [("PS430", 7)]


HATCH = "      - run: pip install hatch\n      - run: {run}\n"
HATCH_UV = {"pyproject.toml": "[tool.hatch.envs.default]\ninstaller = 'uv'\n"}


@pytest.mark.parametrize(
    ("steps", "files", "fixed", "says"),
    [
        # hatch installs the job's dependencies with uv: pip's cache would hold hatch alone
        (SETUP + HATCH.format(run="hatch run test:unit"), HATCH_UV, False, "uv cache dir"),
        (SETUP + HATCH.format(run="hatch test"), HATCH_UV, False, "environment `default`"),
        # hatch with pip (its default) downloads into pip's cache: `cache: pip` does work
        (
            SETUP + HATCH.format(run="hatch run test"),
            {"pyproject.toml": "[tool.hatch.envs.default]\ndependencies = ['pytest']\n"},
            True,
            "Add `cache: pip`",
        ),
        # an environment of its own that installs with pip, the default with uv
        (
            SETUP + HATCH.format(run="hatch run lint:check"),
            {
                "pyproject.toml": "[tool.hatch.envs.default]\ninstaller = 'uv'\n"
                "[tool.hatch.envs.lint]\ninstaller = 'pip'\n"
            },
            True,
            "Add `cache: pip`",
        ),
        (
            SETUP + "      - run: pip install tox tox-uv\n      - run: tox -e py312\n",
            REQUIREMENTS,
            False,
            "the job installs tox-uv",
        ),
        (
            SETUP + "      - run: pip install nox\n      - run: nox -db uv -s tests\n",
            REQUIREMENTS,
            False,
            "`-db uv`",
        ),
        # tox with pip: its environments' downloads land in pip's cache
        (SETUP + "      - run: pip install tox\n      - run: tox\n", REQUIREMENTS, True, "pip"),
    ],
    ids=["hatch-uv", "hatch-test", "hatch-pip", "hatch-env-pip", "tox-uv", "nox-uv", "tox-pip"],
)
def test_setup_python_cache_when_an_env_manager_installs(tmp_path, steps, files, fixed, says):
    (finding,) = findings(tmp_path, "PS401", job(steps), files)
    assert (finding.fix is not None) is fixed
    assert says in finding.message
    if not fixed:
        assert "`cache: pip` would keep only what pip installs" in finding.message


@pytest.mark.parametrize(
    ("ref", "steps", "files", "fixed"),
    [
        ("v1", PIP, REQUIREMENTS, False),  # no `cache` input before v2.3.0
        ("v2.2.2", PIP, REQUIREMENTS, False),
        ("v2", PIP, REQUIREMENTS, True),  # the v2 tag is v2.3.x: pip caching is there
        ("0123456789abcdef0123456789abcdef01234567 # v1.2.0", PIP, REQUIREMENTS, False),
        ("v4", PIP, REQUIREMENTS, True),
    ],
)
def test_setup_python_cache_fix_needs_a_version_with_the_input(tmp_path, ref, steps, files, fixed):
    setup = SETUP.replace("@v5", f"@{ref}")
    (finding,) = findings(tmp_path, "PS401", job(setup + steps), files)
    assert (finding.fix is not None) is fixed
    assert ("has no `cache` input for pip (it came in v2.3.0)" in finding.message) is not fixed


def test_setup_python_v2_has_no_poetry_cache(tmp_path):
    steps = "      - run: pipx install poetry\n" + SETUP.replace("@v5", "@v2")
    steps += "      - run: poetry install\n"
    (finding,) = findings(tmp_path, "PS401", job(steps), POETRY)
    assert finding.fix is None
    assert "has no `cache` input for poetry (it came in v3.1.0)" in finding.message


@pytest.mark.parametrize(
    "pyproject",
    [
        'project = "x"\n',
        "[tool]\npoetry = []\n",
        "[tool.poetry]\ngroup = 5\n",
        "[tool.poetry.group]\ndev = 3\n",
        "[project]\noptional-dependencies = [1]\n",
    ],
)
def test_a_pyproject_of_another_shape_does_not_crash_the_dev_tools_rule(tmp_path, pyproject):
    steps = "      - run: pip install ruff\n"
    write(tmp_path, {".github/workflows/ci.yml": job(steps), "pyproject.toml": pyproject})
    from pitstop import api

    api.review(tmp_path, select=("PS430",))  # used to raise AttributeError
