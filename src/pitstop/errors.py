"""The one user-error type: whatever the user can fix is raised as a PitstopError."""

from __future__ import annotations


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
