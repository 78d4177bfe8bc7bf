"""Every page carries a Content-Security-Policy that refuses inline scripts from data.

Pages hand their scripts data as JSON (`<script type="application/json">`), which the
browser does not run; the only inline code allowed is what the server rendered with the
response's nonce (django-leaflet's admin map widget). The browser tests check the other
half: pages work under the policy, with no refusal in Chromium's console.
"""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model

PAGES = [
    "/",
    "/parking/",
    "/field/",
    "/coverage/",
    "/imports/",
    "/plans/",
    "/api/docs/",
    "/accounts/login/",
    "/admin/",
    "/admin/toilets/toilet/add/",
    "/admin/streets/streetlight/",
]


class _Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inline = []  # (attrs, body) of scripts without src
        self.handlers = []  # on* attributes
        self._open = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handlers += [(tag, name) for name in attrs if name.startswith("on")]
        if tag == "script" and "src" not in attrs:
            self._open = (attrs, [])

    def handle_data(self, data):
        if self._open is not None:
            self._open[1].append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._open is not None:
            self.inline.append((self._open[0], "".join(self._open[1])))
            self._open = None


def _policy(response):
    header = response["Content-Security-Policy"]
    return dict((part.split()[0], part.split()[1:]) for part in header.split(";") if part.strip())


@pytest.fixture
def admin_client(client, areas, roles):
    from geo_cm.plans.models import Plan

    Plan.objects.create(year=2023, title="2023 plan", issuing_body="bureau")
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-root")
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", PAGES)
def test_pages_refuse_inline_scripts_except_their_own_nonce(admin_client, path):
    response = admin_client.get(path, follow=True)
    assert response.status_code == 200, path
    policy = _policy(response)
    scripts = policy["script-src"]
    assert "'self'" in scripts
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    nonces = [s for s in scripts if s.startswith("'nonce-")]

    parser = _Scripts()
    parser.feed(response.content.decode())
    assert parser.handlers == [], f"inline event handlers on {path}: {parser.handlers}"
    for attrs, body in parser.inline:
        if attrs.get("type") == "application/json":
            continue  # data, not code
        assert nonces and f"'nonce-{attrs.get('nonce')}'" == nonces[0], (
            f"an inline script on {path} without this response's nonce: {body[:80]!r}"
        )


def test_anonymous_pages_carry_the_policy_too(client, areas):
    for path in ("/", "/parking/", "/accounts/login/"):
        response = client.get(path)
        assert response.status_code == 200
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert re.search(r"default-src 'self'", response["Content-Security-Policy"])


def test_the_map_report_keeps_its_own_sandbox_policy(admin_client):
    # The folium report needs inline scripts; it runs in a sandbox (no origin) instead.
    response = admin_client.get("/plans/2023/map-report.html")
    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith("sandbox")
