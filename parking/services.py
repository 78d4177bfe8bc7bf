"""Writes for parking beyond the generic asset services: occupancy reports from feeds."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Facility, OccupancyReport

# A gate system's clock may run a little fast; beyond this a time is "in the future".
CLOCK_SKEW = dt.timedelta(minutes=2)


def occupancy_report_create(
    *,
    facility_code: str,
    observed_at: dt.datetime,
    free_berths: int | None,
    occupied_berths: int | None,
    source: str,
) -> OccupancyReport:
    """Record a count of free (or occupied) berths at a facility.

    Either count may be given; the other is derived from ``total_berths``. Raises
    ValidationError naming the field: unknown facility, counts outside 0..capacity,
    times in the future or older than GEOCM["OCCUPANCY_MAX_AGE_MINUTES"].
    """
    facility = Facility.objects.filter(code=facility_code).only("id", "total_berths").first()
    if facility is None:
        raise ValidationError(
            {"facility": _("Unknown facility code '%(code)s'.") % {"code": facility_code}}
        )
    capacity = facility.total_berths
    if free_berths is None and occupied_berths is None:
        raise ValidationError({"free": _("Give the free or the occupied berth count.")})
    for field, value in (("free", free_berths), ("occupied", occupied_berths)):
        if value is not None and not 0 <= value <= capacity:
            raise ValidationError(
                {
                    field: _("%(value)s is outside 0..%(capacity)s, the facility's berth count.")
                    % {"value": value, "capacity": capacity}
                }
            )
    if (
        free_berths is not None
        and occupied_berths is not None
        and free_berths + occupied_berths > capacity
    ):
        raise ValidationError(
            {
                "occupied": _("free + occupied exceeds the %(capacity)s berths.")
                % {"capacity": capacity}
            }
        )
    now = timezone.now()
    max_age = dt.timedelta(minutes=settings.GEOCM["OCCUPANCY_MAX_AGE_MINUTES"])
    if observed_at > now + CLOCK_SKEW:
        raise ValidationError(
            {"observed_at": _("The time is in the future; check the sender's clock and time zone.")}
        )
    if observed_at < now - max_age:
        raise ValidationError(
            {
                "observed_at": _(
                    "The report is older than %(minutes)s minutes and is not accepted."
                )
                % {"minutes": int(max_age.total_seconds() // 60)}
            }
        )
    if free_berths is None:
        free_berths = capacity - occupied_berths
    return OccupancyReport.objects.create(
        facility=facility,
        observed_at=observed_at,
        free_berths=free_berths,
        occupied_berths=occupied_berths,
        source=source,
    )
