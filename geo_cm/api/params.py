"""Query-parameter parsing for the feature API. Each parser raises ParamError with a sentence."""

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from .. import cql2
from ..crs import CRS84, OFFERED, Crs, crs_lookup
from ..queryables import FilterError, cql2_to_q, layer_queryables
from ..selectors import FeaturePage, SortKey


class ParamError(ValidationError):
    default_code = "InvalidParameterValue"

    def __init__(self, name, message):
        super().__init__({name: [message]})


@dataclass(frozen=True)
class ItemFilters:
    # (x min, y min, x max, y max) with x east, in bbox_srid (PostGIS order).
    bbox: tuple[float, float, float, float] | None = None
    bbox_srid: int = 4326
    datetime_range: tuple[dt.date | dt.datetime | None, dt.date | dt.datetime | None] | None = None
    statuses: tuple[str, ...] = ()
    subdistrict: str | None = None
    year: int | None = None


ITEM_PARAMS = {
    "bbox",
    "bbox-crs",
    "crs",
    "limit",
    "offset",
    "cursor",
    "datetime",
    "status",
    "subdistrict",
    "year",
    "filter",
    "filter-lang",
    "filter-crs",
    "sortby",
    "properties",
    "f",
}
FEATURE_PARAMS = {"crs", "properties", "f"}
# Metadata resources (landing page, conformance, collections, queryables) accept the item
# parameters' names too: GDAL before 3.7 repeats its connection URL's query on every request.
FILTER_LANGS = ("cql2-text", "cql2-json")


def reject_unknown(query, allowed):
    # ?lang= chooses the language of messages and titles everywhere (see the middleware).
    unknown = sorted(set(query) - set(allowed) - {"lang"})
    if unknown:
        raise ParamError(
            unknown[0],
            _("Unknown query parameter '%(name)s'. Allowed: %(allowed)s.")
            % {"name": unknown[0], "allowed": ", ".join(sorted(allowed))},
        )


def parse_format(query):
    value = query.get("f")
    if value not in (None, "json", "geojson", "application/geo+json", "application/json"):
        raise ParamError("f", _("Only JSON is offered (f=json)."))


def parse_crs(value: str | None, name: str) -> Crs:
    """A CRS from the offered list (URI, ``EPSG:4549`` or ``[EPSG:4549]``); CRS84 by default."""
    if value is None:
        return CRS84
    crs = crs_lookup(value)
    if crs is None:
        raise ParamError(
            name,
            _("Unsupported CRS '%(value)s'. Offered: %(offered)s.")
            % {"value": value[:200], "offered": ", ".join(c.uri for c in OFFERED)},
        )
    return crs


def parse_bbox(value: str | None, crs: Crs = CRS84):
    """A bbox in ``crs`` (its axis order; CRS84: ``minLon,minLat,maxLon,maxLat``).

    Returns (x min, y min, x max, y max) with x east, as PostGIS orders coordinates.
    Four numbers, or six with heights (the heights are ignored).
    """
    if value is None:
        return None
    parts = value.split(",")
    if len(parts) not in (4, 6):
        raise ParamError("bbox", _("bbox needs 4 numbers: minLon,minLat,maxLon,maxLat."))
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise ParamError("bbox", _("bbox values must be numbers.")) from None
    if any(math.isnan(n) or math.isinf(n) for n in nums):
        raise ParamError("bbox", _("bbox values must be finite numbers."))
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    if crs is CRS84:
        minx, miny, maxx, maxy = nums
        if not (
            -180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90
        ):
            raise ParamError(
                "bbox", _("bbox is out of range: longitude -180..180, latitude -90..90.")
            )
        if minx > maxx or miny > maxy:
            raise ParamError("bbox", _("bbox is reversed: give minLon,minLat,maxLon,maxLat."))
        return (minx, miny, maxx, maxy)
    if not (crs.contains(nums[0], nums[1]) and crs.contains(nums[2], nums[3])):
        raise ParamError(
            "bbox",
            _("bbox is outside the range of %(crs)s (axis order: %(order)s).")
            % {"crs": crs.curie, "order": _axis_order(crs)},
        )
    minx, miny = crs.to_xy(nums[0], nums[1])
    maxx, maxy = crs.to_xy(nums[2], nums[3])
    if minx > maxx or miny > maxy:
        raise ParamError(
            "bbox",
            _("bbox is reversed: give the lower corner first (axis order: %(order)s).")
            % {"order": _axis_order(crs)},
        )
    return (minx, miny, maxx, maxy)


def _axis_order(crs: Crs) -> str:
    if crs.srid in (4326, 4490):
        return _("latitude, longitude") if crs.north_first else _("longitude, latitude")
    return _("northing, easting") if crs.north_first else _("easting, northing")


def parse_limit(value: str | None):
    default = settings.GEOCM["API_DEFAULT_LIMIT"]
    maximum = settings.GEOCM["API_MAX_LIMIT"]
    if value is None:
        return default
    try:
        limit = int(value)
    except ValueError:
        raise ParamError("limit", _("limit must be a whole number.")) from None
    if limit < 1:
        raise ParamError("limit", _("limit must be at least 1."))
    # OGC API Features: a limit above the maximum is served as the maximum.
    return min(limit, maximum)


