"""Write serializers for the feature API, built from each Layer's declaration."""

from functools import cache

from django.contrib.gis.geos import GEOSGeometry, MultiLineString, MultiPoint, MultiPolygon
from django.db.models import ForeignKey
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

# Fields the server derives; a client never writes them.
DERIVED_FIELDS = {"subdistrict", "source", "created_at", "updated_at", "version", "length_m"}
PROMOTE = {
    "MultiPoint": MultiPoint,
    "MultiLineString": MultiLineString,
    "MultiPolygon": MultiPolygon,
}


def writable_fields(layer) -> list[str]:
    model_fields = {f.name: f for f in layer.model._meta.concrete_fields}
    return [
        name
        for name in layer.staff_fields
        if name in model_fields
        and name not in DERIVED_FIELDS
        and model_fields[name].editable
        and not getattr(model_fields[name], "generated", False)
    ]


def clean_geometry(geom: GEOSGeometry, model_field) -> GEOSGeometry:
    """Check a client geometry against the column: type, validity, range; promote to multi."""
    if geom.empty:
        raise serializers.ValidationError(_("The geometry is empty."))
    if geom.srid not in (None, 4326):
        raise serializers.ValidationError(_("Geometries must be WGS84 longitude/latitude."))
    geom.srid = 4326
    if geom.hasz:
        raise serializers.ValidationError(_("3D coordinates are not accepted; send 2D."))
    minx, miny, maxx, maxy = geom.extent
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise serializers.ValidationError(
            _(
                "Coordinates are out of range: longitude -180..180, latitude -90..90 "
                "(are they projected metres or latitude first?)."
            )
        )
    expected = model_field.geom_type
    if expected != "GEOMETRY" and geom.geom_type.upper() != expected:
        multi = PROMOTE.get(model_field.geom_class.__name__)
        if multi is not None and multi.__name__ == "Multi" + geom.geom_type:
            geom = multi(geom, srid=4326)
        else:
            raise serializers.ValidationError(
                _("Wrong geometry type %(got)s; this collection takes %(want)s.")
                % {"got": geom.geom_type, "want": model_field.geom_class.__name__}
            )
    if not geom.valid:
        raise serializers.ValidationError(
            _("The geometry is invalid: %(reason)s.") % {"reason": geom.valid_reason}
        )
    return geom


@cache
def feature_serializer_class(layer):
    """A GeoFeatureModelSerializer for writing ``layer`` (GeoJSON Feature in, model values out)."""
    model = layer.model
    fields = writable_fields(layer)
    attrs = {}
    for name in fields:
        field = model._meta.get_field(name)
        if isinstance(field, ForeignKey):
            related = field.related_model
            attrs[name] = serializers.SlugRelatedField(
                slug_field="code",
                queryset=related.objects.all(),
                required=not field.null,
                allow_null=field.null,
            )
    geom_field = model._meta.get_field(layer.geometry_field)

    def validate_geometry(self, value):
        return clean_geometry(value, geom_field)

    attrs[f"validate_{layer.geometry_field}"] = validate_geometry
    meta = type(
        "Meta",
        (),
        {
            "model": model,
            "geo_field": layer.geometry_field,
            "fields": [*fields, layer.geometry_field],
        },
    )
    attrs["Meta"] = meta
    name = f"{model.__name__}FeatureSerializer"
    return type(name, (GeoFeatureModelSerializer,), attrs)
