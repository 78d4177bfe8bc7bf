"""The coordinate reference systems an import may declare, and how a .prj is recognised.

GDAL < 3.9 cannot block file or network access from a CRS definition (gis.W001), so no
user-supplied string (a .prj, ``--crs``, a GeoJSON ``crs`` member) is ever handed to GDAL
or PROJ. A ``.prj`` is parsed here as text and *matched* against the allow-list below by
its datum, projection, central meridian and false easting; only the matched EPSG integer
reaches pyproj. Anything else is refused with a sentence saying what was found.

Pukou straddles the 117°E and 120°E 3-degree Gauss–Krüger zones (EPSG:4547 is 114°E and
wrong for Nanjing), so both zones are allowed, with and without the zone-number prefix on
eastings (4527/4528 write 39xxxxxx/40xxxxxx).
"""

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from django.utils.translation import gettext as _


class CRSError(ValueError):
    """The coordinate system is missing, not recognised or not allowed."""


@dataclass(frozen=True)
class AllowedCRS:
    epsg: int
    datum: str  # "wgs84", "cgcs2000", "xian80", "beijing54"
    central_meridian: float | None = None  # degrees east; None for geographic
    false_easting: float = 0.0  # metres
    title: str = ""

    @property
    def geographic(self) -> bool:
        return self.central_meridian is None

    @property
    def warning(self) -> str:
        """A caution shown with every import in this CRS (empty when there is none)."""
        if self.datum in ("xian80", "beijing54"):
            return _(
                "%(title)s has no official datum shift to WGS84: coordinates are converted "
                "without one and may be off by tens of metres."
            ) % {"title": self.title}
        return ""


ALLOWED = {
    c.epsg: c
    for c in (
        AllowedCRS(4326, "wgs84", title="WGS 84"),
        AllowedCRS(4490, "cgcs2000", title="CGCS2000"),
        AllowedCRS(4548, "cgcs2000", 117.0, 500000.0, "CGCS2000 / 3-degree GK CM 117E"),
        AllowedCRS(4549, "cgcs2000", 120.0, 500000.0, "CGCS2000 / 3-degree GK CM 120E"),
        AllowedCRS(4527, "cgcs2000", 117.0, 39500000.0, "CGCS2000 / 3-degree GK zone 39"),
        AllowedCRS(4528, "cgcs2000", 120.0, 40500000.0, "CGCS2000 / 3-degree GK zone 40"),
        AllowedCRS(4610, "xian80", title="Xian 1980"),
        AllowedCRS(2384, "xian80", 117.0, 500000.0, "Xian 1980 / 3-degree GK CM 117E"),
        AllowedCRS(2385, "xian80", 120.0, 500000.0, "Xian 1980 / 3-degree GK CM 120E"),
        AllowedCRS(2363, "xian80", 117.0, 39500000.0, "Xian 1980 / 3-degree GK zone 39"),
        AllowedCRS(2364, "xian80", 120.0, 40500000.0, "Xian 1980 / 3-degree GK zone 40"),
        AllowedCRS(4214, "beijing54", title="Beijing 1954"),
        AllowedCRS(2436, "beijing54", 117.0, 500000.0, "Beijing 1954 / 3-degree GK CM 117E"),
        AllowedCRS(2437, "beijing54", 120.0, 500000.0, "Beijing 1954 / 3-degree GK CM 120E"),
        AllowedCRS(2415, "beijing54", 117.0, 39500000.0, "Beijing 1954 / 3-degree GK zone 39"),
        AllowedCRS(2416, "beijing54", 120.0, 40500000.0, "Beijing 1954 / 3-degree GK zone 40"),
    )
}

# Words users type for a CRS (``--crs cgcs2000``) -> EPSG. Everything else must be a number.
NAMES = {"wgs84": 4326, "crs84": 4326, "cgcs2000": 4490, "xian80": 4610, "beijing54": 4214}

# Semi-major axis (m) and inverse flattening of each datum's ellipsoid: an ESRI .prj names
# datums inconsistently, the ellipsoid numbers are what identifies them.
_ELLIPSOIDS = {
    "cgcs2000": (6378137.0, 298.257222101),
    "wgs84": (6378137.0, 298.257223563),
    "xian80": (6378140.0, 298.257),
    "beijing54": (6378245.0, 298.3),
}


