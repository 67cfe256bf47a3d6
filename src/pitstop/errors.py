"""The one user-error type: whatever the user can fix is raised as a PitstopError."""

from __future__ import annotations

from contextvars import ContextVar

EXIT_BUG = 3
"""Exit code of a failure that is pitstop's fault, not the input's: distinct from 1 (findings)
and 2 (bad usage or input), so a CI gate can tell that the check itself did not run."""

last_read: ContextVar[str | None] = ContextVar("last_read", default=None)
"""The repository file pitstop read last, named when an internal error stops a run."""


class PitstopError(Exception):
    """An error in the user's input or usage: one line, exit code 2, never a traceback."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.message = message
        self.path = path
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"

    @property
    def lines(self) -> list[str]:
        """The error as one or more one-line messages (a config file may hold several)."""
        return [str(self)]


class ConfigError(PitstopError):
    """The configuration is invalid; `problems` holds every (line, message) found, not just one."""

    def __init__(self, problems: list[tuple[int | None, str]], *, path: str):
        self.problems = problems
        line, message = problems[0]
        super().__init__(message, path=path, line=line)

    @property
    def lines(self) -> list[str]:
        return [
            str(PitstopError(message, path=self.path, line=line)) for line, message in self.problems
        ]
