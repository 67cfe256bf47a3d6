"""What a rule is: a stable code, a title, a default severity, why it matters, and a check."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pitstop.model import Area, Fix, Location, Related, Severity
from pitstop.review.project import DockerfileSource, Project


@dataclass(frozen=True)
class Hit:
    """What a check reports; the engine turns it into a Finding with the rule's metadata."""

    location: Location
    message: str
    related: tuple[Related, ...] = ()
    fix: Fix | None = None
    imports: tuple[str, ...] = ()
    # This hit's default severity when it differs from the rule's (a case that costs less,
    # or rests on an assumption); a severity the user configured still wins.
    severity: Severity | None = None


DockerfileCheck = Callable[[DockerfileSource, Project], Iterable[Hit]]
ProjectCheck = Callable[[Project], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A rule: `code` never changes once released; `why` is the paragraph in docs/rules.md."""

    code: str
    name: str
    title: str
    severity: Severity
    area: Area
    why: str
    check_dockerfile: DockerfileCheck | None = None
    check_project: ProjectCheck | None = None
    fixable: bool = False

    def run(self, project: Project) -> Iterable[Hit]:
        if self.check_project is not None:
            yield from self.check_project(project)
        if self.check_dockerfile is not None:
            for source in project.dockerfiles:
                yield from self.check_dockerfile(source, project)
