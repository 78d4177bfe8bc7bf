"""Reads to a streaming replica, writes to the primary, and your own writes read back.

With ``DATABASE_REPLICA_URL`` set (settings.DATABASES["replica"]), the ORM's reads in a
web request go to the replica, except where a stale answer would be wrong:

- a request that is not a plain read (POST, PUT, PATCH, DELETE) reads the primary: it
  reads in order to write (state machine, versions, locks);
- once a request has written, its later reads go to the primary, and
  ``ReplicaReadsMiddleware`` gives the browser a cookie that keeps that user's reads on
  the primary for ``GEOCM["REPLICA_PIN_SECONDS"]`` (the field app changes a status, then
  reloads the asset: it must see its own change even if the replica is a moment behind);
- reads inside a transaction on the primary (``atomic``) stay on the primary;
- sessions, the job queue and the security bookkeeping are always read on the primary:
  a session or a job that the replica has not received yet would look like a logged-out
  user or a lost job (and throttle counters are written by every API request: those
  writes do not pin anyone to the primary).

Outside web requests (management commands, job workers, the shell, tests) everything
stays on the primary: those read in order to write and must not act on stale data.
Raw SQL through ``django.db.connection`` is the primary's; a selector that wants its raw
reads offloaded asks ``router.db_for_read(model)`` for the alias.
Without a replica every method answers "default" (or no opinion) and nothing changes.
"""

import threading

from django.conf import settings
from django.db import connections

REPLICA = "replica"
# App labels whose rows are read and written on the primary only: sessions, the job
# queue, and the security bookkeeping (login lockout, API throttle counters, written on
# every API request; an UNLOGGED table, which a standby cannot read at all). Writing them
# does not pin the browser to the primary: nothing the user reads back comes from them.
PRIMARY_ONLY_APPS = frozenset({"sessions", "jobs", "security", "axes"})

_state = threading.local()


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_reads_begin(*, allowed: bool) -> None:
    """Start a request's routing: reads may use the replica when ``allowed``."""
    _state.allowed = allowed
    _state.wrote = False


def replica_reads_end() -> bool:
    """End a request's routing; True when the request wrote to the primary."""
    wrote = getattr(_state, "wrote", False)
    _state.allowed = False
    _state.wrote = False
    return wrote


class PrimaryReplicaRouter:
    """Django database router: see the module docstring."""

    def db_for_read(self, model, **hints):
        if not replica_configured() or not getattr(_state, "allowed", False):
            return "default"
        if getattr(_state, "wrote", False) or model._meta.app_label in PRIMARY_ONLY_APPS:
            return "default"
        if connections["default"].in_atomic_block:
            return "default"
        return REPLICA

    def db_for_write(self, model, **hints):
        if model._meta.app_label not in PRIMARY_ONLY_APPS:
            _state.wrote = True
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # A streaming replica is read-only: it receives the schema from the primary.
        return db != REPLICA
