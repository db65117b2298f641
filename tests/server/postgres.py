"""A throwaway PostgreSQL server for the tests: Debian's binaries, a fresh cluster on a loopback port.

``initdb`` refuses to run as root, so as root the cluster is made and run by the ``postgres`` user
the Debian package creates (through ``runuser``). Trust authentication, on 127.0.0.1 only, for the
life of the test session.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "glassbox"


def postgres_bin() -> Path | None:
    """The folder of Debian's PostgreSQL server binaries (the newest version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    port: int

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = f"t_{secrets.token_hex(6)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a fresh cluster in a new temporary folder; stop it (fast) and remove it afterwards.

    The folder is made directly under the system's temporary folder: pytest's own tmp folders
    are private to root, where the ``postgres`` user could not reach its cluster."""
    bindir = postgres_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries not found: apt-get install postgresql (scripts/setup.sh does)")
    workdir = Path(tempfile.mkdtemp(prefix="glassbox-pg-"))
    data = workdir / "pgdata"
    data.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
        shutil.chown(data, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    log = workdir / "postgres.log"

    def run(*cmd: str) -> None:
        result = subprocess.run([*as_user, *cmd], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd[:2])} failed: {result.stderr or result.stdout}\n{tail}")

    run(str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync")
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
    try:
        yield PostgresServer(port)
    finally:
        stop = [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
        subprocess.run(stop, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        shutil.rmtree(workdir, ignore_errors=True)
