"""pitstop: a CI/CD performance engineer in a command."""

__version__ = "0.1.0"
