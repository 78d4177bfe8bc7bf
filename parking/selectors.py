"""Reads for parking: which facilities share berths at a given moment."""

import datetime as dt

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from .models import Facility, FacilityStatus, SharingWindow


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


def facility_list_open_at(*, when: dt.datetime, audience: str | None = None):
    """Open facilities with a sharing window open at ``when``; one query.

    ``audience`` limits to windows for "public" or "residents".
    """
    windows = SharingWindow.objects.filter(sharing_window_q(when=when), facility=OuterRef("pk"))
    if audience:
        windows = windows.filter(audience=audience)
    return (
        Facility.objects.filter(status=FacilityStatus.OPEN)
        .filter(Exists(windows))
        .select_related("subdistrict")
        .order_by("code")
    )
