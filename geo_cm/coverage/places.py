"""Where a proposed site is, in words a planner can act on: its subdistrict and nearest road.

No geocoder is available offline, so "where" is what the platform itself knows: the
subdistrict holding the point and the nearest named road of the network layer
(``GEOCM["NETWORK_LAYER"]``) within ``NEAR_ROAD_M`` metres.
"""

from django.conf import settings
from django.db import connection

from ..models import Subdistrict
from ..registry import registry

NEAR_ROAD_M = 300.0


def sites_place(*, sites: list[dict]) -> list[dict]:
    """``sites`` (dicts with ``lon``/``lat`` in EPSG:4326 degrees) with their place added.

    Adds ``subdistrict`` (code or None), ``subdistrict_name``, ``subdistrict_name_en``,
    ``near_road`` (the nearest named road within ``NEAR_ROAD_M`` metres, or None) and
    ``near_road_m`` (its geodesic distance in metres). One query for all the sites.
    """
    if not sites:
        return sites
    roads = registry.get(settings.GEOCM.get("NETWORK_LAYER", "roads"))
    road_fields = {f.name for f in roads.model._meta.fields} if roads else set()
    road_join = "LEFT JOIN LATERAL (SELECT NULL::text AS name, NULL::float8 AS d) r ON true"
    params: list = [
        list(range(len(sites))),
        [float(s["lon"]) for s in sites],
        [float(s["lat"]) for s in sites],
    ]
    if roads is not None and "name" in road_fields:
        table = roads.model._meta.db_table
        column = roads.model._meta.get_field(roads.geometry_field).column
        # Only identifiers from the registry's models are spliced in; values are parameters.
        road_join = (
            "LEFT JOIN LATERAL (SELECT t.name, "
            f"ST_Distance(t.{column}::geography, p.pt::geography) AS d FROM {table} t "
            f"WHERE t.name <> '' AND ST_DWithin(t.{column}::geography, p.pt::geography, %s) "
            f"ORDER BY t.{column} <-> p.pt LIMIT 1) r ON true"
        )
        params.append(NEAR_ROAD_M)
    sql = (
        "WITH p AS (SELECT i, ST_SetSRID(ST_MakePoint(x, y), 4326) AS pt "
        "FROM unnest(%s::int[], %s::float8[], %s::float8[]) AS u(i, x, y)) "
        "SELECT p.i, sd.code, sd.name, sd.name_en, r.name, r.d FROM p "
        "LEFT JOIN LATERAL (SELECT code, name, name_en FROM "
        f"{Subdistrict._meta.db_table} s WHERE ST_Covers(s.geom, p.pt) ORDER BY s.id LIMIT 1) "
        f"sd ON true {road_join} ORDER BY p.i"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = []
    for (_, code, name, name_en, road, distance), site in zip(rows, sites, strict=True):
        out.append(
            {
                **site,
                "subdistrict": code,
                "subdistrict_name": name,
                "subdistrict_name_en": name_en or None,
                "near_road": road,
                "near_road_m": round(distance) if distance is not None else None,
            }
        )
    return out
