"""The test map through the history store (SQLAlchemy): the statements of `map_write` and
`map_read` run on a store connection, for a database that the store must create or upgrade
first, and for a server database (PostgreSQL). A SQLite history already at this schema is
read and written without SQLAlchemy (see those modules)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DatabaseError

from pitstop.errors import PitstopError
from pitstop.history.map_write import KEEP_COMMITS, write_map
from pitstop.history.store import Store
from pitstop.testmap import Recording

__all__ = ["KEEP_COMMITS", "EngineReader", "write_recording"]


def write_recording(
    store: Store, repository: str, recording: Recording, *, recorded_at: float | None = None
) -> int:
    """Store one session's recording (one transaction, the store's turn taken); its id."""
    with store._writing() as connection:
        return write_map(_EngineWriter(connection), repository, recording, recorded_at)


class _Statements:
    """The plain SQL of `map_write`/`map_read` (parameters written `?`) on a store
    connection, in the driver's own parameter style."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.qmark = connection.dialect.paramstyle == "qmark"

    def _sql(self, sql: str) -> str:
        return sql if self.qmark else sql.replace("?", "%s")

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        result = self.connection.exec_driver_sql(self._sql(sql), tuple(parameters))
        return [tuple(row) for row in result]


class _EngineWriter(_Statements):
    """A `map_write.Writer` over a store connection in its write transaction."""

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        self.connection.exec_driver_sql(self._sql(sql), tuple(parameters))

    def insert(self, sql: str, parameters: Sequence[Any]) -> int:
        result = self.connection.exec_driver_sql(
            self._sql(sql + " RETURNING id"), tuple(parameters)
        )
        return int(result.scalar_one())

    def many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.connection.exec_driver_sql(self._sql(sql), rows)


class EngineReader(_Statements):
    """A `map_read.Reader` over the store's engine (a server database): one connection,
    held while the map is in use."""

    def __init__(self, store: Store) -> None:
        super().__init__(store.engine.connect())
        self.store = store

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return super().rows(sql, parameters)
        except DatabaseError as error:
            self.connection.rollback()
            first = str(error.orig or error).strip().splitlines()
            raise PitstopError(f"history database: {first[0] if first else error}") from None

    def close(self) -> None:
        self.connection.close()
        self.store.close()
