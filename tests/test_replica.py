"""The read replica router on a real primary and a real streaming replica.

Starts a scratch primary (the test database's schema), a replica made from it with
``pg_basebackup -R``, and runs tests/_replica_scenario.py in a process configured as a
deployment is (DATABASE_URL, DATABASE_REPLICA_URL). The scenario pauses the replica's
replay so that the replica visibly lags, and shows: plain reads go to the replica, the
writer reads its own change from the primary, and the colleague sees it once the replica
has caught up. About 20 s on this machine.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pgcluster import ScratchCluster, StandbyCluster

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


@pytest.fixture
def primary_and_replica():
    primary = ScratchCluster()
    primary.start()
    replica = None
    try:
        primary.create_database_like_tests("geocm")
        replica = StandbyCluster(primary)
        replica.start()
        yield primary, replica
    finally:
        if replica is not None:
            replica.stop()
        primary.stop()


def run_scenario(env_extra):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "GEOCM_DEBUG": "1",
        "GEOCM_CONN_MAX_AGE": "0",
        **env_extra,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "tests._replica_scenario"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def test_reads_go_to_the_replica_and_writers_read_their_writes(primary_and_replica):
    primary, replica = primary_and_replica
    out = run_scenario(
        {"DATABASE_URL": primary.url("geocm"), "DATABASE_REPLICA_URL": replica.url("geocm")}
    )
    assert out["replica_in_recovery"] is True  # a real standby, not a second primary
    assert out["writer_before"] == [200, "open"]
    assert out["write"] == 200
    # The write is on the primary only: the replica's replay is paused.
    assert out["primary_status"] == "closed_for_repair"
    assert out["replica_status_paused"] == "open"
    # The writer's browser is pinned to the primary, so the field app shows the change ...
    assert out["pin_cookie"] is True
    assert out["writer_after"] == "closed_for_repair"
    # ... while a colleague's plain read is answered by the (lagging) replica ...
    assert out["colleague_while_paused"] == "open"
    # ... and shows the change once the replica has replayed it.
    assert out["colleague_after_catch_up"] == "closed_for_repair"
