"""Plan progress endpoints."""

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from ..api.params import reject_unknown
from .models import Plan
from .selectors import plan_progress


def _today(query) -> dt.date:
    value = query.get("today")
    if value is None:
        return timezone.localdate()
    try:
        parsed = parse_date(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError({"today": [_("today must be a date such as 2023-06-30.")]})
    return parsed


class ProgressView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=["Plans"],
        operation_id="getPlanProgress",
        summary="Progress of every target of the year's plan",
        parameters=[OpenApiParameter("today", str, description="judge as of date")],
        responses={200: OpenApiTypes.OBJECT, 404: OpenApiResponse(OpenApiTypes.OBJECT)},
    )
    def get(self, request, year):
        reject_unknown(request.query_params, {"today"})
        plan = Plan.objects.filter(year=year).prefetch_related("targets").first()
        if plan is None:
            raise NotFound(_("No plan for %(year)s.") % {"year": year})
        today = _today(request.query_params)
        return Response(
            {
                "plan": {"title": plan.title, "issuing_body": plan.issuing_body, "year": plan.year},
                "today": today,
                "targets": plan_progress(plan=plan, today=today),
            }
        )
