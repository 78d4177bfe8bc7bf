"""The production profile for real: gunicorn (gunicorn.conf.py), DEBUG off, WhiteNoise.

Starts gunicorn on a free loopback port with the documented production environment,
the test database and freshly collected static files, and looks at it the way the TLS
proxy and a browser do.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.test_deployment import PRODUCTION

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url, headers=None):
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    env = {**os.environ, **PRODUCTION, "GEOCM_STATIC_ROOT": str(root)}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    return root


@pytest.fixture
def server(static_root):
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
        "GEOCM_WEB_WORKERS": "1",
        "GEOCM_WEB_THREADS": "2",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            "gunicorn.conf.py",
            "geo_cm.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
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
    process.wait(15)


HTTPS = {"Host": "geocm.example.gov.cn", "X-Forwarded-Proto": "https"}


def test_pages_over_the_tls_proxy_carry_the_security_headers(server):
    status, headers, body = _get(server + "/parking/", HTTPS)
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    # Static files by their hashed, collected names.
    assert b"/static/geo_cm/base." in body


def test_plain_http_is_sent_to_https_but_health_checks_are_not(server):
    status, headers, _ = _get(server + "/", {"Host": "geocm.example.gov.cn"})
    assert status == 301 and headers["Location"].startswith("https://geocm.example.gov.cn/")
    # A load balancer probes by address over HTTP.
    assert _get(server + "/healthz?scope=web", {"Host": "10.0.0.5"})[0] == 200


def test_unknown_hosts_and_missing_pages_give_no_debug_information(server):
    status, _, body = _get(server + "/", {"Host": "evil.example", "X-Forwarded-Proto": "https"})
    assert status == 400 and b"Traceback" not in body and b"DEBUG" not in body
    status, _, body = _get(server + "/no-such-page/", HTTPS)
    assert status == 404 and b"URLconf" not in body


def test_static_files_are_compressed_and_cacheable_for_a_year(server, static_root):
    hashed = next((static_root / "geo_cm").glob("base.*.css")).name
    status, headers, _ = _get(
        f"{server}/static/geo_cm/{hashed}", {**HTTPS, "Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert "max-age=315360000" in headers["Cache-Control"]
    assert headers["Content-Encoding"] == "gzip"
