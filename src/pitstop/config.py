"""pitstop's configuration: one loader, one documented search order, the schema checked up
front, every problem reported at once with its file, line and key.

Search order (the first that exists wins; the others are not read):
1. the file named by `--config` (an error if it is missing);
2. `<root>/.pitstop.toml` (keys at the top level);
3. `<root>/pyproject.toml`, table `[tool.pitstop]`.

The `affected` table (`pitstop affected`'s own settings) is read and checked here too, so
both commands see the same file the same way. Globs (`exclude`, `per-path-ignores`,
`affected.run-all`) follow .gitignore syntax, matched by the `pathspec` library.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pathspec

from pitstop.errors import ConfigError, PitstopError
from pitstop.files import read_regular_file, refuse_outside
from pitstop.lines import text_lines
from pitstop.model import Severity
from pitstop.units import parse_duration, parse_size

KEYS = (
    "select",
    "ignore",
    "severity",
    "per-path-ignores",
    "fail-on",
    "exclude",
    "context-budget-mb",
    "affected",
    "slo",
    "image",
)
IMAGE_KEYS = ("budget", "budget-added")
AFFECTED_KEYS = ("run-all", "source-roots")
# `[slo]`: each key is the id of the report row its target applies to (see SloTargets).
SLO_DURATION_KEYS = (
    "pr-pipeline-p50",
    "pr-pipeline-p95",
    "main-pipeline-p50",
    "main-pipeline-p95",
    "queue-p50",
    "queue-p95",
    "test-suite-p50",
    "test-suite-p95",
    "deploy-p50",
    "deploy-p95",
    "slow-test",
)
SLO_RATE_KEYS = ("layer-cache-hit-rate",)
SLO_SIZE_KEYS = ("image-size",)
SLO_TEXT_KEYS = ("deploy-job",)
SLO_KEYS = SLO_DURATION_KEYS + SLO_RATE_KEYS + SLO_SIZE_KEYS + SLO_TEXT_KEYS
# `--pitstop-mark-slow`'s threshold when `slow-test` is not set: a unit test rarely takes
# seconds, so one that does at its p95 is worth a separate job.
DEFAULT_SLOW_TEST_SECONDS = 5.0
# The jobs whose time is the deploy time: the name contains this, in any case.
DEFAULT_DEPLOY_JOB = "deploy"
# PS205's default: a service's own sources rarely reach tens of MB, so a context above this
# usually carries version-control data, virtualenvs or data files; `context-budget-mb` moves it.
DEFAULT_CONTEXT_BUDGET_MB = 50.0
NEVER = "never"


@dataclass(frozen=True)
class AffectedConfig:
    """`[affected]`: globs whose change runs every test, and extra package roots."""

    run_all: tuple[str, ...] = ()
    source_roots: tuple[str, ...] = ()


@dataclass(frozen=True)
class SloTargets:
    """`[slo]`: targets by report row id (`pr-pipeline-p95` -> seconds, `layer-cache-hit-rate`
    -> a fraction, `image-size` -> bytes); `slow_test` the p95 above which a test is slow;
    `deploy_job` what a deploy job's name contains (case-insensitive)."""

    targets: Mapping[str, float] = field(default_factory=dict)
    slow_test: float = DEFAULT_SLOW_TEST_SECONDS
    deploy_job: str = DEFAULT_DEPLOY_JOB

    def target(self, metric: str) -> float | None:
        return self.targets.get(metric)


@dataclass(frozen=True)
class ImageConfig:
    """`[image]`: `pitstop image`'s default budgets in bytes (the command line's win)."""

    budget: int | None = None  # on the whole image
    budget_added: int | None = None  # on the bytes the Dockerfile added above the base


