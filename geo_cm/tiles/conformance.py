"""What the tiles declare in /ogc/conformance and link from the feature API's documents.

Kept free of imports so ``geo_cm.api.ogc`` can read it without a cycle (the tile views
build on the feature API's views).
"""

T1 = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/"
TILES_CONFORMANCE = [
    T1 + "core",
    T1 + "tileset",
    T1 + "tilesets-list",
    T1 + "geodata-tilesets",
    T1 + "mvt",
]
TILESETS_VECTOR_REL = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
TILING_SCHEMES_REL = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