def parse_offset(value: str | None):
    if value is None:
        return 0
    try:
        offset = int(value)
    except ValueError:
        raise ParamError("offset", _("offset must be a whole number.")) from None
    if offset < 0:
        raise ParamError("offset", _("offset must not be negative."))
    return offset


def parse_cursor(value: str | None):
    """``cursor``: the id of the last feature of the previous page (the next link sets it)."""
    if value is None:
        return None
    if not value.isdigit() or not 0 <= int(value) < 2**63:
        raise ParamError(
            "cursor", _("cursor must be a feature id; follow the next link to page on.")
        )
    return int(value)


def _check_paging(*, offset: int, cursor: int | None, sort) -> None:
    """Keyset (cursor) pages follow the feature id; offsets are for shallow pages.

    A deep OFFSET makes PostgreSQL read and throw away every row before the page (seconds
    at a million rows), so in the default order offsets stop at ``API_MAX_OFFSET`` and the
    next links carry a cursor instead. Pages sorted with ``sortby`` keep offsets.
    """
    if cursor is not None and sort:
        raise ParamError(
            "cursor", _("cursor pages follow the feature id; do not combine with sortby.")
        )
    if cursor is not None and offset:
        raise ParamError("offset", _("Give either offset or cursor, not both."))
    maximum = settings.GEOCM["API_MAX_OFFSET"]
    if not sort and offset > maximum:
        raise ParamError(
            "offset",
            _("offset may be at most %(max)s; follow the next links (they carry a cursor).")
            % {"max": maximum},
        )


def _instant(text):
    if text in ("..", ""):
        return None
    value = parse_datetime(text) if "T" in text else parse_date(text)
    if value is None:
        raise ValueError(text)
    return value


def parse_datetime_range(value: str | None):
    """RFC 3339 date, date-time or interval (``start/end``, either end may be ``..``)."""
    if value is None:
        return None
    try:
        if "/" in value:
            start_text, end_text = value.split("/", 1)
            start, end = _instant(start_text), _instant(end_text)
            if start is None and end is None:
                raise ValueError(value)
        else:
            start = end = _instant(value)
            if start is None:
                raise ValueError(value)
    except ValueError:
        raise ParamError(
            "datetime",
            _(
                "datetime must be an RFC 3339 date, date-time or interval such as "
                "2023-01-01/2023-12-31 or 2023-06-01/.."
            ),
        ) from None
    if start and end and _as_date(start) > _as_date(end):
        raise ParamError("datetime", _("datetime interval ends before it starts."))
    return (start, end)


def _as_date(value):
    return value.date() if isinstance(value, dt.datetime) else value


def parse_statuses(value: str | None, layer):
    if value is None:
        return ()
    states = layer.status_machine.states
    wanted = tuple(v for v in value.split(",") if v)
    bad = [v for v in wanted if v not in states]
    if bad or not wanted:
        raise ParamError(
            "status",
            _("Unknown status '%(value)s'. Allowed values: %(values)s.")
            % {"value": ",".join(bad) or value, "values": ", ".join(states)},
        )
    return wanted


def parse_year(value: str | None, layer):
    if value is None:
        return None
    if layer.date_field is None:
        raise ParamError("year", _("This collection has no date to filter by year."))
    try:
        year = int(value)
    except ValueError:
        raise ParamError("year", _("year must be a four-digit year.")) from None
    if not 1900 <= year <= 2100:
        raise ParamError("year", _("year must be between 1900 and 2100."))
    return year


def require_readable(query, layer, readable) -> None:
    """Filters act only on properties the reader may read: ``datetime``/``year`` on the
    layer's date, ``status`` and ``subdistrict`` on theirs. Filtering on a property
    outside ``readable`` (``Layer.fields_for(user)``) is a 400, as asking for it is, so
    a hidden value cannot be recovered by searching for it."""
    acting_on = {
        "datetime": layer.date_field,
        "year": layer.date_field,
        "status": "status",
        "subdistrict": "subdistrict",
    }
    for param, field in acting_on.items():
        if query.get(param) is not None and field is not None and field not in readable:
            raise ParamError(
                param,
                _("%(param)s filters on %(field)s, which you may not read in this collection.")
                % {"param": param, "field": field},
            )


