"""Vector tiles of every registered layer (OGC API – Tiles, Mapbox Vector Tiles from PostGIS).

``tms``: the WebMercatorQuad tile matrix set (its arithmetic and its JSON document).
``selectors``: the tile built by ``ST_AsMVT`` in one statement, points aggregated into
grid clusters where a tile would hold too many; the per-layer data version.
``views``/``urls``: the OGC API – Tiles resources under ``/ogc/``, with ETags from the data
version, so an unchanged tile is a 304 and a proxy may keep public tiles.
The version is bumped by a receiver of ``geo_cm.assets.assets_changed`` (``apps``), so
every asset write, whichever path it takes, invalidates the layer's tiles.
"""
