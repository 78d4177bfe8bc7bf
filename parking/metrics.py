"""Plan metrics measured from the parking records."""

from django.db.models import Min, Sum
from django.db.models.functions import TruncDate

from geo_cm.plans.registry import Metric, register

from .models import Facility, FacilityStatus, SharingWindow


def _in_area(qs, subdistrict):
    return qs if subdistrict is None else qs.filter(subdistrict=subdistrict)


def new_berths(start, end, subdistrict):
    """Berths of facilities opened in the period and open today (a closed one stops counting)."""
    qs = _in_area(
        Facility.objects.filter(opened_on__range=(start, end), status=FacilityStatus.OPEN),
        subdistrict,
    )
    return qs.aggregate(n=Sum("total_berths"))["n"] or 0, qs


def new_shared_sites(start, end, subdistrict):
    """Open facilities whose first sharing window was set up in the period (local dates)."""
    started = SharingWindow.objects.filter(created_at__date__range=(start, end))
    earlier = SharingWindow.objects.filter(created_at__date__lt=start)
    qs = _in_area(
        Facility.objects.filter(
            status=FacilityStatus.OPEN, pk__in=started.values("facility")
        ).exclude(pk__in=earlier.values("facility")),
        subdistrict,
    ).annotate(
        # The date that made the site count (local date: TIME_ZONE is Asia/Shanghai).
        counted_on=Min(TruncDate("sharing_windows__created_at"))
    )
    return qs.count(), qs


register(
    Metric(
        "parking.new_berths",
        "新增停车泊位",
        "New parking berths",
        "个",
        "parking-facilities",
        new_berths,
    )
)
register(
    Metric(
        "parking.new_shared_sites",
        "新增错时共享停车场景",
        "New shared-parking sites",
        "处",
        "parking-facilities",
        new_shared_sites,
    )
)
