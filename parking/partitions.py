"""Monthly partitions of the occupancy reports, their retention, and the monthly summary.

``parking_occupancyreport`` is partitioned by range of ``observed_at`` (migration 0004),
one partition per calendar month in local time (Asia/Shanghai: the months of the charts),
named ``parking_occupancyreport_pYYYYMM``, plus a DEFAULT partition so that a report for a
month nobody prepared is still stored, never refused. Maintenance
(``manage.py parking_occupancy_maintain``, daily from cron or a systemd timer, or the
``parking.occupancy_maintain`` job) keeps the months ahead ready, moves any rows the
default partition caught into their own month, drops months older than the retention and
refreshes the monthly summary.

Why our own functions rather than pg_partman: the private cluster and the PostGIS image
of docker-compose.yml do not ship pg_partman, and what is needed (create a month, move
strays out of the default partition, drop old months) is a few statements that tests run
on the real database. pg_partman (a Debian package) is the choice when an installation
already runs it; its ``run_maintenance()`` does the same three things.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction

PARENT = "parking_occupancyreport"
DEFAULT = f"{PARENT}_default"
LOCAL = ZoneInfo(settings.TIME_ZONE)
_NAME = re.compile(rf"^{PARENT}_p(\d{{4}})(\d{{2}})$")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_add(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def _bound(month: dt.date) -> str:
    """The first instant of a local month, as a timestamptz literal (UTC offset explicit)."""
    return dt.datetime.combine(month, dt.time(), tzinfo=LOCAL).isoformat()


def partition_name(month: dt.date) -> str:
    return f"{PARENT}_p{month:%Y%m}"


def occupancy_partition_months() -> list[dt.date]:
    """The months that have a partition of their own, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [PARENT],
        )
        names = [row[0] for row in cursor.fetchall()]
    months = []
    for name in names:
        match = _NAME.match(name)
        if match:
            months.append(dt.date(int(match[1]), int(match[2]), 1))
    return sorted(months)


def occupancy_partition_create(*, month: dt.date) -> bool:
    """Give ``month`` (a local calendar month) its partition; False if it had one.

    Rows of that month the default partition holds are moved into it first (attaching a
    range that the default partition still holds rows of is refused by PostgreSQL). The
    new table is made, filled and attached in one transaction; ATTACH takes a short lock
    on the parent and checks the default partition with a scan of its (normally empty)
    rows. Indexes, constraints and triggers come from the parent.
    """
    month = month_start(month)
    if month in occupancy_partition_months():
        return False
    name, lower, upper = partition_name(month), _bound(month), _bound(month_add(month, 1))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE observed_at >= %s "
            f"AND observed_at < %s RETURNING *) INSERT INTO {name} SELECT * FROM moved",
            [lower, upper],
        )
        cursor.execute(
            f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)",
            [lower, upper],
        )
    return True


def occupancy_partitions_ensure(*, today: dt.date | None = None, ahead: int | None = None):
    """Partitions from this month to ``ahead`` months on, and for every month the default
    partition caught rows of. Returns the months created."""
    today = today or dt.datetime.now(LOCAL).date()
    ahead = settings.GEOCM["OCCUPANCY_PARTITIONS_AHEAD"] if ahead is None else ahead
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT date_trunc('month', observed_at AT TIME ZONE %s)::date "
            f"FROM {DEFAULT}",
            [settings.TIME_ZONE],
        )
        strays = [row[0] for row in cursor.fetchall()]
    wanted = sorted({month_add(month_start(today), n) for n in range(ahead + 1)} | set(strays))
    return [m for m in wanted if occupancy_partition_create(month=m)]


def occupancy_partitions_drop_older(*, keep_months: int | None = None, today=None):
    """Drop the months wholly older than the retention (``keep_months`` months before this
    one). 0 keeps everything. Returns the months dropped.

    Dropping a partition is instant and leaves no dead rows, unlike DELETE. The latest
    count of a facility whose newest report was dropped goes with it, and so do the
    monthly summaries of the dropped months.
    """
    keep = settings.GEOCM["OCCUPANCY_RETENTION_MONTHS"] if keep_months is None else keep_months
    if keep <= 0:
        return []
    today = today or dt.datetime.now(LOCAL).date()
    cutoff = month_add(month_start(today), -keep)
    dropped = [m for m in occupancy_partition_months() if m < cutoff]
    with transaction.atomic(), connection.cursor() as cursor:
        # Deferred foreign-key checks of rows written earlier in this transaction would
        # hold the partitions (DROP refuses tables with pending trigger events).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for month in dropped:
            cursor.execute(f"ALTER TABLE {PARENT} DETACH PARTITION {partition_name(month)}")
            cursor.execute(f"DROP TABLE {partition_name(month)}")
        cursor.execute(f"DELETE FROM {DEFAULT} WHERE observed_at < %s", [_bound(cutoff)])
        cursor.execute(
            "DELETE FROM parking_occupancylatest WHERE observed_at < %s", [_bound(cutoff)]
        )
        cursor.execute("DELETE FROM parking_occupancymonthly WHERE month < %s", [cutoff])
    return dropped


def occupancy_monthly_refresh(*, month: dt.date) -> int:
    """Recompute the monthly summary of ``month`` (local) from its reports; rows written.

    One month's partition is read (partition pruning on the local month's bounds), so a
    month costs the same however many months are kept. Closed months never change, so
    maintenance refreshes only this month and the last.
    """
    month = month_start(month)
    lower, upper = _bound(month), _bound(month_add(month, 1))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM parking_occupancymonthly WHERE month = %s", [month])
        cursor.execute(
            f"""
            INSERT INTO parking_occupancymonthly
                (facility_id, month, reports, free_avg, free_min, free_max, occupied_share_avg)
            SELECT r.facility_id, %s, count(*), avg(r.free_berths)::float8,
                   min(r.free_berths), max(r.free_berths),
                   avg(1 - r.free_berths::float8 / nullif(f.total_berths, 0))
            FROM {PARENT} r JOIN parking_facility f ON f.id = r.facility_id
            WHERE r.observed_at >= %s AND r.observed_at < %s
            GROUP BY r.facility_id
            """,
            [month, lower, upper],
        )
        return cursor.rowcount


def occupancy_maintain(*, today: dt.date | None = None) -> dict:
    """The daily maintenance: months ahead, strays, retention, this and last month's summary."""
    today = today or dt.datetime.now(LOCAL).date()
    created = occupancy_partitions_ensure(today=today)
    dropped = occupancy_partitions_drop_older(today=today)
    this_month = month_start(today)
    summarised = sum(
        occupancy_monthly_refresh(month=m) for m in (month_add(this_month, -1), this_month)
    )
    return {"created": created, "dropped": dropped, "summary_rows": summarised}
