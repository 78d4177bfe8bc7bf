"""OGC API – Tiles requirements, walked by tests/ogc/test_conformance.py with its ``api``.

Each check names the requirements (paths in the standard's requirements classes) and
runs them against the four toilets of the conformance fixture.
"""

import mapbox_vector_tile

from geo_cm.tiles import tms

T1 = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/"
MVT = "application/vnd.mapbox-vector-tile"
BASE = "/ogc/collections/toilets/tiles"


def _tile(api, z, lon, lat, client=None):
    row, col = tms.lonlat_to_tile(lon, lat, z)
    return api.get(f"{BASE}/WebMercatorQuad/{z}/{row}/{col}", client)


def core(api):
    # /req/core/tc-op, tc-success: a tile by tileMatrix/tileRow/tileCol, 200 with the tile.
    response = _tile(api, 14, 118.61, 32.02)
    assert response.status_code == 200 and response["Content-Type"] == MVT
    # /req/core/tc-error: a row or column off the matrix is a 404, a malformed one a 400.
    assert api.get(f"{BASE}/WebMercatorQuad/2/4/0").status_code == 404
    assert api.get(f"{BASE}/WebMercatorQuad/2/x/0").status_code == 400
    # /req/core/tc-success (empty tile): a tile with no data is 200 with an empty body.
    empty = api.get(f"{BASE}/WebMercatorQuad/2/0/0")
    assert empty.status_code == 200 and empty.content == b""


def tileset(api):
    # /req/tileset/tileset-success: metadata with dataType, crs, tileMatrixSetURI, the
    # tile URI template (rel item, templated) and the tiling-scheme link.
    meta = api.ok(f"{BASE}/WebMercatorQuad").json()
    assert meta["dataType"] == "vector" and meta["crs"] == tms.CRS
    assert meta["tileMatrixSetURI"] == tms.URI
    rels = {link["rel"]: link for link in meta["links"]}
    assert rels["item"]["templated"] and "{tileMatrix}/{tileRow}/{tileCol}" in rels["item"]["href"]
    assert rels["http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"]["href"].endswith(
        "/tileMatrixSets/WebMercatorQuad"
    )
    limits = meta["tileMatrixSetLimits"]
    assert limits[3] == {
        "tileMatrix": "3",
        "minTileRow": 0,
        "maxTileRow": 7,
        "minTileCol": 0,
        "maxTileCol": 7,
    }


def tilesets_list(api):
    # /req/tilesets-list/tilesets-list-success: the list, each with a self link and TMS URI.
    body = api.ok(BASE).json()
    [entry] = body["tilesets"]
    assert entry["tileMatrixSetURI"] == tms.URI and entry["dataType"] == "vector"
    assert any(link["rel"] == "self" for link in entry["links"])


def geodata_tilesets(api):
    # /req/geodata-tilesets/op, tilesets-list-success: /collections/{id}/tiles, linked from
    # the collection with rel tilesets-vector; a collection the caller cannot read is 404.
    collection = api.ok("/ogc/collections/toilets").json()
    rel = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
    assert any(link["rel"] == rel for link in collection["links"])
    assert api.get("/ogc/collections/parking-berths/tiles").status_code == 404
    assert api.get("/ogc/collections/parking-berths/tiles", api.staff).status_code == 200


def mvt(api):
    # /req/mvt/mvt-content: the tile is a Mapbox Vector Tile with one layer per collection;
    # the features are the collection's, with their id.
    response = _tile(api, 14, 118.61, 32.02)
    decoded = mapbox_vector_tile.decode(response.content)
    [feature] = decoded["toilets"]["features"]
    assert feature["id"] == api.pks["GC-1"] and feature["properties"]["code"] == "GC-1"


TILES_CHECKLIST = {
    T1 + "core": [("/req/core/tc-op, tc-success, tc-error", core)],
    T1 + "tileset": [("/req/tileset/tileset-success", tileset)],
    T1 + "tilesets-list": [("/req/tilesets-list/tilesets-list-success", tilesets_list)],
    T1 + "geodata-tilesets": [
        ("/req/geodata-tilesets/op, tilesets-list-success", geodata_tilesets)
    ],
    T1 + "mvt": [("/req/mvt/mvt-content", mvt)],
}