def crs_from_user(value: str | int) -> AllowedCRS:
    """The allowed CRS for a user's ``--crs`` value ("4549", "EPSG:4549", "cgcs2000")."""
    text = str(value).strip().lower().replace(" ", "").replace("-", "")
    text = NAMES.get(text, text)
    match = re.fullmatch(r"(?:epsg:+)?(\d{4,5})", str(text))
    epsg = int(match.group(1)) if match else None
    if epsg not in ALLOWED:
        raise CRSError(
            _("The coordinate system %(value)s is not one GeoCM accepts; use one of %(codes)s.")
            % {"value": str(value)[:40], "codes": allowed_list_text()}
        )
    return ALLOWED[epsg]


def allowed_list_text() -> str:
    return ", ".join(f"EPSG:{c.epsg}" for c in ALLOWED.values())


def _wkt_numbers(wkt: str, keyword: str) -> list[float]:
    pattern = rf'{keyword}\[\s*"[^"]*"\s*,\s*([-+0-9.eE]+)(?:\s*,\s*([-+0-9.eE]+))?'
    found = re.search(pattern, wkt, flags=re.IGNORECASE)
    if not found:
        return []
    return [float(g) for g in found.groups() if g is not None]


def _wkt_parameter(wkt: str, name: str) -> float | None:
    found = re.search(rf'PARAMETER\[\s*"{name}"\s*,\s*([-+0-9.eE]+)\s*\]', wkt, flags=re.IGNORECASE)
    return float(found.group(1)) if found else None


def _datum_of(wkt: str) -> str | None:
    spheroid = _wkt_numbers(wkt, "SPHEROID") or _wkt_numbers(wkt, "ELLIPSOID")
    if len(spheroid) == 2:
        a, rf = spheroid
        for datum, (sa, srf) in _ELLIPSOIDS.items():
            if abs(a - sa) < 0.5 and abs(rf - srf) < 1e-6:
                return datum
    upper = wkt.upper()
    for datum, words in {
        "cgcs2000": ("CGCS2000", "CHINA_2000", "CHINA GEODETIC"),
        "xian80": ("XIAN_1980", "XIAN 1980", "XIAN1980"),
        "beijing54": ("BEIJING_1954", "BEIJING 1954", "BEIJING1954"),
        "wgs84": ("WGS_1984", "WGS 84", "WGS84"),
    }.items():
        if any(w in upper for w in words):
            return datum
    return None


def crs_from_prj(text: str) -> AllowedCRS:
    """Match the text of a .prj (ESRI or OGC WKT 1) against the allow-list.

    Geographic: by datum. Gauss–Krüger / transverse Mercator: datum, central meridian,
    false easting, scale factor 1 and metres. Raises CRSError saying what did not match.
    """
    wkt = text.strip()
    if not wkt:
        raise CRSError(_("The .prj file is empty."))
    datum = _datum_of(wkt)
    if datum is None:
        raise CRSError(_("The .prj names a datum GeoCM does not recognise."))
    head = wkt.lstrip().upper()
    if head.startswith("GEOGCS") or head.startswith("GEOGCRS"):
        for allowed in ALLOWED.values():
            if allowed.geographic and allowed.datum == datum:
                return allowed
    elif head.startswith("PROJCS") or head.startswith("PROJCRS"):
        projection = re.search(r'PROJECTION\[\s*"([^"]+)"', wkt, flags=re.IGNORECASE)
        name = (projection.group(1) if projection else "").lower()
        if "gauss" in name or "transverse_mercator" in name or "transverse mercator" in name:
            cm = _wkt_parameter(wkt, "Central_Meridian")
            fe = _wkt_parameter(wkt, "False_Easting")
            fn = _wkt_parameter(wkt, "False_Northing") or 0.0
            k = _wkt_parameter(wkt, "Scale_Factor")
            # WKT 1 puts the projected unit last (the GEOGCS one comes first).
            units = re.findall(r'UNIT\[\s*"[^"]*"\s*,\s*([-+0-9.eE]+)', wkt, flags=re.IGNORECASE)
            metres = not units or abs(float(units[-1]) - 1.0) < 1e-9
            if cm is not None and fe is not None and metres and abs(fn) < 1e-6:
                if k is None or abs(k - 1.0) < 1e-9:
                    for allowed in ALLOWED.values():
                        if (
                            allowed.datum == datum
                            and allowed.central_meridian is not None
                            and abs(allowed.central_meridian - cm) < 1e-9
                            and abs(allowed.false_easting - fe) < 1e-6
                        ):
                            return allowed
    raise CRSError(
        _(
            "The .prj describes a coordinate system GeoCM does not accept (accepted: %(codes)s); "
            "reproject the file or declare its CRS with --crs."
        )
        % {"codes": allowed_list_text()}
    )


