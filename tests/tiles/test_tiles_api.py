"""OGC API – Tiles on the real PostGIS: tiles decoded, field split, caching, invalidation."""

import datetime as dt

import mapbox_vector_tile
import pytest
from django.core.cache import cache

from geo_cm import services
from geo_cm.tiles import tms
from streets.models import StreetLight
from tests import factories

pytestmark = pytest.mark.django_db

TILE = "/ogc/collections/{layer}/tiles/WebMercatorQuad/{z}/{row}/{col}"


@pytest.fixture(autouse=True)
def fresh_cache():
    # Tiles are cached under their ETag, which names the data version: tests start clean
    # so a tile cached by an earlier test never answers (each test's database is new).
    cache.clear()
    yield
    cache.clear()


def tile_url(layer, lon, lat, z, query=""):
    row, col = tms.lonlat_to_tile(lon, lat, z)
    url = TILE.format(layer=layer, z=z, row=row, col=col)
    return url + (f"?{query}" if query else "")


def decode(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(response.content)


def features(response, layer):
    return decode(response).get(layer, {"features": []})["features"]


def expected_position(lon, lat, z):
    """Where a WGS84 point falls in its tile, in MVT units (y down from the top edge)."""
    row, col = tms.lonlat_to_tile(lon, lat, z)
    xmin, ymin, xmax, ymax = tms.tile_bounds_3857(z, row, col)
    import math

    x = lon / 180.0 * tms.HALF
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * 6378137.0
    return ((x - xmin) / (xmax - xmin) * 4096, (ymax - y) / (ymax - ymin) * 4096)


def test_a_tile_holds_the_features_where_they_are(anon_client, areas):
    toilet = factories.toilet("GC-1", lon=118.62, lat=32.05)
    factories.toilet("GC-FAR", lon=118.69, lat=32.09)  # another z15 tile
    response = anon_client.get(tile_url("toilets", 118.62, 32.05, 15))
    layer = decode(response)["toilets"]
    assert layer["extent"] == 4096
    [feature] = layer["features"]
    assert feature["id"] == toilet.pk and feature["properties"]["id"] == toilet.pk
    assert feature["properties"]["code"] == "GC-1" and feature["properties"]["status"] == "open"
    # mapbox_vector_tile flips y by default (y up); compare in its convention.
    x, y = feature["geometry"]["coordinates"]
    ex, ey = expected_position(118.62, 32.05, 15)
    assert abs(x - ex) <= 1 and abs((4096 - y) - ey) <= 1
    assert response["X-Tile-Features"] == "1"


def test_lines_and_polygons_are_tiled_too(anon_client, gis_client, areas):
    factories.road("DL-1", coords=((118.61, 32.05), (118.64, 32.05)))
    [road] = features(anon_client.get(tile_url("roads", 118.62, 32.05, 13)), "roads")
    assert road["geometry"]["type"] == "LineString" and road["properties"]["code"] == "DL-1"
    # The subdistrict outline is no layer, but population cells are polygons (staff only).
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from geo_cm.coverage.models import PopulationArea

    services.asset_create(
        model=PopulationArea,
        values={
            "code": "RK-1",
            "kind": "grid",
            "population": 120,
            "geom": MultiPolygon(Polygon.from_bbox((118.62, 32.05, 118.625, 32.055)), srid=4326),
        },
        source="test",
    )
    [cell] = features(gis_client.get(tile_url("population", 118.622, 32.052, 14)), "population")
    assert cell["geometry"]["type"] == "Polygon" and cell["properties"]["population"] == 120


def test_anonymous_tiles_carry_the_public_fields_only(anon_client, gis_client, areas):
    factories.toilet("GC-1", lon=118.62, lat=32.05, manager_phone="13900000000")
    url = tile_url("toilets", 118.62, 32.05, 14)
    [public] = features(anon_client.get(url), "toilets")
    [staff] = features(gis_client.get(url), "toilets")
    from geo_cm.registry import registry

    layer = registry.get("toilets")
    assert set(public["properties"]) <= {"id", *layer.public_fields}
    assert "manager_phone" not in public["properties"]
    assert staff["properties"]["manager_phone"] == "13900000000"
    # properties= narrows the tile, as it narrows the items; a staff field is refused.
    [narrow] = features(anon_client.get(url + "?properties=status"), "toilets")
    assert set(narrow["properties"]) == {"id", "status"}
    refused = anon_client.get(url + "?properties=manager_phone")
    assert refused.status_code == 400 and "properties" in refused.json()["errors"]


def test_staff_layers_are_not_found_for_the_public(anon_client, gis_client, areas):
    factories.facility("TC-1")
    url = tile_url("parking-berths", 118.68, 32.05, 14)
    for path in (url, "/ogc/collections/parking-berths/tiles"):
        response = anon_client.get(path)
        assert response.status_code == 404 and response.json()["code"] == "NotFound"
    assert gis_client.get(url).status_code == 200


def test_filters_apply_to_tiles(anon_client, areas):
    factories.toilet("GC-OPEN", lon=118.620, lat=32.050)
    factories.toilet("GC-SHUT", lon=118.621, lat=32.050, status="closed_for_repair")
    url = tile_url("toilets", 118.62, 32.05, 14)
    codes = {f["properties"]["code"] for f in features(anon_client.get(url), "toilets")}
    assert codes == {"GC-OPEN", "GC-SHUT"}
    shut = features(anon_client.get(url + "?status=closed_for_repair"), "toilets")
    assert [f["properties"]["code"] for f in shut] == ["GC-SHUT"]
    cql = features(anon_client.get(url, {"filter": "code = 'GC-OPEN'"}), "toilets")
    assert [f["properties"]["code"] for f in cql] == ["GC-OPEN"]
    west = features(anon_client.get(url + "?subdistrict=320111004000"), "toilets")
    assert len(west) == 2
    bad = anon_client.get(url + "?status=exploded")
    assert bad.status_code == 400 and "status" in bad.json()["errors"]


def test_an_empty_tile_is_an_empty_answer(anon_client, areas):
    response = anon_client.get(tile_url("toilets", 100.0, 10.0, 12))
    assert response.status_code == 200 and response.content == b""


def test_unchanged_tiles_are_304_and_public_ones_cacheable(anon_client, gis_client, areas):
    factories.toilet("GC-1")
    url = tile_url("toilets", 118.62, 32.05, 14)
    first = anon_client.get(url)
    etag = first["ETag"]
    assert etag.startswith('"') and first["Cache-Control"] == "public, no-cache"
    assert "Cookie" in first["Vary"] and "Authorization" in first["Vary"]
    again = anon_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    # A weakened tag (a compressing proxy) still matches; another tag does not.
    assert anon_client.get(url, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    assert anon_client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    # Staff tiles: private, with their own tag (another audience, other bytes).
    staff = gis_client.get(url)
    assert staff["Cache-Control"] == "private, no-cache" and staff["ETag"] != etag
    assert gis_client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200
    # Another query is another tag.
    assert anon_client.get(url + "?status=open")["ETag"] != etag


def test_an_edit_invalidates_the_layers_tiles(anon_client, gis_client, areas):
    toilet = factories.toilet("GC-1", lon=118.62, lat=32.05)
    url = tile_url("toilets", 118.62, 32.05, 14)
    first = anon_client.get(url)
    [before] = features(first, "toilets")
    assert before["properties"]["status"] == "open"
    patched = gis_client.patch(
        f"/ogc/collections/toilets/items/{toilet.pk}",
        {"properties": {"status": "closed_for_repair"}},
        format="json",
    )
    assert patched.status_code == 200, patched.content
    after = anon_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and after["ETag"] != first["ETag"]
    [feature] = features(after, "toilets")
    assert feature["properties"]["status"] == "closed_for_repair"
    # A change to another layer leaves these tiles' tag alone.
    factories.road("DL-1")
    assert anon_client.get(url, HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 304


def test_deleting_and_bulk_writes_invalidate_too(anon_client, areas):
    light = factories.light("LD-1", lon=118.62, lat=32.05)
    url = tile_url("street-lights", 118.62, 32.05, 14)
    etag = anon_client.get(url)["ETag"]
    services.asset_delete(asset=light, by=None, note="removed")
    response = anon_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and features(response, "street-lights") == []
    from django.contrib.gis.geos import Point

    from geo_cm.assets import assets_bulk_create

    assets_bulk_create(
        model=StreetLight,
        rows=[StreetLight(code=f"LD-B{i}", geom=Point(118.62 + i * 1e-4, 32.05)) for i in range(3)],
        source="test",
    )
    bulk = anon_client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert bulk.status_code == 200 and len(features(bulk, "street-lights")) == 3


def test_a_roads_rename_invalidates_the_lights_that_show_it(gis_client, areas):
    road = factories.road("DL-1")
    factories.light("LD-1", lon=118.62, lat=32.05, road=road)
    url = tile_url("street-lights", 118.62, 32.05, 14)
    first = gis_client.get(url)
    [light] = features(first, "street-lights")
    assert light["properties"]["road"] == "DL-1"
    services.asset_update(asset=road, values={"code": "DL-9"}, by=None)
    again = gis_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert features(again, "street-lights")[0]["properties"]["road"] == "DL-9"


@pytest.mark.parametrize(
    "path,status,field,words",
    [
        ("x/1/1", 400, "tileMatrix", "whole number"),
        ("3/-1/1", 400, "tileRow", "whole number"),
        ("3/1/1.5", 400, "tileCol", "whole number"),
        ("3/8/1", 404, None, "tileRow 8 is outside tile matrix 3 (0 to 7)"),
        ("3/1/8", 404, None, "tileCol 8 is outside tile matrix 3"),
        ("23/1/1", 404, None, "zoom 0 to 22"),
    ],
)
def test_bad_tile_addresses_say_what_is_wrong(anon_client, areas, path, status, field, words):
    response = anon_client.get(f"/ogc/collections/toilets/tiles/WebMercatorQuad/{path}?lang=en")
    assert response.status_code == status
    body = response.json()
    assert words in body["description"], body
    if field:
        assert body["code"] == "InvalidParameterValue" and field in body["errors"]


def test_unknown_things_are_refused_by_name(anon_client, areas):
    base = "/ogc/collections/toilets/tiles"
    assert anon_client.get(f"{base}/WorldCRS84Quad/1/1/1").status_code == 404
    assert anon_client.get("/ogc/collections/nothing/tiles/WebMercatorQuad/1/1/1").status_code == (
        404
    )
    unknown = anon_client.get(f"{base}/WebMercatorQuad/1/1/1?limit=5")
    assert unknown.status_code == 400 and "limit" in unknown.json()["errors"]
    fmt = anon_client.get(f"{base}/WebMercatorQuad/1/1/1?f=png")
    assert fmt.status_code == 400 and "f" in fmt.json()["errors"]


def test_points_are_clustered_where_a_tile_holds_too_many(anon_client, areas, settings):
    settings.GEOCM = {**settings.GEOCM, "TILE_MAX_POINTS": 20}
    from django.contrib.gis.geos import Point

    from geo_cm.assets import assets_bulk_create

    # 60 lights in a 6 x 10 block around 118.62, 32.05 (about 10 m apart), one far away.
    rows = [
        StreetLight(
            code=f"LD-{i}",
            status="fault" if i % 6 == 0 else "working",
            geom=Point(118.62 + (i % 6) * 1e-4, 32.05 + (i // 6) * 1e-4),
        )
        for i in range(60)
    ]
    rows.append(StreetLight(code="LD-FAR", geom=Point(118.66, 32.08)))
    assets_bulk_create(model=StreetLight, rows=rows, source="test")
    z = 10
    response = anon_client.get(tile_url("street-lights", 118.62, 32.05, z))
    assert response["X-Tile-Clustered"] == "1"
    clusters = features(response, "street-lights")
    inside = [
        f
        for f in clusters
        if 0 <= f["geometry"]["coordinates"][0] < 4096
        and 0 <= f["geometry"]["coordinates"][1] < 4096
    ]
    # Every light of the tile counted once; per-status counts add up.
    assert sum(f["properties"]["count"] for f in inside) == 61
    big = max(inside, key=lambda f: f["properties"]["count"])
    assert big["properties"]["count"] == 60
    assert big["properties"]["n_fault"] == 10 and big["properties"]["n_working"] == 50
    assert "id" not in big["properties"]
    # A cell holding one light keeps its id (the popup fetches it).
    [alone] = [f for f in inside if f["properties"]["count"] == 1]
    assert alone["properties"]["id"] == StreetLight.objects.get(code="LD-FAR").pk
    # Zoomed in (under the limit), the lights themselves.
    near = anon_client.get(tile_url("street-lights", 118.6203, 32.0505, 17))
    assert near["X-Tile-Clustered"] == "0" and len(features(near, "street-lights")) == 60


def test_no_tile_of_many_points_is_large(anon_client, areas, settings):
    """5,000 points in one small square: every tile stays small, zoomed in or out."""
    settings.GEOCM = {**settings.GEOCM, "TILE_MAX_POINTS": 1000}
    from django.contrib.gis.geos import Point

    from geo_cm.assets import assets_bulk_create

    rows = [
        StreetLight(
            code=f"LD-{i}", geom=Point(118.62 + (i % 100) * 2e-5, 32.05 + (i // 100) * 2e-5)
        )
        for i in range(5000)
    ]
    assets_bulk_create(model=StreetLight, rows=rows, source="test")
    for z in (8, 11, 14, 16):
        response = anon_client.get(tile_url("street-lights", 118.621, 32.0505, z))
        assert response["X-Tile-Clustered"] == "1", z
        assert len(response.content) < 20_000, (z, len(response.content))
        total = sum(f["properties"]["count"] for f in features(response, "street-lights"))
        assert total >= 5000  # the ring of neighbouring cells may repeat some


def test_tileset_metadata_tilejson_and_matrix_set(anon_client, areas):
    factories.toilet("GC-1", lon=118.62, lat=32.05)
    factories.toilet("GC-2", lon=118.66, lat=32.08)
    listing = anon_client.get("/ogc/collections/toilets/tiles").json()
    [tileset] = listing["tilesets"]
    assert tileset["dataType"] == "vector" and tileset["tileMatrixSetURI"] == tms.URI
    meta_url = next(link["href"] for link in tileset["links"] if link["rel"] == "self")
    meta = anon_client.get(meta_url).json()
    template = next(link for link in meta["links"] if link["rel"] == "item")
    assert template["type"] == "application/vnd.mapbox-vector-tile" and template["templated"]
    assert template["href"].endswith(
        "/toilets/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}"
    )
    assert meta["layers"][0]["id"] == "toilets" and meta["layers"][0]["geometryDimension"] == 0
    props = meta["layers"][0]["propertiesSchema"]["properties"]
    assert "code" in props and "manager_phone" not in props
    assert meta["boundingBox"]["lowerLeft"] == [118.62, 32.05]
    tilejson = anon_client.get(meta_url + "?f=tilejson")
    assert tilejson["Content-Type"].startswith("application/vnd.mapbox.tile+json")
    body = tilejson.json()
    assert body["tilejson"] == "3.0.0" and body["bounds"] == [118.62, 32.05, 118.66, 32.08]
    assert body["tiles"][0].endswith("/ogc/collections/toilets/tiles/WebMercatorQuad/{z}/{y}/{x}")
    assert body["vector_layers"][0]["id"] == "toilets"
    # The template leads to the tile the point is in.
    row, col = tms.lonlat_to_tile(118.62, 32.05, 14)
    url = body["tiles"][0].replace("{z}", "14").replace("{y}", str(row)).replace("{x}", str(col))
    assert [f["properties"]["code"] for f in features(anon_client.get(url), "toilets")] == ["GC-1"]
    matrix_set = anon_client.get("/ogc/tileMatrixSets/WebMercatorQuad").json()
    assert matrix_set["uri"] == tms.URI and matrix_set["tileMatrices"][3]["matrixWidth"] == 8
    assert matrix_set["tileMatrices"][0]["pointOfOrigin"] == [-tms.HALF, tms.HALF]


def test_the_collection_and_landing_page_link_the_tiles(anon_client, areas):
    collection = anon_client.get("/ogc/collections/toilets").json()
    rel = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
    [link] = [link for link in collection["links"] if link["rel"] == rel]
    assert anon_client.get(link["href"]).status_code == 200
    landing = anon_client.get("/ogc/").json()
    schemes = [link for link in landing["links"] if link["rel"].endswith("/tiling-schemes")]
    assert anon_client.get(schemes[0]["href"]).json()["tileMatrixSets"][0]["id"] == tms.ID


def test_date_properties_arrive_as_text(gis_client, areas):
    factories.toilet("GC-1", lon=118.62, lat=32.05, completed_on=dt.date(2023, 3, 1))
    [toilet] = features(gis_client.get(tile_url("toilets", 118.62, 32.05, 14)), "toilets")
    assert toilet["properties"]["completed_on"] == "2023-03-01"
