"""Log-in lockout (django-axes, geo_cm.security.lockout) on every password path.

A guessing loop is locked out after AXES_FAILURE_LIMIT failures from one address: then
even the right password is refused with 429 and Retry-After, no password is hashed, and
the public parking API keeps answering.
"""

import base64
import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from tests.security.hashers import CountingPBKDF2Hasher

LIMIT = 5
GUESSES = 20


@pytest.fixture
def lockout(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    settings.PASSWORD_HASHERS = ["tests.security.hashers.CountingPBKDF2Hasher"]


@pytest.fixture
def officer(db, lockout):
    return get_user_model().objects.create_user(username="officer", password="right-Pw-2026")


def basic(username, password):
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def form_login(client, password, username="officer"):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_twenty_wrong_passwords_lock_the_form_and_the_right_one_is_refused(officer, areas):
    client = Client(REMOTE_ADDR="203.0.113.7")
    phone = Client(REMOTE_ADDR="203.0.113.7")  # a phone on the same carrier address
    statuses = []
    for _ in range(GUESSES):
        statuses.append(form_login(client, "wrong").status_code)
        # The public API answers the whole time, from the same address.
        assert phone.get("/api/parking/open").status_code == 200
    # The form shows the error until the limit; the failure that reaches it is refused.
    assert statuses[: LIMIT - 1] == [200] * (LIMIT - 1)
    assert set(statuses[LIMIT - 1 :]) == {429}

    hashed = CountingPBKDF2Hasher.calls
    response = form_login(client, "right-Pw-2026")
    assert response.status_code == 429
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    assert "_auth_user_id" not in client.session
    assert CountingPBKDF2Hasher.calls == hashed, "a locked-out log-in hashed a password"
    assert "请 15 分钟后再试" in response.content.decode()  # says for how long, in Chinese

    # Another address is not locked out.
    other = Client(REMOTE_ADDR="198.51.100.4")
    response = form_login(other, "right-Pw-2026")
    assert response.status_code == 302 and "_auth_user_id" in other.session


def test_failures_cost_a_hash_until_the_limit_then_none(officer):
    client = Client(REMOTE_ADDR="203.0.113.8")
    before = CountingPBKDF2Hasher.calls
    for _ in range(GUESSES):
        form_login(client, "wrong", username="nobody-by-this-name")
    # Unknown names are hashed too (Django's timing defence) until the lock, then never.
    assert CountingPBKDF2Hasher.calls - before == LIMIT


def test_http_basic_is_locked_out_the_same_way(officer, areas):
    api = APIClient(REMOTE_ADDR="203.0.113.9")
    statuses = [
        api.get("/ogc/collections", **basic("officer", "wrong")).status_code for _ in range(GUESSES)
    ]
    assert statuses[:LIMIT] == [401] * LIMIT
    assert set(statuses[LIMIT:]) == {429}
    hashed = CountingPBKDF2Hasher.calls
    response = api.get("/ogc/collections", **basic("officer", "right-Pw-2026"))
    assert response.status_code == 429
    assert response.json()["code"] == "Throttled"
    assert int(response["Retry-After"]) > 14 * 60
    assert CountingPBKDF2Hasher.calls == hashed
    # Without credentials the public API still answers this address.
    assert api.get("/api/parking/open").status_code == 200
    # The lock is the address's, on every path: the form refuses it too.
    assert form_login(Client(REMOTE_ADDR="203.0.113.9"), "right-Pw-2026").status_code == 429


def test_the_lock_ends_after_the_cool_off(officer):
    client = Client(REMOTE_ADDR="203.0.113.10")
    for _ in range(LIMIT):
        form_login(client, "wrong")
    assert form_login(client, "right-Pw-2026").status_code == 429
    # Sixteen minutes later (the failures' time moved back; nothing else is touched).
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    response = form_login(client, "right-Pw-2026")
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_a_success_clears_the_address_failures(officer):
    client = Client(REMOTE_ADDR="203.0.113.11")
    for _ in range(LIMIT - 1):
        form_login(client, "wrong")
    assert form_login(client, "right-Pw-2026").status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert form_login(client, "wrong").status_code == 200
    assert form_login(client, "right-Pw-2026").status_code == 302


def test_the_address_behind_a_proxy_comes_from_x_forwarded_for(officer, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.0.0.2"

    def via_proxy(forwarded):
        return Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded)

    # The guesser puts a fake address in front: the proxy's own entry (the last) counts.
    guesser = via_proxy("192.0.2.99, 203.0.113.20")
    for _ in range(LIMIT):
        form_login(guesser, "wrong")
    assert form_login(via_proxy("192.0.2.1, 203.0.113.20"), "right-Pw-2026").status_code == 429
    # Another citizen behind the same proxy is not locked out.
    neighbour = via_proxy("203.0.113.21")
    assert form_login(neighbour, "right-Pw-2026").status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.20"}


def test_a_locked_out_api_client_gets_json(officer):
    client = Client(REMOTE_ADDR="203.0.113.12")
    for _ in range(LIMIT):
        form_login(client, "wrong")
    response = client.post(
        "/accounts/login/",
        {"username": "officer", "password": "right-Pw-2026"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 429
    assert response.json()["code"] == "Throttled" and response["Retry-After"]
