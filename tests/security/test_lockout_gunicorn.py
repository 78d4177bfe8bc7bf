"""The lockout in the production profile: gunicorn with two worker processes behind the
(simulated) TLS proxy, DEBUG off. Failures counted by one worker lock the address out in
the other, and the address is the one the proxy put in X-Forwarded-For."""

import base64
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from tests.test_deployment import PRODUCTION
from tests.test_production_server import HTTPS, _free_port, _NoRedirect, static_root  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)
LIMIT = 4


@pytest.fixture
def two_workers(static_root):  # noqa: F811 - the imported fixture
    s = connection.settings_dict
    port = _free_port()
    env = {
        **os.environ,
        **PRODUCTION,
        "DATABASE_URL": f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT']}"
        f"/{s['NAME']}",
        "GEOCM_ALLOWED_HOSTS": "geocm.example.gov.cn",
        "GEOCM_STATIC_ROOT": str(static_root),
        "GEOCM_BIND": f"127.0.0.1:{port}",
        "GEOCM_WEB_WORKERS": "2",
        "GEOCM_WEB_THREADS": "1",
        "GEOCM_LOGIN_FAILURE_LIMIT": str(LIMIT),
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py",
         "geo_cm.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _get(base + "/healthz?scope=web")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.terminate()
        pytest.fail("gunicorn did not start:\n" + process.communicate(timeout=10)[0])
    yield base
    process.terminate()
    try:
        process.wait(60)  # graceful: a worker may still be hashing a guess
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def _get(url, headers=None):
    # A wrong guess costs a second of hashing, more on a busy machine: a long timeout.
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=120) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def basic(password):
    token = base64.b64encode(f"officer:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_a_guessing_loop_is_locked_out_across_gunicorn_workers(two_workers, areas):
    get_user_model().objects.create_user(username="officer", password="right-Pw-2026")
    guesser = {**HTTPS, "X-Forwarded-For": "203.0.113.80"}

    def guess(_):
        return _get(two_workers + "/ogc/collections", {**guesser, **basic("x")})[0]

    # Two at a time: each single-threaded worker is busy hashing one, so the failures are
    # counted by both processes.
    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = list(pool.map(guess, range(LIMIT)))
    assert statuses == [401] * LIMIT
    assert {guess(i) for i in range(4)} == {429}

    status, headers, body = _get(
        two_workers + "/ogc/collections", {**guesser, **basic("right-Pw-2026")}
    )
    assert status == 429 and int(headers["Retry-After"]) > 14 * 60
    # The public parking API answers the same address meanwhile.
    assert _get(two_workers + "/api/parking/open", guesser)[0] == 200
    # Another citizen behind the same proxy logs in.
    other = {**HTTPS, "X-Forwarded-For": "203.0.113.81", **basic("right-Pw-2026")}
    assert _get(two_workers + "/ogc/collections", other)[0] == 200
