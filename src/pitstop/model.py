"""Immutable records every layer shares: severities, locations, fixes and findings."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.Enum):
    """How much a finding matters; the order is the order of `--fail-on` levels."""

    INFO = "info"
    WARNING = "warning"
    BLOCKING = "blocking"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        """The severity named `text`; ValueError naming the valid ones otherwise."""
        try:
            return cls(text)
        except ValueError:
            valid = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {valid})") from None


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.BLOCKING: 2}


class Area(enum.Enum):
    """The review areas that get a score, in the order a review reads a repository: the image,
    what is sent to build it, what it installs, the pipeline that builds it, then security."""

    DOCKERFILE = "dockerfile"
    CONTEXT = "context"
    DEPENDENCIES = "dependencies"
    WORKFLOWS = "workflows"
    SECURITY = "security"


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file: path relative to the reviewed root with `/`, 1-based line and column."""

    path: str
    line: int = 1
    column: int = 1


@dataclass(frozen=True)
class Related:
    """A second place a finding points at, with what it shows there."""

    location: Location
    message: str


@dataclass(frozen=True)
class TextEdit:
    """Replace the text between two positions (end exclusive; columns are 1-based)."""

    path: str
    start_line: int
    start_column: int
    end_line: int
    end_column: int
    text: str


@dataclass(frozen=True)
class Fix:
    """A safe, mechanical change that resolves a finding."""

    description: str
    edits: tuple[TextEdit, ...]


@dataclass(frozen=True)
class Finding:
    """One thing a rule found, at one location."""

    rule: str
    severity: Severity
    title: str
    message: str
    location: Location
    area: Area
    related: tuple[Related, ...] = ()
    fix: Fix | None = None
    # Python modules the finding concerns (found in the repository, never guessed from
    # distribution names): the action plan checks that they import in the built image.
    imports: tuple[str, ...] = ()

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.rule)


@dataclass(frozen=True)
class InputProblem:
    """A file pitstop could not read or parse; reported, and the rest still reviewed."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class AreaScore:
    """A 0-10 score and the counts it is computed from (see docs/scoring.md)."""

    area: Area
    files: int
    blocking: int = 0
    warning: int = 0
    info: int = 0
    score: float | None = None


@dataclass(frozen=True)
class BuildInfo:
    """One image build the review knows of: what `docker build` it amounts to."""

    dockerfile: str
    context: str
    target: str | None = None
    declared_at: Location | None = None

    @property
    def command(self) -> str:
        target = f" --target {self.target}" if self.target else ""
        return f"docker build -f {self.dockerfile}{target} {self.context or '.'}"


class Verdict(enum.Enum):
    APPROVED = "APPROVED"
    CONDITIONALLY_APPROVED = "CONDITIONALLY APPROVED"
    NOT_APPROVED = "NOT APPROVED"


@dataclass(frozen=True)
class ReviewResult:
    """Everything one review produced, in the order reports show it."""

    root: str
    findings: tuple[Finding, ...]
    scores: tuple[AreaScore, ...]
    verdict: Verdict
    files_reviewed: tuple[str, ...] = ()
    problems: tuple[InputProblem, ...] = field(default=())
    fail_on: Severity | None = Severity.BLOCKING
    builds: tuple[BuildInfo, ...] = ()

    def at_or_above(self, level: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity.rank >= level.rank)

    @property
    def failed(self) -> bool:
        """Whether a finding reaches the fail-on level (None: never fail)."""
        return self.fail_on is not None and bool(self.at_or_above(self.fail_on))
