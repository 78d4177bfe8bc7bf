"""HTML pages. The overview map is driven entirely by the layer registry."""

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse

from .basemaps import basemap_config
from .registry import registry
from .tiles import tms
from .tiles.selectors import layer_count_estimate

# Properties the map's search box looks in, where the user may read them.
SEARCH_FIELDS = ("code", "name")


def layer_map_config(layer, user):
    """What the map script needs about one layer: URLs, colours and labels."""
    opts = layer.model._meta
    geom = opts.get_field(layer.geometry_field)
    machine = layer.status_machine
    readable = set(layer.fields_for(user))
    count, exact = layer_count_estimate(layer=layer)
    tiled = count > settings.GEOCM["MAP_TILED_ABOVE"]
    tiles = None
    if tiled:
        template = (
            reverse("ogc-tileset", kwargs={"collection_id": layer.slug, "tms_id": tms.ID})
            + "/{z}/{y}/{x}"
        )
        status = layer.status_field if layer.status_field in readable else None
        # Only the status colours a feature: small tiles; a popup fetches the feature.
        tiles = template + f"?properties={status or ''}"
    return {
        "slug": layer.slug,
        "title": layer.title,
        "items": reverse("ogc-items", kwargs={"collection_id": layer.slug}),
        "count": count,
        "countExact": exact,
        "tiles": tiles,
        "tilejson": reverse("ogc-tileset", kwargs={"collection_id": layer.slug, "tms_id": tms.ID})
        + "?f=tilejson",
        # Untiled layers come in one page (no next links to follow).
        "pageLimit": settings.GEOCM["MAP_TILED_ABOVE"],
        "visible": layer.map_visible,
        "search": [name for name in SEARCH_FIELDS if name in readable],
        "geometry": geom.geom_type,
        "statusField": layer.status_field,
        "statuses": [
            {"value": s, "label": machine.label(s), "color": layer.status_colors[s]}
            for s in machine.states
        ],
        "popup": [
            {"field": name, "label": str(opts.get_field(name).verbose_name)}
            for name in layer.popup_fields
            if name in readable
        ],
        "choices": {
            name: {str(k): str(v) for k, v in opts.get_field(name).choices}
            for name in layer.popup_fields
            if name in readable and opts.get_field(name).choices
        },
    }


def overview_map(request):
    layers = [layer_map_config(layer, request.user) for layer in registry.visible_to(request.user)]
    return render(
        request,
        "geo_cm/map.html",
        {
            "map_config": {
                "layers": layers,
                "basemap": basemap_config(),
                "center": [32.05, 118.62],
                "zoom": 11,
                "boundary": reverse("district-boundary"),
            },
        },
    )
