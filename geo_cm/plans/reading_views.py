"""Readings of reported indicators: ``/api/plans/{year}/targets/{code}/readings``."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from ..api.params import reject_unknown
from .models import ReportedValue, Target
from .services import ReadingError, reported_value_create


class ReadingPermission(permissions.BasePermission):
    """Reading needs plans.view_reportedvalue; recording needs plans.add_reportedvalue
    (planners and administrators, see geo_cm.roles)."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return user.has_perm("plans.view_reportedvalue") or user.has_perm(
                "plans.add_reportedvalue"
            )
        return user.has_perm("plans.add_reportedvalue")


class ReadingInSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=12, decimal_places=3)
    measured_on = serializers.DateField()
    scope = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    evidence = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ReadingOutSerializer(serializers.ModelSerializer):
    reported_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    value = serializers.FloatField()

    class Meta:
        model = ReportedValue
        fields = ["id", "value", "measured_on", "scope", "evidence", "reported_by", "created_at"]


def _target(year, code) -> Target:
    target = Target.objects.select_related("plan").filter(plan__year=year, code=code).first()
    if target is None:
        raise NotFound(_("No target %(code)s in the %(year)s plan.") % {"code": code, "year": year})
    return target


class ReadingsView(APIView):
    permission_classes = [ReadingPermission]

    @extend_schema(
        tags=["Plans"],
        operation_id="listTargetReadings",
        summary="Readings of a reported indicator, newest first",
        responses={200: ReadingOutSerializer(many=True), 404: OpenApiResponse(OpenApiTypes.OBJECT)},
    )
    def get(self, request, year, code):
        reject_unknown(request.query_params, set())
        target = _target(year, code)
        readings = target.readings.select_related("reported_by").order_by("-measured_on", "-pk")
        return Response(
            {
                "target": target.code,
                "unit": target.unit,
                "readings": ReadingOutSerializer(readings, many=True).data,
            }
        )

    @extend_schema(
        tags=["Plans"],
        operation_id="createTargetReading",
        summary="Record a measured value of a reported indicator",
        request=ReadingInSerializer,
        responses={
            201: ReadingOutSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT),
            403: OpenApiResponse(OpenApiTypes.OBJECT),
            404: OpenApiResponse(OpenApiTypes.OBJECT),
        },
    )
    def post(self, request, year, code):
        reject_unknown(request.query_params, set())
        target = _target(year, code)
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        data = ReadingInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            reading = reported_value_create(target=target, by=request.user, **data.validated_data)
        except ReadingError as exc:
            raise ValidationError({exc.field: [exc.message]}) from exc
        return Response(ReadingOutSerializer(reading).data, status=status.HTTP_201_CREATED)
