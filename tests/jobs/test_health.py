"""/healthz for load balancers and compose, and `manage.py worker_health` for workers."""

import datetime as dt
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from geo_cm.jobs.models import Job, Worker

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def _worker(age_s, *, host=None, stopped=False):
    now = timezone.now()
    return Worker.objects.create(
        name=f"{host or socket.gethostname()}:{int(age_s * 10) + 1}",
        hostname=host or socket.gethostname(),
        pid=int(age_s * 10) + 1,
        heartbeat_at=now - dt.timedelta(seconds=age_s),
        stopped_at=now if stopped else None,
    )


def test_healthy_with_a_live_worker_and_an_empty_queue(client):
    _worker(2)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["healthy"] is True and body["problems"] == []
    assert body["database"]["reachable"] is True
    assert body["workers"]["alive"] == 1
    assert 1.5 <= body["workers"]["newest_heartbeat_age_s"] < 10
    assert body["queue"] == {"queued": 0, "running": 0, "oldest_queued_age_s": None}
    assert response["Cache-Control"] == "no-store"


def test_no_live_worker_is_unhealthy_but_the_web_scope_is_fine(client):
    _worker(600)  # silent for ten minutes
    _worker(1, host="elsewhere", stopped=True)  # signed off
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["workers"]["alive"] == 0
    assert "heartbeat" in response.json()["problems"][0]
    assert client.get("/healthz?scope=web").status_code == 200


def test_a_queue_nobody_works_is_unhealthy(client):
    _worker(1)
    job = Job.objects.create(name="jobs.probe", args={"token": "old"})
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    body = client.get("/healthz").json()
    assert body["healthy"] is False
    assert body["queue"]["queued"] == 1 and body["queue"]["oldest_queued_age_s"] >= 3599


def test_answered_for_any_host_and_over_plain_http(client, settings):
    # A load balancer probes by IP address, over HTTP, even in production.
    settings.SECURE_SSL_REDIRECT = True
    _worker(1)
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert client.get("/", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_database_down_is_a_503_naming_it():
    closed_port = socket.socket()
    closed_port.bind(("127.0.0.1", 0))
    port = closed_port.getsockname()[1]
    closed_port.close()
    code = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz'); print(r.status_code, r.content.decode())"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "geo_cm.settings",
        "DATABASE_URL": f"postgres://nobody@127.0.0.1:{port}/nothing",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    status, body = out.stdout.strip().split(" ", 1)
    assert status == "503", out.stderr
    assert json.loads(body)["database"] == {"reachable": False}


def test_worker_health_command():
    with pytest.raises(CommandError, match="run_jobs"):
        call_command("worker_health")
    _worker(1)
    call_command("worker_health")
    with pytest.raises(CommandError):
        call_command("worker_health", host="another-host")
