"""A throw-away PostgreSQL cluster for tests that restart or replace a database.

Restarting the cluster the rest of the suite runs on would break every other test's
connection, so failure tests get a cluster of their own: initdb into a temporary folder
(as the ``postgres`` OS user when the tests run as root, since initdb refuses root), on a
free loopback port, with the test database's schema copied in (pg_dump --schema-only).
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2
from django.db import connection


def _bindir() -> Path:
    """The binaries of the server the tests run on (same major as its data)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        major = int(cursor.fetchone()[0]) // 10000
    candidate = Path(f"/usr/lib/postgresql/{major}/bin")
    if (candidate / "pg_ctl").exists():
        return candidate
    found = shutil.which("pg_ctl")
    if not found:
        raise RuntimeError("pg_ctl not found: PostgreSQL server binaries are needed")
    return Path(found).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd):
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class ScratchCluster:
    """A private cluster: ``start()``, ``restart()``, ``stop()``, ``url(db)``."""

    def __init__(self):
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="geocm-scratch-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                [
                    str(self.bindir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-locale",
                ]
            ),
            check=True,
            capture_output=True,
            cwd="/",
        )

    def _pg_ctl(self, *args):
        subprocess.run(
            _as_postgres(
                [
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.root / "log"),
                    "-w",
                    "-o",
                    f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off",
                    *args,
                ]
            ),
            check=True,
            capture_output=True,
            cwd="/",
        )

    def start(self):
        self._pg_ctl("start")

    def restart(self):
        self._pg_ctl("-m", "fast", "restart")

    def stop(self):
        try:
            self._pg_ctl("-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, db="geocm"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def connect(self, db="geocm"):
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=db)
        conn.autocommit = True
        return conn

    def create_database_like_tests(self, db="geocm"):
        """A database with the test database's schema (PostGIS included) and no rows."""
        admin = self.connect("postgres")
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{db}"')
        admin.close()
        s = connection.settings_dict
        env = {**os.environ, "PGPASSWORD": s["PASSWORD"] or ""}
        dump = subprocess.run(
            [
                str(self.bindir / "pg_dump"),
                "--schema-only",
                "--no-owner",
                "--no-privileges",
                "-h",
                s["HOST"] or "127.0.0.1",
                "-p",
                str(s["PORT"]),
                "-U",
                s["USER"],
                s["NAME"],
            ],
            check=True,
            capture_output=True,
            env=env,
        ).stdout
        subprocess.run(
            [
                str(self.bindir / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                db,
            ],
            input=dump,
            check=True,
            capture_output=True,
        )
        # The migrations' own bookkeeping, so Django sees an up-to-date schema.
        with connection.cursor() as cursor:
            cursor.execute("SELECT app, name, applied FROM django_migrations")
            rows = cursor.fetchall()
        target = self.connect(db)
        with target.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)", rows
            )
        target.close()


def wait_for(predicate, *, timeout, interval=0.2, what="condition"):
    """Poll ``predicate`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class StandbyCluster(ScratchCluster):
    """A streaming replica of ``primary``: ``pg_basebackup -R`` (standby.signal and the
    primary's connection in postgresql.auto.conf), on a port of its own. Read-only."""

    def __init__(self, primary: ScratchCluster):
        self.bindir = primary.bindir
        self.root = Path(tempfile.mkdtemp(prefix="geocm-standby-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                [
                    str(self.bindir / "pg_basebackup"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(primary.port),
                    "-U",
                    "postgres",
                    "-D",
                    str(self.data),
                    "-R",
                    "-X",
                    "stream",
                    "--checkpoint=fast",
                ]
            ),
            check=True,
            capture_output=True,
            cwd="/",
        )
