"""API throttles (geo_cm.security.throttles): per address for anonymous clients, per user
for signed-in ones, counted in PostgreSQL so that every web worker counts together."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from geo_cm.security.models import RateWindow
from geo_cm.security.throttles import rate_window_hit

pytestmark = pytest.mark.throttled


@pytest.fixture
def rates(settings):
    def set_rates(**scopes):
        current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**current, **scopes},
        }

    return set_rates


def test_anonymous_clients_are_limited_per_address(db, areas, rates):
    rates(anon="3/min")
    phone = APIClient(REMOTE_ADDR="203.0.113.30")
    codes = [phone.get("/api/parking/open").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = phone.get("/api/parking/open")
    assert refused.json()["code"] == "Throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert APIClient(REMOTE_ADDR="203.0.113.31").get("/api/parking/open").status_code == 200


def test_signed_in_users_are_limited_per_user_not_per_address(areas, rates, gis_user):
    rates(anon="2/min", user="4/min")
    first = APIClient(REMOTE_ADDR="203.0.113.40")
    first.force_authenticate(gis_user)
    codes = [first.get("/ogc/collections").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 200]  # above the anonymous rate
    # The same user from another address shares the user's count.
    second = APIClient(REMOTE_ADDR="203.0.113.41")
    second.force_authenticate(gis_user)
    assert second.get("/ogc/collections").status_code == 429
    # Anonymous clients at the first address are counted apart.
    assert APIClient(REMOTE_ADDR="203.0.113.40").get("/ogc/collections").status_code == 200


def test_the_standard_rates_leave_a_phone_user_plenty(areas, rates, settings):
    # A phone on the parking map asks a few times per move; 100 quick questions pass.
    phone = APIClient(REMOTE_ADDR="203.0.113.50")
    assert {phone.get("/api/parking/open").status_code for _ in range(100)} == {200}
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"] is not None


def test_a_proxy_count_takes_the_client_from_x_forwarded_for(areas, rates, settings):
    rates(anon="2/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    def via_proxy(forwarded):
        return APIClient(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)

    for _ in range(2):
        assert via_proxy("203.0.113.60").get("/api/parking/open").status_code == 200
    # A made-up address in front of the proxy's entry changes nothing.
    assert via_proxy("1.2.3.4, 203.0.113.60").get("/api/parking/open").status_code == 429
    # Someone else behind the same proxy is not refused.
    assert via_proxy("203.0.113.61").get("/api/parking/open").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_counters_are_shared_between_processes():
    """Each thread has its own database connection, as each gunicorn worker has: the
    counter they share is the row, so 4 x 25 concurrent hits count 100."""
    errors = []

    def hit_25_times():
        try:
            for _ in range(25):
                rate_window_hit(key="anon:203.0.113.70", seconds=60)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=hit_25_times) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert RateWindow.objects.get(key="anon:203.0.113.70").hits == 100
    hits, remaining = rate_window_hit(key="anon:203.0.113.70", seconds=60)
    assert hits == 101 and 0 < remaining <= 60


@pytest.mark.django_db(transaction=True)
def test_a_window_restarts_when_it_is_over():
    rate_window_hit(key="user:1", seconds=60)
    rate_window_hit(key="user:1", seconds=60)
    # The window began two minutes ago (moved back; the row is the only state there is).
    with connection.cursor() as cursor:
        cursor.execute("UPDATE security_ratewindow SET started = started - interval '2 minutes'")
    hits, remaining = rate_window_hit(key="user:1", seconds=60)
    assert hits == 1 and remaining > 59


def test_the_counter_table_is_unlogged(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpersistence FROM pg_class WHERE relname = %s",
            [RateWindow._meta.db_table],
        )
        assert cursor.fetchone()[0] == "u"