def parse_item_filters(query, layer, subdistrict_codes, *, readable=None) -> ItemFilters:
    """Parse and validate the item-list filters; unknown parameters are an error.

    ``readable``: the properties the reader may read (``Layer.fields_for(user)``); the
    public allow-list when not given. Filters on anything else are refused.
    """
    reject_unknown(query, ITEM_PARAMS)
    parse_format(query)
    bbox_crs = parse_crs(query.get("bbox-crs"), "bbox-crs")
    subdistrict = query.get("subdistrict")
    if subdistrict is not None and subdistrict not in subdistrict_codes:
        raise ParamError(
            "subdistrict", _("Unknown subdistrict code '%(code)s'.") % {"code": subdistrict}
        )
    if query.get("datetime") is not None and layer.date_field is None:
        raise ParamError("datetime", _("This collection has no date to filter on."))
    require_readable(query, layer, layer.public_fields if readable is None else readable)
    return ItemFilters(
        bbox=parse_bbox(query.get("bbox"), bbox_crs),
        bbox_srid=bbox_crs.srid,
        datetime_range=parse_datetime_range(query.get("datetime")),
        statuses=parse_statuses(query.get("status"), layer),
        subdistrict=subdistrict,
        year=parse_year(query.get("year"), layer),
    )


def parse_filter(query, queryables):
    """``filter`` (+ ``filter-lang``, ``filter-crs``) as a compiled Q, or None."""
    text = query.get("filter")
    lang = query.get("filter-lang", "cql2-text")
    if lang not in FILTER_LANGS:
        raise ParamError(
            "filter-lang",
            _("Unsupported filter language '%(lang)s'. Offered: %(langs)s.")
            % {"lang": lang[:50], "langs": ", ".join(FILTER_LANGS)},
        )
    crs = parse_crs(query.get("filter-crs"), "filter-crs")
    if text is None:
        for name in ("filter-lang", "filter-crs"):
            if name in query:
                raise ParamError(name, _("%(name)s needs a filter.") % {"name": name})
        return None
    try:
        tree = cql2.parse_text(text) if lang == "cql2-text" else cql2.parse_json(text)
        return cql2_to_q(tree=tree, queryables=queryables, crs=crs)
    except (cql2.CqlError, FilterError) as exc:
        raise ParamError("filter", str(exc)) from None


def parse_sortby(value: str | None, queryables) -> tuple[SortKey, ...]:
    """``sortby=name,-completed_on`` (``+`` or nothing: ascending; ``-``: descending)."""
    if value is None:
        return ()
    keys = []
    for raw in value.split(","):
        # A literal "+" arrives as a space when the client did not encode it.
        item = raw.strip()
        descending = item.startswith("-")
        name = item.lstrip("+-").strip()
        q = queryables.get(name)
        if q is None or q.kind == "geometry":
            raise ParamError(
                "sortby",
                _("Cannot sort by '%(name)s'. Sortable properties: %(names)s.")
                % {
                    "name": name[:100],
                    "names": ", ".join(n for n, q in queryables.items() if q.kind != "geometry"),
                },
            )
        if any(k.name == name for k in keys):
            raise ParamError("sortby", _("'%(name)s' appears twice in sortby.") % {"name": name})
        keys.append(SortKey(name, descending))
    return tuple(keys)


def parse_properties(value: str | None, readable) -> tuple[str, ...] | None:
    """``properties=name,status``: the properties to return (all readable when absent)."""
    if value is None:
        return None
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    unknown = [n for n in names if n not in readable]
    if unknown:
        raise ParamError(
            "properties",
            _("Unknown property '%(name)s'. Properties: %(names)s.")
            % {"name": unknown[0][:100], "names": ", ".join(readable)},
        )
    return names


def parse_feature_page(query, *, layer, user, subdistrict_codes) -> FeaturePage:
    """Everything ``GET /collections/{id}/items`` accepts, as a checked FeaturePage."""
    filters = parse_item_filters(query, layer, subdistrict_codes, readable=layer.fields_for(user))
    queryables = layer_queryables(layer=layer, user=user)
    sort = parse_sortby(query.get("sortby"), queryables)
    offset = parse_offset(query.get("offset"))
    cursor = parse_cursor(query.get("cursor"))
    _check_paging(offset=offset, cursor=cursor, sort=sort)
    return FeaturePage(
        filters=filters,
        where=parse_filter(query, queryables),
        sort=sort,
        properties=parse_properties(query.get("properties"), layer.fields_for(user)),
        crs=parse_crs(query.get("crs"), "crs"),
        limit=parse_limit(query.get("limit")),
        offset=offset,
        cursor=cursor,
    )


def parse_point(value: str | None, name: str):
    """``lon,lat`` in WGS84 degrees as a Point (EPSG:4326), or None."""
    from django.contrib.gis.geos import Point

    if value is None:
        return None
    parts = value.split(",")
    try:
        lon, lat = (float(p) for p in parts)
    except ValueError:
        raise ParamError(name, _("%(name)s must be lon,lat in degrees.") % {"name": name}) from None
    if any(math.isnan(v) or math.isinf(v) for v in (lon, lat)) or not (
        -180 <= lon <= 180 and -90 <= lat <= 90
    ):
        raise ParamError(
            name,
            _("%(name)s is out of range: longitude -180..180, latitude -90..90.") % {"name": name},
        )
    return Point(lon, lat, srid=4326)


def parse_id(value: str) -> int:
    """A feature id from a URL: a positive 64-bit integer (anything else is not found)."""
    if not value.isdigit() or not 0 < int(value) < 2**63:
        raise ValueError(value)
    return int(value)
