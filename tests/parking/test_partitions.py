"""Occupancy reports in monthly partitions: routing, strays, retention, latest, summaries.

On the real PostGIS: the partitions, the default partition and the triggers are the
database's own, created by migrations 0004-0005 and parking/partitions.py.
"""

import datetime as dt
from statistics import mean
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection

from parking import partitions
from parking.models import OccupancyLatest, OccupancyMonthly, OccupancyReport, SharingWindow
from parking.selectors import occupancy_monthly_series
from tests import factories

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(y, m, d, h=12, minute=0):
    return dt.datetime(y, m, d, h, minute, tzinfo=SHANGHAI)


def report(facility, at, free, occupied=None):
    return OccupancyReport.objects.create(
        facility=facility, observed_at=at, free_berths=free, occupied_berths=occupied, source="t"
    )


def stored_in(report_id) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM parking_occupancyreport WHERE id = %s",
            [report_id],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def car_park(areas):
    return factories.facility("TC-P1", total_berths=100)


def test_reports_land_in_the_partition_of_their_local_month(car_park):
    partitions.occupancy_partition_create(month=dt.date(2031, 3, 1))
    partitions.occupancy_partition_create(month=dt.date(2031, 4, 1))
    # 1 April 00:30 in Nanjing is still 31 March in UTC: the local month decides.
    april = report(car_park, local(2031, 4, 1, 0, 30), 10)
    march = report(car_park, local(2031, 3, 31, 23, 59), 20)
    assert stored_in(april.pk) == "parking_occupancyreport_p203104"
    assert stored_in(march.pk) == "parking_occupancyreport_p203103"
    # The Django model works across partitions: lookups by id, updates that move a row
    # to another month, deletes.
    march.observed_at = local(2031, 4, 2)
    march.save()
    assert stored_in(march.pk) == "parking_occupancyreport_p203104"
    assert OccupancyReport.objects.get(pk=march.pk).free_berths == 20
    april.delete()
    assert list(OccupancyReport.objects.filter(facility=car_park)) == [march]


def test_a_month_without_partition_is_kept_then_moved_to_its_own(car_park):
    stray = report(car_park, local(2033, 7, 15), 5)
    assert stored_in(stray.pk) == "parking_occupancyreport_default"
    created = partitions.occupancy_partitions_ensure(today=dt.date(2033, 6, 10), ahead=0)
    # This month (June) and the month the default partition caught (July).
    assert created == [dt.date(2033, 6, 1), dt.date(2033, 7, 1)]
    assert stored_in(stray.pk) == "parking_occupancyreport_p203307"
    assert partitions.occupancy_partitions_ensure(today=dt.date(2033, 6, 10), ahead=0) == []


def test_partitions_are_prepared_ahead(car_park):
    created = partitions.occupancy_partitions_ensure(today=dt.date(2035, 11, 20), ahead=3)
    assert created == [dt.date(2035, 11, 1), dt.date(2035, 12, 1)] + [
        dt.date(2036, 1, 1),
        dt.date(2036, 2, 1),
    ]
    assert {dt.date(2036, 2, 1), dt.date(2035, 11, 1)} <= set(
        partitions.occupancy_partition_months()
    )


def test_retention_drops_whole_old_months_only(car_park, settings):
    for month in (1, 2, 3, 4):
        partitions.occupancy_partition_create(month=dt.date(2037, month, 1))
    old = report(car_park, local(2037, 1, 20), 1)
    kept = report(car_park, local(2037, 2, 1, 0, 5), 2)
    partitions.occupancy_monthly_refresh(month=dt.date(2037, 1, 1))
    settings.GEOCM = {**settings.GEOCM, "OCCUPANCY_RETENTION_MONTHS": 2}
    # On 10 April, keeping 2 months before this one: February onwards stays.
    dropped = partitions.occupancy_partitions_drop_older(today=dt.date(2037, 4, 10))
    assert dt.date(2037, 1, 1) in dropped and dt.date(2037, 2, 1) not in dropped
    assert dt.date(2037, 1, 1) not in partitions.occupancy_partition_months()
    assert not OccupancyReport.objects.filter(pk=old.pk).exists()
    assert OccupancyReport.objects.filter(pk=kept.pk).exists()
    assert not OccupancyMonthly.objects.filter(month=dt.date(2037, 1, 1)).exists()
    # Retention 0 keeps everything.
    settings.GEOCM = {**settings.GEOCM, "OCCUPANCY_RETENTION_MONTHS": 0}
    assert partitions.occupancy_partitions_drop_older(today=dt.date(2040, 1, 1)) == []