@dataclass(frozen=True)
class Config:
    """Which rules run, at what severity, where, and what fails the run."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    per_path_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    fail_on: Severity | None = Severity.BLOCKING
    exclude: tuple[str, ...] = ()
    context_budget_mb: float = DEFAULT_CONTEXT_BUDGET_MB
    affected: AffectedConfig = AffectedConfig()
    slo: SloTargets = SloTargets()
    image: ImageConfig = ImageConfig()
    source: str | None = None
    # The TOML file the settings came from, as read and as tomllib decoded it: a review that
    # reads the same text (the root pyproject.toml) takes this decoding, so the file is
    # decoded once. Not a setting: two configurations with the same settings are equal.
    decoded: DecodedToml | None = field(default=None, compare=False, repr=False)

    def enabled(self, code: str) -> bool:
        selected = not self.select or any(code.startswith(p) for p in self.select)
        return selected and not any(code.startswith(p) for p in self.ignore)

    def severity_of(self, code: str, default: Severity) -> Severity:
        return self.severity.get(code, default)

    def ignored_at(self, code: str, path: str) -> bool:
        return any(
            glob_match(pattern, path) and any(code.startswith(p) for p in codes)
            for pattern, codes in self.per_path_ignores
        )

    def with_overrides(
        self, *, select: Iterable[str] = (), ignore: Iterable[str] = (), fail_on: str | None = None
    ) -> Config:
        """This config with command-line options applied on top."""
        updated = self
        if select:
            updated = replace(updated, select=tuple(select))
        if ignore:
            updated = replace(updated, ignore=updated.ignore + tuple(ignore))
        if fail_on is not None:
            updated = replace(updated, fail_on=parse_fail_on(fail_on))
        return updated


@dataclass(frozen=True)
class DecodedToml:
    """A TOML file's text and tomllib's decoding of it (read, never changed)."""

    text: str
    document: dict[str, Any]


def parse_fail_on(text: str) -> Severity | None:
    if text == NEVER:
        return None
    return Severity.parse(text)


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """The configuration for a review of `root` (see the module docstring for the order)."""
    if explicit is not None:
        if not _is_file(explicit):
            raise PitstopError("configuration file not found", path=str(explicit))
        return _from_file(explicit, pyproject=explicit.name == "pyproject.toml")
    # A file found in the repository is read only if it lies in it; one --config names is
    # the user's choice, wherever it is.
    dotfile = root / ".pitstop.toml"
    if _is_file(dotfile):
        return _from_file(refuse_outside(dotfile, root), pyproject=False)
    pyproject = root / "pyproject.toml"
    if _is_file(pyproject):
        return _from_file(refuse_outside(pyproject, root), pyproject=True)
    return Config()


def _is_file(path: Path) -> bool:
    """Path.is_file, but a folder that cannot be searched is the user's to fix, in one line."""
    try:
        return path.is_file()
    except OSError as error:
        message = f"cannot look for the configuration: {error.strerror}"
        raise PitstopError(message, path=str(path)) from None


def _from_file(path: Path, *, pyproject: bool) -> Config:
    # A regular file, bounded, like every input; a UTF-8 byte-order mark is not TOML's but
    # editors write one, and it says nothing pitstop could misread: it is dropped.
    raw = read_regular_file(path, str(path))
    try:
        text = raw.decode("utf-8-sig")
        data = tomllib.loads(text)
    except UnicodeDecodeError as error:
        raise PitstopError(f"cannot read configuration: {error}", path=str(path)) from None
    except tomllib.TOMLDecodeError as error:
        raise invalid_toml(error, text, str(path)) from None
    table = _pitstop_table(data, text, str(path)) if pyproject else data
    return replace(_validated(table, text, str(path)), decoded=DecodedToml(text, data))


def _pitstop_table(data: Mapping[str, Any], text: str, path: str) -> Mapping[str, Any]:
    """`[tool.pitstop]` of a pyproject.toml; ConfigError when `tool` or it is not a table."""
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError([(_line_of(text, "tool"), "tool must be a table")], path=path)
    table = tool.get("pitstop", {})
    if not isinstance(table, dict):
        line = _line_of(text, "pitstop")
        raise ConfigError([(line, "tool.pitstop must be a table")], path=path)
    return table


def invalid_toml(error: tomllib.TOMLDecodeError, text: str, path: str) -> PitstopError:
    """tomllib's refusal of `text` as pitstop reports it: the message without its position,
    and the line it names (the last line for "at end of document"). Every reader of a TOML
    file (configuration, pyproject model, `pitstop init`) reports it so."""
    message = str(error)
    match = re.search(r"\s*\((?:at line (\d+), column \d+|at end of document)\)", message)
    if match is None:
        return PitstopError(f"invalid TOML: {message}", path=path)
    line = int(match.group(1)) if match.group(1) else max(1, len(text_lines(text)))
    return PitstopError(f"invalid TOML: {message[: match.start()]}", path=path, line=line)


