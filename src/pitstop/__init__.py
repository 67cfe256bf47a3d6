"""pitstop: a CI/CD performance engineer in a command."""

# The one place the version is written: the package metadata reads it from here
# ([tool.setuptools.dynamic] in pyproject.toml), and `pitstop --version` needs no
# importlib.metadata at start-up.
__version__ = "0.1.0"
