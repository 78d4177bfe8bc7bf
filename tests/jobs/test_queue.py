"""The job queue on PostgreSQL: enqueue, de-duplicate, run, fail, and a real worker process."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from geo_cm.coverage.models import CoverageResult
from geo_cm.jobs.models import Job
from geo_cm.jobs.queue import job_enqueue, jobs_drain, task
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


@task("test.echo")
def echo(job, *, value):
    if value == "boom":
        raise RuntimeError("boom went the job")
    return {"echo": value}


@pytest.mark.django_db
def test_a_job_runs_and_keeps_its_result():
    job = job_enqueue(name="test.echo", args={"value": 7})
    assert jobs_drain() == 1
    job.refresh_from_db()
    assert job.status == "done" and job.result == {"echo": 7} and job.progress == 1.0


@pytest.mark.django_db
def test_the_same_job_is_queued_once():
    assert job_enqueue(name="test.echo", args={"value": 1}) is not None
    assert job_enqueue(name="test.echo", args={"value": 1}) is None
    assert Job.objects.filter(status="queued").count() == 1


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_the_worker_goes_on():
    job_enqueue(name="test.echo", args={"value": "boom"})
    job_enqueue(name="test.echo", args={"value": "fine"})
    assert jobs_drain() == 2
    failed = Job.objects.get(status="failed")
    assert "boom went the job" in failed.message
    assert Job.objects.get(status="done").result == {"echo": "fine"}


@pytest.mark.django_db
def test_unknown_task_is_refused_at_enqueue():
    with pytest.raises(KeyError):
        job_enqueue(name="no.such.task")


@pytest.mark.django_db
def test_changing_a_toilet_queues_and_refreshes_its_coverage(areas):
    factories.toilet("GC-J", lon=118.65, lat=32.05)
    queued = set(
        Job.objects.filter(status="queued")
        .values_list("args", flat=True)
        .order_by("pk")
        .values_list("args__layer", "args__mode")
    )
    assert {("toilets", "straight"), ("toilets", "network")} <= queued
    jobs_drain()
    assert CoverageResult.objects.filter(layer="toilets", mode="straight").count() == 1


@pytest.mark.django_db
def test_job_status_endpoint(planner_client, anon_client):
    job = job_enqueue(name="test.echo", args={"value": 3})
    jobs_drain()
    body = planner_client.get(f"/api/jobs/{job.pk}").json()
    assert body["status"] == "done" and body["result"] == {"echo": 3}
    assert anon_client.get(f"/api/jobs/{job.pk}").status_code in (401, 403)
    assert planner_client.get("/api/jobs/999999").status_code == 404


def _database_url():
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_is_woken_by_notify(areas):
    env = {**os.environ, "DATABASE_URL": _database_url(), "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_jobs", "--poll", "60"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(2)  # let it LISTEN
        Job.objects.all().delete()
        job = job_enqueue(name="coverage.refresh", args={"layer": "toilets", "mode": "straight"})
        deadline = time.time() + 30
        while time.time() < deadline:
            job.refresh_from_db()
            if job.status in ("done", "failed"):
                break
            time.sleep(0.2)
        if job.status != "done":
            worker.terminate()
            out, err = worker.communicate(timeout=10)
            pytest.fail(f"job {job.status}: {job.message}\n{out.decode()}\n{err.decode()}")
        assert job.worker and job.worker.split(":")[1] == str(worker.pid)
    finally:
        worker.terminate()
        worker.wait(10)


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_run_again(settings):
    import datetime as dt

    from django.utils import timezone

    job = job_enqueue(name="test.echo", args={"value": "again"})
    Job.objects.filter(pk=job.pk).update(
        status="running", started_at=timezone.now() - dt.timedelta(hours=2), worker="gone:1"
    )
    assert jobs_drain() == 1
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 1


@pytest.mark.django_db
def test_huge_job_id_is_404(planner_client):
    assert planner_client.get("/api/jobs/99999999999999999999").status_code == 404