def _validated(table: Mapping[str, Any], text: str, path: str) -> Config:
    problems: list[tuple[int | None, str]] = []

    def problem(needle: str, message: str) -> None:
        problems.append((_line_of(text, needle), message))

    for key in table:
        if key not in KEYS:
            problem(key, f"unknown key {key!r} (valid keys: {', '.join(KEYS)})")
    config = Config(
        select=_codes(table, "select", problem),
        ignore=_codes(table, "ignore", problem),
        severity=_severities(table, problem),
        per_path_ignores=_per_path(table, problem),
        fail_on=_fail_on(table, problem),
        exclude=_strings(table, "exclude", problem),
        context_budget_mb=_budget(table, problem),
        affected=_affected(table, problem),
        slo=_slo(table, problem),
        image=_image(table, problem),
        source=path,
    )
    if problems:
        raise ConfigError(sorted(problems, key=lambda p: p[0] or 0), path=path)
    return config


# Records one problem: a text to find the line by, and the message (which names the key).
Problem = Callable[[str, str], None]


def _strings(
    table: Mapping[str, Any], key: str, problem: Problem, prefix: str = ""
) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problem(key, f"{prefix}{key} must be a list of strings")
        return ()
    return tuple(value)


def _affected(table: Mapping[str, Any], problem: Problem) -> AffectedConfig:
    value = table.get("affected", {})
    if not isinstance(value, dict):
        problem("affected", "affected must be a table")
        return AffectedConfig()
    for key in value:
        if key not in AFFECTED_KEYS:
            valid = ", ".join(AFFECTED_KEYS)
            problem(key, f"affected: unknown key {key!r} (valid keys: {valid})")
    run_all = _strings(value, "run-all", problem, "affected.")
    roots = _strings(value, "source-roots", problem, "affected.")
    return AffectedConfig(run_all=run_all, source_roots=tuple(r.strip("/") for r in roots))


def _image(table: Mapping[str, Any], problem: Problem) -> ImageConfig:
    value = table.get("image", {})
    if not isinstance(value, dict):
        problem("image", "image must be a table")
        return ImageConfig()
    for key in value:
        if key not in IMAGE_KEYS:
            problem(key, f"image: unknown key {key!r} (valid keys: {', '.join(IMAGE_KEYS)})")
    sizes: dict[str, int | None] = {}
    for key in IMAGE_KEYS:
        found = _slo_value(value[key], parse_size) if key in value else None
        if key in value and found is None:
            problem(key, f'image.{key} must be a size such as "1GB" or "500MiB"')
        sizes[key] = None if found is None else int(found)
    return ImageConfig(budget=sizes["budget"], budget_added=sizes["budget-added"])


def _slo(table: Mapping[str, Any], problem: Problem) -> SloTargets:
    value = table.get("slo", {})
    if not isinstance(value, dict):
        problem("slo", "slo must be a table of target = value")
        return SloTargets()
    for key in value:
        if key not in SLO_KEYS:
            problem(key, f"slo: unknown key {key!r} (valid keys: {', '.join(SLO_KEYS)})")
    targets: dict[str, float] = {}
    for key, parse, expected in _SLO_PARSERS:
        if key in value and (number := _slo_value(value[key], parse)) is not None:
            targets[key] = number
        elif key in value:
            problem(key, f"slo.{key} must be {expected}")
    deploy_job = value.get("deploy-job", DEFAULT_DEPLOY_JOB)
    if not isinstance(deploy_job, str) or not deploy_job.strip():
        problem("deploy-job", "slo.deploy-job must be a non-empty string (part of a job name)")
        deploy_job = DEFAULT_DEPLOY_JOB
    slow = targets.pop("slow-test", DEFAULT_SLOW_TEST_SECONDS)
    return SloTargets(targets=targets, slow_test=slow, deploy_job=deploy_job)


