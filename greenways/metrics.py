"""Plan metrics measured from the greenway records."""

from django.db.models import Sum

from geo_cm.plans.registry import Metric, register

from .models import Segment, SegmentStatus


def completed_km(start, end, subdistrict):
    """Kilometres of segments completed in the period (geodesic length; a route counts only
    its completed segments)."""
    qs = Segment.objects.filter(status=SegmentStatus.COMPLETED, completed_on__range=(start, end))
    if subdistrict is not None:
        qs = qs.filter(subdistrict=subdistrict)
    return round((qs.aggregate(m=Sum("length_m"))["m"] or 0.0) / 1000, 3), qs


register(
    Metric(
        "greenways.completed_km", "新建绿道", "Greenway completed", "km", "greenways", completed_km
    )
)
