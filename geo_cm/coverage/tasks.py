"""Background refresh of coverage results, queued when their inputs change."""

from ..jobs.queue import job_enqueue, job_report, task
from ..registry import registry
from . import engine
from .models import PopulationArea


@task("coverage.refresh")
def coverage_refresh(job, *, layer: str, mode: str):
    """Recompute a layer's coverage with its default rule for the whole district."""
    job_report(job, progress=0.1, message=f"{layer} {mode}")
    result = engine.coverage_get(layer_slug=layer, mode=mode)
    return {
        "layer": layer,
        "mode": result.mode,
        "seconds": round(result.seconds, 3),
        "data_version": result.data_version,
    }


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
