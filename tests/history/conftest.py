"""Every history test that takes `database_url` runs twice: on SQLite and on PostgreSQL."""

from __future__ import annotations

import re

import pytest

from tests.history.postgres import Server, postgres_server  # noqa: F401 (a fixture)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A fresh, empty database's SQLAlchemy URL, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    server: Server = request.getfixturevalue("postgres_server")
    server.created += 1
    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:40]
    return server.url(f"t{server.created}_{name}")
