"""Parking endpoints: the public shared-parking map and its API, and the occupancy feed."""

from urllib.parse import urlencode

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
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


def navigation_links(point) -> dict[str, str]:
    """Links that open Amap and Baidu Maps at ``point`` (WGS84), converted to their datums."""
    glon, glat = gcj02.wgs84_to_gcj02(point.x, point.y)
    blon, blat = gcj02.wgs84_to_bd09(point.x, point.y)
    amap = "https://uri.amap.com/marker?" + urlencode(
        {"position": f"{glon:.6f},{glat:.6f}", "coordinate": "gaode", "src": "geocm"}
    )
    baidu = "https://api.map.baidu.com/marker?" + urlencode(
        {
            "location": f"{blat:.6f},{blon:.6f}",
            "coord_type": "bd09ll",
            "output": "html",
            "title": "P",
            "content": "",
            "src": "geocm",
        }
    )
    return {"amap": amap, "baidu": baidu}


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
            context = {"navigation": navigation_links, "now": timezone.now()}
            return JSONRenderer().render(
                {
                    "type": "FeatureCollection",
                    "at": timezone.localtime(when).isoformat(),
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


def public_map(request):
    """The public shared-parking map (no login, mobile first)."""
    now = timezone.localtime()
    return render(
        request,
        "parking/public_map.html",
        {
            "default_at": now.strftime("%Y-%m-%dT%H:%M"),
            "api": reverse("parking-open"),
            "basemap": basemap_config(),
        },
    )
