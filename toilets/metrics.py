"""Plan metrics measured from the toilet records."""

from geo_cm.plans.registry import Metric, register

from .models import Toilet, ToiletStatus


def built_or_renovated(start, end, subdistrict):
    """Toilets newly built or renovated, completed in the period and open today."""
    qs = Toilet.objects.filter(
        project__in=[Toilet.Project.NEW, Toilet.Project.RENOVATED],
        completed_on__range=(start, end),
        status=ToiletStatus.OPEN,
    )
    if subdistrict is not None:
        qs = qs.filter(subdistrict=subdistrict)
    return qs.count(), qs


register(
    Metric(
        "toilets.built_or_renovated",
        "新改建城乡公厕",
        "Toilets built or renovated",
        "座",
        "toilets",
        built_or_renovated,
    )
)
