"""Administrative areas (district and subdistricts) as GeoJSON for maps and clients."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.views import APIView

from .. import selectors


@extend_schema(
    tags=["Areas"],
    summary="District and subdistrict outlines (GeoJSON, WGS84)",
    responses={(200, "application/geo+json"): OpenApiTypes.OBJECT},
)
class AreasView(APIView):
    permission_classes = [permissions.AllowAny]

    def get(self, request):
        return HttpResponse(selectors.areas_geojson(), content_type="application/geo+json")
