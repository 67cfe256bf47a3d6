"""A throwaway PostgreSQL server for the history tests: the real thing, started from the
machine's binaries (`initdb`, `pg_ctl` under /usr/lib/postgresql/*/bin) in a temporary
folder, listening only on a Unix socket, stopped at the end of the session.

PostgreSQL refuses to run as root: as root the server runs as the `postgres` user (through
setpriv). Without the binaries the PostgreSQL half of the tests is skipped, except under
CI=true, where it fails: .ci/run installs PostgreSQL, so a skip there would hide a gap."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

PORT = 5439


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _as_server_user() -> list[str]:
    """The prefix that runs a command as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return []
    user = pwd.getpwnam("postgres")
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups"]


class Server:
    """A running server; `url(name)` creates the database `name` and gives its URL."""

    def __init__(self, folder: Path, binaries: Path) -> None:
        self.folder = folder
        self.binaries = binaries
        self.socket = folder / "socket"
        self.created = 0

    def start(self) -> None:
        data = self.folder / "data"
        self.socket.mkdir()
        prefix = _as_server_user()
        if prefix:
            uid, gid = int(prefix[1].split("=")[1]), int(prefix[2].split("=")[1])
            os.chown(self.folder, uid, gid)
            os.chown(self.socket, uid, gid)
        self._run(
            [
                *prefix,
                str(self.binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        options = f"-k {self.socket} -p {PORT} -c listen_addresses='' -c fsync=off"
        self._run(
            [
                *prefix,
                str(self.binaries / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(self.folder / "log"),
                "-w",
                "start",
            ]
        )

    def stop(self) -> None:
        data = self.folder / "data"
        subprocess.run(
            [
                *_as_server_user(),
                str(self.binaries / "pg_ctl"),
                "-D",
                str(data),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            check=False,
        )

    def url(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self._dsn("postgres"), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@/{name}?host={self.socket}&port={PORT}"

    def _dsn(self, name: str) -> str:
        return f"host={self.socket} port={PORT} user=postgres dbname={name}"

    @staticmethod
    def _run(command: list[str]) -> None:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stdout}{done.stderr}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    binaries = _binaries()
    if binaries is None or (shutil.which("setpriv") is None and os.geteuid() == 0):
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL binaries not found; .ci/run should have installed them")
        pytest.skip("PostgreSQL is not installed (/usr/lib/postgresql/*/bin)")
    folder = Path(tempfile.mkdtemp(prefix="pitstop-pg-"))
    server = Server(folder, binaries)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
