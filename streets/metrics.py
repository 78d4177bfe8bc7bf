"""Plan metrics measured from the street records."""

from geo_cm.plans.registry import Metric, register

from .models import AlleyStage, BackAlleyProject, LightingRetrofit, RetrofitStatus

DONE = [AlleyStage.COMPLETED, AlleyStage.ACCEPTED]


def _alleys(start, end, subdistrict):
    qs = BackAlleyProject.objects.filter(status__in=DONE, completed_on__range=(start, end))
    return qs if subdistrict is None else qs.filter(subdistrict=subdistrict)


def alleys_completed(start, end, subdistrict):
    """Back-alley projects completed in the period (sent back to construction: not counted)."""
    qs = _alleys(start, end, subdistrict)
    return qs.count(), qs


def boutique_alleys_completed(start, end, subdistrict):
    qs = _alleys(start, end, subdistrict).filter(boutique=True)
    return qs.count(), qs


def retrofitted_roads(start, end, subdistrict):
    """Roads whose lighting retrofit was completed in the period (each road once)."""
    qs = LightingRetrofit.objects.filter(
        status=RetrofitStatus.COMPLETED, completed_on__range=(start, end)
    )
    if subdistrict is not None:
        qs = qs.filter(subdistrict=subdistrict)
    return qs.values("road").distinct().count(), qs


register(
    Metric(
        "streets.alleys_completed",
        "背街小巷整治提升",
        "Back alleys renovated",
        "条",
        "back-alleys",
        alleys_completed,
    )
)
register(
    Metric(
        "streets.boutique_alleys_completed",
        "精品街巷",
        "Boutique streets",
        "条",
        "back-alleys",
        boutique_alleys_completed,
    )
)
register(
    Metric(
        "streets.retrofitted_roads",
        "路灯节能改造道路",
        "Roads with retrofitted lights",
        "条",
        "lighting-retrofits",
        retrofitted_roads,
    )
)
