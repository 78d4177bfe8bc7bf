"""Coverage computed in the job worker: refreshes queued when inputs change, and the
answers a request found missing from the cache (the request answers 202 at once)."""

from ..jobs.models import Job
from ..jobs.queue import job_enqueue, job_report, task
from ..models import Subdistrict
from ..registry import registry
from . import engine
from .models import PopulationArea


@task("coverage.refresh")
def coverage_refresh(
    job,
    *,
    layer: str,
    mode: str,
    distance_m: float | None = None,
    subdistrict: str | None = None,
    refresh: bool = False,
):
    """Compute a layer's coverage (its default rule for the whole district unless
    ``distance_m`` metres or a ``subdistrict`` code say otherwise) into the cache."""
    job_report(job, progress=0.1, message=f"{layer} {mode}")
    area = Subdistrict.objects.filter(code=subdistrict).first() if subdistrict else None
    result = engine.coverage_get(
        layer_slug=layer, mode=mode, distance_m=distance_m, subdistrict=area, refresh=refresh
    )
    return {
        "layer": layer,
        "mode": result.mode,
        "seconds": round(result.seconds, 3),
        "data_version": result.data_version,
    }


def coverage_job_args(*, layer: str, mode: str, distance_m=None, subdistrict=None, refresh=False):
    """The job arguments of one coverage question; the defaults are left out, so a request
    for the default answer joins the refresh an edit queued (one job, not two)."""
    args = {"layer": layer, "mode": mode}
    if distance_m is not None:
        args["distance_m"] = distance_m
    if subdistrict is not None:
        args["subdistrict"] = subdistrict
    if refresh:
        args["refresh"] = True
    return args


def coverage_job_for(*, args: dict, by=None) -> Job:
    """The queued or running job computing ``args``, queued now if there is none."""
    live = (Job.Status.QUEUED, Job.Status.RUNNING)
    job = (
        Job.objects.filter(name="coverage.refresh", args=args, status__in=live)
        .order_by("-created_at")
        .first()
    )
    if job is None:
        job = job_enqueue(name="coverage.refresh", args=args, by=by)
    if job is None:  # queued by someone else between the two statements
        job = Job.objects.filter(name="coverage.refresh", args=args, status__in=live).first()
    return job


def coverage_refresh_enqueue(*, model) -> int:
    """Queue refreshes of every coverage result that ``model``'s rows feed; returns how many.

    A facility layer feeds its own coverage; demand (population) and the walking network
    feed every radius layer; the roads a spacing rule runs along feed that layer.
    """
    network_layer = registry.get(engine.settings.GEOCM["NETWORK_LAYER"])
    queued = 0
    for layer in engine.coverage_layers():
        spec = layer.coverage
        along = registry.get(spec.along_layer) if spec.along_layer else None
        feeds = (
            layer.model is model
            or model is PopulationArea
            and spec.kind == "radius"
            or along is not None
            and along.model is model
            or network_layer is not None
            and network_layer.model is model
            and spec.kind == "radius"
        )
        if not feeds:
            continue
        modes = engine.MODES if spec.kind == "radius" else ("straight",)
        for mode in modes:
            queued += (
                job_enqueue(name="coverage.refresh", args={"layer": layer.slug, "mode": mode})
                is not None
            )
    return queued


def coverage_on_assets_changed(sender, **_kwargs) -> None:
    """Receiver of ``geo_cm.assets.assets_changed``: refresh what ``sender``'s rows feed."""
    coverage_refresh_enqueue(model=sender)
