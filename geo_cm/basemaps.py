"""Basemaps chosen by settings.GEOCM["BASEMAP"]: one table, read by every map."""

from django.conf import settings

BASEMAPS = {
    "osm": {
        "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attribution": "&copy; OpenStreetMap contributors",
        "maxZoom": 19,
    },
    "tianditu": {
        # Tianditu vector basemap + Chinese labels, web-Mercator tiles, needs a key.
        "url": "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}"
        "&TILEROW={y}&TILECOL={x}&tk={key}",
        "labels": "https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
        "&VERSION=1.0.0&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
        "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}",
        "subdomains": "01234567",
        "attribution": "&copy; 天地图",
        "maxZoom": 18,
    },
    "none": None,
}


def basemap_config():
    """The configured basemap for Leaflet, or None for an offline map."""
    name = settings.GEOCM["BASEMAP"]
    config = BASEMAPS.get(name)
    if config is None:
        return None
    config = dict(config)
    key = settings.GEOCM["TIANDITU_KEY"]
    for part in ("url", "labels"):
        if part in config:
            config[part] = config[part].replace("{key}", key)
    return config


def leaflet_tiles():
    """The basemap as django-leaflet's TILES setting (used by the admin map widgets)."""
    config = basemap_config()
    if config is None:
        return []
    attrs = {"attribution": config["attribution"], "maxZoom": config["maxZoom"]}
    if "subdomains" in config:
        attrs["subdomains"] = config["subdomains"]
    tiles = [("basemap", config["url"], attrs)]
    if "labels" in config:
        tiles.append(("labels", config["labels"], attrs))
    return tiles