def _slo_value(value: object, parse: Callable[[str], float]) -> float | None:
    """The parsed target, or None when it is not a string `parse` accepts as positive."""
    if not isinstance(value, str):
        return None
    try:
        number = parse(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number > 0 else None


def _parse_rate(text: str) -> float:
    """`80%` as 0.8; at most 100%."""
    if not text.endswith("%"):
        raise ValueError(text)
    rate = float(text[:-1].strip()) / 100
    if not 0 <= rate <= 1:
        raise ValueError(text)
    return rate


_DURATION_EXPECTED = 'a duration such as "90s", "2m" or "1h30m"'
_SLO_PARSERS: tuple[tuple[str, Callable[[str], float], str], ...] = (
    *((key, parse_duration, _DURATION_EXPECTED) for key in SLO_DURATION_KEYS),
    ("layer-cache-hit-rate", _parse_rate, 'a percentage such as "80%"'),
    ("image-size", lambda text: float(parse_size(text)), 'a size such as "500MB" or "1.2GB"'),
)


def _codes(table: Mapping[str, Any], key: str, problem: Problem) -> tuple[str, ...]:
    return tuple(code.upper() for code in _strings(table, key, problem))


def _severities(table: Mapping[str, Any], problem: Problem) -> dict[str, Severity]:
    value = table.get("severity", {})
    if not isinstance(value, dict):
        problem("severity", "severity must be a table of rule code = level")
        return {}
    result = {}
    for code, level in value.items():
        if not isinstance(level, str):
            problem(code, f"severity.{code} must be a string: blocking, warning or info")
            continue
        try:
            result[code.upper()] = Severity.parse(level)
        except ValueError as error:
            problem(code, f"severity.{code}: {error}")
    return result


def _per_path(
    table: Mapping[str, Any], problem: Problem
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    value = table.get("per-path-ignores", {})
    if not isinstance(value, dict):
        problem("per-path-ignores", "per-path-ignores must be a table of glob = [rule codes]")
        return ()
    entries = []
    for pattern, codes in value.items():
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            problem(pattern, f"per-path-ignores.{pattern!r} must be a list of rule codes")
            continue
        entries.append((pattern, tuple(c.upper() for c in codes)))
    return tuple(entries)


def _budget(table: Mapping[str, Any], problem: Problem) -> float:
    value = table.get("context-budget-mb", DEFAULT_CONTEXT_BUDGET_MB)
    number = not isinstance(value, bool) and isinstance(value, int | float)
    if not number or not math.isfinite(value) or value <= 0:
        problem("context-budget-mb", "context-budget-mb must be a positive number of megabytes")
        return DEFAULT_CONTEXT_BUDGET_MB
    return float(value)


def _fail_on(table: Mapping[str, Any], problem: Problem) -> Severity | None:
    value = table.get("fail-on", Severity.BLOCKING.value)
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return parse_fail_on(value)
    except ValueError:
        valid = ", ".join([*(s.value for s in Severity), NEVER])
        problem("fail-on", f"fail-on: unknown level {value!r} (expected one of: {valid})")
        return Severity.BLOCKING


def check_codes(config: Config, known: Collection[str]) -> None:
    """ConfigError listing every code in `config` that names no rule, with the valid ones."""
    named = [*config.select, *config.ignore, *config.severity]
    named += [code for _, codes in config.per_path_ignores for code in codes]
    unknown = sorted({c for c in named if not any(k.startswith(c) for k in known)})
    if not unknown:
        return
    source = config.source
    text = read_regular_file(Path(source), source).decode("utf-8-sig") if source else ""
    valid = ", ".join(sorted(known))
    problems = [
        (_line_of(text, code), f"unknown rule code {code!r} (valid codes: {valid})")
        for code in unknown
    ]
    raise ConfigError(problems, path=config.source or "command line")


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text_lines(text), 1):
        if needle in line:
            return number
    return None


def glob_match(pattern: str, path: str) -> bool:
    """Whether relative `path` matches `pattern`, in .gitignore syntax: `*` within a folder,
    `**` across folders, a pattern without `/` matches a name at any depth, a folder's
    pattern matches everything in it."""
    return _compiled(pattern).match_file(path)


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines([pattern])