def crs_from_authority(text: str) -> AllowedCRS:
    """An ``EPSG:4490`` / ``urn:ogc:def:crs:EPSG::4490`` / CRS84 reference from a file."""
    upper = text.strip().upper()
    if upper.endswith("CRS84"):
        return ALLOWED[4326]
    found = re.search(r"EPSG:+(?:[0-9.]*:)?(\d{4,5})$", upper)
    if found and int(found.group(1)) in ALLOWED:
        return ALLOWED[int(found.group(1))]
    raise CRSError(
        _("The file declares the coordinate system %(value)s, which GeoCM does not accept.")
        % {"value": text[:60]}
    )


@cache
def _transformer(epsg: int):
    from pyproj import Transformer

    # always_xy: EPSG:4490/4549 are latitude/northing first in pyproj's default order.
    return Transformer.from_crs(epsg, 4326, always_xy=True)


def geometries_to_wgs84(geoms: np.ndarray, *, crs: AllowedCRS) -> np.ndarray:
    """Shapely geometries in ``crs`` -> EPSG:4326 (x = longitude), vectorised."""
    if crs.epsg == 4326:
        return geoms
    transformer = _transformer(crs.epsg)
    if len(geoms) and (shapely.get_type_id(geoms) == 0).all():
        # Only points (most asset layers): new points from the transformed coordinates
        # are cheaper than rewriting the coordinates of every geometry.
        coords = shapely.get_coordinates(geoms)
        if len(coords) == len(geoms):
            x, y = transformer.transform(coords[:, 0], coords[:, 1])
            return np.asarray(shapely.points(x, y), dtype=object)

    def _apply(coords):
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, _apply)


# --- does the declared CRS fit the coordinates? -------------------------------------------

# Gauss–Krüger zones are used a little beyond their 3-degree band (Pukou straddles 118.5°E
# and is often kept in one zone): a zone's area of use is widened by this much (degrees).
ZONE_MARGIN_DEG = 1.0
# The place the data should be: the district's extent widened by this much (degrees).
REGION_MARGIN_DEG = 0.2
# Coordinates sampled for the check (evenly over the file).
FIT_SAMPLE = 2000
# Share of the sample that must land in place for a CRS to "fit".
FIT_SHARE = 0.9