def test_the_latest_count_follows_inserts_corrections_and_deletions(car_park, areas):
    other = factories.facility("TC-P2", lon=118.69)
    partitions.occupancy_partitions_ensure(today=dt.date(2031, 5, 1), ahead=1)
    newest = report(car_park, local(2031, 5, 3, 9), 30, 70)
    report(car_park, local(2031, 5, 3, 8), 40)  # arrives late, older: no change
    report(other, local(2031, 5, 3, 7), 4)
    assert OccupancyLatest.objects.get(facility=car_park).free_berths == 30
    assert OccupancyLatest.objects.get(facility=car_park).occupied_berths == 70
    assert OccupancyLatest.objects.get(facility=other).free_berths == 4
    # A correction of the latest report, then its deletion: the next newest takes over.
    OccupancyReport.objects.filter(pk=newest.pk).update(free_berths=33)
    assert OccupancyLatest.objects.get(facility=car_park).free_berths == 33
    newest.delete()
    assert OccupancyLatest.objects.get(facility=car_park).free_berths == 40
    # Moving an older report past the latest makes it the latest.
    third = report(car_park, local(2031, 5, 1), 50)
    OccupancyReport.objects.filter(pk=third.pk).update(observed_at=local(2031, 6, 1))
    assert OccupancyLatest.objects.get(facility=car_park).report_id == third.pk
    # A bulk load of many statements' worth in one: one row per facility.
    OccupancyReport.objects.bulk_create(
        OccupancyReport(facility=other, observed_at=local(2031, 5, 4, h), free_berths=h, source="b")
        for h in range(1, 10)
    )
    assert OccupancyLatest.objects.get(facility=other).free_berths == 9
    assert OccupancyLatest.objects.filter(facility=other).count() == 1
    OccupancyReport.objects.filter(facility=other).delete()
    assert not OccupancyLatest.objects.filter(facility=other).exists()


def test_monthly_summary_matches_the_reports(car_park, areas):
    other = factories.facility("TC-P2", lon=118.69, total_berths=50)
    partitions.occupancy_partitions_ensure(today=dt.date(2032, 1, 1), ahead=2)
    counts = {car_park: [10, 20, 60], other: [5, 25]}
    for facility, frees in counts.items():
        for i, free in enumerate(frees):
            report(facility, local(2032, 2, 3 + i), free)
    report(car_park, local(2032, 3, 1, 0, 10), 99)  # March: another month
    assert partitions.occupancy_monthly_refresh(month=dt.date(2032, 2, 1)) == 2
    rows = {r.facility: r for r in OccupancyMonthly.objects.filter(month=dt.date(2032, 2, 1))}
    for facility, frees in counts.items():
        row = rows[facility]
        assert row.reports == len(frees)
        assert row.free_avg == pytest.approx(mean(frees))
        assert (row.free_min, row.free_max) == (min(frees), max(frees))
        assert row.occupied_share_avg == pytest.approx(
            mean(1 - f / facility.total_berths for f in frees)
        )
    partitions.occupancy_monthly_refresh(month=dt.date(2032, 3, 1))
    series = occupancy_monthly_series(facility_codes=["TC-P1"], months=12)
    assert [(r["month"], r["reports"]) for r in series] == [
        (dt.date(2032, 2, 1), 3),
        (dt.date(2032, 3, 1), 1),
    ]
    # A refresh replaces the month's rows; it never adds to them.
    partitions.occupancy_monthly_refresh(month=dt.date(2032, 2, 1))
    assert OccupancyMonthly.objects.filter(month=dt.date(2032, 2, 1)).count() == 2


def test_the_maintenance_command_says_what_it_did(car_park, capsys):
    call_command("parking_occupancy_maintain", "--today", "2038-01-15")
    out = capsys.readouterr().out
    assert "2038-01" in out and "2038-04" in out
    assert dt.date(2038, 4, 1) in partitions.occupancy_partition_months()


def test_the_maintenance_command_refuses_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--today must be a date"):
        call_command("parking_occupancy_maintain", "--today", "2038-13-01")


def test_the_public_answer_reads_the_latest_count(anon_client, car_park):
    SharingWindow.objects.create(
        facility=car_park,
        weekdays=[1, 2, 3, 4, 5, 6, 7],
        start_time=dt.time(0),
        end_time=dt.time(23, 59),
        berths_shared=10,
        audience="public",
    )
    partitions.occupancy_partitions_ensure(today=dt.date(2031, 5, 1), ahead=0)
    report(car_park, local(2031, 5, 3, 9), 12)
    report(car_park, local(2031, 5, 3, 8), 99)
    body = anon_client.get("/api/parking/open", {"at": "2031-05-03T09:30"}).json()
    props = body["features"][0]["properties"]
    assert props["free_berths"] == 12
    assert dt.datetime.fromisoformat(props["free_observed_at"]) == local(2031, 5, 3, 9)


def test_the_admin_list_pages_without_counting_everything(admin_client, car_park):
    report(car_park, local(2031, 5, 3, 9), 12)
    response = admin_client.get("/admin/parking/occupancyreport/")
    assert response.status_code == 200 and b"TC-P1" in response.content
