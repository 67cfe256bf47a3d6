"""What a rule is: a stable code, a title, a default severity, why it matters, and a check."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pitstop.model import Area, Fix, Location, Related, Severity
from pitstop.review.project import Build, DockerfileSource, Project


@dataclass(frozen=True)
class Hit:
    """What a check reports; the engine turns it into a Finding with the rule's metadata."""

    location: Location
    message: str
    related: tuple[Related, ...] = ()
    fix: Fix | None = None
    imports: tuple[str, ...] = ()
    # The builds whose context the claim depends on: when every one of them is assumed (no
    # workflow, compose or bake file builds the Dockerfile), the engine says so and never blocks.
    builds: tuple[Build, ...] = ()
    # A lower severity for this hit than the rule's default, with the reason in the message
    # (for example a root image that drops privileges in its entrypoint).
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
    # The rule's claim only holds for Linux images (users, signals, apt, chown): Dockerfiles
    # that build Windows images are not checked by it.
    linux_only: bool = False

    def run(self, project: Project) -> Iterable[Hit]:
        if self.check_project is not None:
            yield from self.check_project(project)
        if self.check_dockerfile is not None:
            for source in project.dockerfiles:
                if self.linux_only and source.is_windows:
                    continue
                yield from self.check_dockerfile(source, project)