@cache
def area_of_use(epsg: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) degrees where ``epsg`` (an allow-listed code) applies,
    from the EPSG registry, widened by ZONE_MARGIN_DEG for projected zones."""
    from pyproj import CRS

    if epsg not in ALLOWED:  # only allow-listed integers ever reach pyproj
        raise CRSError(f"EPSG:{epsg} is not allow-listed")
    bounds = CRS.from_epsg(epsg).area_of_use
    w, s, e, n = (-180.0, -90.0, 180.0, 90.0) if bounds is None else bounds.bounds
    if not ALLOWED[epsg].geographic:
        w, s, e, n = (
            w - ZONE_MARGIN_DEG,
            s - ZONE_MARGIN_DEG,
            e + ZONE_MARGIN_DEG,
            n + ZONE_MARGIN_DEG,
        )
    return w, s, e, n


def _lonlat(xy: np.ndarray, crs: AllowedCRS) -> np.ndarray:
    if crs.epsg == 4326:
        return xy
    with np.errstate(all="ignore"):
        x, y = _transformer(crs.epsg).transform(xy[:, 0], xy[:, 1], errcheck=False)
    return np.column_stack([x, y])


def _share_inside(lonlat: np.ndarray, box: tuple[float, float, float, float]) -> float:
    w, s, e, n = box
    with np.errstate(invalid="ignore"):
        inside = (
            (lonlat[:, 0] >= w) & (lonlat[:, 0] <= e) & (lonlat[:, 1] >= s) & (lonlat[:, 1] <= n)
        )
    return float(inside.mean()) if len(inside) else 0.0


def _sample_xy(geoms: np.ndarray) -> np.ndarray:
    present = geoms[~shapely.is_missing(geoms)]
    if len(present) > FIT_SAMPLE:
        present = present[np.linspace(0, len(present) - 1, FIT_SAMPLE).astype(int)]
    if not len(present):
        return np.zeros((0, 2))
    with np.errstate(all="ignore"):
        points = shapely.point_on_surface(shapely.force_2d(present))
    xy = shapely.get_coordinates(points)
    return xy[np.isfinite(xy).all(axis=1)]


def _candidate_order(declared: AllowedCRS):
    """Allow-listed CRSs, the likeliest first: the declared datum, then CGCS2000, WGS 84."""
    rank = {declared.datum: 0, "cgcs2000": 1, "wgs84": 2}
    return sorted(ALLOWED.values(), key=lambda c: (rank.get(c.datum, 3), c.epsg))


def crs_fit_problem(
    *, geoms: np.ndarray, declared: AllowedCRS, region: tuple[float, float, float, float] | None
) -> str | None:
    """A sentence when the coordinates of ``geoms`` (in the declared CRS) do not fit it,
    naming the allow-listed CRS they fit when there is one; None when they fit.

    They do not fit when most of them fall outside the declared CRS's area of use, or
    outside ``region`` (the district's extent, lon/lat) while another allow-listed CRS (or
    the declared one with x and y swapped) puts nearly all of them inside. Catches a zone
    mix-up (4548 for 4549), swapped axes and degrees declared as metres (and back).
    """
    xy = _sample_xy(geoms)
    if not len(xy):
        return None
    if region is not None:
        w, s, e, n = region
        region = (w - REGION_MARGIN_DEG, s - REGION_MARGIN_DEG, e + REGION_MARGIN_DEG,
                  n + REGION_MARGIN_DEG)  # fmt: skip

    def placed(crs: AllowedCRS, coords: np.ndarray) -> tuple[float, float, np.ndarray]:
        lonlat = _lonlat(coords, crs)
        in_use = _share_inside(lonlat, area_of_use(crs.epsg))
        in_region = _share_inside(lonlat, region) if region is not None else in_use
        return in_use, min(in_use, in_region), lonlat

    in_use, in_place, lonlat = placed(declared, xy)
    if in_use >= 0.5 and in_place >= 0.5:
        return None
    swapped = xy[:, ::-1]
    fits = []
    for candidate in _candidate_order(declared):
        for coords, is_swapped in ((xy, False), (swapped, True)):
            if candidate.epsg == declared.epsg and not is_swapped:
                continue
            if placed(candidate, coords)[1] >= FIT_SHARE:
                fits.append((candidate, is_swapped))
    where = _where(lonlat)
    if not fits and in_use >= 0.5:
        return None  # in place for its CRS, just not here: the outside-district warning says so
    if in_use < 0.5:
        text = _(
            "The coordinates do not fit the declared coordinate system EPSG:%(epsg)d "
            "(%(title)s): in it they fall %(where)s, outside its area of use."
        )
    else:
        text = _(
            "The coordinates do not fit the declared coordinate system EPSG:%(epsg)d "
            "(%(title)s): in it they fall %(where)s, far from the district."
        )
    text %= {"epsg": declared.epsg, "title": declared.title, "where": where}
    if not fits:
        return text + " " + _("No coordinate system GeoCM accepts places them in the district.")
    best, is_swapped = fits[0]
    if is_swapped:
        hint = _(
            "They fit EPSG:%(epsg)d (%(title)s) with x and y swapped (the file gives the "
            "north/latitude first): swap the coordinate columns or axes."
        )
    elif best.geographic and not declared.geographic:
        hint = _(
            "The numbers are degrees, not metres: they fit EPSG:%(epsg)d (%(title)s); "
            "declare that one."
        )
    elif declared.geographic and not best.geographic:
        hint = _(
            "The numbers are metres, not degrees: they fit EPSG:%(epsg)d (%(title)s); "
            "declare that one."
        )
    else:
        hint = _("They fit EPSG:%(epsg)d (%(title)s): declare that one.")
    return text + " " + hint % {"epsg": best.epsg, "title": best.title}


def _where(lonlat: np.ndarray) -> str:
    finite = lonlat[np.isfinite(lonlat).all(axis=1)]
    if not len(finite):
        return _("nowhere on Earth")
    lon, lat = np.median(finite[:, 0]), np.median(finite[:, 1])
    return _("around %(lon).2f°, %(lat).2f°") % {"lon": lon, "lat": lat}
