"""Reads for parking: which facilities share berths at a given moment, for the public."""

import datetime as dt

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.utils import timezone

from .models import Facility, FacilityStatus, OccupancyMonthly, SharingWindow


def sharing_window_q(*, when: dt.datetime) -> Q:
    """Q on SharingWindow for windows open at ``when`` (judged in local time, Asia/Shanghai).

    A window starts on one of its ``weekdays``. A window with end <= start runs across
    midnight: it is open from start on its weekday and until end on the following morning.
    """
    local = timezone.localtime(when) if timezone.is_aware(when) else when
    day, moment = local.isoweekday(), local.time()
    date = local.date()
    previous_day = 7 if day == 1 else day - 1
    yesterday = date - dt.timedelta(days=1)

    def valid_on(d):
        return (Q(valid_from__isnull=True) | Q(valid_from__lte=d)) & (
            Q(valid_until__isnull=True) | Q(valid_until__gte=d)
        )

    same_day = Q(
        start_time__lt=F("end_time"),
        weekdays__contains=[day],
        start_time__lte=moment,
        end_time__gt=moment,
    ) & valid_on(date)
    evening = Q(
        end_time__lte=F("start_time"), weekdays__contains=[day], start_time__lte=moment
    ) & valid_on(date)
    morning = Q(
        end_time__lte=F("start_time"), weekdays__contains=[previous_day], end_time__gt=moment
    ) & valid_on(yesterday)
    return same_day | evening | morning


# The facility columns the public "open at" answer shows (OpenFacilitySerializer).
PUBLIC_COLUMNS = (
    "id",
    "code",
    "name",
    "address",
    "kind",
    "total_berths",
    "fee_summary",
    "public_phone",
    "geom",
)


def facility_list_open_at(
    *, when: dt.datetime, audience: str | None = None, near: Point | None = None
):
    """Open facilities with a sharing window open at ``when``.

    One query for the facilities (with the latest occupancy report annotated) and one for
    their open windows. ``audience`` keeps windows for "public" or "residents"; ``near``
    (EPSG:4326) orders by geodesic distance and annotates ``distance`` (metres).

    Only the columns the public answer shows are read, and the subdistrict's name rather
    than the subdistrict (whose boundary would be parsed into a geometry per facility):
    the public answer is asked for by everyone at once, so its per-request work counts.
    """
    windows = SharingWindow.objects.filter(sharing_window_q(when=when))
    if audience:
        windows = windows.filter(audience=audience)
    qs = (
        Facility.objects.filter(status=FacilityStatus.OPEN)
        .filter(Exists(windows.filter(facility=OuterRef("pk"))))
        .annotate(
            # The latest-state table, kept by triggers: one join, however many months of
            # reports the partitions hold.
            latest_free=F("occupancy_latest__free_berths"),
            latest_at=F("occupancy_latest__observed_at"),
        )
        .only(*PUBLIC_COLUMNS)
        .annotate(subdistrict_name=F("subdistrict__name"))
        .prefetch_related(
            Prefetch(
                "sharing_windows", queryset=windows.order_by("start_time"), to_attr="open_windows"
            )
        )
    )
    if near is not None:
        return qs.annotate(distance=Distance("geom", near, spheroid=True)).order_by(
            "distance", "code"
        )
    return qs.order_by("code")


def occupancy_monthly_series(*, facility_codes: list[str] | None = None, months: int = 12):
    """Monthly occupancy rows for the charts: the last ``months`` summarised months.

    Values per facility and local calendar month (OccupancyMonthly: report count, mean /
    fewest / most free berths, mean occupied share 0..1), oldest month first. Reads the
    summary table only, never the reports.
    """
    qs = OccupancyMonthly.objects.select_related(None).annotate(facility_code=F("facility__code"))
    if facility_codes is not None:
        qs = qs.filter(facility__code__in=facility_codes)
    recent = list(qs.order_by("-month").values_list("month", flat=True).distinct()[:months])
    if not recent:
        return []
    return list(
        qs.filter(month__gte=min(recent))
        .order_by("month", "facility_code")
        .values(
            "facility_code",
            "month",
            "reports",
            "free_avg",
            "free_min",
            "free_max",
            "occupied_share_avg",
        )
    )
