"""Job workers under failure: the database restarts under them, a worker is killed mid-job.

Each test runs real `manage.py run_jobs` processes against a scratch cluster of its own
(tests/pgcluster.py), so restarting PostgreSQL does not disturb the rest of the suite.
Heartbeats are shortened through the environment to keep the tests quick.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pgcluster import ScratchCluster, wait_for

ROOT = Path(__file__).resolve().parents[2]
FAST_HEARTBEATS = {
    "GEOCM_JOB_HEARTBEAT_SECONDS": "0.5",
    "GEOCM_JOB_WORKER_STALE_SECONDS": "3",
    "GEOCM_JOB_POLL_SECONDS": "0.5",
}

pytestmark = pytest.mark.django_db


@pytest.fixture
def cluster():
    scratch = ScratchCluster()
    scratch.start()
    scratch.create_database_like_tests()
    yield scratch
    scratch.stop()


def _env(cluster):
    return {**os.environ, **FAST_HEARTBEATS, "DATABASE_URL": cluster.url(), "PYTHONPATH": str(ROOT)}


def _start_worker(cluster):
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_jobs"],
        cwd=ROOT,
        env=_env(cluster),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(*workers):
    out = []
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
        try:
            out.append(worker.communicate(timeout=15)[0])
        except subprocess.TimeoutExpired:
            worker.kill()
            out.append(worker.communicate()[0])
    return "\n".join(out)


def _query(cluster, sql, params=()):
    conn = cluster.connect()
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    finally:
        conn.close()


def _enqueue_probe(cluster, seconds):
    (job_id,) = _query(
        cluster,
        "INSERT INTO jobs_job (name, args, status, progress, message, attempts, worker, created_at)"
        " VALUES ('jobs.probe', %s, 'queued', 0, '', 0, '', now()) RETURNING id",
        (f'{{"seconds": {seconds}, "token": "{os.urandom(4).hex()}"}}',),
    )[0]
    _query(cluster, "NOTIFY geocm_jobs; SELECT 1")
    return job_id


def _job(cluster, job_id):
    sql = "SELECT status, attempts, worker FROM jobs_job WHERE id = %s"
    return _query(cluster, sql, (job_id,))[0]


def test_the_worker_survives_a_database_restart_and_does_the_next_job(cluster):
    worker = _start_worker(cluster)
    try:
        first = _enqueue_probe(cluster, 0)
        wait_for(lambda: _job(cluster, first)[0] == "done", timeout=30, what="the first job")

        cluster.restart()  # every connection of the worker is cut

        second = wait_for(
            lambda: _enqueue_probe_when_up(cluster), timeout=30, what="the restarted database"
        )
        wait_for(
            lambda: _job(cluster, second)[0] == "done",
            timeout=60,
            what="the job queued after the restart",
        )
        assert worker.poll() is None, "the worker process ended"
        status, attempts, by = _job(cluster, second)
        assert (status, attempts) == ("done", 1)
        assert by.split(":")[1] == str(worker.pid)
    finally:
        output = _stop(worker)
    assert "database unreachable" in output, output


def _enqueue_probe_when_up(cluster):
    try:
        return _enqueue_probe(cluster, 0)
    except Exception:  # noqa: BLE001 - the server is still coming back
        return None


def test_a_job_whose_worker_is_killed_is_finished_once_by_another(cluster):
    first = _start_worker(cluster)
    others = []
    try:
        job_id = _enqueue_probe(cluster, 30)
        wait_for(
            lambda: _job(cluster, job_id)[0] == "running",
            timeout=30,
            what="the first worker to take the job",
        )
        assert _job(cluster, job_id)[2].split(":")[1] == str(first.pid)
        first.send_signal(signal.SIGKILL)  # no goodbye: only the missing heartbeat tells
        first.wait(10)
        # The probe itself takes 30 s; shorten it so the retry finishes quickly.
        _query(
            cluster,
            "UPDATE jobs_job SET args = '{\"seconds\": 0.5}' WHERE id = %s RETURNING id",
            (job_id,),
        )
        others = [_start_worker(cluster), _start_worker(cluster)]
        # Within the heartbeat window (3 s here; 45 s in production) plus a poll.
        wait_for(lambda: _job(cluster, job_id)[0] == "done", timeout=20, what="the retry")
        status, attempts, by = _job(cluster, job_id)
        assert status == "done"
        assert attempts == 2, "run by the killed worker, then exactly once more"
        assert by.split(":")[1] in {str(w.pid) for w in others}
        (result,) = _query(cluster, "SELECT result FROM jobs_job WHERE id = %s", (job_id,))[0]
        assert result["attempt"] == 2
    finally:
        _stop(first, *others)


def test_a_job_whose_workers_keep_dying_is_failed_not_retried_forever(cluster):
    job_id = _enqueue_probe(cluster, 0)
    # Two runs started, both workers gone (a job that kills its worker, say).
    _query(
        cluster,
        "UPDATE jobs_job SET status = 'running', attempts = 2, worker = 'gone:1',"
        " started_at = now() WHERE id = %s RETURNING id",
        (job_id,),
    )
    worker = _start_worker(cluster)
    try:
        wait_for(lambda: _job(cluster, job_id)[0] == "failed", timeout=20, what="the verdict")
        (message,) = _query(cluster, "SELECT message FROM jobs_job WHERE id = %s", (job_id,))[0]
        assert "not run again" in message or "不再" in message
        assert _job(cluster, job_id)[1] == 2
    finally:
        _stop(worker)
