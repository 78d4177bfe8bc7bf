"""Parking endpoints: the public shared-parking map and its API, and the occupancy feed."""

from urllib.parse import urlencode

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from geo_cm import gcj02
from geo_cm.api.params import parse_point, reject_unknown
from geo_cm.basemaps import basemap_config

from . import caching, selectors, services
from .models import SharingWindow
from .serializers import OccupancyReportInSerializer, OpenFacilitySerializer

ERROR = OpenApiResponse(OpenApiTypes.OBJECT, description="{code, description, errors}")


# Separators the map apps read inside a "to=lng,lat,name" / "latlng:..|name:..." value.
_NAV_SEPARATORS = str.maketrans({",": "，", "|": "｜"})


def navigation_links(*, point, name: str, origin=None) -> dict[str, str]:
    """Links that start a driving route in Amap and Baidu Maps to ``point`` named ``name``.

    ``point`` (and the optional ``origin``, the visitor's position) are WGS84 (EPSG:4326);
    Amap takes GCJ-02 and Baidu BD-09, so both are converted here (our data stays WGS84).
    Without an origin the apps route from the phone's own position.
    """
    label = (name or "").translate(_NAV_SEPARATORS) or _("Car park")
    glon, glat = gcj02.wgs84_to_gcj02(point.x, point.y)
    blon, blat = gcj02.wgs84_to_bd09(point.x, point.y)
    amap_query = {
        "to": f"{glon:.6f},{glat:.6f},{label}",
        "mode": "car",
        "policy": "1",
        "coordinate": "gaode",
        "callnative": "1",
        "src": "geocm",
    }
    baidu_query = {
        "destination": f"latlng:{blat:.6f},{blon:.6f}|name:{label}",
        "coord_type": "bd09ll",
        "mode": "driving",
        "region": "南京",
        "output": "html",
        "src": "webapp.pukou.geocm",
    }
    if origin is not None:
        here = _("My position")
        olon, olat = gcj02.wgs84_to_gcj02(origin.x, origin.y)
        amap_query = {"from": f"{olon:.6f},{olat:.6f},{here}", **amap_query}
        oblon, oblat = gcj02.wgs84_to_bd09(origin.x, origin.y)
        baidu_query = {"origin": f"latlng:{oblat:.6f},{oblon:.6f}|name:{here}", **baidu_query}
    return {
        "amap": "https://uri.amap.com/navigation?" + urlencode(amap_query),
        "baidu": "https://api.map.baidu.com/direction?" + urlencode(baidu_query),
    }


def _parse_when(value):
    if not value:
        return timezone.now()
    try:
        when = parse_datetime(value)
    except ValueError:  # well formed but impossible, e.g. month 13
        when = None
    if when is None:
        raise ValidationError(
            {
                "at": [
                    _(
                        "'at' must be a date and time such as "
                        "2024-05-17T22:00 (local time) or with an offset."
                    )
                ]
            }
        )
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return when


class OpenFacilitiesView(APIView):
    """Facilities that share berths at a moment (now by default), public fields only.

    The same answer goes to everyone, so it is cached for a few seconds per parking data
    version (parking/caching.py) and carries an ETag and ``Cache-Control: public``.
    """

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=["Parking"],
        operation_id="listOpenSharedParking",
        summary="Shared parking open at a time",
        parameters=[
            OpenApiParameter("at", str, description="local date-time, default now"),
            OpenApiParameter("audience", str, enum=["public", "residents"]),
            OpenApiParameter("near", str, description="lon,lat (WGS84) to sort by distance"),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: ERROR},
    )
    def get(self, request):
        query = request.query_params
        reject_unknown(query, {"at", "audience", "near"})
        when = _parse_when(query.get("at"))
        audience = query.get("audience")
        if audience not in (None, *SharingWindow.Audience.values):
            raise ValidationError({"audience": [_("audience must be public or residents.")]})
        near = parse_point(query.get("near"), "near")
        # Parsed values, not the raw query, make the key: "?at=…&audience=" and its
        # reordering share one cached answer.
        key = "|".join(
            [
                when.isoformat() if query.get("at") else "now",
                audience or "",
                f"{near.x:.6f},{near.y:.6f}" if near is not None else "",
            ]
        )

        def build() -> bytes:
            facilities = selectors.facility_list_open_at(when=when, audience=audience, near=near)
            # "now" is when the answer was built: counts' ages are judged against it, so a
            # cached answer stays consistent with itself.
            now = timezone.now()
            context = {
                "navigation": lambda facility: navigation_links(
                    point=facility.geom, name=facility.name, origin=near
                ),
                "now": now,
            }
            return JSONRenderer().render(
                {
                    "type": "FeatureCollection",
                    "at": timezone.localtime(when).isoformat(),
                    "now": timezone.localtime(now).isoformat(),
                    "features": OpenFacilitySerializer(facilities, many=True, context=context).data,
                }
            )

        return caching.public_answer_cached(request, key=key, build=build)


