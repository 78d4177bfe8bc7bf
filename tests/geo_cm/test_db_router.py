"""The read-replica router's rules, without a database (tests/test_replica.py runs them
on a real primary and streaming replica). No django_db mark: outside a test transaction,
as a web request is."""


def test_routing_rules_without_a_database_round_trip(monkeypatch):
    """The router's decisions, step by step (the scenario above shows them on real servers)."""
    from django.contrib.sessions.models import Session

    from geo_cm import db_router
    from geo_cm.db_router import PrimaryReplicaRouter, replica_reads_begin, replica_reads_end
    from toilets.models import Toilet

    router = PrimaryReplicaRouter()
    # No replica configured: everything on the primary, whatever the request.
    replica_reads_begin(allowed=True)
    assert router.db_for_read(Toilet) == "default"
    replica_reads_end()
    # As with DATABASE_REPLICA_URL set (settings.DATABASES["replica"]).
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)
    # Outside a request (commands, workers): the primary.
    assert router.db_for_read(Toilet) == "default"
    replica_reads_begin(allowed=True)
    assert router.db_for_read(Toilet) == "replica"
    assert router.db_for_read(Session) == "default"  # sessions: where they were written
    router.db_for_write(Session)  # bookkeeping writes do not pin
    assert router.db_for_read(Toilet) == "replica"
    assert router.db_for_write(Toilet) == "default"
    assert router.db_for_read(Toilet) == "default"  # read your own write
    assert replica_reads_end() is True
    replica_reads_begin(allowed=False)  # a POST, or a browser pinned by its cookie
    assert router.db_for_read(Toilet) == "default"
    assert replica_reads_end() is False
    assert router.allow_migrate("replica", "toilets") is False
    assert router.allow_migrate("default", "toilets") is True
