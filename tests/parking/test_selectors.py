import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from parking.models import SharingWindow
from parking.selectors import facility_list_open_at
from tests import factories

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day, hour, minute=0):
    """2023-11-06 is a Monday: day 1 = Monday .. 7 = Sunday of that week, local time."""
    return dt.datetime(2023, 11, 5 + day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def windows(areas):
    night = factories.facility("TC-NIGHT")  # a school: evenings Mon-Fri, until 07:30
    SharingWindow.objects.create(
        facility=night,
        weekdays=[1, 2, 3, 4, 5],
        start_time=dt.time(19, 0),
        end_time=dt.time(7, 30),
        berths_shared=40,
        audience="public",
    )
    day = factories.facility("TC-DAY", lon=118.69)  # an office: weekend daytime
    SharingWindow.objects.create(
        facility=day,
        weekdays=[6, 7],
        start_time=dt.time(8, 0),
        end_time=dt.time(18, 0),
        berths_shared=20,
        audience="residents",
    )
    closed = factories.facility("TC-CLOSED", lon=118.66, status="suspended")
    SharingWindow.objects.create(
        facility=closed,
        weekdays=[1, 2, 3, 4, 5, 6, 7],
        start_time=dt.time(0, 0),
        end_time=dt.time(23, 59),
        berths_shared=5,
        audience="public",
    )


def codes(when, **kw):
    return [f.code for f in facility_list_open_at(when=when, **kw)]


def test_friday_22h_shows_the_overnight_window_only(windows):
    assert codes(at(5, 22)) == ["TC-NIGHT"]


def test_overnight_window_runs_into_the_next_morning(windows):
    assert codes(at(6, 7, 0)) == ["TC-NIGHT"]  # Saturday 07:00, started Friday evening
    assert "TC-NIGHT" not in codes(at(6, 7, 30))  # the end is exclusive
    assert "TC-NIGHT" not in codes(at(1, 6, 0))  # Monday morning: Sunday had no window


def test_daytime_weekend_window(windows):
    assert codes(at(6, 12)) == ["TC-DAY"]
    assert codes(at(6, 12), audience="public") == []
    assert codes(at(3, 12)) == []


def test_utc_input_is_judged_in_shanghai_time(windows):
    friday_22_local = at(5, 22).astimezone(dt.UTC)  # 14:00 UTC
    assert codes(friday_22_local) == ["TC-NIGHT"]


def test_validity_dates_limit_the_window(windows):
    SharingWindow.objects.filter(facility__code="TC-NIGHT").update(
        valid_until=dt.date(2023, 11, 9)
    )  # ends Thursday
    assert codes(at(4, 22)) == ["TC-NIGHT"]
    assert codes(at(5, 6)) == ["TC-NIGHT"]  # Friday morning belongs to Thursday's window
    assert codes(at(5, 22)) == []


def test_query_count_does_not_grow_with_facilities(windows, django_assert_num_queries):
    # One query for the facilities (latest occupancy annotated), one for their windows.
    with django_assert_num_queries(2):
        facilities = list(facility_list_open_at(when=at(5, 22)))
        assert [w.berths_shared for f in facilities for w in f.open_windows] == [40]
