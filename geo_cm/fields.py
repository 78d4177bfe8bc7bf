"""Field helpers shared by the domain apps."""

from django.db import models
from django.db.models import F, Func


def geodesic_length_field(geometry_field: str = "geom", **kwargs) -> models.GeneratedField:
    """Length in metres on the WGS84 ellipsoid, computed by PostGIS from the geometry.

    A stored generated column: the database keeps it equal to
    ``ST_Length(geom::geography)``, so nobody can type a length in.
    """
    expression = Func(
        F(geometry_field),
        template="ST_Length(%(expressions)s::geography)",
        output_field=models.FloatField(),
    )
    return models.GeneratedField(
        expression=expression, output_field=models.FloatField(), db_persist=True, **kwargs
    )