class OccupancyFeedView(APIView):
    """Gate systems and sensors post free/occupied counts with an API token."""

    def get_permissions(self):
        return [permissions.IsAuthenticated(), _CanReport()]

    @extend_schema(
        tags=["Parking"],
        operation_id="postOccupancy",
        summary="Report free berths",
        request=OccupancyReportInSerializer,
        responses={201: OpenApiTypes.OBJECT, 400: ERROR, 401: ERROR, 403: ERROR},
    )
    def post(self, request):
        serializer = OccupancyReportInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            report = services.occupancy_report_create(
                facility_code=data["facility"],
                observed_at=data["observed_at"],
                free_berths=data.get("free"),
                occupied_berths=data.get("occupied"),
                source=f"feed:{request.user}",
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response(
            {
                "id": report.pk,
                "facility": data["facility"],
                "free": report.free_berths,
                "observed_at": report.observed_at.isoformat(),
            },
            status=status.HTTP_201_CREATED,
        )


class _CanReport(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("parking.add_occupancyreport")


def _plural(singular: str, plural: str) -> dict[str, str]:
    """Both forms of a counted phrase, for the page's script (English needs 1 and many)."""
    return {"one": ngettext(singular, plural, 1), "many": ngettext(singular, plural, 2)}


def public_map_text() -> dict:
    """The translated words of the public map's script (no inline code: handed as JSON)."""
    return {
        "found": _plural(
            "%(n)s car park you can use at this time",
            "%(n)s car parks you can use at this time",
        ),
        "foundAll": _plural(
            "%(n)s car park shares berths at this time",
            "%(n)s car parks share berths at this time",
        ),
        "residentsOnlyCount": _plural(
            "%(n)s of them is for nearby residents only",
            "%(n)s of them are for nearby residents only",
        ),
        "hiddenResidents": _plural(
            "%(n)s more car park shares berths now, but only with nearby residents.",
            "%(n)s more car parks share berths now, but only with nearby residents.",
        ),
        "minutesAgo": _plural("%(n)s minute ago", "%(n)s minutes ago"),
        "hoursAgo": _plural("%(n)s hour ago", "%(n)s hours ago"),
        "freeBerths": _plural("%(n)s free", "%(n)s free"),
        "sharedBerths": _plural("%(n)s berth shared", "%(n)s berths shared"),
        "justNow": _("just now"),
        # Joins two clauses of the summary; Chinese uses a full-width semicolon.
        "semicolon": _("; "),
        "none": _("No car park shares berths with the public at this time."),
        "noneAll": _("No shared parking is open at this time."),
        "showResidents": _("I live nearby: show them"),
        "liveCount": _("%(free)s · updated %(age)s"),
        "staleCount": _("last count %(time)s (%(age)s): %(free)s, may have changed"),
        "notLive": _("no live count"),
        "price": _("price"),
        "amap": _("Route in Amap"),
        "baidu": _("Route in Baidu Maps"),
        "away": _("m away"),
        "km": _("km away"),
        "public": _("open to the public"),
        "residents": _("nearby residents only"),
        "residentsWarning": _("Nearby residents only: visitors cannot park here."),
        "nextDay": _("next day"),
        "noGps": _("Your position is not available; tap the map to choose a point."),
        "failed": _("The list could not be loaded; check the network and try again."),
        "you": _("Your position"),
        "chosen": _("Chosen point"),
        "district": _("Pukou District boundary"),
        "legend": _("Legend"),
    }


def public_map(request):
    """The public shared-parking map (no login, mobile first).

    The visitor's question comes first: by default it lists what the general public may
    park in; offers for nearby residents only are one choice away and marked as such.
    """
    now = timezone.localtime()
    return render(
        request,
        "parking/public_map.html",
        {
            "default_at": now.strftime("%Y-%m-%dT%H:%M"),
            "api": reverse("parking-open"),
            "areas": reverse("district-boundary"),
            "basemap": basemap_config(),
            "text": public_map_text(),
        },
    )
