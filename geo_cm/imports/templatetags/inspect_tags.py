"""What the inspection page says before any check: whether the file's geometries fit the
layer at all (polygons offered to a point layer), in labels rather than type codes."""

from django import template
from django.utils.translation import gettext as _

from geo_cm.registry import registry

from ..validate import geometry_label

register = template.Library()

DIMENSION = {
    "Point": 0,
    "MultiPoint": 0,
    "LineString": 1,
    "LinearRing": 1,
    "MultiLineString": 1,
    "Polygon": 2,
    "MultiPolygon": 2,
}
LAYER_DIMENSION = {"POINT": 0, "MULTIPOINT": 0, "LINESTRING": 1, "MULTILINESTRING": 1,
                   "POLYGON": 2, "MULTIPOLYGON": 2}  # fmt: skip
LAYER_KIND = {"POINT": "Point", "MULTIPOINT": "MultiPoint", "LINESTRING": "LineString",
              "MULTILINESTRING": "MultiLineString", "POLYGON": "Polygon",
              "MULTIPOLYGON": "MultiPolygon"}  # fmt: skip


@register.simple_tag
def geometry_mismatch(inspection, layer, upload) -> str:
    """The sentence saying the file's geometries cannot go into ``layer`` (or "" when they
    can, or when a point layer takes a point inside each shape because the user chose so)."""
    if not inspection or layer is None:
        return ""
    want = layer.model._meta.get_field(layer.geometry_field).geom_type
    want_dim = LAYER_DIMENSION.get(want)
    if want_dim is None:  # a layer of any geometry
        return ""
    found = inspection.get("geometry_types") or []
    wrong = [name for name in found if DIMENSION.get(name, -1) != want_dim]
    if not wrong:
        return ""
    if want_dim == 0 and upload.centroids and all(DIMENSION.get(n, -1) > 0 for n in wrong):
        return ""
    values = {
        "found": _(", ").join(geometry_label(name) for name in wrong),
        "layer": layer.title,
        "want": geometry_label(LAYER_KIND[want]),
    }
    if want_dim == 0 and all(DIMENSION.get(n, -1) > 0 for n in wrong):
        return (
            _(
                "The file holds %(found)s; the layer %(layer)s holds %(want)s. Tick \u201ca point "
                "inside each line or polygon\u201d below to import one point per shape, or upload "
                "the file to a layer of its geometry type."
            )
            % values
        )
    return (
        _(
            "The file holds %(found)s; the layer %(layer)s holds %(want)s. Upload the file to "
            "a layer of its geometry type."
        )
        % values
    )


@register.simple_tag
def geometry_name(name: str) -> str:
    """A geometry type's label ("MultiPolygon" -> 多面)."""
    return geometry_label(name)


@register.simple_tag
def layer_title(slug: str) -> str:
    """The layer's title (in the page's language) for its slug; the slug if unknown."""
    layer = registry.get(slug)
    return layer.title if layer is not None else slug
