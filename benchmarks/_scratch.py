"""Scratch databases for the benchmarks: created beside the development database, dropped
afterwards (files starting with _ are helpers; ``make bench`` does not run them)."""

import contextlib

import dj_database_url
import psycopg2


@contextlib.contextmanager
def scratch_database(base_url: str, name: str):
    """A fresh database ``name`` on the server of ``base_url`` (its URL is yielded); dropped
    on exit, with FORCE, so a connection left open by a failed run keeps no scratch data."""
    cfg = dj_database_url.parse(base_url)
    server = dict(user=cfg["USER"], password=cfg["PASSWORD"], host=cfg["HOST"], port=cfg["PORT"])

    def run(statement):
        conn = psycopg2.connect(dbname="postgres", **server)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()

    run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    run(f"CREATE DATABASE {name}")
    try:
        yield base_url.rsplit("/", 1)[0] + "/" + name
    finally:
        from django.conf import settings
        from django.db import connections

        if settings.configured:  # a benchmark that ran Django in this process
            connections.close_all()
        run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
